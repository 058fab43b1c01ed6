"""Missing case: padding keys stay visible."""

import torch


def glm_batch_mask(sep, attention_mask):
    B, T = attention_mask.shape
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    return causal | (torch.arange(T)[None, None, :] < sep.view(B, 1, 1))
