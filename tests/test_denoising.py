"""BART's five noising functions: hand-worked cases, invariants, seeded statistics, bad input."""

import math
from collections import Counter

import pytest
import torch

from minilm.objectives import denoising as d

MASK, BOS, EOS, STOP = 1, 2, 3, 9
SPECIAL = (BOS, EOS)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def doc(n, *, edges=True):
    """<s> 10 11 ... <e>: distinct ids, so every output token tells where it came from."""
    body = torch.arange(10, 10 + n)
    return torch.cat([torch.tensor([BOS]), body, torch.tensor([EOS])]) if edges else body


def is_subsequence(small, big):
    it = iter(big.tolist())
    return all(any(x == y for y in it) for x in small.tolist())


# --------------------------------------------------------------------- token masking / deletion
def test_select_tokens_count_is_ceil_of_ratio_times_eligible():
    # 10 eligible tokens: 0.3 -> 3 (not 4, despite 0.3 * 10 = 3.0000000000000004); 0.15 -> 2; 0 -> 0
    for ratio, k in [(0.3, 3), (0.15, 2), (0.0, 0), (1.0, 10), (0.01, 1)]:
        chosen = d.select_tokens(doc(10), ratio=ratio, special_ids=SPECIAL, generator=gen())
        assert int(chosen.sum()) == k
        assert not chosen[0] and not chosen[-1]  # <s> and <e> are never chosen


def test_token_masking_ratio_one_masks_every_non_special_token():
    ids = torch.tensor([BOS, 10, 11, EOS, 12, EOS])
    out = d.token_masking(ids, mask_id=MASK, ratio=1.0, special_ids=SPECIAL, generator=gen())
    assert out.tolist() == [BOS, MASK, MASK, EOS, MASK, EOS]  # an inner special stays too


def test_token_masking_and_deletion_make_the_same_choice_for_the_same_seed():
    ids = doc(40)
    masked = d.token_masking(ids, mask_id=MASK, ratio=0.2, special_ids=SPECIAL, generator=gen(5))
    deleted = d.token_deletion(ids, ratio=0.2, special_ids=SPECIAL, generator=gen(5))
    assert masked.shape == ids.shape and int((masked == MASK).sum()) == 8  # ceil(0.2 * 40)
    assert torch.equal(deleted, ids[masked != MASK])


def test_token_deletion_output_is_a_subsequence_keeping_the_edges():
    for seed in range(20):
        ids = doc(25)
        out = d.token_deletion(ids, ratio=0.3, special_ids=SPECIAL, generator=gen(seed))
        assert len(out) == len(ids) - math.ceil(0.3 * 25)
        assert is_subsequence(out, ids)
        assert out[0] == BOS and out[-1] == EOS


def test_token_masking_picks_every_position_equally_often():
    n, trials, ratio = 12, 3000, 0.25  # 3 of 12 each time
    counts = torch.zeros(n)
    g = gen(1)
    for _ in range(trials):
        counts += (d.token_masking(doc(n, edges=False), mask_id=MASK, ratio=ratio, generator=g) == MASK)
    p = 3 / n
    sigma = math.sqrt(trials * p * (1 - p))
    assert (counts - trials * p).abs().max() < 5 * sigma


# ---------------------------------------------------------------------------- text infilling
def apply_spans(ids, spans, mask_id=MASK):
    """What text infilling must produce from its spans, worked out independently."""
    out, prev = [], 0
    for s, e in spans:
        out += ids[prev:s].tolist() + [mask_id]
        prev = e
    return out + ids[prev:].tolist()


def test_text_infilling_ratio_zero_is_the_identity():
    ids = doc(20)
    out = d.text_infilling(ids, mask_id=MASK, mask_ratio=0.0, special_ids=SPECIAL, generator=gen())
    assert torch.equal(out, ids) and out is not ids


