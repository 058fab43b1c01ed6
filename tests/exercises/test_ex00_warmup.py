"""Graded tests for exercises/ex00_warmup.py (see the notebook 00_welcome)."""

import pytest
import torch

from minilm.grade import load_target
from minilm.masks import bidirectional_mask, causal_padding_mask, prefix_lm_mask
from minilm.masks import causal_mask as reference_causal_mask

ex = load_target("ex00_warmup")


def random_lengths(n: int, seed: int, low: int = 2, high: int = 24) -> list[int]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(low, high, (n,), generator=g).tolist()


# causal_mask -------------------------------------------------------------------------

def test_causal_mask_hand_worked_3x3():
    expected = torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    out = ex.causal_mask(3)
    assert out.dtype == torch.bool and out.shape == (3, 3)
    assert torch.equal(out, expected)


@pytest.mark.parametrize("T", [1, *random_lengths(4, seed=0)])
def test_causal_mask_matches_minilm(T):
    out = ex.causal_mask(T)
    assert out.shape == (T, T), f"shape should be [T, T] = [{T}, {T}]"
    assert out.dtype == torch.bool
    assert torch.equal(out, reference_causal_mask(T))


# count_visible -----------------------------------------------------------------------

def test_count_visible_hand_worked():
    mask = torch.tensor([[1, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]], dtype=torch.bool)
    out = ex.count_visible(mask)
    assert not out.is_floating_point() and out.dtype != torch.bool, "counts are integers"
    assert out.tolist() == [1, 4, 0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_count_visible_of_causal_and_prefix_masks(seed):
    # Worked out by hand: causal query i sees i + 1 keys; with a prefix of p tokens it sees max(i + 1, p).
    T = random_lengths(1, seed)[0]
    p = int(torch.randint(0, T + 1, (1,), generator=torch.Generator().manual_seed(seed)))
    i = torch.arange(T)
    assert ex.count_visible(reference_causal_mask(T)).tolist() == (i + 1).tolist()
    assert ex.count_visible(prefix_lm_mask(T, p)).tolist() == torch.clamp(i + 1, min=p).tolist()


@pytest.mark.parametrize("seed", [4, 5])
def test_count_visible_random_batch_matches_a_loop(seed):
    g = torch.Generator().manual_seed(seed)
    B, T, S = (int(v) for v in torch.randint(1, 9, (3,), generator=g))
    mask = torch.rand(B, T, S, generator=g) < 0.5
    out = ex.count_visible(mask)
    assert out.shape == (B, T), "one count per (sequence, query): shape [B, T]"
    expected = [[sum(bool(mask[b, t, s]) for s in range(S)) for t in range(T)] for b in range(B)]
    assert out.tolist() == expected


# is_causal ---------------------------------------------------------------------------

def test_is_causal_hand_worked():
    assert ex.is_causal(reference_causal_mask(4)) is True
    assert ex.is_causal(bidirectional_mask(4)) is False
    assert ex.is_causal(prefix_lm_mask(4, 2)) is False
    assert ex.is_causal(prefix_lm_mask(4, 1)) is True  # a prefix of one token looks nowhere ahead


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_is_causal_random_masks(seed):
    g = torch.Generator().manual_seed(seed)
    T = random_lengths(1, seed, low=3)[0]
    hidden_more = reference_causal_mask(T) & (torch.rand(T, T, generator=g) < 0.7)
    assert ex.is_causal(hidden_more) is True, "a causal mask that hides more is still causal"
    i = int(torch.randint(0, T - 1, (1,), generator=g))
    j = int(torch.randint(i + 1, T, (1,), generator=g))
    leaky = hidden_more.clone()
    leaky[i, j] = True  # query i may now see the later key j
    assert ex.is_causal(leaky) is False, f"query {i} sees the later key {j}"


def test_is_causal_batched_padding_masks():
    attention_mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    batch = causal_padding_mask(attention_mask)  # [2, 4, 4]
    assert ex.is_causal(batch) is True
    batch[1, 0, 3] = True
    assert ex.is_causal(batch) is False
