"""Wrong placement: a kept token is forced before the first span too, so position 0 is never blanked."""

import torch


def sample_spans(n, mask_ratio=0.15, poisson_lambda=3.0, generator=None):
    budget = mask_ratio * n
    lengths, covered = [], 0
    while covered < budget:
        draw = int(torch.poisson(torch.tensor([float(poisson_lambda)]), generator=generator))
        if draw > 0:
            lengths.append(draw)
            covered += draw
    while sum(lengths) + len(lengths) - 1 > n:
        excess = sum(lengths) + len(lengths) - 1 - n
        if lengths[-1] > excess:
            lengths[-1] -= excess
        else:
            lengths.pop()
    k = len(lengths)
    free = max(n - sum(lengths) - k, 0)
    slots = torch.randperm(free + k, generator=generator)[:k].tolist()
    spans, start, previous = [], 1, -1
    for slot, length in sorted(zip(slots, lengths, strict=True)):
        start += slot - previous - 1
        spans.append((start, min(start + length, n)))
        start += length + 1
        previous = slot
    return spans
