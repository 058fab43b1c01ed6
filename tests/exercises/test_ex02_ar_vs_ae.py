"""Graded tests for exercises/ex02_ar_vs_ae.py (see the notebook 02_ar_vs_ae).

Every test is named ``test_<function>_...`` after the function it grades.
"""

import pytest
import torch

from minilm.grade import load_target
from minilm.masks import causal_mask as reference_causal_mask
from minilm.masks import encoder_decoder_masks as reference_encoder_decoder_masks
from minilm.masks import prefix_lm_mask as reference_prefix_lm_mask
from minilm.objectives.clm import clm_labels as reference_clm_labels
from minilm.objectives.directions import combine_directions as reference_combine_directions
from minilm.objectives.directions import reverse_tokens

ex = load_target("ex02_ar_vs_ae")


def random_padded_batch(seed: int, B: int | None = None, T: int | None = None, vocab: int = 50):
    """Random ids (any id may occur, 0 included) with random lengths, padded with 0 on the right."""
    g = torch.Generator().manual_seed(seed)
    B = B or int(torch.randint(1, 8, (1,), generator=g))
    T = T or int(torch.randint(2, 16, (1,), generator=g))
    ids = torch.randint(0, vocab, (B, T), generator=g)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    attention_mask = (torch.arange(T) < lengths[:, None]).long()
    return ids.masked_fill(attention_mask == 0, 0), attention_mask


# clm_labels ------------------------------------------------------------------------------

def test_clm_labels_hand_worked():
    ids = torch.tensor([5, 8, 9, 3, 0])
    assert ex.clm_labels(ids).tolist() == [8, 9, 3, 0, -100]
    assert ex.clm_labels(ids, torch.tensor([1, 1, 1, 1, 0])).tolist() == [8, 9, 3, -100, -100]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clm_labels_match_minilm(seed):
    ids, attention_mask = random_padded_batch(seed)
    original = ids.clone()
    out = ex.clm_labels(ids, attention_mask)
    assert torch.equal(ids, original), "do not modify input_ids in place"
    assert out.shape == ids.shape
    assert torch.equal(out, reference_clm_labels(ids, attention_mask))
    assert torch.equal(ex.clm_labels(ids), reference_clm_labels(ids))


# r2l_labels ------------------------------------------------------------------------------

def test_r2l_labels_hand_worked():
    ids = torch.tensor([5, 8, 9, 3, 0])
    assert ex.r2l_labels(ids).tolist() == [-100, 5, 8, 9, 3]
    assert ex.r2l_labels(ids, torch.tensor([1, 1, 1, 1, 0])).tolist() == [-100, 5, 8, 9, -100]


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_r2l_labels_are_clm_labels_of_the_reversed_rows(seed):
    """Reverse each row's real tokens, take next-token labels, reverse back: a right-to-left LM."""
    ids, attention_mask = random_padded_batch(seed)
    original = ids.clone()
    out = ex.r2l_labels(ids, attention_mask)
    assert torch.equal(ids, original), "do not modify input_ids in place"
    assert out.shape == ids.shape
    reversed_ids = reverse_tokens(ids, attention_mask)
    expected = reverse_tokens(reference_clm_labels(reversed_ids, attention_mask), attention_mask)
    assert torch.equal(out, expected)
    assert torch.equal(ex.r2l_labels(ids), reference_clm_labels(ids.flip(-1)).flip(-1))


# combine_directions ----------------------------------------------------------------------

def test_combine_directions_hand_worked():
    a, b = torch.tensor([0.5, 0.5]).log(), torch.tensor([0.8, 0.2]).log()
    torch.testing.assert_close(ex.combine_directions(a, b).exp(), torch.tensor([0.8, 0.2]))
    c = torch.tensor([0.75, 0.25]).log()
    torch.testing.assert_close(ex.combine_directions(c, c).exp(), torch.tensor([0.9, 0.1]))


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_combine_directions_match_minilm(seed):
    g = torch.Generator().manual_seed(seed)
    B, T, V = (int(v) for v in torch.randint(2, 12, (3,), generator=g))
    a = (torch.randn(B, T, V, generator=g) * 3).log_softmax(-1)
    b = (torch.randn(B, T, V, generator=g) * 3).log_softmax(-1)
    out = ex.combine_directions(a, b)
    torch.testing.assert_close(out, reference_combine_directions(a, b))
    torch.testing.assert_close(out.exp().sum(-1), torch.ones(B, T))


def test_combine_directions_rejects_a_shape_mismatch():
    a = torch.zeros(2, 5).log_softmax(-1)
    ex.combine_directions(a, a)  # a valid call first (fails while unsolved)
    with pytest.raises(ValueError):
        ex.combine_directions(a, torch.zeros(2, 6).log_softmax(-1))


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


def test_encoder_decoder_masks_hand_worked():
    out = ex.encoder_decoder_masks(torch.tensor([[1, 1, 0]]), torch.tensor([[1, 1, 0]]))
    assert set(out) == {"encoder", "decoder", "cross"}
    assert all(m.dtype == torch.bool for m in out.values()), "masks are bool"
    assert out["encoder"].int().tolist() == [[[1, 1, 0], [1, 1, 0], [1, 1, 0]]]
    assert out["decoder"].int().tolist() == [[[1, 0, 0], [1, 1, 0], [1, 1, 1]]]
    assert out["cross"].int().tolist() == [[[1, 1, 0], [1, 1, 0], [1, 1, 0]]]


@pytest.mark.parametrize("seed", [10, 11, 12, 13])
def test_encoder_decoder_masks_match_minilm(seed):
    """Source and target of different lengths and different padding, so no mask can borrow another's."""
    g = torch.Generator().manual_seed(seed)
    B = int(torch.randint(2, 6, (1,), generator=g))
    S, T = (int(v) for v in torch.randperm(12, generator=g)[:2] + 2)
    src = (torch.arange(S) < torch.randint(1, S + 1, (B,), generator=g)[:, None]).long()
    tgt = (torch.arange(T) < torch.randint(1, T + 1, (B,), generator=g)[:, None]).long()
    out = ex.encoder_decoder_masks(src, tgt)
    expected = reference_encoder_decoder_masks(src, tgt)
    for name in ("encoder", "decoder", "cross"):
        assert out[name].shape == expected[name].shape, f"{name}: shape {tuple(expected[name].shape)}"
        assert torch.equal(out[name], expected[name]), f"the {name} mask differs"
