"""T5's span corruption (Raffel et al., 2020, Sec. 3.1.4 and Fig. 2; Sec. 3.3.4).

Drop about 15 % of the tokens, in spans of mean length 3. The encoder's input replaces
each dropped span by ONE sentinel ``<extra_id_k>`` (a different one per span); the
decoder's target is the mirror image: it replaces each run of *kept* tokens by one
sentinel, so what is left are the dropped spans, each after the sentinel that marks it.
The paper's Fig. 2, with ``<X> <Y> <Z>`` = ``<extra_id_0..2>``::

    original:  Thank you for inviting me to your party last week .
    inputs:    Thank you <X> me to your party <Y> week .
    targets:   <X> for inviting <Y> last <Z>

This is exactly what T5's code does, token for token (google-research/
text-to-text-transfer-transformer, ``t5/data/preprocessors.py``: ``span_corruption`` runs
``denoise`` with ``inputs_fn=noise_span_to_unique_sentinel`` and
``targets_fn=nonnoise_span_to_unique_sentinel``, the same function on the inverted mask;
Hugging Face's ``DataCollatorForT5MLM`` in ``run_t5_mlm_flax.py`` does the same with
``create_sentinel_ids`` on the mask and on its inverse). Three facts follow:

* the target ends with a sentinel only when the text ends with kept tokens, as in Fig. 2.
  T5's own noise masks always end with noise (below), so their targets end with the last
  span's tokens: there is no closing sentinel;
* the two sequences number their sentinels independently, each from the left. When the
  mask starts with noise (possible with ``random_roll`` or a given ``noise_mask``), the
  target starts with the first span's tokens and its ``<extra_id_k>`` is followed by
  span k + 1, while the input's ``<extra_id_k>`` stands for span k. T5 trains with this,
  so it is kept here;
* EOS is appended to both sequences afterwards, not by the corruption itself: T5's
  ``c4_v220_span_corruption`` task (``t5/data/tasks.py``) runs
  ``seqio.preprocessors.append_eos_after_trim`` with ``add_eos=True`` for inputs and
  targets, and ``random_spans_helper`` counts that one EOS in both lengths; Hugging Face's
  ``filter_input_ids`` appends ``eos_token_id`` to both. Pass ``eos_id`` to get it.

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

from minilm.checks import (
    check_generator,
    check_positive_int,
    check_probability,
    check_size,
    check_tensor,
)
from minilm.constants import MAX_SEQUENCE_LENGTH
from minilm.objectives._util import generator_device, long_tensor

__all__ = ["random_spans_noise_mask", "noise_spans", "span_corruption"]


def _random_segmentation(num_items: int, num_segments: int, generator) -> torch.Tensor:
    """Split ``num_items`` into ``num_segments`` positive lengths, uniformly over all such
    compositions: choose which ``num_segments - 1`` of the ``num_items - 1`` gaps between
    items are cut."""
    gaps = torch.randperm(num_items - 1, generator=generator, device=generator_device(generator))
    cuts = gaps[:num_segments - 1].sort().values + 1
    bounds = torch.cat([cuts.new_zeros(1), cuts, cuts.new_full((1,), num_items)])
    return bounds.diff().cpu()


def _span_counts(length: int, noise_density: float, mean_span_length: float) -> tuple[int, int, int]:
    """T5's numbers of noise tokens, noise spans and kept tokens (see module doc). Every
    noise span follows a kept segment of its own, so there must be at least as many kept
    tokens as spans; T5's own code fails otherwise (its segment lengths no longer pair up),
    and so does Hugging Face's copy before it changed the formula."""
    num_noise = min(max(round(length * noise_density), 1), length - 1)
    num_spans = max(round(num_noise / mean_span_length), 1)
    num_kept = length - num_noise
    if num_spans > num_kept:
        raise ValueError(
            f"noise_density={noise_density} is too high for length {length} and mean_span_length="
            f"{mean_span_length}: {num_noise} noise tokens make {num_spans} spans, and each needs at least "
            f"one kept token before it (kept and noise segments alternate), but only {num_kept} are kept. "
            f"Lower noise_density (roughly "
            f"<= mean_span_length / (mean_span_length + 1)) or raise mean_span_length")
    return num_noise, num_spans, num_kept


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

    Kept and noise segments alternate, so there must be at least ``num_spans`` kept tokens:
    with ``mean_span_length = 3`` that holds up to about ``noise_density = 0.75`` (and at
    1.0 only for a handful of tokens). Beyond it T5's code fails; here a ``ValueError``
    naming ``noise_density`` says so before anything is drawn. (Hugging Face's
    ``run_t5_mlm_flax.py`` now avoids the failure by counting spans from
    ``min(num_noise, num_kept)``, which also changes T5's counts for every density above
    1/2; the counts here stay T5's.) ``length`` is at most
    ``minilm.constants.MAX_SEQUENCE_LENGTH``.
    """
    check_positive_int(length, "length")
    check_size(length, MAX_SEQUENCE_LENGTH, "length", "a noise mask")
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
    num_noise, num_spans, num_kept = _span_counts(padded, noise_density, mean_span_length)
    noise_lengths = _random_segmentation(num_noise, num_spans, generator)
    kept_lengths = _random_segmentation(num_kept, num_spans, generator)
    # kept_0 noise_0 kept_1 noise_1 ...: one False/True value per segment, repeated by its length
    segment_lengths = torch.stack([kept_lengths, noise_lengths], dim=1).flatten()
    is_noise = torch.tensor([False, True]).repeat(num_spans)
    mask = is_noise.repeat_interleave(segment_lengths)[:length]
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
    if len(set(sentinel_ids)) != len(sentinel_ids):  # two spans would read as one in the targets
        raise ValueError(f"sentinel_ids must be distinct ids (<extra_id_0>, <extra_id_1>, ...), "
                         f"got {list(sentinel_ids)}")
    return list(sentinel_ids)


def _runs_to_sentinels(tokens: list[int], runs: list[tuple[int, int]], sentinels: list[int]) -> list[int]:
    """T5's ``noise_span_to_unique_sentinel``: the k-th run becomes ``sentinels[k]``, the
    tokens outside the runs stay. (A loop over the few runs; slicing lists is cheap.)"""
    out, previous_end = [], 0
    for sentinel, (start, end) in zip(sentinels, runs, strict=False):
        out += tokens[previous_end:start] + [sentinel]
        previous_end = end
    return out + tokens[previous_end:]


def span_corruption(ids: torch.Tensor, *, sentinel_ids, noise_density: float = 0.15,
                    mean_span_length: float = 3.0, eos_id: int | None = None, random_roll: bool = False,
                    noise_mask: torch.Tensor | None = None,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """T5's objective: ``(inputs, targets)`` from clean ``ids`` [n] (see module doc).

    ``sentinel_ids[k]`` is ``<extra_id_k>``: the inputs use one per noise span, the targets
    one per run of kept tokens. The noise mask is ``random_spans_noise_mask(n, ...)``
    unless one is given in ``noise_mask`` (bool [n]). With ``eos_id``, both sequences end
    with it (T5 appends EOS to both). Worked examples, ``ids = [a b c d e f]``, sentinels
    ``S0 S1 S2``::

        noise [F T T F F T]  ->  inputs [a S0 d e S1]     targets [S0 b c S1 f]
        noise [F T T F F F]  ->  inputs [a S0 d e f]      targets [S0 b c S1]
        noise [T F F T F F]  ->  inputs [S0 b c S1 e f]   targets [a S0 d S1]
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
    dropped, kept = noise_spans(noise), noise_spans(~noise)
    needed = max(len(dropped), len(kept))
    if len(sentinels) < needed:
        raise ValueError(f"sentinel_ids has {len(sentinels)} ids but this sample has {len(dropped)} noise "
                         f"spans and {len(kept)} kept runs, which need {needed} sentinels "
                         f"(add more <extra_id_k> tokens)")
    tokens = ids.tolist()
    inputs = _runs_to_sentinels(tokens, dropped, sentinels)  # each dropped span -> its sentinel
    targets = _runs_to_sentinels(tokens, kept, sentinels)  # each kept run -> a sentinel: the spans remain
    if eos_id is not None:
        inputs.append(eos_id)
        targets.append(eos_id)
    return long_tensor(inputs, ids.device, ids.dtype), long_tensor(targets, ids.device, ids.dtype)
