"""Teaching with minilm: every figure exports, reads from the back of a room, and the offline
gallery holds exactly the masks ``minilm.masks`` builds (the browser tests drive it)."""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.text
import pytest
from PIL import Image

from minilm import masks
from minilm.__main__ import main
from minilm.viz.gallery import gallery_html, mask_states
from minilm.viz.plots import MAY
from minilm.viz.slides import ANIMATIONS, EXPORT_DPI, FIGURES, export_all
from minilm.viz.theme import THEMES, theme_rc, use_theme
from minilm.viz.widgets import KINDS, tokenize

MIN_TEXT_PX = 16  # the smallest text in an exported PNG, in pixels (a 9 pt label at 200 dpi is 25 px)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return out, export_all(out, theme="dark", attention_steps=3, progress=False)


def test_export_writes_every_figure_animation_and_the_gallery(exported):
    out, written = exported
    names = {p.name for p in written}
    for name in FIGURES:
        assert {f"{name}.png", f"{name}.svg"} <= names, name
    for name in ANIMATIONS:
        assert f"{name}.gif" in names
        assert Image.open(out / f"{name}.gif").n_frames >= 3, f"{name}: an animation needs several frames"
    assert "gallery.html" in names
    assert all(p.stat().st_size > 0 for p in written)


def test_exported_pngs_are_slide_sized_and_in_the_theme(exported):
    out, _ = exported
    background = tuple(int(THEMES["dark"]["background"][i:i + 2], 16) for i in (1, 3, 5))
    for name in FIGURES:
        image = Image.open(out / f"{name}.png").convert("RGB")
        width, height = image.size
        assert max(width, height) >= 900 and min(width, height) >= 400, (name, image.size)
        assert max(width, height) <= 5000, (name, image.size)
        assert image.getpixel((1, 1)) == background, f"{name}: the corner is not the dark background"


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_label_is_inside_its_picture_and_large_enough(name):
    """Text drawn in data coordinates (a token in its box) must lie inside its axes, where
    matplotlib clips the boxes; every other label inside the figure (3 % slack for the
    layout engine's rounding); and every label at least MIN_TEXT_PX tall in the export."""
    with use_theme("light"):
        fig = FIGURES[name](steps=2) if name == "attention_heads" else FIGURES[name]()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    slack = 0.03 * max(fig.bbox.width, fig.bbox.height)
    frame = fig.bbox.expanded(1 + slack / fig.bbox.width, 1 + slack / fig.bbox.height)

    def inside(box, area, pad=1.0):
        return (box.x0 >= area.x0 - pad and box.y0 >= area.y0 - pad and box.x1 <= area.x1 + pad
                and box.y1 <= area.y1 + pad)

    hidden = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
              if not (ax.axison and axis.get_visible())
              for label in axis.get_ticklabels(which="both")}  # ax.axis("off") draws no ticks
    texts = [t for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    assert texts, f"{name} has no text at all"
    for t in texts:
        assert inside(t.get_window_extent(renderer), frame), f"{name}: {t.get_text()!r} is cut off"
        px = t.get_fontsize() * EXPORT_DPI / 72
        assert px >= MIN_TEXT_PX, f"{name}: {t.get_text()!r} is {px:.0f} px tall in the export"
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip() and t.get_transform() == ax.transData:
                assert inside(t.get_window_extent(renderer), ax.bbox), \
                    f"{name}: {t.get_text()!r} lies outside the area its box is drawn in"
    plt.close(fig)


@pytest.mark.parametrize("kind", ["causal", "prefix", "glm", "cross"])
def test_mask_figures_label_every_token(kind):
    fig = FIGURES[f"mask_{kind}"]()
    labels = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    for token in tokenize("the cat sat on the mat ."):
        assert token in labels
    plt.close(fig)


def test_theme_settings_are_checked():
    assert theme_rc("dark")["figure.facecolor"] == THEMES["dark"]["background"]
    with pytest.raises(ValueError, match="theme"):
        theme_rc("sepia")


def test_the_command_line_refuses_unknown_figures(tmp_path, capsys):
    assert main(["viz", "export", "--out", str(tmp_path), "--only", "no_such_figure"]) == 2
    assert "no_such_figure" in capsys.readouterr().err


# --------------------------------------------------------------------- the offline gallery
def cells_of(svg: str) -> dict[tuple[int, int], bool]:
    found = re.findall(r'<rect class="cell" data-q="(\d+)" data-k="(\d+)"[^>]*fill="(#[0-9a-f]+)"', svg)
    return {(int(q), int(k)): fill == MAY for q, k, fill in found}


def test_gallery_is_self_contained():
    page = gallery_html()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "an external resource"
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<script") == 1


def test_gallery_prefix_masks_are_minilm_masks_for_every_slider_value():
    states = mask_states("a b c d e f g")
    prefix = states["prefix"]
    assert prefix["values"] == list(range(8))
    for k, svg in zip(prefix["values"], prefix["svgs"], strict=True):
        expected = masks.prefix_lm_mask(7, k)
        cells = cells_of(svg)
        assert cells == {(q, j): bool(expected[q, j]) for q in range(7) for j in range(7)}


def test_gallery_has_every_mask_kind_and_the_glm_mask_is_minilms():
    states = mask_states()
    assert list(states) == list(KINDS)
    glm = cells_of(states["glm"]["svgs"][0])
    T = int(len(glm) ** 0.5)
    sep = 6  # "the cat [MASK] on [MASK] ." is Part A
    expected = masks.glm_mask(T, sep)
    assert glm == {(q, k): bool(expected[q, k]) for q in range(T) for k in range(T)}
    causal = cells_of(states["causal"]["svgs"][2])  # two [PAD]s: padded keys hidden
    assert causal[(1, 0)] and not causal[(0, 1)] and not causal[(8, 7)]


def test_presenter_builds_every_picture_and_follows_the_theme():
    from minilm.viz.presenter import Presenter

    deck = Presenter(attention_steps=2)
    menu = deck.choice(["bart_text_infilling", "bart_noising_steps"])
    dropdown, image = menu.children
    light = image.value
    deck.theme.value = "dark"
    assert image.value != light, "the picture did not follow the theme switch"
    dropdown.value = "bart_noising_steps"
    assert image.format == "gif" and image.value[:3] == b"GIF"
    assert "svg.minilm-mask" in deck.switch().children[1].value
