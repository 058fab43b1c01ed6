"""Graded tests for exercises/ex07_glm.py (see the notebook 07_glm_blank_infilling)."""

import pytest
import torch

from minilm.grade import load_target
from minilm.masks import glm_mask
from minilm.objectives.blank_infilling import glm_sample, sample_spans

ex = load_target("ex07_glm")

MASK, S, E = 4, 8, 9
# The paper's Fig. 2: x1 .. x6 are the ids 11 .. 16.
X = torch.tensor([11, 12, 13, 14, 15, 16])
FIG2_SPANS, FIG2_ORDER = [(2, 3), (4, 6)], [1, 0]


def random_case(seed: int):
    """A random text, GLM spans (Poisson lengths, 15 % .. 40 %), a random order, and
    minilm's own sample to compare with."""
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(8, 40, (1,), generator=g))
    ids = torch.randint(20, 200, (n,), generator=g)
    ratio = float(torch.empty(1).uniform_(0.15, 0.4, generator=g))
    spans = sample_spans(n, mask_ratio=ratio, generator=g)
    order = torch.randperm(len(spans), generator=g).tolist()
    sample = glm_sample(ids, spans, mask_id=MASK, start_id=S, end_id=E, order=order)
    return ids, spans, order, sample


# Part A ----------------------------------------------------------------------------------

def test_make_part_a_fig2():
    out = ex.make_part_a(X, FIG2_SPANS, MASK)
    assert out.tolist() == [11, 12, MASK, 14, MASK], "x1 x2 [MASK] x4 [MASK]"


@pytest.mark.parametrize("seed", range(4))
def test_make_part_a_matches_minilm(seed):
    ids, spans, _, sample = random_case(seed)
    out = ex.make_part_a(ids, spans, MASK)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.long
    assert out.tolist() == sample["input_ids"][: sample["sep"]].tolist()
    assert int((out == MASK).sum()) == len(spans), "one [MASK] per span, however long the span"


def test_make_part_a_without_spans_is_the_text():
    ids = torch.randint(20, 200, (7,), generator=torch.Generator().manual_seed(9))
    assert ex.make_part_a(ids, [], MASK).tolist() == ids.tolist()


# Part B ----------------------------------------------------------------------------------

def test_make_part_b_fig2():
    inputs, targets = ex.make_part_b(X, FIG2_SPANS, FIG2_ORDER, S, E)
    assert inputs.tolist() == [S, 15, 16, S, 13], "[S] x5 x6 [S] x3"
    assert targets.tolist() == [15, 16, E, 13, E], "x5 x6 [E] x3 [E]"


@pytest.mark.parametrize("seed", range(4, 8))
def test_make_part_b_matches_minilm(seed):
    ids, spans, order, sample = random_case(seed)
    inputs, targets = ex.make_part_b(ids, spans, order, S, E)
    sep = sample["sep"]
    assert inputs.tolist() == sample["input_ids"][sep:].tolist()
    assert targets.tolist() == sample["labels"][sep:].tolist()


def test_make_part_b_follows_the_order():
    ids, spans, _, _ = random_case(11)
    assert len(spans) >= 2
    forward, _ = ex.make_part_b(ids, spans, list(range(len(spans))), S, E)
    backward, _ = ex.make_part_b(ids, spans, list(range(len(spans)))[::-1], S, E)
    first = ids[spans[0][0]: spans[0][1]].tolist()
    last = ids[spans[-1][0]: spans[-1][1]].tolist()
    assert forward.tolist()[: len(first) + 1] == [S] + first
    assert backward.tolist()[: len(last) + 1] == [S] + last


# 2D positions ----------------------------------------------------------------------------

def test_glm_position_ids_fig2():
    out = ex.glm_position_ids(5, FIG2_SPANS, FIG2_ORDER, [2, 4])
    assert out.tolist() == [[0, 1, 2, 3, 4, 4, 4, 4, 2, 2],
                            [0, 0, 0, 0, 0, 1, 2, 3, 1, 2]]


@pytest.mark.parametrize("seed", range(12, 16))
def test_glm_position_ids_match_minilm(seed):
    _, spans, order, sample = random_case(seed)
    out = ex.glm_position_ids(sample["sep"], spans, order, sample["mask_positions"])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.long
    assert out.shape == sample["position_ids"].shape
    assert torch.equal(out, sample["position_ids"])


def test_span_length_is_not_in_position_1():
    """Two spans of different lengths at the same [MASK] get the same position 1 throughout."""
    short = ex.glm_position_ids(3, [(1, 2)], [0], [1])
    long = ex.glm_position_ids(3, [(1, 5)], [0], [1])
    assert set(short[0, 3:].tolist()) == set(long[0, 3:].tolist()) == {1}
    assert long[1, 3:].tolist() == [1, 2, 3, 4, 5]


# The mask --------------------------------------------------------------------------------

def test_glm_attention_mask_fig2():
    out = ex.glm_attention_mask(10, 5)
    assert out.dtype == torch.bool and out.shape == (10, 10)
    assert out[:5, :5].all(), "Part A reads all of Part A"
    assert not out[:5, 5:].any(), "Part A never reads Part B"
    assert out[5:, :5].all(), "Part B reads all of Part A"
    assert torch.equal(out[5:, 5:], torch.tril(torch.ones(5, 5, dtype=torch.bool))), "Part B is causal"


@pytest.mark.parametrize("seed", range(16, 20))
def test_glm_attention_mask_matches_minilm(seed):
    _, _, _, sample = random_case(seed)
    T, sep = len(sample["input_ids"]), sample["sep"]
    assert torch.equal(ex.glm_attention_mask(T, sep), glm_mask(T, sep))


def test_glm_attention_mask_extremes():
    assert ex.glm_attention_mask(6, 6).all(), "no Part B: bidirectional"
    assert torch.equal(ex.glm_attention_mask(6, 0), torch.tril(torch.ones(6, 6, dtype=torch.bool)))
