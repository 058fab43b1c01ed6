"""Missing case: padded next tokens are scored too."""

import torch.nn.functional as F


def clm_loss(logits, input_ids, attention_mask=None):
    predictions = logits[:, :-1]
    return F.cross_entropy(predictions.reshape(-1, predictions.shape[-1]), input_ids[:, 1:].reshape(-1))
