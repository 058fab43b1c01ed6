"""Wrong triangle: queries read the future."""

import torch


def causal_mask(T):
    return torch.triu(torch.ones(T, T, dtype=torch.bool))
