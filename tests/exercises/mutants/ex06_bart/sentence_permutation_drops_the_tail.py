"""Missing case: tokens after the last full stop are lost."""

import torch


def sentence_permutation(ids, full_stop_id, order):
    ends = ((ids == full_stop_id).nonzero().flatten() + 1).tolist()
    starts = [0] + ends[:-1]
    sentences = [ids[s:e] for s, e in zip(starts, ends, strict=True)]
    return torch.cat([sentences[i] for i in order if i < len(sentences)])