def test_text_infilling_replaces_each_span_by_one_mask():
    for seed in range(30):
        ids = doc(30)
        out, spans = d.text_infilling_spans(ids, mask_id=MASK, mask_ratio=0.3, special_ids=SPECIAL,
                                            generator=gen(seed))
        assert out.tolist() == apply_spans(ids, spans)
        assert sum(e - s for s, e in spans) == 9  # ceil(0.3 * 30) tokens removed, exactly
        assert all(1 <= s <= e <= 31 for s, e in spans)  # inside <s> ... <e>
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))  # sorted, disjoint
        assert len(out) == len(ids) - 9 + len(spans)


def test_text_infilling_matches_its_spans_variant():
    ids = doc(50)
    a = d.text_infilling(ids, mask_id=MASK, special_ids=SPECIAL, generator=gen(3))
    b, _ = d.text_infilling_spans(ids, mask_id=MASK, special_ids=SPECIAL, generator=gen(3))
    assert torch.equal(a, b)


def test_text_infilling_ratio_one_leaves_only_masks_between_the_edges():
    ids = doc(20)
    out, spans = d.text_infilling_spans(ids, mask_id=MASK, mask_ratio=1.0, special_ids=SPECIAL,
                                        generator=gen(2))
    assert out.tolist() == [BOS] + [MASK] * len(spans) + [EOS]
    assert sum(e - s for s, e in spans) == 20


def test_text_infilling_span_lengths_are_poisson_3():
    # Long documents make the one trimmed span per document negligible.
    lengths = []
    g = gen(4)
    for _ in range(60):
        _, spans = d.text_infilling_spans(doc(2000, edges=False), mask_id=MASK, mask_ratio=0.5, generator=g)
        lengths += [e - s for s, e in spans]
    lengths = torch.tensor(lengths, dtype=torch.float)
    N = len(lengths)
    assert abs(lengths.mean() - 3.0) < 5 * math.sqrt(3.0 / N) + 0.01
    # Histogram against the Poisson(3) pmf, bin by bin (+-5 sigma), length 0 (= insertions) included.
    for k in range(8):
        p = math.exp(-3) * 3 ** k / math.factorial(k)
        observed = float((lengths == k).float().mean())
        assert abs(observed - p) < 5 * math.sqrt(p * (1 - p) / N), k


def test_text_infilling_length_zero_spans_insert_a_mask():
    ids = doc(200, edges=False)
    seen = 0
    for seed in range(20):
        out, spans = d.text_infilling_spans(ids, mask_id=MASK, generator=gen(seed))
        for s, e in spans:
            if s == e:
                seen += 1
        # every original token survives or lies in a span; masks = spans, zero-length ones included
        assert int((out == MASK).sum()) == len(spans)
    assert seen > 0  # exp(-3) of ~20 spans per document: a few dozen expected


def test_text_infilling_masks_about_mask_ratio_everywhere_inside():
    n, trials = 30, 2000
    covered = torch.zeros(n)
    g = gen(6)
    for _ in range(trials):
        _, spans = d.text_infilling_spans(doc(n, edges=False), mask_id=MASK, mask_ratio=0.3, generator=g)
        for s, e in spans:
            covered[s:e] += 1
    rate = covered / trials
    assert abs(float(rate.mean()) - 0.3) < 1e-6  # ceil(0.3 * 30) = 9 tokens, every time
    assert ((rate[5:-5] - 0.3).abs() < 0.06).all()  # away from the ends, uniform


# ----------------------------------------------------------------------- sentence permutation
def test_sentence_spans_hand_worked():
    # <s> A B . C . . D <e>: "..." stays with its sentence, "D" has no full stop
    ids = torch.tensor([BOS, 10, 11, STOP, 12, STOP, STOP, 13, EOS])
    assert d.sentence_spans(ids, full_stop_id=STOP, special_ids=SPECIAL) == [(1, 4), (4, 7), (7, 8)]
    assert d.sentence_spans(ids[1:7], full_stop_id=STOP) == [(0, 3), (3, 6)]


