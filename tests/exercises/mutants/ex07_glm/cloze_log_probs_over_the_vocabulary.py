"""Normalises over the whole vocabulary, not over the label words."""

import torch


def cloze_log_probs(logits, sep, label_word_ids):
    at_blank = logits[torch.arange(logits.shape[0]), sep].log_softmax(dim=-1)
    return at_blank[:, label_word_ids]
