"""T5's span corruption (Raffel et al., 2020, Sec. 3.1.4 and Fig. 2; Sec. 3.3.4).

Drop about 15 % of the tokens, in spans of mean length 3; in the encoder's input each
dropped span becomes ONE sentinel ``<extra_id_k>`` (a different one per span), and the
decoder's target lists the dropped spans, each after its sentinel, ending with one more
sentinel (the paper's Fig. 2, with ``<X> <Y> <Z>`` = ``<extra_id_0..2>``)::

    original:  Thank you for inviting me to your party last week .
    inputs:    Thank you <X> me to your party <Y> week .
    targets:   <X> for inviting <Y> last <Z>

The noise mask is T5's ``random_spans_noise_mask``: the number of noise tokens and of
spans are fixed, ``round(length * noise_density)`` and ``round(num_noise /
mean_span_length)``, and the sequence alternates kept / noise segments, starting with a
kept one, whose lengths are random partitions of the two totals (every such mask is
equally likely). So the first token is never noise and, unless ``random_roll``, the last
always is: a quirk of the original that you can see by plotting many masks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from minilm.checks import check_generator, check_positive_int, check_probability, check_tensor
from minilm.objectives._util import generator_device, long_tensor

__all__ = ["random_spans_noise_mask", "noise_spans", "span_corruption"]


def _random_segmentation(num_items: int, num_segments: int, generator) -> list[int]:
    """Split ``num_items`` into ``num_segments`` positive lengths, uniformly over all such
    compositions: choose which ``num_segments - 1`` of the ``num_items - 1`` gaps between
    items are cut."""
    gaps = torch.randperm(num_items - 1, generator=generator, device=generator_device(generator))
    cuts = gaps[:num_segments - 1]
    bounds = [0] + sorted(c + 1 for c in cuts.tolist()) + [num_items]
    return [b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def random_spans_noise_mask(length: int, *, noise_density: float = 0.15, mean_span_length: float = 3.0,
                            random_roll: bool = False,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool ``[length]``, True = noise: spans to drop, as in T5 (see module doc).

    ``num_noise = round(length * noise_density)`` (kept within [1, length - 1]) and
    ``num_spans = max(1, round(num_noise / mean_span_length))``; a sequence of one token
    is treated as two, as in T5, so it is never noise. ``noise_density = 0`` gives no noise.
    ``random_roll=True`` rotates the mask by a random offset (T5's option) so the end of
    the sequence is no longer always noise. Example, ``length = 10`` with 3 noise tokens
    in 1 span: ``[F F F F F F F T T T]``, or with 2 spans ``[F F T F F F F F T T]``.
    """
    check_positive_int(length, "length")
    noise_density = check_probability(noise_density, "noise_density")
    if isinstance(mean_span_length, bool) or not isinstance(mean_span_length, (int, float)):
        raise TypeError(f"mean_span_length must be a number >= 1, got {type(mean_span_length).__name__}")
    if not mean_span_length >= 1:
        raise ValueError(f"mean_span_length must be >= 1 (spans have at least one token), "
                         f"got {mean_span_length}")
    check_generator(generator)
    if noise_density == 0:
        return torch.zeros(length, dtype=torch.bool)
    padded = max(length, 2)  # T5 avoids the degenerate 1-token case this way
    num_noise = min(max(round(padded * noise_density), 1), padded - 1)
    num_spans = max(round(num_noise / mean_span_length), 1)
    noise_lengths = _random_segmentation(num_noise, num_spans, generator)
    kept_lengths = _random_segmentation(padded - num_noise, num_spans, generator)
    mask = bytearray()  # one byte per token, 0 = kept, 1 = noise: kept_0 noise_0 kept_1 noise_1 ...
    for kept, noise in zip(kept_lengths, noise_lengths, strict=True):
        mask += bytes(kept) + b"\x01" * noise
    mask = torch.frombuffer(mask, dtype=torch.bool)[:length]
    if random_roll:
        shift = int(torch.randint(length, (), generator=generator, device=generator_device(generator)))
        mask = torch.roll(mask, shift)
    return mask


