"""minilm.viz: mask pictures (matplotlib and SVG), exports, and the MaskExplorer widget."""

import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from minilm import masks  # noqa: E402
from minilm.objectives.blank_infilling import glm_sample  # noqa: E402
from minilm.viz import figure_to_png, mask_to_svg, plot_attention, plot_mask, plot_masks, save_figure  # noqa: E402
from minilm.viz.plots import ACCENT, BLOCKED, MAY  # noqa: E402
from minilm.viz.widgets import MaskExplorer, positions_to_spans  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(ticks):
    return [t.get_text() for t in ticks]


def svg_cells(svg: str) -> dict[tuple[int, int], str]:
    """(query, key) -> fill of every cell rect; the SVG must parse as XML."""
    root = ET.fromstring(svg)
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    return {(int(r.get("data-q")), int(r.get("data-k"))): r.get("fill") for r in cells}


# plot_mask ---------------------------------------------------------------------------

def test_plot_mask_labels_queries_and_keys_and_draws_the_mask():
    tokens = ["the", "cat", "sat", "down"]
    fig = plot_mask(masks.causal_mask(4), tokens, title="causal")
    ax = fig.axes[0]
    assert labels(ax.get_xticklabels()) == tokens  # columns: keys
    assert labels(ax.get_yticklabels()) == tokens  # rows: queries
    image = ax.images[0].get_array()
    assert image.shape == (4, 4)
    assert image.tolist() == masks.causal_mask(4).int().tolist()
    assert ax.get_title() == "causal"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["may attend", "blocked"]


def test_plot_mask_cross_attention_has_its_own_query_labels_and_draws_on_a_given_axis():
    fig, ax = plt.subplots()
    out = plot_mask(torch.ones(2, 3, dtype=torch.bool), ["a", "b", "c"], query_tokens=["<s>", "x"], ax=ax)
    assert out is fig
    assert labels(ax.get_xticklabels()) == ["a", "b", "c"]
    assert labels(ax.get_yticklabels()) == ["<s>", "x"]


def test_plot_mask_highlights_one_query_and_draws_boundaries():
    fig = plot_mask(masks.prefix_lm_mask(4, 2), ["a", "b", "c", "d"], highlight_query=2, boundaries=2)
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    assert image[2].tolist() == [2, 2, 2, 0]  # query 2 sees a, b (prefix) and itself
    assert image[1].tolist() == [1, 1, 0, 0]
    assert len(ax.lines) == 2  # one vertical and one horizontal part line at 2 - 0.5
    assert ax.lines[0].get_xdata()[0] == pytest.approx(1.5)


@pytest.mark.parametrize("bad, error, words", [
    ([[True]], TypeError, "torch.Tensor"),
    (torch.ones(2, 2), TypeError, "bool"),
    (torch.ones(1, 2, 2, dtype=torch.bool), ValueError, "mask[0]"),
    (torch.ones(0, 2, dtype=torch.bool), ValueError, "empty"),
])
def test_plot_mask_rejects_what_is_not_a_2d_bool_mask(bad, error, words):
    with pytest.raises(error, match=None) as info:
        plot_mask(bad)
    assert words in str(info.value)


def test_plot_mask_label_counts_must_match_the_shape():
    with pytest.raises(ValueError, match="tokens has 2 labels but the mask has 3 keys"):
        plot_mask(masks.causal_mask(3), ["a", "b"])
    with pytest.raises(ValueError, match="query_tokens has 3 labels but the mask has 2 queries"):
        plot_mask(torch.ones(2, 3, dtype=torch.bool), ["a", "b", "c"], query_tokens=["x", "y", "z"])
    with pytest.raises(TypeError, match="list of strings"):
        plot_mask(masks.causal_mask(3), "abc")
    with pytest.raises(ValueError, match="highlight_query"):
        plot_mask(masks.causal_mask(3), highlight_query=3)
    with pytest.raises(ValueError, match="boundaries"):
        plot_mask(masks.causal_mask(3), boundaries=4)


def test_plot_masks_one_panel_per_mask_and_one_legend():
    am = torch.tensor([[1, 1, 1, 0]])
    fig = plot_masks({"causal": masks.causal_mask(4), "padding": masks.padding_mask(am)[0],
                      "prefix": masks.prefix_lm_mask(4, 2)}, ["a", "b", "c", "[PAD]"], ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["causal", "padding", "prefix"]
    assert len(fig.legends) == 1
    with pytest.raises(TypeError):
        plot_masks({})


def test_plot_attention_draws_weights_and_explains_a_wrong_shape():
    w = torch.softmax(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)), dim=-1)
    fig = plot_attention(w, ["a", "b", "c"])
    assert torch.allclose(torch.tensor(fig.axes[0].images[0].get_array()), w)
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    with pytest.raises(ValueError, match=r"attentions\[layer\]"):
        plot_attention(torch.rand(2, 4, 3, 3))
    with pytest.raises(TypeError, match="float"):
        plot_attention(masks.causal_mask(3))


