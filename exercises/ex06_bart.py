"""Exercise 06 · BART: noising functions and the decoder's input.

Notebook 06_bart_noising corrupts one document five ways and trains BART to rebuild it.
Here you write the heart of text infilling twice over: ``infilling_spans`` DRAWS the spans
(Poisson(3) lengths under a 30 % budget, placed uniformly; graded by their statistics) and
``text_infilling`` APPLIES given spans (graded exactly). Sentence permutation and document
rotation take their random choice (the order, the start) as an argument, so they are exact
to grade too; ``shift_right`` builds the decoder's input from the labels.

Conventions: ``ids`` is a 1-D LongTensor of token ids; spans are half-open
``(start, end)`` pairs of indices into ``ids``; return NEW tensors, never modify ``ids``.

Fill in the functions below (replace each ``raise NotImplementedError``), then run the
"check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex06
"""

from __future__ import annotations

import math  # noqa: F401  (math.ceil is handy in infilling_spans)

import torch


def infilling_spans(n: int, mask_ratio: float = 0.3, poisson_lambda: float = 3.0,
                    generator: torch.Generator | None = None) -> list[tuple[int, int]]:
    """Draw BART's text-infilling spans for a text of ``n`` tokens (Lewis et al., 2020, Sec. 2.2).

    1. The budget: ``budget = math.ceil(mask_ratio * n - 1e-9)`` tokens are masked (the
       ``- 1e-9`` keeps 0.07 * 100 = 7.000000000000001 at 7).
    2. The lengths: draw span lengths from Poisson(``poisson_lambda``) one after another
       (a length of 0 is kept: it inserts a [MASK]) until they add up to the budget; cut
       the last one so that the total is exactly ``budget``.
    3. The places: the corrupted text is a row of ``n - budget + k`` items, the kept tokens
       and the k spans (each span is one [MASK] item, whatever its length). Choose which k
       of these items are spans uniformly at random, and give the spans their lengths in a
       random order.

    Args:
        n: the number of tokens, >= 1. mask_ratio: the share of tokens to mask, in [0, 1].
        poisson_lambda: the mean span length lambda (BART uses 3).
        generator: all randomness comes from it (the same seed gives the same spans).

    Returns:
        The spans as half-open ``(start, end)`` index pairs into the text, sorted by start,
        non-overlapping, ``start == end`` for a length-0 span; their lengths add up to the
        budget. ``mask_ratio = 0`` gives ``[]``. Example: n = 10, mask_ratio = 0.3 could
        give ``[(1, 3), (6, 6), (7, 8)]`` (lengths 2, 0, 1: a budget of 3).

    Hint: ``torch.poisson(torch.tensor([lam]), generator=generator)`` draws one length;
    ``torch.randperm(m, generator=generator)[:k]`` picks k of m item slots in a random order,
    so pairing it with the lengths and sorting by slot also shuffles the lengths. Then walk
    the slots left to right with a cursor into the text.
    """
    raise NotImplementedError("draw Poisson lengths up to the budget, then place the spans uniformly")


def text_infilling(ids: torch.Tensor, mask_id: int, spans: list[tuple[int, int]]) -> torch.Tensor:
    """BART's text infilling with the spans given: each span becomes ONE ``mask_id``.

    Args:
        ids: token ids [n].
        mask_id: the id of [MASK].
        spans: sorted, non-overlapping half-open ``(start, end)`` pairs, ``0 <= start <= end
            <= n``. A span of length 0 (``start == end``) removes nothing and INSERTS a
            [MASK] before ``ids[start]`` (at the end when ``start == n``).

    Returns:
        the corrupted ids, of length ``n - (total span length) + len(spans)``. Example
        (M = mask_id)::

            ids   = [10, 11, 12, 13, 14, 15],  spans = [(1, 3), (4, 4)]
            out   = [10,  M, 13,  M, 14, 15]

    Hint: walk the spans left to right with a cursor: copy ``ids[cursor:start]``, add one
    [MASK], move the cursor to ``end``; after the last span copy the rest. Build a list of
    pieces and ``torch.cat`` them.
    """
    raise NotImplementedError("replace each span by one mask_id; a (k, k) span inserts one")


def sentence_permutation(ids: torch.Tensor, full_stop_id: int, order: list[int]) -> torch.Tensor:
    """BART's sentence permutation with the order given.

    Split ``ids`` into sentences: a sentence ends just after a ``full_stop_id``; tokens
    after the last full stop (if any) form one more sentence. Then output the sentences
    in the order ``order`` (a permutation of ``range(number of sentences)``): first
    sentence ``order[0]``, then ``order[1]``, ...

    Returns:
        ids [n] with its sentences reordered. Example (``.`` = full_stop_id)::

            ids   = [A, B, ., C, ., D, E, .]     sentences 0: A B .   1: C .   2: D E .
            order = [2, 0, 1]
            out   = [D, E, ., A, B, ., C, .]

    Hint: find the full stops with ``(ids == full_stop_id).nonzero()``; the sentence ends
    are those positions + 1 (and ``n`` if the last token is not a full stop).
    """
    raise NotImplementedError("split after each full stop, then concatenate the sentences in the given order")


def document_rotation(ids: torch.Tensor, start: int) -> torch.Tensor:
    """BART's document rotation with the start given: the document now begins with
    ``ids[start]`` and wraps around.

    Returns:
        ids [n] rotated. Example::

            ids = [A, B, C, D, E],  start = 2   ->   [C, D, E, A, B]

    ``start = 0`` returns a copy of ``ids``.

    Hint: two slices and ``torch.cat`` (or ``torch.roll`` with the right shift).
    """
    raise NotImplementedError("the tail from start, then the head")


def shift_right(labels: torch.Tensor, start_id: int, pad_id: int) -> torch.Tensor:
    """The decoder's input from the labels: ``[start, y_1, ..., y_{T-1}]``.

    BART's decoder predicts ``y_t`` from ``y_<t``, so it reads the labels shifted right by
    one with ``start_id`` in front; the last label is dropped (nothing is predicted after
    it). Labels of -100 (padding, ignored by the loss) become ``pad_id`` in the input.

    Args:
        labels: [T] or [B, T] target ids, -100 on padding.

    Returns:
        decoder_input_ids, shaped like ``labels``. Example (start 5, pad 0)::

            labels            = [21, 22,  7, -100]
            decoder_input_ids = [ 5, 21, 22,    7]

    Hint: ``torch.full_like(labels, start_id)``, copy ``labels[..., :-1]`` into
    ``out[..., 1:]``, then ``masked_fill`` the -100s.
    """
    raise NotImplementedError("prepend start_id, drop the last label, -100 -> pad_id")
