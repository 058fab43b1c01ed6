"""Exercise 07 · GLM: autoregressive blank infilling, built by hand.

Notebook 07_glm_blank_infilling shows how GLM (Du et al., 2022) turns a text into one
training example: sampled spans become ONE [MASK] each (Part A), the spans themselves
follow in a shuffled order, each opened by [S] and closed by [E] (Part B), every token
carries two positions, and Part A is read bidirectionally while Part B is written left to
right. Here you build each piece yourself. The paper's worked example (Fig. 2), with
``x = [x1 .. x6]``, spans ``[x3]`` and ``[x5, x6]`` and Part B order ``z = (2, 1)``::

    input       x1 x2  M x4  M | [S] x5 x6 | [S] x3
    position 1   0  1  2  3  4 |   4  4  4 |   2  2     (the paper counts from 1)
    position 2   0  0  0  0  0 |   1  2  3 |   1  2
    target                     |  x5 x6 [E]|  x3 [E]

Conventions (the same as ``minilm``):
* ``spans`` are sorted, non-overlapping, half-open ``(start, end)`` index pairs into ``ids``;
* ``order`` is the permutation z: Part B holds ``spans[order[0]]``, then ``spans[order[1]]``, ...;
* masks are bool, ``mask[i, j] == True`` means query i MAY attend to key j.

Fill in the functions below (replace each ``raise NotImplementedError``), then run the
"check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex07
"""

from __future__ import annotations

import torch


def make_part_a(ids: torch.Tensor, spans: list[tuple[int, int]], mask_id: int) -> torch.Tensor:
    """Part A (x_corrupt): ``ids`` with each span replaced by ONE ``mask_id`` token.

    Args:
        ids: token ids [n] (1-D LongTensor), the clean text x.
        spans: sorted, non-overlapping half-open (start, end) pairs into ``ids``.
        mask_id: the id of [MASK].

    Returns:
        LongTensor [n - sum(end - start) + len(spans)]. For the example above, ids =
        [x1 .. x6] and spans = [(2, 3), (4, 6)] give [x1, x2, M, x4, M]. No spans: ``ids``.

    Hint: walk through the spans keeping the end of the previous one; copy the text
    between spans, then append one mask_id per span.
    """
    raise NotImplementedError("keep the text between spans, one mask_id per span")


def make_part_b(ids: torch.Tensor, spans: list[tuple[int, int]], order: list[int], start_id: int,
                end_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Part B: the spans in the order z, as model inputs and as targets.

    Span s = [s_1 .. s_l] is READ as [S] s_1 .. s_l and must PREDICT s_1 .. s_l [E]: the
    input at each position is the target of the position before, as in GPT.

    Args:
        ids: token ids [n]; spans: as in ``make_part_a``; order: a permutation of
        range(len(spans)); start_id, end_id: the ids of [S] and [E].

    Returns:
        ``(inputs, targets)``, two LongTensors of the same length sum(end - start + 1).
        For the example above (order = [1, 0]): inputs = [S, x5, x6, S, x3] and targets =
        [x5, x6, E, x3, E].

    Hint: for j in order, the span is ``ids[spans[j][0]:spans[j][1]]``.
    """
    raise NotImplementedError("[S] + span as inputs, span + [E] as targets, spans in the given order")


def glm_position_ids(part_a_len: int, spans: list[tuple[int, int]], order: list[int],
                     mask_positions: list[int]) -> torch.Tensor:
    """GLM's 2D positions of ``[Part A ; Part B]``: a LongTensor [2, T].

    Row 0, "position 1": a Part A token's index in Part A (0, 1, ..., part_a_len - 1);
    every Part B token of span j takes the index of span j's [MASK], mask_positions[j].
    Row 1, "position 2": 0 for Part A; inside span j (its [S] and its l tokens) 1, 2, ...,
    l + 1. So the model knows WHERE a span goes but not how long it is.

    Args:
        part_a_len: len(Part A); spans, order: as in ``make_part_b``; mask_positions:
        index in Part A of each span's [MASK], in the order of ``spans`` (not of ``order``).

    Returns:
        LongTensor [2, T] with T = part_a_len + sum(end - start + 1). For the example above
        (part_a_len = 5, mask_positions = [2, 4], order = [1, 0])::

            [[0, 1, 2, 3, 4, 4, 4, 4, 2, 2],
             [0, 0, 0, 0, 0, 1, 2, 3, 1, 2]]

    Hint: build two Python lists, one per row, then ``torch.tensor([row_1, row_2])``.
    """
    raise NotImplementedError("Part A: (i, 0); span j: (mask_positions[j], 1 .. len + 1)")


def glm_attention_mask(T: int, sep: int) -> torch.Tensor:
    """GLM's self-attention mask for ``[Part A ; Part B]`` with ``sep = len(Part A)``.

    Part A tokens (queries 0 .. sep - 1) may attend to every Part A token and to nothing
    of Part B; Part B tokens (queries sep .. T - 1) may attend to all of Part A and to the
    Part B tokens up to and including themselves. For T = 4, sep = 2 (1 = True)::

        [[1, 1, 0, 0],
         [1, 1, 0, 0],
         [1, 1, 1, 0],
         [1, 1, 1, 1]]

    Returns:
        bool [T, T].

    Hint: start from the causal (lower-triangular) mask, then let every query see the
    keys j < sep.
    """
    raise NotImplementedError("the causal mask OR: the key is in Part A")
