"""Off by one: position t is scored on token t, not t + 1."""

import torch.nn.functional as F


def clm_loss(logits, input_ids, attention_mask=None):
    targets = input_ids.clone()
    if attention_mask is not None:
        targets[attention_mask == 0] = -100
    flat = logits.reshape(-1, logits.shape[-1])
    return F.cross_entropy(flat, targets.reshape(-1), ignore_index=-100)
