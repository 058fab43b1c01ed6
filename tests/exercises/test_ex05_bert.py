"""Graded tests for exercises/ex05_bert.py (see the notebook 05_bert_mlm_nsp)."""

import math

import pytest
import torch

from minilm.finetune.bert import best_span as reference_best_span
from minilm.grade import load_target
from minilm.objectives.nsp import segment_ids as reference_segment_ids

ex = load_target("ex05_bert")

CLS, SEP, PAD = 2, 3, 0


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


# --------------------------------------------------------------------- mlm_batch
# The special ids, [MASK]'s id and the vocabulary size change from test to test, so an answer
# that assumes "the special ids are 0-4" cannot pass. Statistical bounds are 5 sigma (two-sided
# normal tail 6e-7 per comparison; with ~60 comparisons in this file a correct solution with a
# different random stream fails with probability < 1e-4).

def mlm_case(seed: int, B: int = 8, T: int = 20, V: int = 60, n_special: int = 5,
             pad_with_text: bool = False):
    """Random padded rows over a vocabulary whose special ids are scattered anywhere in [0, V).
    With ``pad_with_text`` the padding holds ordinary ids: only attention_mask says it is padding."""
    g = torch.Generator().manual_seed(seed)
    specials = torch.randperm(V, generator=g)[:n_special].tolist()
    pad, cls, mask = specials[0], specials[1], specials[-1]
    allowed = torch.tensor([i for i in range(V) if i not in specials])
    ids = allowed[torch.randint(len(allowed), (B, T), generator=g)]
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    attention_mask = (torch.arange(T) < lengths[:, None]).long()
    if not pad_with_text:
        ids = ids.masked_fill(attention_mask == 0, pad)
    ids[:, 0] = cls
    return ids, attention_mask, tuple(specials), mask


def run_mlm(seed: int, p: float = 0.15, gen_seed: int | None = None, **shape):
    ids, attention_mask, specials, mask = mlm_case(seed, **shape)
    V = shape.get("V", 60)  # the vocabulary size mlm_case used
    batch = ex.mlm_batch(ids, attention_mask, mask_id=mask, vocab_size=V, special_ids=specials,
                         mlm_probability=p, generator=torch.Generator().manual_seed(seed if gen_seed is None
                                                                                   else gen_seed))
    return ids, attention_mask, specials, mask, batch


def test_mlm_batch_keys_shapes_and_input_untouched():
    ids, attention_mask, specials, mask = mlm_case(0)
    original = ids.clone()
    batch = ex.mlm_batch(ids, attention_mask, mask_id=mask, vocab_size=60, special_ids=specials,
                         generator=torch.Generator().manual_seed(0))
    assert torch.equal(ids, original), "do not modify input_ids in place"
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    assert batch["input_ids"].shape == batch["labels"].shape == ids.shape
    assert torch.equal(batch["attention_mask"], attention_mask)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mlm_batch_labels_are_originals_exactly_where_chosen(seed):
    ids, attention_mask, specials, _, batch = run_mlm(seed, p=0.5, B=6, T=30, V=int(40 + 10 * seed),
                                                      pad_with_text=True)
    labels, inputs = batch["labels"], batch["input_ids"]
    chosen = labels != -100
    assert chosen.any(), "with mlm_probability 0.5 some tokens must be chosen"
    assert torch.equal(labels[chosen], ids[chosen]), "labels are the ORIGINAL ids"
    assert torch.equal(inputs[~chosen], ids[~chosen]), "unchosen tokens stay unchanged"
    special = torch.isin(ids, torch.tensor(specials)) | (attention_mask == 0)
    assert not chosen[special].any(), "special tokens and padding are never chosen"


