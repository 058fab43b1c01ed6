"""Off by one: the document starts one token after ``start``."""

import torch


def document_rotation(ids, start):
    return torch.cat([ids[start + 1:], ids[:start + 1]])
