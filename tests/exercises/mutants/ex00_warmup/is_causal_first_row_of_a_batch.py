"""Missing case: only the first mask of a batch is checked."""

import torch


def is_causal(mask):
    first = mask if mask.dim() == 2 else mask[0]
    return not bool(torch.triu(first, diagonal=1).any())
