"""Off by one: the targets are the inputs ([S] + span), not shifted by one."""

import torch


def make_part_b(ids, spans, order, start_id, end_id):
    tokens, inputs = ids.tolist(), []
    for j in order:
        start, end = spans[j]
        inputs += [start_id] + tokens[start:end]
    return torch.tensor(inputs, dtype=torch.long), torch.tensor(inputs, dtype=torch.long)
