"""Missing case: padded next tokens are scored in L_1."""

import torch.nn.functional as F


def combined_loss(class_logits, labels, lm_logits, input_ids, attention_mask, lm_weight):
    if not 0.0 <= lm_weight <= 1.0:
        raise ValueError("lm_weight")
    lm = F.cross_entropy(lm_logits[:, :-1].reshape(-1, lm_logits.shape[-1]), input_ids[:, 1:].reshape(-1))
    return F.cross_entropy(class_logits, labels) + lm_weight * lm
