"""Pictures of BART's noising (minilm.viz.noising, minilm.viz.noising_explorer): hand-worked
layouts for each function, agreement with the package's noising, offline SVG, the widget."""

import xml.etree.ElementTree as ET

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minilm.objectives import denoising  # noqa: E402
from minilm.viz.noising import (  # noqa: E402
    DELETED,
    INSERTED,
    KINDS,
    MASK,
    MASKED,
    box_positions,
    noise_with_info,
    noising_picture,
    plot_noising,
    plot_token_rows,
    x_at,
)
from minilm.viz.noising_explorer import NoisingExplorer, picture_to_svg  # noqa: E402

M, STOP = 4, 9


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_token_masking_layout_hand_worked():
    pic = noising_picture(list("ABCDE"), ["A", "[M]", "C", "[M]", "E"], "token_masking", [1, 3])
    (_, up), (_, down) = pic.rows
    assert [b.fill == MASKED for b in up] == [False, True, False, True, False]
    assert [b.fill == MASK for b in down] == [False, True, False, True, False]
    assert [(a, b) for _, a, _, b, _ in pic.links] == [(1, 1), (3, 3)]
    assert "2 of 5 tokens (40%)" in pic.caption


def test_token_deletion_links_kept_tokens_to_their_new_places():
    mask = torch.tensor([False, True, False, False, True])
    pic = noising_picture(list("ABCDE"), list("ACD"), "token_deletion", mask)
    (_, up), _ = pic.rows
    assert [b.strike for b in up] == [False, True, False, False, True]
    assert up[1].fill == DELETED
    assert [(a, b) for _, a, _, b, _ in pic.links] == [(0, 0), (2, 1), (3, 2)]


def test_text_infilling_layout_hand_worked():
    # spans (1, 3) = "B C" and (4, 4) = an empty span before E  ->  A [M] D [M] E
    pic = noising_picture(list("ABCDE"), ["A", "[M]", "D", "[M]", "E"], "text_infilling", [(1, 3), (4, 4)])
    (_, up), (_, down) = pic.rows
    assert [b.fill == MASKED for b in up] == [False, True, True, False, False]
    assert down[1].fill == MASK and down[3].fill == INSERTED
    assert [(a, b) for _, a, _, b, _ in pic.links] == [(1.5, 1), (3.5, 3)]
    assert pic.markers == [(0, 3.5, INSERTED)]
    assert "lengths [2, 0]" in pic.caption


def test_sentence_permutation_keeps_each_sentence_colour():
    top = ["A", "B", ".", "C", ".", "D", "E", "."]
    spans, order = [(0, 3), (3, 5), (5, 8)], [2, 0, 1]
    bottom = ["D", "E", ".", "A", "B", ".", "C", "."]
    pic = noising_picture(top, bottom, "sentence_permutation", {"spans": spans, "order": order})
    (_, up), (_, down) = pic.rows
    colour = {b.token: b.fill for b in up if b.token != "."}
    assert all(colour[b.token] == b.fill for b in down if b.token != ".")
    assert len({colour["A"], colour["C"], colour["D"]}) == 3
    assert [(a, b) for _, a, _, b, _ in pic.links] == [(6, 1), (1, 4), (3.5, 6.5)]


def test_document_rotation_marks_the_new_start():
    pic = noising_picture(list("ABCDE"), list("CDEAB"), "document_rotation", 2)
    (_, up), (_, down) = pic.rows
    assert up[2].edge == down[0].edge != up[0].edge
    assert [b.fill for b in down] == [up[i].fill for i in (2, 3, 4, 0, 1)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_noise_with_info_is_the_package_noising_and_draws_it(kind, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, 30, (24,), generator=g)
    ids[[5, 11, 17, 23]] = STOP
    noised, info = noise_with_info(ids, kind, mask_id=M, full_stop_id=STOP, ratio=0.3,
                                   generator=torch.Generator().manual_seed(seed))
    same = torch.Generator().manual_seed(seed)
    package = {
        "token_masking": lambda: denoising.token_masking(ids, mask_id=M, ratio=0.3, generator=same),
        "token_deletion": lambda: denoising.token_deletion(ids, ratio=0.3, generator=same),
        "text_infilling": lambda: denoising.text_infilling(ids, mask_id=M, mask_ratio=0.3, generator=same),
        "sentence_permutation": lambda: denoising.sentence_permutation(ids, full_stop_id=STOP,
                                                                       generator=same),
        "document_rotation": lambda: denoising.document_rotation(ids, generator=same),
    }[kind]()
    assert torch.equal(noised, package)
    tokens = [str(t) for t in ids.tolist()]
    pic = noising_picture(tokens, [str(t) for t in noised.tolist()], kind, info)
    assert [b.token for b in pic.rows[1][1]] == [str(t) for t in noised.tolist()]
    fig = plot_noising(tokens, [str(t) for t in noised.tolist()], kind, info)
    assert len(fig.axes[0].patches) >= len(ids) + len(noised)  # one box per token, plus arrows


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="kind"):
        noising_picture(list("AB"), list("AB"), "shuffle", None)
    with pytest.raises(ValueError, match="noised_tokens"):
        noising_picture(list("ABC"), list("AB"), "token_masking", [1])
    with pytest.raises(ValueError, match="info"):
        noising_picture(list("ABC"), list("AB"), "text_infilling", [(2, 1)])
    with pytest.raises(ValueError, match="info"):
        noising_picture(list("ABC"), list("ABC"), "document_rotation", 3)
    with pytest.raises(TypeError, match="original_tokens"):
        noising_picture("ABC", list("ABC"), "document_rotation", 0)
    with pytest.raises(ValueError, match="fills"):
        plot_token_rows([("row", ["a", "b"], ["#fff"])])


