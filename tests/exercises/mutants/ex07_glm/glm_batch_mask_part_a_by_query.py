"""Wrong axis: Part A QUERIES see everything, Part B included."""

import torch


def glm_batch_mask(sep, attention_mask):
    B, T = attention_mask.shape
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    query_in_a = torch.arange(T)[None, :, None] < sep.view(B, 1, 1)
    return (causal | query_in_a) & attention_mask.bool()[:, None, :]
