"""Draws from the global random state, not from ``generator``."""

import torch


def gaussian_noise(x, std, generator=None):
    return x + std * torch.randn_like(x)
