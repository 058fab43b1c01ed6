"""Off by one: reads the prediction made just before [S]."""

import torch


def cloze_log_probs(logits, sep, label_word_ids):
    at_blank = logits[torch.arange(logits.shape[0]), sep - 1]
    return at_blank[:, label_word_ids].log_softmax(dim=-1)