# SVG and exports ---------------------------------------------------------------------

def test_mask_to_svg_hand_worked_3x3():
    mask = torch.tensor([[1, 0, 0],
                         [1, 1, 0],
                         [0, 1, 1]], dtype=torch.bool)
    svg = mask_to_svg(mask, ["<s>", "a&b", "c"], title="toy")
    cells = svg_cells(svg)
    assert len(cells) == 9  # one rect per cell
    expected = {(0, 0): MAY, (0, 1): BLOCKED, (0, 2): BLOCKED,
                (1, 0): MAY, (1, 1): MAY, (1, 2): BLOCKED,
                (2, 0): BLOCKED, (2, 1): MAY, (2, 2): MAY}
    assert cells == expected
    assert "&lt;s&gt;" in svg and "a&amp;b" in svg  # labels are escaped, the XML still parses
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_mask_to_svg_highlight_colours_only_what_that_query_sees():
    mask = masks.causal_mask(3)
    cells = svg_cells(mask_to_svg(mask, ["a", "b", "c"], highlight_query=1))
    assert [cells[(1, k)] for k in range(3)] == [ACCENT, ACCENT, BLOCKED]
    assert [cells[(2, k)] for k in range(3)] == [MAY, MAY, MAY]
    assert cells[(0, 1)] == BLOCKED


def test_figure_to_png_and_save_figure(tmp_path):
    fig = plot_mask(masks.causal_mask(3))
    png = figure_to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert save_figure(fig, tmp_path / "slides" / "mask.svg").read_text().lstrip().startswith("<?xml")
    assert save_figure(fig, tmp_path / "mask.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=".png, .svg or .pdf"):
        save_figure(fig, tmp_path / "mask.jpg")


# MaskExplorer ------------------------------------------------------------------------

def test_positions_to_spans_groups_neighbours():
    assert positions_to_spans([4, 1, 2]) == [(1, 3), (4, 5)]
    assert positions_to_spans([]) == []


def test_explorer_prefix_slider_gives_minilm_prefix_masks():
    explorer = MaskExplorer("a b c d e f", kind="prefix", length=2)
    assert explorer.tokens == ["a", "b", "c", "d", "e", "f"]
    assert torch.equal(explorer.mask, masks.prefix_lm_mask(6, 2))
    before = explorer.svg
    explorer.length_slider.value = 4
    assert torch.equal(explorer.mask, masks.prefix_lm_mask(6, 4))
    assert explorer.svg != before and explorer.view.value == explorer.svg
    assert explorer.length_slider.max == 6  # a prefix can cover the whole sentence


def test_explorer_padding_and_kinds_follow_minilm_masks():
    explorer = MaskExplorer("a b c", kind="bidirectional", length=2)
    am = torch.tensor([[1, 1, 1, 0, 0]])
    assert explorer.tokens == ["a", "b", "c", "[PAD]", "[PAD]"]
    assert torch.equal(explorer.mask, masks.bidirectional_mask(attention_mask=am)[0])
    explorer.kind_dropdown.value = "causal"
    assert explorer.length_slider.value == 0  # a new kind starts from no padding
    assert torch.equal(explorer.mask, masks.causal_mask(3))
    explorer.kind_dropdown.value = "cross"
    src = torch.ones(1, 3, dtype=torch.long)
    assert explorer.query_tokens == ["<s>", "a", "b"] and explorer.tokens == ["a", "b", "c"]
    assert torch.equal(explorer.mask, masks.cross_mask(src, 3)[0])
    explorer.kind_dropdown.value = "decoder"
    explorer.length_slider.value = 1
    three = masks.encoder_decoder_masks(src, torch.tensor([[1, 1, 1, 0]]))
    assert torch.equal(explorer.mask, three["decoder"][0])


def test_explorer_glm_spans_build_part_a_and_part_b():
    explorer = MaskExplorer("a b c d e f", kind="glm", spans=[(1, 3)])
    explorer.span_select.value = (1, 2, 4)  # spans (1, 3) and (4, 5)
    assert explorer.spans == [(1, 3), (4, 5)]
    # Worked by hand: Part A = a [MASK] d [MASK] f, Part B = [S] b c [S] e.
    assert explorer.tokens == ["a", "[MASK]", "d", "[MASK]", "f", "[S]", "b", "c", "[S]", "e"]
    assert explorer.boundary == 5
    assert torch.equal(explorer.mask, masks.glm_mask(10, 5))
    ids = torch.arange(6)
    sample = glm_sample(ids, [(1, 3), (4, 5)], mask_id=90, start_id=91, end_id=92, order=[0, 1])
    assert sample["sep"] == explorer.boundary and len(sample["input_ids"]) == len(explorer.tokens)


def test_explorer_text_and_query_update_the_view():
    explorer = MaskExplorer("a b c", kind="causal")
    explorer.text_box.value = "one two three four"
    assert explorer.tokens == ["one", "two", "three", "four"]
    assert torch.equal(explorer.mask, masks.causal_mask(4))
    before_mask, before_svg = explorer.mask.clone(), explorer.svg
    explorer.query_dropdown.value = 2
    assert torch.equal(explorer.mask, before_mask)  # highlighting never changes the mask
    assert explorer.svg != before_svg
    assert [svg_cells(explorer.svg)[(2, k)] for k in range(4)] == [ACCENT, ACCENT, ACCENT, BLOCKED]
    assert "may attend to 3 keys: one two three" in explorer.caption.value


def test_explorer_displays_as_a_widget_with_an_html_fallback_and_a_static_figure():
    explorer = MaskExplorer("a b c", kind="prefix", length=1, query=1)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == explorer.svg
    fig = explorer.static_figure()
    assert labels(fig.axes[0].get_xticklabels()) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="kind must be one of"):
        MaskExplorer(kind="sideways")


