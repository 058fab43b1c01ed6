"""Solution 00 · Warm-up: read and build an attention mask (see exercises/ex00_warmup.py)."""

from __future__ import annotations

import torch


def causal_mask(T: int) -> torch.Tensor:
    """The causal (left-to-right) mask of GPT: query i may attend to keys 0, 1, ..., i."""
    return torch.tril(torch.ones(T, T, dtype=torch.bool))


def count_visible(mask: torch.Tensor) -> torch.Tensor:
    """How many keys each query may attend to: [T, S] -> [T], [B, T, S] -> [B, T]."""
    return mask.sum(dim=-1).long()  # the keys are the last dimension


def is_causal(mask: torch.Tensor) -> bool:
    """True if no query may attend to a later key (nothing above the diagonal is True)."""
    return not bool(torch.triu(mask, diagonal=1).any())  # triu works on the last two dims
