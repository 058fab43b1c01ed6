"""Reads every row at the first row's [S]."""

def cloze_log_probs(logits, sep, label_word_ids):
    return logits[:, int(sep[0])][:, label_word_ids].log_softmax(dim=-1)
