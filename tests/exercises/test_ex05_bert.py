"""Graded tests for exercises/ex05_bert.py (see the notebook 05_bert_mlm_nsp)."""

import math

import pytest
import torch

from minilm.finetune.bert import best_span as reference_best_span
from minilm.grade import load_target
from minilm.objectives.nsp import segment_ids as reference_segment_ids

ex = load_target("ex05_bert")

CLS, SEP, PAD, MASK = 2, 3, 0, 4
SPECIALS = [0, 1, 2, 3, 4]


def packed_rows(seed: int, n: int = 30, vocab: int = 40) -> torch.Tensor:
    """Random ``[CLS] A [SEP] (B [SEP]) [PAD]...`` rows with random lengths."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        a = torch.randint(5, vocab, (int(torch.randint(1, 7, (1,), generator=g)),), generator=g).tolist()
        row = [CLS, *a, SEP]
        if torch.rand(1, generator=g) < 0.7:
            b = torch.randint(5, vocab, (int(torch.randint(1, 7, (1,), generator=g)),), generator=g).tolist()
            row += [*b, SEP]
        rows.append(row)
    T = max(map(len, rows))
    return torch.tensor([row + [PAD] * (T - len(row)) for row in rows])


# ------------------------------------------------------------------- segment_ids
def test_segment_ids_worked_by_hand():
    out = ex.segment_ids(torch.tensor([CLS, 10, 11, SEP, 12, SEP, PAD, PAD]), SEP)
    assert out.tolist() == [0, 0, 0, 0, 1, 1, 0, 0]
    assert ex.segment_ids(torch.tensor([[CLS, 10, SEP, PAD]]), SEP).tolist() == [[0, 0, 0, 0]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_segment_ids_match_minilm_on_random_packed_rows(seed):
    rows = packed_rows(seed)
    out = ex.segment_ids(rows, SEP)
    assert out.shape == rows.shape
    assert torch.equal(out.long(), reference_segment_ids(rows, SEP))


# --------------------------------------------------------------------- bert_mask
def random_ids(seed: int, B: int = 400, T: int = 200, V: int = 1000) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(len(SPECIALS), V, (B, T), generator=g)
    ids[:, 0] = CLS
    ids[:, -1] = SEP
    ids[:, -30:-1] = PAD
    return ids


def test_bert_mask_labels_and_untouched_positions():
    ids = random_ids(10, B=50, T=60)
    original = ids.clone()
    inputs, labels = ex.bert_mask(ids, SPECIALS, MASK, 1000, torch.Generator().manual_seed(0))
    assert torch.equal(ids, original), "input_ids must not be changed in place"
    assert inputs.shape == labels.shape == ids.shape
    chosen = labels != -100
    assert chosen.any()
    assert torch.equal(labels[chosen], ids[chosen]), "labels are the original ids where chosen"
    assert torch.equal(inputs[~chosen], ids[~chosen]), "positions not chosen stay as they are"
    special = torch.isin(ids, torch.tensor(SPECIALS))
    assert not chosen[special].any(), "[CLS], [SEP] and [PAD] are never chosen"


def test_bert_mask_statistics_15_then_80_10_10():
    ids = random_ids(11)
    inputs, labels = ex.bert_mask(ids, SPECIALS, MASK, 1000, torch.Generator().manual_seed(1))
    eligible = ~torch.isin(ids, torch.tensor(SPECIALS))
    chosen = labels != -100
    n_eligible, n_chosen = int(eligible.sum()), int(chosen.sum())
    assert abs(n_chosen / n_eligible - 0.15) < 5 * math.sqrt(0.15 * 0.85 / n_eligible)
    masked = (inputs == MASK) & chosen
    kept = (inputs == ids) & chosen
    randomised = chosen & ~masked & ~kept
    for name, part, p in (("[MASK]", masked, 0.8), ("random", randomised, 0.1), ("kept", kept, 0.1)):
        share = int(part.sum()) / n_chosen
        bound = 5 * math.sqrt(p * (1 - p) / n_chosen) + 0.002
        assert abs(share - p) < bound, f"{name}: {share:.3f}, want {p}"


def test_bert_mask_random_tokens_are_uniform_non_special_ids():
    V = 30
    ids = random_ids(12, V=V)
    inputs, labels = ex.bert_mask(ids, SPECIALS, MASK, V, torch.Generator().manual_seed(2))
    chosen = labels != -100
    drawn = inputs[chosen & (inputs != MASK) & (inputs != ids)]
    assert len(drawn) > 300
    assert not torch.isin(drawn, torch.tensor(SPECIALS)).any(), "a random token is never a special token"
    counts = torch.bincount(drawn, minlength=V)[len(SPECIALS):].float()
    expected = len(drawn) / (V - len(SPECIALS))  # ~ each non-special id equally often (minus ties)
    assert counts.min() > 0.3 * expected and counts.max() < 2.0 * expected  # ~5 sigma of Poisson(39)


def test_bert_mask_mlm_probability_and_reproducibility():
    ids = random_ids(13, B=100, T=100)
    a = ex.bert_mask(ids, SPECIALS, MASK, 1000, torch.Generator().manual_seed(5))
    b = ex.bert_mask(ids, SPECIALS, MASK, 1000, torch.Generator().manual_seed(5))
    c = ex.bert_mask(ids, SPECIALS, MASK, 1000, torch.Generator().manual_seed(6))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]), "the same seed gives the same result"
    assert not torch.equal(a[1], c[1]), "another seed gives other positions"
    _, labels = ex.bert_mask(ids, SPECIALS, MASK, 1000, torch.Generator().manual_seed(7), mlm_probability=0.5)
    eligible = int((~torch.isin(ids, torch.tensor(SPECIALS))).sum())
    share = int((labels != -100).sum()) / eligible
    assert abs(share - 0.5) < 5 * math.sqrt(0.25 / eligible)


# --------------------------------------------------------------------- nsp_pairs
def random_documents(seed: int, n_docs: int = 12):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 6, (n_docs,), generator=g).tolist()
    lengths[0] = max(lengths[0], 2)
    return [[f"d{d}s{i}" for i in range(n)] for d, n in enumerate(lengths)]


def where(sentence: str) -> tuple[int, int]:
    d, i = sentence[1:].split("s")
    return int(d), int(i)


@pytest.mark.parametrize("seed", [20, 21])
def test_nsp_pairs_follow_the_rules(seed):
    docs = random_documents(seed)
    pairs = ex.nsp_pairs(docs, 500, torch.Generator().manual_seed(seed))
    assert len(pairs) == 500
    for a, b, label in pairs:
        (da, ia), (db, ib) = where(a), where(b)
        assert ia < len(docs[da]) - 1, "A must have a next sentence in its document"
        if label == 0:
            assert (db, ib) == (da, ia + 1), "IsNext: B is the sentence right after A"
        else:
            assert label == 1 and db != da, "NotNext: B comes from another document"


def test_nsp_pairs_are_half_isnext_and_a_is_uniform():
    docs = random_documents(22)
    n = 4000
    pairs = ex.nsp_pairs(docs, n, torch.Generator().manual_seed(3))
    share = sum(label == 0 for _, _, label in pairs) / n
    assert abs(share - 0.5) < 5 * math.sqrt(0.25 / n)
    firsts = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc) - 1)]
    p = 1 / len(firsts)
    for d, i in firsts:
        count = sum(where(a) == (d, i) for a, _, _ in pairs)
        assert abs(count / n - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_nsp_pairs_depend_on_the_generator():
    docs = random_documents(23)
    a = ex.nsp_pairs(docs, 50, torch.Generator().manual_seed(4))
    assert a == ex.nsp_pairs(docs, 50, torch.Generator().manual_seed(4))
    assert a != ex.nsp_pairs(docs, 50, torch.Generator().manual_seed(5))


# --------------------------------------------------------------------- best_span
def test_best_span_worked_by_hand():
    assert tuple(ex.best_span(torch.tensor([0.0, 3.0, 1.0]), torch.tensor([2.0, 0.0, 1.0]))) == (1, 2)
    assert tuple(ex.best_span(torch.tensor([0.0, 0.0, 5.0]), torch.tensor([3.0, 0.0, 1.0]))) == (2, 2)


def test_best_span_on_random_scores():
    g = torch.Generator().manual_seed(30)
    for _ in range(30):
        T = int(torch.randint(1, 12, (1,), generator=g))
        start, end = torch.randn(T, generator=g), torch.randn(T, generator=g)
        i, j = ex.best_span(start, end)
        assert isinstance(i, int) and isinstance(j, int) and 0 <= i <= j < T
        assert (i, j) == tuple(reference_best_span(start, end).tolist())