def test_gap_positions_lie_between_boxes():
    xs = box_positions(noising_picture(list("ABC"), list("ABC"), "document_rotation", 0).rows[0][1])
    assert x_at(xs, 0) < x_at(xs, 0.5) < x_at(xs, 1) < x_at(xs, 1.5) < x_at(xs, 2) < x_at(xs, 2.5)
    assert xs[0][0] + xs[0][1] < x_at(xs, 0.5) < xs[1][0]
    assert x_at(xs, -0.5) < xs[0][0]


def test_svg_is_offline_xml_with_one_group_per_token():
    pic = noising_picture(list("ABCDE"), ["A", "[M]", "D", "[M]", "E"], "text_infilling", [(1, 3), (4, 4)])
    svg = picture_to_svg(pic)
    root = ET.fromstring(svg)
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "token"]
    assert len(groups) == 10
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_explorer_follows_its_controls():
    from minilm.tokenizer import WordTokenizer

    doc = "Anna lives in Paris. She likes soup. Ben has a red cat. It sleeps."
    tok = WordTokenizer.train([doc])
    explorer = NoisingExplorer([doc], tok, kind="token_masking", ratio=0.3, seed=3)
    ids = torch.tensor(tok.encode(doc))
    expected = denoising.token_masking(ids, mask_id=tok.mask_token_id, ratio=0.3,
                                       generator=torch.Generator().manual_seed(3))
    assert torch.equal(explorer.noised, expected)
    before = explorer.svg
    explorer.kind_dropdown.value = "sentence_permutation"
    assert explorer.svg != before and explorer.ratio_slider.disabled
    assert sorted(explorer.noised.tolist()) == sorted(ids.tolist())
    explorer.kind_dropdown.value = "text_infilling"
    explorer.ratio_slider.value = 0.0
    assert torch.equal(explorer.noised, ids) and not explorer.ratio_slider.disabled
    assert explorer.static_figure().axes
    assert "text/html" in explorer._repr_mimebundle_()
    with pytest.raises(ValueError, match="kind"):
        NoisingExplorer([doc], tok, kind="rotate")


def test_explorer_caption_names_the_lambda_of_the_slider():
    # Before: the caption said "λ = 3" whatever the slider said.
    from minilm.tokenizer import WordTokenizer

    doc = "Anna lives in Paris. She likes soup. Ben has a red cat. It sleeps."
    explorer = NoisingExplorer([doc], WordTokenizer.train([doc]), kind="text_infilling", ratio=0.3)
    assert "(Poisson, λ = 3)" in explorer.picture.caption
    explorer.lambda_slider.value = 1.5
    assert "(Poisson, λ = 1.5)" in explorer.picture.caption and "λ = 1.5" in explorer.svg
    assert "λ = 1.5" in explorer.static_figure().axes[0].texts[-1].get_text()


def svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width:.0f} {height:.0f}"  # it scales as one picture ...
    style = {k.strip(): v.strip() for k, v in (d.split(":") for d in root.get("style").split(";") if d)}
    assert style["max-width"] == "100%" and style["height"] == "auto"  # ... down to its cell
    return width, height


def token_groups(svg: str) -> list[tuple[int, int, float, float]]:
    """(row, index, right edge, top) of every token box."""
    out = []
    for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        rect = g.find("{http://www.w3.org/2000/svg}rect")
        right = float(rect.get("x")) + float(rect.get("width"))
        out.append((int(g.get("data-row")), int(g.get("data-i")), right, float(rect.get("y"))))
    return out


def test_svg_of_a_long_document_wraps_into_bands_that_fit_a_cell():
    # Before: one 1,942-pixel row pair; a JupyterLab cell (864 px) cut off its right half.
    tokens = [f"word{i}" for i in range(40)]
    noised = ["[MASK]" if i % 7 == 3 else t for i, t in enumerate(tokens)]
    pic = noising_picture(tokens, noised, "token_masking", [i for i in range(40) if i % 7 == 3])
    width, height = svg_size(picture_to_svg(pic))
    assert width <= 840 and height > 200  # several bands
    boxes = token_groups(picture_to_svg(pic))
    assert len(boxes) == 80 and all(right <= width for _, _, right, _ in boxes)
    # Each masked token sits in the same band (same y offset) as its [MASK]: no line is cut.
    y = {(r, i): y for r, i, _, y in boxes}
    assert all(y[(1, i)] - y[(0, i)] == pytest.approx(y[(1, 0)] - y[(0, 0)]) for i in range(40))
    assert len({y[(0, i)] for i in range(40)}) == 4  # four bands


def test_svg_of_a_rotated_document_stacks_its_rows_without_crossing_lines():
    # Rotation moves tokens across the whole picture: no cut keeps the lines in one band, so
    # the original wraps on its own, then the noised document; the colours say which part
    # went where.
    tokens = [f"word{i}" for i in range(40)]
    rotated = tokens[25:] + tokens[:25]
    pic = noising_picture(tokens, rotated, "document_rotation", 25)
    svg = picture_to_svg(pic)
    width, _ = svg_size(svg)
    boxes = token_groups(svg)
    assert width <= 840 and all(right <= width for _, _, right, _ in boxes)
    assert max(y for *_, y in boxes[:40]) < min(y for *_, y in boxes[40:])  # original lines first
    assert "<line" not in svg  # no link lines
    fills = [g.find("{http://www.w3.org/2000/svg}rect").get("fill")
             for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")]
    assert fills == [b.fill for _, row in pic.rows for b in row]
