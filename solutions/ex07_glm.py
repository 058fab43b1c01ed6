"""Solutions to exercise 07 · GLM: autoregressive blank infilling, built by hand.

Notebook 07_glm_blank_infilling shows how GLM (Du et al., 2022) turns a text into one
training example: sampled spans become ONE [MASK] each (Part A), the spans themselves
follow in a shuffled order, each opened by [S] and closed by [E] (Part B), every token
carries two positions, and Part A is read bidirectionally while Part B is written left to
right. Here you build each piece yourself: draw the spans (``sample_spans``), build Part A,
Part B, the 2D positions and the batched attention mask, and finally use the blank for
classification (``cloze_log_probs``, PET's verbaliser). The paper's worked example (Fig. 2), with
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


def sample_spans(n: int, mask_ratio: float = 0.15, poisson_lambda: float = 3.0,
                 generator: torch.Generator | None = None) -> list[tuple[int, int]]:
    """Draw GLM's blanks for a text of ``n`` tokens (Du et al., 2022, Sec. 2.1).

    1. The lengths: draw span lengths from Poisson(``poisson_lambda``), conditioned on being
       >= 1 (a blank has at least one token: throw a 0 away and draw again), until they
       cover at least ``mask_ratio * n`` tokens. Keep every length (the last one is not cut).
    2. Two spans must be separate blanks, so at least one kept token lies between them: k
       spans take ``sum(lengths) + k - 1`` tokens, which must be ``<= n``. While they do not
       fit, shorten the last span by the excess, or drop it (and check again) when it is not
       longer than the excess.
    3. The places: uniformly at random among all such layouts. With ``free = n - sum(lengths)
       - (k - 1)`` spare kept tokens, the layout is a row of ``free + k`` items (spare tokens
       and spans, each span followed by its one mandatory kept token except the last); choose
       which k items are spans uniformly, and give the spans their lengths in a random order.

    Args:
        n: the number of tokens, >= 1. mask_ratio: the share of tokens to blank, in [0, 1].
        poisson_lambda: the mean of the Poisson distribution (GLM uses 3).
        generator: all randomness comes from it.

    Returns:
        Sorted half-open ``(start, end)`` pairs, each at least one token long, with at least
        one token between two spans. ``mask_ratio = 0`` gives ``[]``. Example: n = 10,
        mask_ratio = 0.15 needs 1.5 tokens: lengths [1, 3] could give ``[(2, 3), (5, 8)]``.

    Hint: as in BART's infilling, ``torch.randperm(free + k, generator=generator)[:k]``
    picks the span slots in a random order; walk them sorted, advancing a cursor by the
    spare tokens before each span, the span, and its one mandatory gap.
    """
    budget = mask_ratio * n
    lengths, covered = [], 0
    while covered < budget:
        draw = int(torch.poisson(torch.tensor([float(poisson_lambda)]), generator=generator))
        if draw > 0:  # Poisson conditioned on >= 1
            lengths.append(draw)
            covered += draw
    while sum(lengths) + len(lengths) - 1 > n:  # the spans and their gaps do not fit
        excess = sum(lengths) + len(lengths) - 1 - n
        if lengths[-1] > excess:
            lengths[-1] -= excess
        else:
            lengths.pop()
    k = len(lengths)
    free = n - sum(lengths) - (k - 1)
    slots = torch.randperm(free + k, generator=generator)[:k].tolist()
    spans, start, previous = [], 0, -1
    for slot, length in sorted(zip(slots, lengths, strict=True)):
        start += slot - previous - 1  # spare kept tokens before this span
        spans.append((start, start + length))
        start += length + 1  # the span and the one kept token after it
        previous = slot
    return spans


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
    tokens, part_a, previous_end = ids.tolist(), [], 0
    for start, end in spans:
        part_a += tokens[previous_end:start] + [mask_id]
        previous_end = end
    part_a += tokens[previous_end:]
    return torch.tensor(part_a, dtype=torch.long)


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
    tokens, inputs, targets = ids.tolist(), [], []
    for j in order:
        start, end = spans[j]
        span = tokens[start:end]
        inputs += [start_id] + span
        targets += span + [end_id]
    return torch.tensor(inputs, dtype=torch.long), torch.tensor(targets, dtype=torch.long)


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
    position_1, position_2 = list(range(part_a_len)), [0] * part_a_len
    for j in order:
        start, end = spans[j]
        length = end - start + 1  # [S] and the span's tokens
        position_1 += [mask_positions[j]] * length
        position_2 += range(1, length + 1)
    return torch.tensor([position_1, position_2], dtype=torch.long)


def glm_batch_mask(sep: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """GLM's self-attention mask for a padded batch of ``[Part A ; Part B ; padding]`` rows.

    Row b holds Part A in positions ``0 .. sep[b] - 1`` and Part B from ``sep[b]`` on (each
    row has its own ``sep``), then padding (attention_mask 0). In every row:

    * Part A queries see every Part A key and nothing of Part B (bidirectional encoder);
    * Part B queries see all of Part A and the Part B keys up to themselves (causal decoder);
    * nobody sees a padding key; padding queries follow the same rule (their outputs are
      never used).

    Example: sep = [2], attention_mask = [[1, 1, 1, 1, 0]] (1 = True)::

        [[[1, 1, 0, 0, 0],
          [1, 1, 0, 0, 0],
          [1, 1, 1, 0, 0],
          [1, 1, 1, 1, 0],
          [1, 1, 1, 1, 0]]]

    Args:
        sep: LongTensor [B], the length of Part A in each row.
        attention_mask: [B, T], 1 = real token, 0 = padding.

    Returns:
        bool [B, T, T], ``mask[b, i, j]`` = query i of row b may attend to key j.

    Hint: broadcast a [T, T] causal mask against a [B, 1, T] "key j < sep[b]" (OR), then
    AND a [B, 1, T] "key j is real".
    """
    B, T = attention_mask.shape
    key = torch.arange(T)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    key_in_part_a = key[None, None, :] < sep.view(B, 1, 1)  # [B, 1, T]
    key_is_real = attention_mask.bool()[:, None, :]       # [B, 1, T]
    return (causal | key_in_part_a) & key_is_real


def cloze_log_probs(logits: torch.Tensor, sep: torch.Tensor, label_word_ids: torch.Tensor) -> torch.Tensor:
    """Classification as a cloze question (PET, GLM Sec. 2.3): score the verbaliser's words.

    A sentence x becomes a cloze question c(x), e.g. "{x} it was [MASK] .", and each label y
    a word v(y), e.g. negative -> "bad", positive -> "good". GLM reads c(x) as Part A and
    [S] at index ``sep`` (= len(Part A)); the prediction made at [S] is the first token of
    the blank. The label distribution is the label words' probabilities there, renormalised
    over the labels only (GLM's Eq. 3)::

        p(y | x) = p(v(y) | c(x)) / sum_{y'} p(v(y') | c(x))

    Args:
        logits: float [B, T, V], the GLM's output on a batch of cloze inputs.
        sep: LongTensor [B], the index of [S] in each row (rows differ in length).
        label_word_ids: LongTensor [K], the token id of label k's word.

    Returns:
        float [B, K]: ``log p(y = k | x)`` for each row; ``exp`` of each row sums to 1, and
        ``argmax`` is the predicted label. Example with V = 4, one row whose logits at [S]
        are [0, 2, 0, 1] and label words [3, 1]: log_softmax([1, 2]) = [-1.31, -0.31].

    Hint: ``logits[torch.arange(B), sep]`` picks each row's [S] position ([B, V]); index its
    columns with ``label_word_ids``, then ``log_softmax`` over the K labels.
    """
    at_blank = logits[torch.arange(logits.shape[0]), sep]  # [B, V]: the prediction at [S]
    return at_blank[:, label_word_ids].log_softmax(dim=-1)
