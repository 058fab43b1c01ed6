"""Averages over the d inputs instead of summing them."""

import torch


def reconstruction_loss(z, x, kind="cross_entropy"):
    if kind == "squared_error":
        return ((x - z) ** 2).mean()
    if kind == "cross_entropy":
        return (-(x * torch.log(z) + (1 - x) * torch.log(1 - z))).mean()
    raise ValueError(kind)
