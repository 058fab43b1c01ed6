"""Returns a tensor of indices instead of a list of Python ints."""

import torch


def visible_keys(mask, query):
    return torch.nonzero(mask[query]).flatten()