def test_mask_to_svg_refuses_a_picture_too_large_to_draw():
    # Before: a 2048-token mask became ~660 MB of SVG text.
    from minilm.constants import MAX_SVG_TOKENS

    with pytest.raises(ValueError, match=r"^mask .*2048.*at most 256"):
        mask_to_svg(masks.causal_mask(2048))
    with pytest.raises(ValueError, match="mask"):
        mask_to_svg(torch.ones(3, MAX_SVG_TOKENS + 1, dtype=torch.bool))
    svg = mask_to_svg(torch.ones(1, MAX_SVG_TOKENS, dtype=torch.bool))
    assert svg.count('class="cell"') == MAX_SVG_TOKENS


@pytest.mark.parametrize("n", [2, 6, 12])
def test_plot_mask_keeps_its_cells_readable_with_a_legend_that_fits(n):
    # Before: three legend entries in one row were wider than a 6-token figure, and the
    # layout shrank the matrix to a 50-pixel grid with overlapping labels.
    from IPython.core.pylabtools import print_figure

    fig = plot_mask(masks.causal_mask(n), [f"tok{i}" for i in range(n)], title="causal", highlight_query=1)
    print_figure(fig, "png", bbox_inches="tight")  # what a notebook shows: laid out, cropped to content
    ax = fig.axes[0]
    cell_px = ax.get_window_extent().width / n
    assert cell_px >= 0.25 * fig.dpi, f"{cell_px:.0f}-pixel cells at {fig.dpi} dpi"
    assert ax.get_legend().get_window_extent().width <= fig.bbox.width
    assert labels(ax.get_legend().get_texts()) == ["may attend", "blocked", "highlighted query sees"]


def test_explorer_query_resets_when_the_mask_kind_changes():
    # Before: query 2 stayed picked, and in the cross-attention view row 2 is another token.
    explorer = MaskExplorer("a b c d", kind="causal", query=2)
    assert explorer.highlight_query == 2
    explorer.kind_dropdown.value = "cross"
    assert explorer.query_dropdown.value == -1 and explorer.highlight_query is None
    assert "may attend to" not in explorer.caption.value
    explorer.query_dropdown.value = 1  # a query picked in the new view ...
    explorer.text_box.value = "a b c d e"  # ... survives a new sentence that still has row 1
    assert explorer.highlight_query == 1 and explorer.query_tokens[1] == "a"
    explorer.kind_dropdown.value = "glm"
    assert explorer.highlight_query is None


def test_explorer_labels_are_not_cut_short():
    # JupyterLab's 13 px labels take about 8 px per character; a label given less is cut
    # with an ellipsis ("GLM spans" showed as "GLM spa…" in 70 px).
    explorer = MaskExplorer("a b c", kind="glm")
    for control in (explorer.kind_dropdown, explorer.text_box, explorer.length_slider,
                    explorer.span_select, explorer.query_dropdown):
        width = control.style.description_width
        if width.endswith("px"):
            assert 8 * len(control.description) <= float(width[:-2]), control.description
        else:
            assert width in ("initial", ""), width
