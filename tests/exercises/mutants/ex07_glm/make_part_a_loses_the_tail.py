"""Missing case: the text after the last span is dropped."""

import torch


def make_part_a(ids, spans, mask_id):
    tokens, part_a, previous_end = ids.tolist(), [], 0
    for start, end in spans:
        part_a += tokens[previous_end:start] + [mask_id]
        previous_end = end
    if not spans:
        part_a = tokens
    return torch.tensor(part_a, dtype=torch.long)
