"""Wrong direction: next-token labels, as for a left-to-right LM."""

import torch


def r2l_labels(input_ids, attention_mask=None):
    labels = torch.full_like(input_ids, -100)
    labels[..., :-1] = input_ids[..., 1:]
    if attention_mask is not None:
        labels = labels.masked_fill(~attention_mask.bool(), -100)
    return labels
