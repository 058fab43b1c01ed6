"""Graded tests for exercises/ex02_ar_vs_ae.py (see the notebook 02_ar_vs_ae)."""

import math

import pytest
import torch

from minilm.grade import load_target
from minilm.masks import causal_mask as reference_causal_mask
from minilm.masks import prefix_lm_mask as reference_prefix_lm_mask
from minilm.objectives.clm import clm_labels as reference_clm_labels

ex = load_target("ex02_ar_vs_ae")

PAD, CLS, SEP, MASK = 0, 2, 3, 4
SPECIALS = (0, 1, 2, 3, 4)


def random_padded_batch(seed: int, B: int = 6, T: int = 12, vocab: int = 50):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(len(SPECIALS), vocab, (B, T), generator=g)
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    attention_mask = (torch.arange(T) < lengths[:, None]).long()
    return ids.masked_fill(attention_mask == 0, PAD), attention_mask


# clm_labels ------------------------------------------------------------------------------

def test_clm_labels_hand_worked():
    ids = torch.tensor([5, 8, 9, 3, 0])
    assert ex.clm_labels(ids).tolist() == [8, 9, 3, 0, -100]
    assert ex.clm_labels(ids, torch.tensor([1, 1, 1, 1, 0])).tolist() == [8, 9, 3, -100, -100]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clm_labels_match_minilm(seed):
    ids, attention_mask = random_padded_batch(seed)
    out = ex.clm_labels(ids, attention_mask)
    assert out.shape == ids.shape
    assert torch.equal(out, reference_clm_labels(ids, attention_mask))
    assert torch.equal(ex.clm_labels(ids), reference_clm_labels(ids))


# masks -----------------------------------------------------------------------------------

def test_causal_mask_hand_worked():
    out = ex.causal_mask(3)
    assert out.dtype == torch.bool
    assert out.int().tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


@pytest.mark.parametrize("T", [1, 5, 17])
def test_causal_mask_matches_minilm(T):
    assert torch.equal(ex.causal_mask(T), reference_causal_mask(T))


def test_prefix_lm_mask_hand_worked():
    out = ex.prefix_lm_mask(4, 2)
    assert out.dtype == torch.bool and out.shape == (4, 4)
    assert out.int().tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_prefix_lm_mask_matches_minilm(seed):
    g = torch.Generator().manual_seed(seed)
    T = int(torch.randint(2, 20, (1,), generator=g))
    p = int(torch.randint(0, T + 1, (1,), generator=g))
    assert torch.equal(ex.prefix_lm_mask(T, p), reference_prefix_lm_mask(T, p))


def test_prefix_lm_mask_extremes():
    assert torch.equal(ex.prefix_lm_mask(6, 0), reference_causal_mask(6)), "prefix 0 = causal"
    assert ex.prefix_lm_mask(6, 6).all(), "prefix T = bidirectional"


# mlm_batch -------------------------------------------------------------------------------

def make_batch(seed: int, B: int = 8, T: int = 20, vocab: int = 60, p: float = 0.15):
    ids, attention_mask = random_padded_batch(seed, B, T, vocab)
    ids[:, 0] = CLS
    batch = ex.mlm_batch(ids, attention_mask, mask_id=MASK, vocab_size=vocab, special_ids=SPECIALS,
                         mlm_probability=p, generator=torch.Generator().manual_seed(seed))
    return ids, attention_mask, batch


def test_mlm_batch_keys_and_shapes():
    ids, attention_mask, batch = make_batch(0)
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    assert batch["input_ids"].shape == batch["labels"].shape == ids.shape
    assert torch.equal(batch["attention_mask"], attention_mask)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mlm_labels_are_originals_exactly_where_chosen(seed):
    ids, attention_mask, batch = make_batch(seed, p=0.5)
    labels, inputs = batch["labels"], batch["input_ids"]
    chosen = labels != -100
    assert chosen.any(), "with mlm_probability 0.5 some tokens must be chosen"
    assert torch.equal(labels[chosen], ids[chosen]), "labels are the ORIGINAL ids"
    assert torch.equal(inputs[~chosen], ids[~chosen]), "unchosen tokens stay unchanged"
    special = torch.isin(ids, torch.tensor(SPECIALS)) | (attention_mask == 0)
    assert not chosen[special].any(), "special tokens and padding are never chosen"


def test_mlm_batch_statistics_80_10_10():
    ids, attention_mask, batch = make_batch(4, B=300, T=200, vocab=1000)
    inputs, labels = batch["input_ids"], batch["labels"]
    eligible = (attention_mask == 1) & ~torch.isin(ids, torch.tensor(SPECIALS))
    n = int(eligible.sum())
    chosen = labels != -100
    rate = int(chosen.sum()) / n
    assert abs(rate - 0.15) < 5 * math.sqrt(0.15 * 0.85 / n), f"chose {rate:.3f} of the tokens"
    m = int(chosen.sum())
    got = {"mask": float((inputs[chosen] == MASK).float().mean()),
           "random": float(((inputs[chosen] != MASK) & (inputs[chosen] != ids[chosen])).float().mean())}
    n_allowed = 1000 - len(SPECIALS)
    want = {"mask": 0.8, "random": 0.1 * (1 - 1 / n_allowed)}
    for key, p in want.items():
        assert abs(got[key] - p) < 5 * math.sqrt(p * (1 - p) / m), f"{key}: {got[key]:.3f}, expected {p}"
    replaced = chosen & (inputs != MASK) & (inputs != ids)
    assert not torch.isin(inputs[replaced], torch.tensor(SPECIALS)).any(), "random ids are never special"


def test_mlm_batch_follows_the_generator():
    a, b = make_batch(5)[2], make_batch(5)[2]
    assert torch.equal(a["labels"], b["labels"]) and torch.equal(a["input_ids"], b["input_ids"])
    ids, attention_mask = random_padded_batch(5, 8, 20, 60)
    ids[:, 0] = CLS
    d = ex.mlm_batch(ids, attention_mask, mask_id=MASK, vocab_size=60, special_ids=SPECIALS,
                     generator=torch.Generator().manual_seed(99))
    assert not torch.equal(a["labels"], d["labels"]), "another seed must choose other tokens"
