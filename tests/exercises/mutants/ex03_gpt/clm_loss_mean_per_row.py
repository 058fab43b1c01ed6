"""Averages each row, then the rows: short rows weigh as much as long ones."""

import torch.nn.functional as F


def clm_loss(logits, input_ids, attention_mask=None):
    targets = input_ids[:, 1:].clone()
    if attention_mask is not None:
        targets[attention_mask[:, 1:] == 0] = -100
    scores = logits[:, :-1].transpose(1, 2)
    per_token = F.cross_entropy(scores, targets, ignore_index=-100, reduction="none")
    counted = (targets != -100).sum(dim=1).clamp(min=1)
    return (per_token.sum(dim=1) / counted).mean()
