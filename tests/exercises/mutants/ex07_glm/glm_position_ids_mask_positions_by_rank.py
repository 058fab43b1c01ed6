"""Indexes mask_positions by the span's place in Part B instead of the span."""

import torch


def glm_position_ids(part_a_len, spans, order, mask_positions):
    position_1, position_2 = list(range(part_a_len)), [0] * part_a_len
    for rank, j in enumerate(order):
        length = spans[j][1] - spans[j][0] + 1
        position_1 += [mask_positions[rank]] * length
        position_2 += range(1, length + 1)
    return torch.tensor([position_1, position_2], dtype=torch.long)
