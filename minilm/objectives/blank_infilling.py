"""GLM's autoregressive blank infilling (Du et al., 2022, Sec. 2.1-2.2, Fig. 2).

Sample spans ``s_1 ... s_m`` of the text ``x`` and replace each by ONE [MASK]: that is
Part A, ``x_corrupt``. Part B is the spans themselves, in a random order ``z``, which the
model writes left to right (Eq. 1)::

    max_theta  E_{z ~ Z_m} [ sum_i log p_theta(s_{z_i} | x_corrupt, s_{z_<i}) ]

Each span's input starts with [S] and its target ends with [E]. The worked example of the
paper's Fig. 2, with ``x = [x1 .. x6]``, spans ``[x3]`` and ``[x5, x6]``, ``z = (2, 1)``::

    input_ids   x1 x2  M x4  M | [S] x5 x6 | [S] x3
    position 1   0  1  2  3  4 |   4  4  4 |   2  2     where the token sits in Part A
    position 2   0  0  0  0  0 |   1  2  3 |   1  2     where it sits inside its span
    labels       -  -  -  -  - |  x5 x6 [E]|  x3 [E]    (aligned: label i is read at i)

The paper draws positions from 1; here they start at 0 (they index an embedding table),
so position 1 above is the figure's minus one and position 2 is exactly the figure's. A
span of length ``l`` has ``l + 1`` inputs (``[S]`` and its tokens), numbered 1 .. l + 1 in
position 2, as in Fig. 2 and THUDM's implementation. Every token of a span takes its
[MASK]'s position 1, so the model never learns the span's length from it.

Part A sees only Part A; Part B sees Part A and the Part B tokens before it:
``minilm.masks.glm_mask(T, sep)`` with ``sep = len(Part A)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn.utils.rnn import pad_sequence

from minilm.checks import (
    check_generator,
    check_positive_int,
    check_probability,
    check_size,
    check_tensor,
)
from minilm.constants import IGNORE_INDEX, MAX_SEQUENCE_LENGTH
from minilm.objectives._util import check_poisson_lambda, generator_device, long_tensor, special_edges

__all__ = ["sample_spans", "glm_sample", "blank_infilling", "glm_collate", "glm_generation_context",
           "part_b_inputs"]


def _positive_poisson(count: int, lam: float, generator) -> list[int]:
    """``count``-ish draws of Poisson(lam) conditioned on being >= 1 (a span has a token)."""
    rate = torch.full((max(count, 4),), lam, device=generator_device(generator))
    draws = torch.poisson(rate, generator=generator)
    return [d for d in draws.long().tolist() if d > 0]


def sample_spans(length: int, *, mask_ratio: float = 0.15, poisson_lambda: float = 3.0,
                 generator: torch.Generator | None = None) -> list[tuple[int, int]]:
    """Spans to blank out of a text of ``length`` tokens (GLM's pretraining setup).

    As in the paper, span lengths come from a Poisson distribution with lambda = 3 and new
    spans are drawn until at least 15 % (``mask_ratio``) of the tokens are masked. A span
    has at least one token, so lengths are Poisson(lambda) conditioned on >= 1 (as in
    THUDM's code), with mean ``lambda / (1 - exp(-lambda))`` = 3.16 for lambda = 3.
    Spans are placed uniformly at random with at least one kept token between two spans
    (as in THUDM's code), so each becomes a separate [MASK]. When the spans and their gaps
    cannot all fit (``mask_ratio`` above ~0.6), the last span is shortened or dropped.

    ``poisson_lambda`` must be at least 1/2 (``minilm.constants.MIN_POISSON_LAMBDA``):
    lengths of 0 are drawn and thrown away, with probability exp(-lambda), so the work
    per span grows as 1 / lambda (1e-12 asked for ~10^13 draws).

    Returns sorted, non-overlapping, half-open ``(start, end)`` pairs; ``[]`` when
    ``mask_ratio == 0``.
    """
    check_positive_int(length, "length")
    check_size(length, MAX_SEQUENCE_LENGTH, "length", "a text")
    mask_ratio = check_probability(mask_ratio, "mask_ratio")
    poisson_lambda = check_poisson_lambda(poisson_lambda)
    check_generator(generator)
    budget = mask_ratio * length
    if budget == 0:
        return []
    lengths, covered = [], 0
    while covered < budget:
        # twice the expected number of spans: one round of draws almost always suffices
        draws = _positive_poisson(2 * round(budget / poisson_lambda) + 4, poisson_lambda, generator)
        for ell in draws:
            lengths.append(ell)
            covered += ell
            if covered >= budget:
                break
    # k spans need sum(lengths) tokens plus k - 1 separating gaps; trim the tail until they fit.
    while sum(lengths) + len(lengths) - 1 > length:
        excess = sum(lengths) + len(lengths) - 1 - length
        if lengths[-1] > excess:
            lengths[-1] -= excess
        else:
            lengths.pop()
    k = len(lengths)
    free = length - sum(lengths) - (k - 1)  # kept tokens beyond the mandatory gaps
    # Uniform placement: of the free + k "items" (free tokens and spans, in reading order),
    # choose which k are spans. A random permutation's first k entries, in the order drawn,
    # also pair the lengths with slots at random (the lengths are shuffled, as in GLM).
    slots = torch.randperm(free + k, generator=generator, device=generator_device(generator))[:k].tolist()
    spans, start, previous = [], 0, -1
    for slot, ell in sorted(zip(slots, lengths, strict=True)):
        start += slot - previous - 1  # free tokens before this span
        spans.append((start, start + ell))
        start += ell + 1  # the span and the mandatory gap after it
        previous = slot
    return spans


def _check_spans(spans, n: int) -> list[tuple[int, int]]:
    if not isinstance(spans, Sequence) or isinstance(spans, (str, bytes)):
        raise TypeError(f"spans must be a list of (start, end) pairs, got {type(spans).__name__}")
    checked, previous_end = [], 0
    for i, span in enumerate(spans):
        if (not isinstance(span, Sequence) or len(span) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) for v in span)):
            raise TypeError(f"spans[{i}] must be a pair of ints (start, end), got {span!r}")
        start, end = span
        if not 0 <= start < end <= n:
            raise ValueError(f"spans[{i}] = {tuple(span)} must satisfy 0 <= start < end <= len(ids) = {n}")
        if start < previous_end:
            raise ValueError(f"spans must be sorted and must not overlap: spans[{i}] = {tuple(span)} "
                             f"starts before the previous span ends ({previous_end})")
        checked.append((start, end))
        previous_end = end
    return checked


def _check_order(order, k: int) -> list[int]:
    if isinstance(order, torch.Tensor):
        order = order.tolist()
    if not isinstance(order, Sequence) or any(isinstance(v, bool) or not isinstance(v, int) for v in order):
        raise TypeError(f"order must be a sequence of span indices (ints), got {order!r}")
    if sorted(order) != list(range(k)):
        raise ValueError(f"order must be a permutation of range({k}) (one entry per span), got {list(order)}")
    return list(order)


def glm_sample(ids: torch.Tensor, spans, *, mask_id: int, start_id: int, end_id: int,
               order=None, generator: torch.Generator | None = None) -> dict:
    """Build one GLM training example from ``ids`` [n] and its ``spans`` (see module doc).

    ``order`` is the permutation z: Part B holds ``spans[order[0]]``, then
    ``spans[order[1]]``, ...; by default a uniformly random one drawn from ``generator``.

    Returns a dict with ``input_ids`` [T], ``position_ids`` [2, T], ``labels`` [T] (-100 on
    Part A), ``sep`` (int, = len(Part A), for ``glm_mask``), and, to draw pictures,
    ``spans`` and ``order`` (lists) and ``mask_positions`` (the Part A index of each span's
    [MASK], in the order of ``spans``). ``T = n - sum(len(s)) + len(spans) + sum(len(s) + 1)``.
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    for name, value in (("mask_id", mask_id), ("start_id", start_id), ("end_id", end_id)):
        check_positive_int(value, name, allow_zero=True)
    check_generator(generator)
    spans = _check_spans(spans, len(ids))
    k = len(spans)
    if order is None:
        order = torch.randperm(k, generator=generator, device=generator_device(generator)).tolist()
    order = _check_order(order, k)
    tokens = ids.tolist()  # lists: the loops below run over the few spans, slicing is cheap

    # Part A: the text with each span replaced by ONE [MASK].
    part_a, mask_positions, previous_end = [], [], 0
    for start, end in spans:
        part_a += tokens[previous_end:start]
        mask_positions.append(len(part_a))
        part_a.append(mask_id)
        previous_end = end
    part_a += tokens[previous_end:]
    sep = len(part_a)

    # Part B: the spans in order z. Span s of length l reads [S] s_1 .. s_l and predicts
    # s_1 .. s_l [E]; all of it sits at its [MASK]'s position 1, and at 1 .. l + 1 in position 2.
    part_b = [tokens[spans[j][0]:spans[j][1]] for j in order]
    input_b, position_1, position_2 = part_b_inputs([mask_positions[j] for j in order], part_b, start_id)
    label_b = [token for span in part_b for token in [*span, end_id]]

    input_ids = long_tensor(part_a + input_b, ids.device)
    position_ids = long_tensor(list(range(sep)) + position_1 + [0] * sep + position_2,
                               ids.device).view(2, -1)  # [2, T]
    labels = long_tensor([IGNORE_INDEX] * sep + label_b, ids.device)
    return {"input_ids": input_ids, "position_ids": position_ids, "labels": labels, "sep": sep,
            "spans": spans, "order": order, "mask_positions": mask_positions}


def blank_infilling(ids: torch.Tensor, *, mask_id: int, start_id: int, end_id: int,
                    mask_ratio: float = 0.15, poisson_lambda: float = 3.0, special_ids=(),
                    generator: torch.Generator | None = None) -> dict:
    """``sample_spans`` then ``glm_sample``: one random GLM example from clean ``ids``.

    A leading and a trailing run of ``special_ids`` (e.g. ``[CLS]`` ... ``<e>``) is never
    blanked out; spans are sampled in the text between them.
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    head, tail = special_edges(ids, special_ids)
    body = len(ids) - head - tail
    spans = [] if body == 0 else sample_spans(body, mask_ratio=mask_ratio, poisson_lambda=poisson_lambda,
                                              generator=generator)
    spans = [(s + head, e + head) for s, e in spans]
    return glm_sample(ids, spans, mask_id=mask_id, start_id=start_id, end_id=end_id, generator=generator)


def glm_collate(samples: Sequence[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad GLM examples into a batch: ``input_ids`` [B, T] (``pad_id``),
    ``position_ids`` [B, 2, T] (0), ``labels`` [B, T] (-100), ``attention_mask`` [B, T]
    (1 = real) and ``sep`` LongTensor [B]. The model's mask is
    ``glm_mask(T, sep) & attention_mask[:, None, :]``."""
    if not isinstance(samples, Sequence) or len(samples) == 0:
        raise ValueError("samples must be a non-empty list of glm_sample dicts")
    check_positive_int(pad_id, "pad_id", allow_zero=True)
    for i, s in enumerate(samples):
        missing = {"input_ids", "position_ids", "labels", "sep"} - set(s)
        if missing:
            raise ValueError(f"samples[{i}] lacks {sorted(missing)}; build samples with glm_sample")
    device = samples[0]["input_ids"].device
    input_ids = pad_sequence([s["input_ids"] for s in samples], batch_first=True, padding_value=pad_id)
    labels = pad_sequence([s["labels"] for s in samples], batch_first=True, padding_value=IGNORE_INDEX)
    position_ids = pad_sequence([s["position_ids"].T for s in samples], batch_first=True)  # [B, T, 2]
    position_ids = position_ids.transpose(1, 2).contiguous()  # [B, 2, T]
    lengths = long_tensor([len(s["input_ids"]) for s in samples], device)
    attention_mask = (torch.arange(input_ids.shape[1], device=device) < lengths[:, None]).long()
    sep = long_tensor([int(s["sep"]) for s in samples], device)
    return {"input_ids": input_ids, "position_ids": position_ids, "labels": labels,
            "attention_mask": attention_mask, "sep": sep}


def part_b_inputs(mask_positions: Sequence[int], spans: Sequence[Sequence[int]],
                  start_id: int) -> tuple[list[int], list[int], list[int]]:
    """Part B as the model reads it while it writes the blanks (Sec. 2.3, GLM-7).

    Blank ``i`` contributes [S] then ``spans[i]`` (the tokens written into it so far), all
    at position 1 = ``mask_positions[i]`` (its [MASK] in Part A) and at position 2 = 1, 2,
    3, ... ([E] is a target, never read). Returns ``(input_ids, position_1, position_2)``
    as lists, to append after Part A's ``(ids, range(n), [0] * n)``.
    """
    inputs, position_1, position_2 = [], [], []
    for position, span in zip(mask_positions, spans, strict=True):
        inputs += [start_id, *span]
        position_1 += [position] * (len(span) + 1)
        position_2 += range(1, len(span) + 2)
    return inputs, position_1, position_2


def glm_generation_context(ids: torch.Tensor, *, mask_id: int, start_id: int, which: int = 0) -> dict:
    """The context for generating one blank with GLM (Sec. 2.3, GLM-7).

    ``ids`` is Part A: text with one or more ``mask_id`` blanks (for free generation,
    text with a [MASK] appended). The context is Part A followed by [S], placed at the
    ``which``-th [MASK]'s position 1 with position 2 = 1 (``part_b_inputs``). The model
    then writes the span token by token: the t-th generated token (t = 1, 2, ...) is fed
    back with position_ids ``(mask_position, t + 1)``, until it produces [E]
    (``minilm.generate.generate_blanks`` runs that loop).

    Returns ``input_ids`` [T], ``position_ids`` [2, T], ``sep`` (= len(ids)) and
    ``mask_position``.
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    check_positive_int(mask_id, "mask_id", allow_zero=True)
    check_positive_int(start_id, "start_id", allow_zero=True)
    check_positive_int(which, "which", allow_zero=True)
    masks = (ids == mask_id).nonzero().flatten().tolist()
    if not masks:
        raise ValueError("ids has no mask_id token: append one where the model should write")
    if which >= len(masks):
        raise ValueError(f"which = {which} but ids has only {len(masks)} mask token(s)")
    n, position = len(ids), masks[which]
    inputs, position_1, position_2 = part_b_inputs([position], [[]], start_id)
    input_ids = long_tensor(ids.tolist() + inputs, ids.device)
    position_ids = long_tensor(list(range(n)) + position_1 + [0] * n + position_2, ids.device).view(2, -1)
    return {"input_ids": input_ids, "position_ids": position_ids, "sep": n, "mask_position": position}