def noise_spans(noise_mask: torch.Tensor) -> list[tuple[int, int]]:
    """The runs of True in a bool mask as half-open ``(start, end)`` pairs."""
    check_tensor(noise_mask, "noise_mask", ndim=1, dtype=torch.bool, non_empty=False)
    edges = torch.diff(noise_mask.int(), prepend=noise_mask.new_zeros(1, dtype=torch.int),
                       append=noise_mask.new_zeros(1, dtype=torch.int))
    bounds = edges.nonzero().flatten().tolist()  # alternately: a run starts, a run ends
    return list(zip(bounds[0::2], bounds[1::2], strict=True))


def _sentinel_list(sentinel_ids) -> list[int]:
    if isinstance(sentinel_ids, torch.Tensor):
        sentinel_ids = sentinel_ids.reshape(-1).tolist()
    if not isinstance(sentinel_ids, Sequence) or isinstance(sentinel_ids, (str, bytes)):
        raise TypeError(f"sentinel_ids must be a list of token ids, got {type(sentinel_ids).__name__}")
    for s in sentinel_ids:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"sentinel_ids must contain ints, got {s!r}")
    return list(sentinel_ids)


def span_corruption(ids: torch.Tensor, *, sentinel_ids, noise_density: float = 0.15,
                    mean_span_length: float = 3.0, eos_id: int | None = None, random_roll: bool = False,
                    noise_mask: torch.Tensor | None = None,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """T5's objective: ``(inputs, targets)`` from clean ``ids`` [n] (see module doc).

    ``sentinel_ids[k]`` is ``<extra_id_k>``; a sample with m spans needs m + 1 of them.
    The noise mask is ``random_spans_noise_mask(n, ...)`` unless one is given in
    ``noise_mask`` (bool [n]). With ``eos_id``, both sequences end with it (T5 appends EOS).
    Worked example, ``ids = [a b c d e f]``, noise ``[F T T F F T]``, sentinels ``S0 S1 S2``::

        inputs  = [a S0 d e S1]
        targets = [S0 b c S1 f S2]
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    sentinels = _sentinel_list(sentinel_ids)
    if eos_id is not None:
        check_positive_int(eos_id, "eos_id", allow_zero=True)
    if noise_mask is None:
        noise = random_spans_noise_mask(len(ids), noise_density=noise_density,
                                        mean_span_length=mean_span_length, random_roll=random_roll,
                                        generator=generator)
    else:
        check_tensor(noise_mask, "noise_mask", ndim=1, dtype=torch.bool)
        if len(noise_mask) != len(ids):
            raise ValueError(f"noise_mask must have the length of ids ({len(ids)}), got {len(noise_mask)}")
        noise = noise_mask
    spans = noise_spans(noise)
    if len(sentinels) < len(spans) + 1:
        raise ValueError(f"sentinel_ids has {len(sentinels)} ids but this sample has {len(spans)} noise "
                         f"spans, which need {len(spans) + 1} sentinels (add more <extra_id_k> tokens)")
    tokens = ids.tolist()  # lists: the loop runs over the few spans, slicing is cheap
    inputs, targets, previous_end = [], [], 0
    for sentinel, (start, end) in zip(sentinels, spans, strict=False):
        inputs += tokens[previous_end:start] + [sentinel]  # the span becomes its sentinel ...
        targets += [sentinel] + tokens[start:end]  # ... and the target spells it out after it
        previous_end = end
    inputs += tokens[previous_end:]
    targets.append(sentinels[len(spans)])  # the final sentinel closes the last span
    if eos_id is not None:
        inputs.append(eos_id)
        targets.append(eos_id)
    return long_tensor(inputs, ids.device, ids.dtype), long_tensor(targets, ids.device, ids.dtype)
