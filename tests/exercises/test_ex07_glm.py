"""Graded tests for exercises/ex07_glm.py (see the notebook 07_glm_blank_infilling).

Every test is named ``test_<function>_...`` after the function it grades.
"""

import math
from types import SimpleNamespace

import pytest
import torch
from span_stats import assert_frequencies_match, assert_same_frequencies, coverage_counts, draw, length_counts

from minilm.finetune.cloze import cloze_logits
from minilm.grade import load_target
from minilm.masks import combine, glm_mask, padding_mask
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


# sample_spans ----------------------------------------------------------------------------
# Statistical tests: 5-sigma bounds (see span_stats.py for the false-failure rate).

def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def learner_spans(n: int, ratio: float, lam: float, seed: int):
    return ex.sample_spans(n, ratio, lam, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n,ratio", [(10, 0.15), (37, 0.15), (60, 0.3), (25, 0.0), (1, 0.5)])
def test_sample_spans_are_separate_blanks_that_just_cover_the_budget(n, ratio):
    budget = ratio * n
    for seed in range(40):
        spans = [tuple(s) for s in learner_spans(n, ratio, 3.0, seed)]
        assert all(isinstance(v, int) for span in spans for v in span), "spans are pairs of Python ints"
        previous_end = -1
        for start, end in spans:
            assert 0 <= start < end <= n, f"{spans}: every span has a token and lies inside [0, {n}]"
            assert start > previous_end, f"{spans}: sorted, with at least one kept token between two spans"
            previous_end = end
        if spans and sum(e - s for s, e in spans) + len(spans) - 1 < n:  # nothing had to be trimmed
            covered = sum(e - s for s, e in spans)
            assert covered >= budget, f"{spans} cover {covered} tokens, fewer than {budget}"
            longest = max(e - s for s, e in spans)
            assert covered - longest < budget, f"{spans}: drawn on after the budget was reached"
    if ratio == 0:
        assert learner_spans(n, ratio, 3.0, 0) == []


@pytest.mark.parametrize("lam", [3.0, 1.5])
def test_sample_spans_lengths_are_poisson_conditioned_on_at_least_one(lam):
    """P(l) = exp(-lam) lam^l / l! / (1 - exp(-lam)) for l >= 1, exactly (nothing is cut here)."""
    spans = draw(lambda i: learner_spans(80, 0.15, lam, i), 1500)
    expected = {k: math.exp(-lam) * lam ** k / math.factorial(k) / (1 - math.exp(-lam)) for k in range(1, 25)}
    assert_frequencies_match("span length", length_counts(spans), expected)


def test_sample_spans_are_placed_uniformly():
    """Each position is blanked as often as with minilm's sampler (edges included)."""
    learner = draw(lambda i: learner_spans(30, 0.2, 3.0, i), 2500)
    reference = draw(lambda i: sample_spans(30, mask_ratio=0.2, generator=gen(10_000 + i)), 2500)
    assert_same_frequencies("blanked position", coverage_counts(learner), coverage_counts(reference))


def test_sample_spans_follow_the_generator():
    a = learner_spans(40, 0.15, 3.0, 7)
    assert a == learner_spans(40, 0.15, 3.0, 7), "the same seed must give the same spans"
    assert any(learner_spans(40, 0.15, 3.0, seed) != a for seed in range(8, 12)), "other seeds, other spans"


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


def test_glm_position_ids_hide_the_span_length():
    """Two spans of different lengths at the same [MASK] get the same position 1 throughout."""
    short = ex.glm_position_ids(3, [(1, 2)], [0], [1])
    long = ex.glm_position_ids(3, [(1, 5)], [0], [1])
    assert set(short[0, 3:].tolist()) == set(long[0, 3:].tolist()) == {1}
    assert long[1, 3:].tolist() == [1, 2, 3, 4, 5]


# The batched mask ------------------------------------------------------------------------

def test_glm_batch_mask_hand_worked():
    out = ex.glm_batch_mask(torch.tensor([2]), torch.tensor([[1, 1, 1, 1, 0]]))
    assert out.dtype == torch.bool and out.shape == (1, 5, 5)
    assert out[0].int().tolist() == [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0],
                                     [1, 1, 1, 1, 0], [1, 1, 1, 1, 0]]


@pytest.mark.parametrize("seed", range(16, 20))
def test_glm_batch_mask_matches_the_glm_model(seed):
    """Rows of different Part A lengths and padding: the mask minilm's GLM runs under."""
    g = torch.Generator().manual_seed(seed)
    B = int(torch.randint(2, 6, (1,), generator=g))
    T = int(torch.randint(4, 16, (1,), generator=g))
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    sep = (torch.rand(B, generator=g) * (lengths + 1)).long().clamp(max=lengths)
    attention_mask = (torch.arange(T) < lengths[:, None]).long()
    out = ex.glm_batch_mask(sep, attention_mask)
    assert out.shape == (B, T, T)
    assert torch.equal(out, combine(glm_mask(T, sep), padding_mask(attention_mask)))


def test_glm_batch_mask_extremes():
    full = torch.ones(1, 6, dtype=torch.long)
    assert ex.glm_batch_mask(torch.tensor([6]), full).all(), "no Part B: bidirectional"
    causal = torch.tril(torch.ones(6, 6, dtype=torch.bool))
    assert torch.equal(ex.glm_batch_mask(torch.tensor([0]), full)[0], causal), "no Part A: causal"


# cloze_log_probs -------------------------------------------------------------------------

def test_cloze_log_probs_hand_worked():
    logits = torch.zeros(1, 3, 4)
    logits[0, 1] = torch.tensor([0.0, 2.0, 0.0, 1.0])  # the prediction at [S] (sep = 1)
    logits[0, 0] = torch.tensor([0.0, -5.0, 0.0, 9.0])  # elsewhere: must not matter
    out = ex.cloze_log_probs(logits, torch.tensor([1]), torch.tensor([3, 1]))
    torch.testing.assert_close(out, torch.tensor([1.0, 2.0]).log_softmax(-1)[None])


@pytest.mark.parametrize("seed", range(4))
def test_cloze_log_probs_match_minilm(seed):
    """minilm's cloze_logits reads the label words at each row's [S]; softmax over them is Eq. 3."""
    g = torch.Generator().manual_seed(seed)
    bounds = ((2, 6), (4, 12), (10, 40), (2, 5))
    B, T, V, K = (int(torch.randint(low, high, (1,), generator=g)) for low, high in bounds)
    logits = torch.randn(B, T, V, generator=g) * 3
    sep = torch.randint(0, T, (B,), generator=g)
    words = torch.randperm(V, generator=g)[:K]
    model = lambda *args, **kwargs: SimpleNamespace(logits=logits)  # noqa: E731  (a stand-in GLM)
    expected = cloze_logits(model, torch.zeros(B, T, dtype=torch.long), None, sep, words).log_softmax(-1)
    out = ex.cloze_log_probs(logits, sep, words)
    assert out.shape == (B, K)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(out.exp().sum(-1), torch.ones(B))
