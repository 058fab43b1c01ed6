"""Wrong axis: prefix QUERIES see everything."""

import torch


def prefix_lm_mask(T, prefix_len):
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    return causal | (torch.arange(T) < prefix_len).unsqueeze(1)
