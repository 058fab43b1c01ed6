"""Off by one: position 2 counts 0 .. l inside a span, like Part A's 0."""

import torch


def glm_position_ids(part_a_len, spans, order, mask_positions):
    position_1, position_2 = list(range(part_a_len)), [0] * part_a_len
    for j in order:
        length = spans[j][1] - spans[j][0] + 1
        position_1 += [mask_positions[j]] * length
        position_2 += range(length)
    return torch.tensor([position_1, position_2], dtype=torch.long)
