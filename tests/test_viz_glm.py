"""plot_glm_sample: the paper's Fig. 2 drawn from a glm_sample dict."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from minilm.objectives.blank_infilling import glm_sample  # noqa: E402
from minilm.viz import plot_glm_sample  # noqa: E402
from minilm.viz.glm import glm_targets  # noqa: E402

VOCAB = ["[MASK]", "[S]", "[E]", "x1", "x2", "x3", "x4", "x5", "x6"]
TEXT = ["x1", "x2", "x3", "x4", "x5", "x6"]


@pytest.fixture
def fig2():
    ids = torch.arange(3, 9)  # x1 .. x6
    sample = glm_sample(ids, [(2, 3), (4, 6)], mask_id=0, start_id=1, end_id=2, order=[1, 0])
    tokens = [VOCAB[i] for i in sample["input_ids"].tolist()]
    yield sample, tokens
    plt.close("all")


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def row(ax, label: str) -> list[str]:
    """The cell texts on the same line as a row label, left to right."""
    anchor = next(t for t in ax.texts if t.get_text() == label)
    y = anchor.get_position()[1]
    cells = [t for t in ax.texts if t is not anchor and abs(t.get_position()[1] - y) < 1e-6]
    return [t.get_text() for t in sorted(cells, key=lambda t: t.get_position()[0])]


def test_fig2_rows_as_in_the_paper(fig2):
    sample, tokens = fig2
    fig = plot_glm_sample(sample, tokens, text_tokens=TEXT, paper_numbering=True)
    table, mask_ax = fig.axes
    assert row(table, "text x") == TEXT
    assert row(table, "input") == ["x1", "x2", "[MASK]", "x4", "[MASK]", "[S]", "x5", "x6", "[S]", "x3"]
    # Fig. 2 (c) of Du et al. (2022), numbers copied from the paper.
    assert row(table, "Position 1") == ["1", "2", "3", "4", "5", "5", "5", "5", "3", "3"]
    assert row(table, "Position 2") == ["0", "0", "0", "0", "0", "1", "2", "3", "1", "2"]
    assert row(table, "target") == ["x5", "x6", "[E]", "x3", "[E]"]
    assert "Part A" in texts(table) and "Part B" in texts(table)


def test_positions_count_from_zero_by_default(fig2):
    sample, tokens = fig2
    table = plot_glm_sample(sample, tokens).axes[0]
    assert row(table, "Position 1") == ["0", "1", "2", "3", "4", "4", "4", "4", "2", "2"]
    assert "text x" not in texts(table)


def test_the_mask_panel_is_glm_mask_with_the_part_boundary(fig2):
    sample, tokens = fig2
    mask_ax = plot_glm_sample(sample, tokens).axes[1]
    assert [t.get_text() for t in mask_ax.get_xticklabels()] == tokens
    assert [t.get_text() for t in mask_ax.get_yticklabels()] == tokens
    image = mask_ax.images[0].get_array()
    assert image[:5, 5:].sum() == 0, "Part A never sees Part B"
    assert image[5:, :5].all(), "Part B sees Part A"
    assert image[5, 6] == 0 and image[9, 8] == 1, "Part B is causal"
    vertical = [line.get_xdata()[0] for line in mask_ax.lines if line.get_xdata()[0] == line.get_xdata()[1]]
    assert 4.5 in vertical, "a boundary line between Part A (5 tokens) and Part B"
    assert "mask" in mask_ax.get_title()


def test_each_span_has_one_colour(fig2):
    sample, tokens = fig2
    mask_ax = plot_glm_sample(sample, tokens).axes[1]
    colours = [t.get_bbox_patch().get_facecolor() for t in mask_ax.get_xticklabels()]
    # x3's [MASK] (index 2) and its Part B tokens [S] x3 (8, 9); x5 x6's [MASK] (4) and 5, 6, 7.
    assert colours[2] == colours[8] == colours[9]
    assert colours[4] == colours[5] == colours[6] == colours[7]
    assert colours[2] != colours[4] and colours[0] != colours[2]


def test_targets_read_from_the_layout_equal_the_labels():
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 9, (20,), generator=g)
    spans = [(1, 4), (6, 7), (10, 15)]
    sample = glm_sample(ids, spans, mask_id=0, start_id=1, end_id=2, generator=g)
    tokens = [VOCAB[i] for i in sample["input_ids"].tolist()]
    expected = ["" if label == -100 else VOCAB[label] for label in sample["labels"].tolist()]
    assert glm_targets(tokens, sample["position_ids"][1].tolist(), sample["sep"]) == expected


def test_bad_inputs_name_the_argument(fig2):
    sample, tokens = fig2
    with pytest.raises(TypeError, match="sample"):
        plot_glm_sample([1, 2], tokens)
    with pytest.raises(ValueError, match="tokens"):
        plot_glm_sample(sample, tokens[:-1])
    with pytest.raises(ValueError, match="text_tokens"):
        plot_glm_sample(sample, tokens, text_tokens=TEXT[:4])
    batched = dict(sample, position_ids=sample["position_ids"][None])
    with pytest.raises(ValueError, match="position_ids"):
        plot_glm_sample(batched, tokens)
    with pytest.raises(ValueError, match="lacks"):
        plot_glm_sample({"input_ids": sample["input_ids"]}, tokens)
