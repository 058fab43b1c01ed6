"""Missing case: the attention mask is ignored."""

import torch


def clm_labels(input_ids, attention_mask=None):
    labels = torch.full_like(input_ids, -100)
    labels[..., :-1] = input_ids[..., 1:]
    return labels
