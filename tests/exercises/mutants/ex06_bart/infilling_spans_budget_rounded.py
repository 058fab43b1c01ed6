"""Off by one: the budget is round(mask_ratio * n), not the ceiling."""

import torch


def infilling_spans(n, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    budget = round(mask_ratio * n)
    lengths, total = [], 0
    while total < budget:
        draw = int(torch.poisson(torch.tensor([float(poisson_lambda)]), generator=generator))
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
