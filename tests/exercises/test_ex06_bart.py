"""Graded tests for exercises/ex06_bart.py (see the notebook 06_bart_noising).

Every test is named ``test_<function>_...`` after the function it grades.
"""

import math

import pytest
import torch
from span_stats import assert_same_frequencies, coverage_counts, draw, length_counts, start_counts

from minilm.grade import load_target
from minilm.objectives.denoising import (
    document_rotation_start,
    sentence_permutation_order,
    text_infilling_spans,
)
from minilm.objectives.seq2seq import shift_right as reference_shift_right

ex = load_target("ex06_bart")

MASK, STOP = 4, 9


def random_ids(seed: int, low: int = 12, high: int = 40, vocab: int = 60) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    n = int(torch.randint(low, high, (), generator=g))
    return torch.randint(10, vocab, (n,), generator=g)


# infilling_spans ---------------------------------------------------------------------------
# The learner's sampler is compared with minilm's (text_infilling_spans) by statistics: see
# span_stats.py for the 5-sigma two-sample bounds and their false-failure rate.

def reference_spans(n: int, mask_ratio: float, poisson_lambda: float, seed: int):
    ids = torch.arange(1, n + 1)
    return text_infilling_spans(ids, mask_id=0, mask_ratio=mask_ratio, poisson_lambda=poisson_lambda,
                                generator=torch.Generator().manual_seed(seed))[1]