def test_sentence_permutation_preserves_the_multiset_of_sentences():
    ids = torch.tensor([BOS, 10, 11, STOP, 12, STOP, 13, 14, 15, STOP, 16, STOP, EOS])
    sentences = Counter(tuple(ids[s:e].tolist()) for s, e in
                        d.sentence_spans(ids, full_stop_id=STOP, special_ids=SPECIAL))
    for seed in range(20):
        out, order = d.sentence_permutation_order(ids, full_stop_id=STOP, special_ids=SPECIAL,
                                                  generator=gen(seed))
        assert out[0] == BOS and out[-1] == EOS and len(out) == len(ids)
        assert sorted(out.tolist()) == sorted(ids.tolist())
        got = Counter(tuple(out[s:e].tolist()) for s, e in
                      d.sentence_spans(out, full_stop_id=STOP, special_ids=SPECIAL))
        assert got == sentences
        assert sorted(order) == [0, 1, 2, 3]


def test_sentence_permutation_hand_worked_with_its_order():
    ids = torch.tensor([10, 11, STOP, 12, STOP, 13, 14, STOP])
    out, order = d.sentence_permutation_order(ids, full_stop_id=STOP, generator=gen(0))
    pieces = {0: [10, 11, STOP], 1: [12, STOP], 2: [13, 14, STOP]}
    assert out.tolist() == pieces[order[0]] + pieces[order[1]] + pieces[order[2]]
    assert torch.equal(out, d.sentence_permutation(ids, full_stop_id=STOP, generator=gen(0)))


def test_sentence_permutation_orders_are_uniform():
    ids = torch.tensor([10, STOP, 11, STOP, 12, STOP])
    g = gen(7)
    counts = Counter(tuple(d.sentence_permutation(ids, full_stop_id=STOP, generator=g).tolist())
                     for _ in range(3000))
    assert len(counts) == 6  # all 3! orders
    chi2 = sum((c - 500) ** 2 / 500 for c in counts.values())
    assert chi2 < 30  # 5 degrees of freedom: mean 5, P(chi2 > 30) ~ 1e-5


# -------------------------------------------------------------------------- document rotation
def test_document_rotation_is_a_rotation_keeping_the_edges():
    ids = doc(10)
    for seed in range(20):
        out, start = d.document_rotation_start(ids, special_ids=SPECIAL, generator=gen(seed))
        k = start - 1
        assert out[0] == BOS and out[-1] == EOS
        assert torch.equal(out[1:-1], torch.roll(ids[1:-1], -k))
        assert out[1] == ids[start]


def test_document_rotation_start_is_uniform():
    n, trials = 10, 5000
    g = gen(8)
    starts = Counter(int(d.document_rotation(doc(n, edges=False), generator=g)[0]) - 10
                     for _ in range(trials))
    assert set(starts) == set(range(n))
    expected = trials / n
    chi2 = sum((starts[i] - expected) ** 2 / expected for i in range(n))
    assert chi2 < 45  # 9 degrees of freedom: mean 9, P(chi2 > 45) ~ 1e-6


def test_all_special_or_single_token_documents_pass_through():
    only_edges = torch.tensor([BOS, EOS])
    assert torch.equal(d.text_infilling(only_edges, mask_id=MASK, special_ids=SPECIAL), only_edges)
    assert torch.equal(d.document_rotation(only_edges, special_ids=SPECIAL), only_edges)
    assert torch.equal(d.sentence_permutation(only_edges, full_stop_id=STOP, special_ids=SPECIAL), only_edges)
    one = torch.tensor([42])
    assert torch.equal(d.document_rotation(one), one)
    assert d.text_infilling(one, mask_id=MASK, mask_ratio=1.0).tolist().count(MASK) >= 1


