"""Right rate, wrong count: every entry is zeroed independently with probability ratio."""

import torch


def masking_noise(x, ratio, generator=None):
    return x.masked_fill(torch.rand(x.shape, generator=generator) < ratio, 0.0)
