"""Right lengths, wrong places: the spans are laid side by side from position 0."""

import math

import torch


def infilling_spans(n, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    budget = math.ceil(mask_ratio * n - 1e-9)
    lengths, total = [], 0
    while total < budget:
        draw = int(torch.poisson(torch.tensor([float(poisson_lambda)]), generator=generator))
        lengths.append(min(draw, budget - total))
        total += lengths[-1]
    spans, cursor = [], 0
    for length in lengths:
        spans.append((cursor, cursor + length))
        cursor += length
    return spans
