"""Off by one: a query reading itself is taken as a leak."""

import torch


def is_causal(mask):
    return not bool(torch.triu(mask, diagonal=0).any())
