"""Missing check: a lambda outside [0, 1] is accepted."""

import torch.nn.functional as F


def combined_loss(class_logits, labels, lm_logits, input_ids, attention_mask, lm_weight):
    targets = input_ids[:, 1:].masked_fill(attention_mask[:, 1:] == 0, -100)
    predictions = lm_logits[:, :-1].reshape(-1, lm_logits.shape[-1])
    lm = F.cross_entropy(predictions, targets.reshape(-1), ignore_index=-100)
    return F.cross_entropy(class_logits, labels) + lm_weight * lm
