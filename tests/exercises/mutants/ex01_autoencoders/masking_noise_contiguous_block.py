"""Correct per-position rates, wrong joint: zeroes a cyclic block of k neighbours from a random offset."""

import torch


def masking_noise(x, ratio, generator=None):
    B, d = x.shape
    k = int(ratio * d + 0.5)
    offset = torch.randint(d, (B, 1), generator=generator)
    chosen = (torch.arange(d) - offset) % d < k
    return x.masked_fill(chosen, 0.0)
