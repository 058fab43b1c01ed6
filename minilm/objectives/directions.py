"""Left-to-right, right-to-left, and ELMo's use of both (Peters et al., 2018, Sec. 3.1).

An autoregressive LM can factorise a sequence in either direction::

    forward  (L2R):  p(x) = prod_t p(x_t | x_1, ..., x_{t-1})
    backward (R2L):  p(x) = prod_t p(x_t | x_{t+1}, ..., x_T)

A backward LM is simply a forward LM trained on reversed sequences (``reverse_tokens``).
ELMo trains both and maximises the sum of their log likelihoods; each direction still
sees only one side of a token. To guess a blank x_t from *both* sides, add the two
directions' log-probabilities (a product of experts) and renormalise::

    log p(x_t | both sides) ~ log p_L2R(x_t | x_<t) + log p_R2L(x_t | x_>t)

A masked LM instead reads both sides *jointly* inside one network (notebook 02 compares them).

Worked example of ``reverse_tokens`` (padding stays at the end)::

    input_ids      = [ <s> anna runs . <e> [PAD] ]
    reversed       = [ <e> . runs anna <s> [PAD] ]
"""

from __future__ import annotations

import torch

from minilm.checks import check_attention_mask, check_tensor


def _reverse_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """[B, T] index that reverses the first L_b positions of row b and keeps the rest."""
    lengths = attention_mask.long().sum(dim=1, keepdim=True)              # (B, 1)
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    return torch.where(positions < lengths, lengths - 1 - positions, positions)  # (B, T)


def reverse_tokens(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Reverse each row's real tokens; padding (attention_mask 0, on the right) stays put.

    ``input_ids`` [B, T] (or [B, T, ...]: any trailing dims are carried along, so logits can
    be mapped back too). Reversing twice gives the input back.
    """
    check_tensor(input_ids, "input_ids", ndim=tuple(range(2, 5)))
    if attention_mask is None:
        return input_ids.flip(1)
    index = _reverse_index(check_attention_mask(attention_mask, input_ids))
    index = index.view(*index.shape, *([1] * (input_ids.dim() - 2))).expand_as(input_ids)
    return input_ids.gather(1, index)


def position_log_probs(logits: torch.Tensor) -> torch.Tensor:
    """What a left-to-right LM believes about the token AT each position, from its left.

    ``logits`` [B, T, V] are next-token logits (position t predicts t + 1); returns
    ``out`` [B, T, V] with ``out[:, t] = log_softmax(logits[:, t - 1])``. Position 0 has no
    left context at all: its row is the uniform distribution, log(1 / V).
    """
    check_tensor(logits, "logits", ndim=3)
    log_probs = logits.float().log_softmax(dim=-1)
    V = logits.shape[-1]
    first = torch.full_like(log_probs[:, :1], -torch.log(torch.tensor(float(V))).item())
    return torch.cat([first, log_probs[:, :-1]], dim=1)


def backward_position_log_probs(r2l_logits: torch.Tensor,
                                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Like ``position_log_probs`` for a right-to-left LM, mapped back to original order.

    ``r2l_logits`` [B, T, V] come from a forward LM run on ``reverse_tokens(input_ids,
    attention_mask)``; ``out[:, t]`` is log p(x_t | x_{t+1}, ..., x_L) in the ORIGINAL
    positions (the last real token, with nothing to its right, gets the uniform row).
    """
    return reverse_tokens(position_log_probs(r2l_logits), attention_mask)


def combine_directions(l2r_log_probs: torch.Tensor, r2l_log_probs: torch.Tensor) -> torch.Tensor:
    """ELMo-style fill-in: add both directions' log-probabilities, renormalise over the vocabulary."""
    if l2r_log_probs.shape != r2l_log_probs.shape:
        raise ValueError(f"l2r_log_probs and r2l_log_probs must have the same shape, got "
                         f"{tuple(l2r_log_probs.shape)} and {tuple(r2l_log_probs.shape)}")
    return (l2r_log_probs + r2l_log_probs).log_softmax(dim=-1)
