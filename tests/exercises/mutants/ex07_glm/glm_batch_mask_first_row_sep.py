"""Uses the first row's Part A length for every row."""

import torch


def glm_batch_mask(sep, attention_mask):
    T = attention_mask.shape[1]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    return (causal | (torch.arange(T) < int(sep[0]))) & attention_mask.bool()[:, None, :]
