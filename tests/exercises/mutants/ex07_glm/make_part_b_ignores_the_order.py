"""The permutation z is ignored: spans in text order."""

import torch


def make_part_b(ids, spans, order, start_id, end_id):
    tokens, inputs, targets = ids.tolist(), [], []
    for start, end in spans:
        inputs += [start_id] + tokens[start:end]
        targets += tokens[start:end] + [end_id]
    return torch.tensor(inputs, dtype=torch.long), torch.tensor(targets, dtype=torch.long)
