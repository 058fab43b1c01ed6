"""Sentence i goes to place order[i] (the inverse permutation)."""

import torch


def sentence_permutation(ids, full_stop_id, order):
    stops = ((ids == full_stop_id).nonzero().flatten() + 1).tolist()
    ends = stops if stops and stops[-1] == len(ids) else stops + [len(ids)]
    starts = [0] + ends[:-1]
    sentences = [ids[s:e] for s, e in zip(starts, ends, strict=True)]
    placed = [None] * len(order)
    for i, place in enumerate(order):
        placed[place] = sentences[i]
    return torch.cat(placed)
