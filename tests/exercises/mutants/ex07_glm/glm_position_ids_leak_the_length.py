"""Position 1 counts on inside a span, so it gives away where the span ends."""

import torch


def glm_position_ids(part_a_len, spans, order, mask_positions):
    position_1, position_2 = list(range(part_a_len)), [0] * part_a_len
    for j in order:
        length = spans[j][1] - spans[j][0] + 1
        position_1 += [mask_positions[j] + i for i in range(length)]
        position_2 += range(1, length + 1)
    return torch.tensor([position_1, position_2], dtype=torch.long)
