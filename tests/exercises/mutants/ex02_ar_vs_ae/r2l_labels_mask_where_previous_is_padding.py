"""Copies clm_labels' padding rule: the first padding position keeps a label."""

import torch


def r2l_labels(input_ids, attention_mask=None):
    labels = torch.full_like(input_ids, -100)
    labels[..., 1:] = input_ids[..., :-1]
    if attention_mask is not None:
        previous_real = torch.zeros_like(attention_mask, dtype=torch.bool)
        previous_real[..., 1:] = attention_mask[..., :-1].bool()
        labels = labels.masked_fill(~previous_real, -100)
    return labels
