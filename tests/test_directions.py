"""Right-to-left LMs via reversed sequences, and ELMo's combination of both directions."""

import math

import pytest
import torch

from minilm.objectives.directions import (
    backward_position_log_probs,
    combine_directions,
    position_log_probs,
    reverse_tokens,
)


def padded(seed=0, B=5, T=9, V=30):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, V, (B, T), generator=g)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    attention_mask = (torch.arange(T) < lengths[:, None]).long()
    return ids.masked_fill(attention_mask == 0, 0), attention_mask


def test_reverse_hand_worked():
    ids = torch.tensor([[5, 10, 11, 12, 7, 0], [5, 13, 7, 0, 0, 0]])
    attention_mask = (ids != 0).long()
    assert reverse_tokens(ids, attention_mask).tolist() == [[7, 12, 11, 10, 5, 0], [7, 13, 5, 0, 0, 0]]
    assert reverse_tokens(ids).tolist()[1] == [0, 0, 0, 7, 13, 5]   # no mask: a plain flip


def test_reverse_twice_is_identity_and_carries_trailing_dims():
    ids, attention_mask = padded()
    assert torch.equal(reverse_tokens(reverse_tokens(ids, attention_mask), attention_mask), ids)
    states = torch.randn(*ids.shape, 4)
    out = reverse_tokens(states, attention_mask)
    lengths = attention_mask.sum(1)
    for b, L in enumerate(lengths.tolist()):
        torch.testing.assert_close(out[b, :L], states[b, :L].flip(0))
        torch.testing.assert_close(out[b, L:], states[b, L:])


def test_reverse_bad_mask_shape():
    with pytest.raises(ValueError, match="attention_mask"):
        reverse_tokens(torch.ones(2, 5, dtype=torch.long), torch.ones(2, 4))


def test_position_log_probs_shift_by_one():
    logits = torch.randn(2, 6, 11)
    out = position_log_probs(logits)
    torch.testing.assert_close(out[:, 1:], logits[:, :-1].log_softmax(-1))
    torch.testing.assert_close(out[:, 0], torch.full((2, 11), -math.log(11)))


def test_backward_log_probs_come_from_the_right_neighbour():
    ids, attention_mask = padded(1)
    V = 30
    r2l_logits = torch.randn(*ids.shape, V)   # as if from a forward LM run on the reversed ids
    out = backward_position_log_probs(r2l_logits, attention_mask)
    for b, L in enumerate(attention_mask.sum(1).tolist()):
        for t in range(L):
            r = L - 1 - t                      # where token t sits in the reversed row
            expected = (torch.full((V,), -math.log(V)) if r == 0
                        else r2l_logits[b, r - 1].log_softmax(-1))
            torch.testing.assert_close(out[b, t], expected)


def test_combine_directions_hand_worked():
    l2r = torch.tensor([0.5, 0.5]).log()
    r2l = torch.tensor([0.9, 0.1]).log()
    torch.testing.assert_close(combine_directions(l2r, r2l).exp(), torch.tensor([0.9, 0.1]))
    a, b = torch.tensor([0.2, 0.8]).log(), torch.tensor([0.5, 0.5]).log()
    torch.testing.assert_close(combine_directions(a, a).exp(), torch.tensor([0.04, 0.64]) / 0.68)
    torch.testing.assert_close(combine_directions(a, b).exp(), torch.tensor([0.2, 0.8]))
    with pytest.raises(ValueError, match="same shape"):
        combine_directions(a, torch.zeros(3))