def learner_spans(n: int, mask_ratio: float, poisson_lambda: float, seed: int):
    return ex.infilling_spans(n, mask_ratio, poisson_lambda, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n,ratio", [(10, 0.3), (37, 0.3), (50, 0.15), (8, 1.0), (25, 0.0), (1, 0.5)])
def test_infilling_spans_are_sorted_disjoint_and_cover_exactly_the_budget(n, ratio):
    budget = math.ceil(ratio * n - 1e-9)
    for seed in range(40):
        spans = [tuple(s) for s in learner_spans(n, ratio, 3.0, seed)]
        assert all(isinstance(v, int) for span in spans for v in span), "spans are pairs of Python ints"
        previous_end = 0
        for start, end in spans:
            assert previous_end <= start <= end <= n, f"{spans}: sorted, non-overlapping, inside [0, {n}]"
            previous_end = end
        assert sum(end - start for start, end in spans) == budget, f"{spans}: mask exactly {budget} tokens"
    if ratio == 0:
        assert learner_spans(n, ratio, 3.0, 0) == []


@pytest.mark.parametrize("lam,ratio", [(3.0, 0.3), (1.5, 0.2)])
def test_infilling_spans_lengths_follow_poisson_up_to_the_budget(lam, ratio):
    """Length 0 included, the last span cut to the budget: the same distribution as minilm's."""
    learner = draw(lambda i: learner_spans(60, ratio, lam, i), 1500)
    reference = draw(lambda i: reference_spans(60, ratio, lam, 10_000 + i), 1500)
    assert_same_frequencies("span length", length_counts(learner), length_counts(reference))
    spans_per_text = (len([s for spans in learner for s in spans]), len(learner))
    ref_per_text = (len([s for spans in reference for s in spans]), len(reference))
    mean, ref_mean = spans_per_text[0] / spans_per_text[1], ref_per_text[0] / ref_per_text[1]
    assert abs(mean - ref_mean) < 0.05 * ref_mean, f"{mean:.2f} spans per text, expected {ref_mean:.2f}"


def test_infilling_spans_are_placed_uniformly():
    """Every position is masked, and every [MASK] starts, as often as with minilm's sampler:
    spans bunched at the start, evenly spaced or never at the edges fail here."""
    learner = draw(lambda i: learner_spans(30, 0.3, 3.0, i), 2500)
    reference = draw(lambda i: reference_spans(30, 0.3, 3.0, 20_000 + i), 2500)
    assert_same_frequencies("masked position", coverage_counts(learner), coverage_counts(reference))
    assert_same_frequencies("span start", start_counts(learner), start_counts(reference))


def test_infilling_spans_follow_the_generator():
    a, b = learner_spans(40, 0.3, 3.0, 7), learner_spans(40, 0.3, 3.0, 7)
    assert a == b, "the same seed must give the same spans"
    assert any(learner_spans(40, 0.3, 3.0, seed) != a for seed in range(8, 12)), "other seeds, other spans"


# text infilling ---------------------------------------------------------------------------

def test_text_infilling_hand_worked():
    ids = torch.tensor([10, 11, 12, 13, 14, 15])
    out = ex.text_infilling(ids, mask_id=MASK, spans=[(1, 3), (4, 4)])
    assert out.tolist() == [10, MASK, 13, MASK, 14, 15]
    assert ids.tolist() == [10, 11, 12, 13, 14, 15], "the input must not change"


def test_text_infilling_length_zero_spans_insert_a_mask():
    ids = torch.tensor([20, 21, 22])
    assert ex.text_infilling(ids, mask_id=MASK, spans=[(0, 0)]).tolist() == [MASK, 20, 21, 22]
    assert ex.text_infilling(ids, mask_id=MASK, spans=[(3, 3)]).tolist() == [20, 21, 22, MASK]
    assert ex.text_infilling(ids, mask_id=MASK, spans=[(1, 1), (2, 3)]).tolist() == [20, MASK, 21, MASK]
    assert ex.text_infilling(ids, mask_id=MASK, spans=[]).tolist() == [20, 21, 22]


@pytest.mark.parametrize("seed", range(6))
def test_text_infilling_matches_minilm_on_random_spans(seed):
    """Spans drawn by minilm (Poisson(3) lengths, 0 included): applying them must give
    exactly what minilm's text infilling produced."""
    ids = random_ids(seed)
    noised, spans = text_infilling_spans(ids, mask_id=MASK, mask_ratio=0.3,
                                         generator=torch.Generator().manual_seed(100 + seed))
    out = ex.text_infilling(ids, mask_id=MASK, spans=spans)
    assert torch.equal(out, noised), (spans, out.tolist(), noised.tolist())
    assert len(out) == len(ids) - sum(e - s for s, e in spans) + len(spans)
    assert int((out == MASK).sum()) == len(spans)


# sentence permutation -------------------------------------------------------------------

def random_document(seed: int) -> torch.Tensor:
    """Sentences of 1-6 words, each ending in one full stop; sometimes a last one without."""
    g = torch.Generator().manual_seed(seed)
    tokens = []
    for _ in range(int(torch.randint(2, 7, (), generator=g))):
        tokens += torch.randint(10, 60, (int(torch.randint(1, 7, (), generator=g)),), generator=g).tolist()
        tokens.append(STOP)
    if seed % 2:
        tokens += [11, 12]
    return torch.tensor(tokens)


def test_sentence_permutation_hand_worked():
    A, B, C, D, E = 21, 22, 23, 24, 25
    ids = torch.tensor([A, B, STOP, C, STOP, D, E, STOP])
    out = ex.sentence_permutation(ids, full_stop_id=STOP, order=[2, 0, 1])
    assert out.tolist() == [D, E, STOP, A, B, STOP, C, STOP]
    tail = ex.sentence_permutation(torch.tensor([A, STOP, B, C]), full_stop_id=STOP, order=[1, 0])
    assert tail.tolist() == [B, C, A, STOP]


@pytest.mark.parametrize("seed", range(6))
def test_sentence_permutation_matches_minilm(seed):
    ids = random_document(seed)
    expected, order = sentence_permutation_order(ids, full_stop_id=STOP,
                                                 generator=torch.Generator().manual_seed(seed))
    out = ex.sentence_permutation(ids, full_stop_id=STOP, order=order)
    assert torch.equal(out, expected), (order, out.tolist(), expected.tolist())


# document rotation ----------------------------------------------------------------------

def test_document_rotation_hand_worked():
    ids = torch.tensor([1, 2, 3, 4, 5])
    assert ex.document_rotation(ids, start=2).tolist() == [3, 4, 5, 1, 2]
    assert ex.document_rotation(ids, start=0).tolist() == [1, 2, 3, 4, 5]
    assert ex.document_rotation(ids, start=4).tolist() == [5, 1, 2, 3, 4]


@pytest.mark.parametrize("seed", range(6))
def test_document_rotation_matches_minilm(seed):
    ids = random_ids(seed)
    expected, start = document_rotation_start(ids, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(ex.document_rotation(ids, start=start), expected)


# shift right ----------------------------------------------------------------------------

def test_shift_right_hand_worked():
    labels = torch.tensor([21, 22, 7, -100])
    assert ex.shift_right(labels, start_id=5, pad_id=0).tolist() == [5, 21, 22, 7]
    batch = torch.tensor([[21, 7, -100, -100], [23, 24, 25, 7]])
    assert ex.shift_right(batch, start_id=5, pad_id=0).tolist() == [[5, 21, 7, 0], [5, 23, 24, 25]]


@pytest.mark.parametrize("seed", range(4))
def test_shift_right_matches_minilm(seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(10, 60, (5, 11), generator=g)
    lengths = torch.randint(1, 12, (5,), generator=g)
    labels = labels.masked_fill(torch.arange(11) >= lengths[:, None], -100)
    start, pad = int(torch.randint(1, 9, (), generator=g)), int(torch.randint(0, 3, (), generator=g))
    out = ex.shift_right(labels, start_id=start, pad_id=pad)
    assert torch.equal(out, reference_shift_right(labels, start_id=start, pad_id=pad))
    assert not torch.equal(out, labels)
