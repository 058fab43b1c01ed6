"""Solution 00 · Warm-up: read an attention mask with code (see exercises/ex00_warmup.py)."""

from __future__ import annotations

import torch


def visible_keys(mask: torch.Tensor, query: int) -> list[int]:
    """The key positions that query ``query`` may attend to, in increasing order."""
    return torch.nonzero(mask[query]).flatten().tolist()  # nonzero: [k, 1] indices of True


def count_visible(mask: torch.Tensor) -> torch.Tensor:
    """How many keys each query may attend to: [T, S] -> [T], [B, T, S] -> [B, T]."""
    return mask.sum(dim=-1).long()  # the keys are the last dimension


def is_causal(mask: torch.Tensor) -> bool:
    """True if no query may attend to a later key (nothing above the diagonal is True)."""
    return not bool(torch.triu(mask, diagonal=1).any())  # triu works on the last two dims
