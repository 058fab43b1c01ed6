"""Right mean, wrong distribution: lengths uniform on 1 .. 5."""

import torch


def sample_spans(n, mask_ratio=0.15, poisson_lambda=3.0, generator=None):
    budget = mask_ratio * n
    lengths, covered = [], 0
    while covered < budget:
        lengths.append(int(torch.randint(1, 6, (1,), generator=generator)))
        covered += lengths[-1]
    while sum(lengths) + len(lengths) - 1 > n:
        lengths.pop()
    k = len(lengths)
    free = n - sum(lengths) - (k - 1)
    slots = torch.randperm(free + k, generator=generator)[:k].tolist()
    spans, start, previous = [], 0, -1
    for slot, length in sorted(zip(slots, lengths, strict=True)):
        start += slot - previous - 1
        spans.append((start, start + length))
        start += length + 1
        previous = slot
    return spans
