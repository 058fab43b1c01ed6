"""Missing case: a length-0 span inserts nothing."""

import torch


def text_infilling(ids, mask_id, spans):
    pieces, cursor = [], 0
    for start, end in spans:
        pieces.append(ids[cursor:start])
        if end > start:
            pieces.append(torch.tensor([mask_id], dtype=ids.dtype))
        cursor = end
    pieces.append(ids[cursor:])
    return torch.cat(pieces)
