"""Off by one: k = int(ratio * d), rounding down."""

import torch


def masking_noise(x, ratio, generator=None):
    k = int(ratio * x.shape[1])
    scores = torch.rand(x.shape, generator=generator)
    chosen = torch.zeros(x.shape, dtype=torch.bool)
    chosen.scatter_(1, scores.argsort(dim=1)[:, :k], True)
    return x.masked_fill(chosen, 0.0)