@pytest.mark.parametrize("p", [0.15, 0.4])
def test_mlm_batch_statistics_15_then_80_10_10(p):
    ids, attention_mask, specials, mask, batch = run_mlm(4, p=p, B=300, T=200, V=1000)
    inputs, labels = batch["input_ids"], batch["labels"]
    eligible = (attention_mask == 1) & ~torch.isin(ids, torch.tensor(specials))
    n = int(eligible.sum())
    chosen = labels != -100
    rate = int(chosen.sum()) / n
    assert abs(rate - p) < 5 * math.sqrt(p * (1 - p) / n), f"chose {rate:.3f} of the tokens, want {p}"
    m = int(chosen.sum())
    n_allowed = 1000 - len(specials)
    got = {"[MASK]": float((inputs[chosen] == mask).float().mean()),
           "random": float(((inputs[chosen] != mask) & (inputs[chosen] != ids[chosen])).float().mean()),
           "kept": float((inputs[chosen] == ids[chosen]).float().mean())}
    want = {"[MASK]": 0.8, "random": 0.1 * (1 - 1 / n_allowed), "kept": 0.1 + 0.1 / n_allowed}
    for key, q in want.items():
        assert abs(got[key] - q) < 5 * math.sqrt(q * (1 - q) / m), f"{key}: {got[key]:.3f}, expected {q:.3f}"


def test_mlm_batch_random_tokens_are_uniform_over_the_non_special_ids():
    """Each non-special id is drawn equally often; special ids (wherever they sit) never."""
    V = 30
    ids, attention_mask, specials, mask, batch = run_mlm(5, p=0.5, B=400, T=200, V=V)
    inputs, labels = batch["input_ids"], batch["labels"]
    chosen = labels != -100
    drawn = inputs[chosen & (inputs != mask) & (inputs != ids)]
    assert len(drawn) > 1500
    assert not torch.isin(drawn, torch.tensor(specials)).any(), "a random token is never a special token"
    counts = torch.bincount(drawn, minlength=V).float()
    allowed = [i for i in range(V) if i not in specials]
    # Each draw that differs from the original is uniform over the other allowed ids; the
    # originals are uniform too, so every allowed id has share 1 / len(allowed): binomial counts.
    q = 1 / len(allowed)
    bound = 5 * math.sqrt(len(drawn) * q * (1 - q))
    for i in allowed:
        assert abs(float(counts[i]) - len(drawn) * q) < bound, f"id {i} drawn {int(counts[i])} times"


def test_mlm_batch_follows_the_generator():
    a, b = run_mlm(6)[-1], run_mlm(6)[-1]
    assert torch.equal(a["labels"], b["labels"]) and torch.equal(a["input_ids"], b["input_ids"])
    c = run_mlm(6, gen_seed=99)[-1]
    assert not torch.equal(a["labels"], c["labels"]), "another seed must choose other tokens"


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
    # one fair coin per pair: two neighbours agree half the time (not alternating, not in runs)
    agree = sum(this[2] == after[2] for this, after in zip(pairs[:-1], pairs[1:], strict=True)) / (n - 1)
    assert abs(agree - 0.5) < 5 * math.sqrt(0.25 / (n - 1)), f"neighbouring labels agree {agree:.3f}"
    firsts = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc) - 1)]
    p = 1 / len(firsts)
    for d, i in firsts:
        count = sum(where(a) == (d, i) for a, _, _ in pairs)
        assert abs(count / n - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_nsp_pairs_notnext_b_is_a_uniform_sentence_of_a_uniform_other_document():
    """B of a NotNext pair: a uniformly drawn other document, then a uniform sentence of it.
    Every sentence's share is known exactly; 5-sigma binomial bounds."""
    docs = random_documents(24)
    pairs = ex.nsp_pairs(docs, 6000, torch.Generator().manual_seed(6))
    firsts = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc) - 1)]
    others = [e for e, doc in enumerate(docs) if doc]
    expected = {}
    for d, _ in firsts:
        for e in others:
            if e != d:
                share = 1 / len(firsts) / (len(others) - 1) / len(docs[e])
                for j in range(len(docs[e])):
                    expected[(e, j)] = expected.get((e, j), 0.0) + share
    notnext = [where(b) for _, b, label in pairs if label == 1]
    n = len(notnext)
    assert n > 2000
    for sentence, q in expected.items():
        count = sum(b == sentence for b in notnext)
        assert abs(count / n - q) < 5 * math.sqrt(q * (1 - q) / n), f"B = {sentence}: {count / n:.4f}"


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
