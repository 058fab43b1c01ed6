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


# visible_keys ------------------------------------------------------------------------

def test_visible_keys_hand_worked():
    mask = torch.tensor([[1, 0, 1],
                         [0, 0, 0],
                         [1, 1, 1]], dtype=torch.bool)
    out = ex.visible_keys(mask, 0)
    assert isinstance(out, list) and all(type(k) is int for k in out), "return a list of Python ints"
    assert out == [0, 2]
    assert ex.visible_keys(mask, 1) == []
    assert ex.visible_keys(mask, 2) == [0, 1, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_visible_keys_of_causal_and_prefix_masks(seed):
    # Worked out by hand: causal query q reads keys 0..q; with a prefix of p it reads 0..max(q, p - 1).
    g = torch.Generator().manual_seed(seed)
    T = random_lengths(1, seed)[0]
    q = int(torch.randint(0, T, (1,), generator=g))
    p = int(torch.randint(0, T + 1, (1,), generator=g))
    assert ex.visible_keys(reference_causal_mask(T), q) == list(range(q + 1))
    assert ex.visible_keys(prefix_lm_mask(T, p), q) == list(range(max(q + 1, p)))


@pytest.mark.parametrize("seed", [3, 4])
def test_visible_keys_random_rectangular_mask_matches_a_loop(seed):
    g = torch.Generator().manual_seed(seed)
    T, S = (int(v) for v in torch.randint(2, 12, (2,), generator=g))
    mask = torch.rand(T, S, generator=g) < 0.4
    for q in range(T):
        assert ex.visible_keys(mask, q) == [k for k in range(S) if mask[q, k]]


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