# ------------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("fn, kwargs", [
    (d.token_masking, {"mask_id": MASK}),
    (d.token_deletion, {}),
    (d.text_infilling, {"mask_id": MASK}),
    (d.sentence_permutation, {"full_stop_id": STOP}),
    (d.document_rotation, {}),
])
def test_same_seed_same_output_other_seeds_differ(fn, kwargs):
    ids = torch.cat([torch.tensor([BOS]), torch.arange(10, 70), torch.tensor([EOS])])
    ids[5:-1:7] = STOP  # a few sentences
    original = ids.clone()
    first = fn(ids, generator=gen(11), special_ids=SPECIAL, **kwargs)
    assert torch.equal(first, fn(ids, generator=gen(11), special_ids=SPECIAL, **kwargs))
    others = [fn(ids, generator=gen(s), special_ids=SPECIAL, **kwargs) for s in range(12, 17)]
    assert any(not torch.equal(first, o) for o in others)
    assert torch.equal(ids, original)  # the input is untouched


# -------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, name", [
    (lambda: d.token_masking(doc(5), mask_id=MASK, ratio=1.5), ValueError, "ratio"),
    (lambda: d.token_deletion(doc(5), ratio=-0.1), ValueError, "ratio"),
    (lambda: d.text_infilling(doc(5), mask_id=MASK, mask_ratio=2), ValueError, "mask_ratio"),
    (lambda: d.text_infilling(doc(5), mask_id=MASK, poisson_lambda=-1.0), ValueError, "poisson_lambda"),
    (lambda: d.text_infilling(doc(5), mask_id=MASK, poisson_lambda=0), ValueError, "poisson_lambda"),
    (lambda: d.token_masking(torch.tensor([], dtype=torch.long), mask_id=MASK), ValueError, "ids"),
    (lambda: d.text_infilling(torch.ones(2, 3, dtype=torch.long), mask_id=MASK), ValueError, "ids"),
    (lambda: d.document_rotation(torch.rand(5)), TypeError, "ids"),
    (lambda: d.sentence_permutation([1, 2, 3], full_stop_id=STOP), TypeError, "ids"),
    (lambda: d.token_masking(doc(5), mask_id=-1), ValueError, "mask_id"),
    (lambda: d.sentence_permutation(doc(5), full_stop_id="."), TypeError, "full_stop_id"),
    (lambda: d.document_rotation(doc(5), special_ids="<s>"), TypeError, "special_ids"),
    (lambda: d.token_deletion(doc(5), special_ids=[1.5]), TypeError, "special_ids"),
    (lambda: d.text_infilling(doc(5), mask_id=MASK, generator=0), TypeError, "generator"),
])
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


# ----------------------------------------------------------- tiny lambda: bounded work
@pytest.mark.parametrize("lam", [1e-12, 0.01, 0.3, 0.4999])
def test_text_infilling_refuses_a_lambda_where_most_spans_are_empty(lam):
    # Before: 1e-12 never returned and 0.01 turned 100 tokens into ~2,400 [MASK]s.
    for fn in (d.text_infilling, d.text_infilling_spans):
        with pytest.raises(ValueError, match="poisson_lambda"):
            fn(doc(100), mask_id=MASK, mask_ratio=0.3, poisson_lambda=lam, special_ids=SPECIAL)


def test_text_infilling_at_the_smallest_lambda_grows_the_text_by_about_the_budget():
    # lambda = 1/2: spans are drawn until they cover the budget of 30 tokens, about
    # 30 / 0.5 + 1 = 61 of them, so the text has about 100 - 30 + 61 = 131 items. The mean over
    # 200 documents measured 128.8 .. 132.5 across 10 seeds (sd of the mean ~0.8).
    g = gen(7)
    lengths = [len(d.text_infilling(doc(100, edges=False), mask_id=MASK, mask_ratio=0.3,
                                    poisson_lambda=0.5, generator=g)) for _ in range(200)]
    assert 126 < sum(lengths) / len(lengths) < 136


def test_a_huge_lambda_is_refused_instead_of_overflowing():
    # Before: torch.poisson(1e30) gives -2**63 as a long, the span budget never filled: no end.
    with pytest.raises(ValueError, match="poisson_lambda"):
        d.text_infilling(doc(20), mask_id=MASK, poisson_lambda=1e30)
    assert len(d.text_infilling(doc(20), mask_id=MASK, poisson_lambda=1e6, special_ids=SPECIAL)) == 2 + 14 + 1
