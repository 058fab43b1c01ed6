"""Off by one: the last prefix token is not part of the bidirectional block."""

import torch


def prefix_lm_mask(T, prefix_len):
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    return causal | (torch.arange(T) < prefix_len - 1).unsqueeze(0)
