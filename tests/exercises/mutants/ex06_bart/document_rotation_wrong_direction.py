"""Rolls the wrong way: torch.roll(ids, start)."""

import torch


def document_rotation(ids, start):
    return torch.roll(ids, start)
