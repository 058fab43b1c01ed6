"""BART's five ways to corrupt a document (Lewis et al., 2020, Sec. 2.2, Fig. 2).

BART is trained to reconstruct the original document ``x`` from a corrupted copy: the
encoder reads ``noise(x)``, the decoder maximises ``log p(x | noise(x))``. The paper
compares five noising functions; each is one function here, taking a 1-D LongTensor of
token ids and returning a new one (the input is never modified)::

    ids                  = [ A  B  C  .  D  E  . ]
    token_masking        = [ A  M  C  .  D  M  . ]   random tokens -> [MASK]
    token_deletion       = [ A  C  .  D  . ]         random tokens removed: *where* is lost too
    text_infilling       = [ A  M  .  D  E  M  . ]   spans (B C), () -> ONE [MASK] each
    sentence_permutation = [ D  E  .  A  B  C  . ]   sentences shuffled
    document_rotation    = [ D  E  .  A  B  C  . ]   rotated to start at a random token

Text infilling, the one BART keeps (with sentence permutation), draws span lengths from
a Poisson distribution with lambda = 3 and replaces every span by a *single* [MASK]
(fairseq's ``replace_length=1``), so the model must also work out how many tokens are
missing; a span of length 0 inserts a [MASK] where nothing is missing.

Span lengths are drawn until they cover the budget, so the number of spans grows as
1 / lambda: fairseq (``add_whole_word_mask``, which draws from a Poisson table cut where
p_k < 1e-7 and keeps drawing until the budget is covered) puts no bound on it. Here
``poisson_lambda`` must be at least 1/2 (``minilm.constants.MIN_POISSON_LAMBDA``): then
there are on average at most about 2 spans per masked token, so the corrupted text has
at most about ``n + ceil(mask_ratio * n)`` tokens. Below it most spans are empty and the
text fills with inserted [MASK]s (lambda = 0.01: 100 tokens became ~2,400; 1e-12 never
finished).

Special tokens. ``special_ids`` (e.g. ``<s>``, ``<e>``, ``[CLS]``, ``[SEP]``) are
treated like fairseq treats BOS/EOS:

- token_masking / token_deletion never pick a special token, wherever it is;
- text_infilling, sentence_permutation and document_rotation keep the *leading* and
  *trailing* run of special tokens in place and noise only the text between them.

Counts follow fairseq: ``ceil(ratio * n)`` of the ``n`` eligible tokens are chosen, so a
ratio > 0 always corrupts at least one token. Every function draws its randomness from
``generator``; the ``*_spans`` / ``*_order`` / ``*_start`` variants return what was done
as well, so a notebook can draw it.
"""

from __future__ import annotations

import math

import torch

from minilm.checks import (
    check_generator,
    check_positive_int,
    check_probability,
    check_tensor,
)
from minilm.objectives._util import (
    check_poisson_lambda,
    generator_device,
    long_tensor,
    special_edges,
    special_set,
)

__all__ = [
    "select_tokens",
    "token_masking",
    "token_deletion",
    "text_infilling",
    "text_infilling_spans",
    "sentence_spans",
    "sentence_permutation",
    "sentence_permutation_order",
    "document_rotation",
    "document_rotation_start",
]

_EPS = 1e-9  # 0.07 * 100 is 7.000000000000001 in floating point; ceil must still give 7


# ----------------------------------------------------------------------------- helpers
def _check_ids(ids) -> torch.Tensor:
    return check_tensor(ids, "ids", ndim=1, integer=True)


def _check_id(value, name: str) -> int:
    return check_positive_int(value, name, allow_zero=True)


def _is_special(ids: torch.Tensor, special: frozenset[int]) -> torch.Tensor:
    if not special:
        return torch.zeros_like(ids, dtype=torch.bool)
    return torch.isin(ids, long_tensor(sorted(special), ids.device, ids.dtype))


def _count(n: int, ratio: float) -> int:
    """How many of ``n`` tokens a ratio selects: ``ceil(ratio * n)``, as in fairseq."""
    return min(n, math.ceil(ratio * n - _EPS))


# ----------------------------------------------------------------------- token masking
def select_tokens(ids: torch.Tensor, *, ratio: float = 0.15, special_ids=(),
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool mask ``[T]`` of ``ceil(ratio * n)`` positions drawn uniformly without
    replacement from the ``n`` non-special positions of ``ids``.

    ``token_masking`` and ``token_deletion`` are this selection followed by
    ``masked_fill`` and by dropping the selected tokens; with the same generator state all
    three make the same choice.
    """
    _check_ids(ids)
    ratio = check_probability(ratio, "ratio")
    check_generator(generator)
    eligible = ~_is_special(ids, special_set(special_ids))
    k = _count(int(eligible.sum()), ratio)
    chosen = torch.zeros_like(ids, dtype=torch.bool)
    if k == 0:
        return chosen
    # A uniform random score per token; special tokens get 2 so they are never among the k lowest.
    scores = torch.rand(len(ids), generator=generator, device=generator_device(generator)).to(ids.device)
    scores = scores.masked_fill(~eligible, 2.0)
    chosen[scores.topk(k, largest=False).indices] = True
    return chosen


def token_masking(ids: torch.Tensor, *, mask_id: int, ratio: float = 0.15, special_ids=(),
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Token masking (BART Sec. 2.2, following BERT): ``ceil(ratio * n)`` random tokens
    become ``mask_id``. Same length as ``ids``."""
    _check_id(mask_id, "mask_id")
    chosen = select_tokens(ids, ratio=ratio, special_ids=special_ids, generator=generator)
    return ids.masked_fill(chosen, mask_id)


def token_deletion(ids: torch.Tensor, *, ratio: float = 0.15, special_ids=(),
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Token deletion (BART Sec. 2.2): ``ceil(ratio * n)`` random tokens are removed, so
    the model must decide *which positions* are missing. The output is a subsequence of
    ``ids``, shorter by the number deleted."""
    chosen = select_tokens(ids, ratio=ratio, special_ids=special_ids, generator=generator)
    return ids[~chosen]


# ---------------------------------------------------------------------- text infilling
def _poisson_lengths(budget: int, lam: float, generator) -> list[int]:
    """Span lengths ~ Poisson(lam), drawn until they add up to ``budget``; the last one is
    cut so the total is exactly ``budget`` (fairseq does the same). Zeros are kept."""
    rate = torch.full((budget,), lam, device=generator_device(generator))
    lengths, total = [], 0
    while total < budget:  # one round almost always suffices: E[sum] = lam * budget
        for length in torch.poisson(rate, generator=generator).long().tolist():
            lengths.append(min(length, budget - total))
            total += lengths[-1]
            if total == budget:
                break
    return lengths


def _text_infilling(ids, mask_id, mask_ratio, poisson_lambda, special_ids, generator):
    _check_ids(ids)
    _check_id(mask_id, "mask_id")
    mask_ratio = check_probability(mask_ratio, "mask_ratio")
    poisson_lambda = check_poisson_lambda(poisson_lambda)
    check_generator(generator)
    head, tail = special_edges(ids, special_ids)
    body = ids[head:len(ids) - tail]
    n = len(body)
    budget = _count(n, mask_ratio)
    if budget == 0:
        return ids.clone(), []
    lengths = _poisson_lengths(budget, poisson_lambda, generator)
    k = len(lengths)
    # Lay the corrupted body out as a row of m "items": the n - budget kept tokens and the k
    # spans (a span of any length, 0 included, is one [MASK] item). Picking which k of the m
    # slots hold spans uniformly places the spans uniformly, without overlap; a random
    # permutation's first k entries also come in random order, which shuffles the lengths.
    m = n - budget + k
    slots = torch.randperm(m, generator=generator, device=generator_device(generator))[:k].tolist()
    # Walk the items left to right (a loop over the few spans, not the tokens): `source`
    # says which body token each output position copies, -1 meaning [MASK].
    source, spans, cursor, previous = [], [], 0, -1
    for slot, length in sorted(zip(slots, lengths, strict=True)):
        kept = slot - previous - 1  # kept tokens between the previous span and this one
        source.extend(range(cursor, cursor + kept))
        cursor += kept
        spans.append((head + cursor, head + cursor + length))
        source.append(-1)
        cursor += length
        previous = slot
    source.extend(range(cursor, n))
    source = long_tensor(source, ids.device)
    noised = body[source.clamp(min=0)].masked_fill(source < 0, mask_id)
    return torch.cat([ids[:head], noised, ids[len(ids) - tail:]]), spans


def text_infilling(ids: torch.Tensor, *, mask_id: int, mask_ratio: float = 0.3,
                   poisson_lambda: float = 3.0, special_ids=(),
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Text infilling (BART Sec. 2.2): spans with lengths ~ Poisson(lambda) cover
    ``ceil(mask_ratio * n)`` tokens; each span becomes ONE ``mask_id``.

    A span of length 0 inserts a [MASK] without removing anything. Spans never overlap and
    are placed uniformly at random. ``mask_ratio=0`` returns ``ids`` unchanged. Worked
    example (one span of length 2 at B C, one of length 0 before E)::

        ids = [ <s> A B C D E <e> ]  ->  [ <s> A [MASK] D [MASK] E <e> ]

    See ``text_infilling_spans`` for the spans that were drawn.
    """
    return _text_infilling(ids, mask_id, mask_ratio, poisson_lambda, special_ids, generator)[0]


def text_infilling_spans(ids: torch.Tensor, *, mask_id: int, mask_ratio: float = 0.3,
                         poisson_lambda: float = 3.0, special_ids=(),
                         generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """``text_infilling`` that also returns its spans: half-open ``(start, end)`` indices
    into ``ids``, sorted, ``start == end`` for an inserted [MASK]. With the same generator
    state it returns exactly what ``text_infilling`` returns."""
    return _text_infilling(ids, mask_id, mask_ratio, poisson_lambda, special_ids, generator)


# ---------------------------------------------------------------- sentence permutation
def sentence_spans(ids: torch.Tensor, *, full_stop_id: int, special_ids=()) -> list[tuple[int, int]]:
    """The sentences of ``ids`` as half-open ``(start, end)`` pairs covering everything
    between the leading and trailing special tokens. A sentence ends just after a run of
    full stops ("..." stays with its sentence); text after the last full stop is a
    sentence too::

        ids = [ <s> A B . C . . D <e> ],  full stop "."  ->  [(1, 4), (4, 7), (7, 8)]
    """
    _check_ids(ids)
    _check_id(full_stop_id, "full_stop_id")
    head, tail = special_edges(ids, special_ids)
    end = len(ids) - tail
    if end == head:
        return []
    stops = ((ids[head:end] == full_stop_id).nonzero().flatten() + head).tolist()
    # Only the last full stop of a run closes a sentence; text after the last one is a sentence.
    ends = [i + 1 for i, j in zip(stops, stops[1:] + [None], strict=True) if j != i + 1]
    if not ends or ends[-1] != end:
        ends.append(end)
    return list(zip([head] + ends[:-1], ends, strict=True))


def _sentence_permutation(ids, full_stop_id, special_ids, generator):
    check_generator(generator)
    spans = sentence_spans(ids, full_stop_id=full_stop_id, special_ids=special_ids)
    if not spans:
        return ids.clone(), []
    order = torch.randperm(len(spans), generator=generator, device=generator_device(generator)).tolist()
    tokens = ids.tolist()  # a list: the loop runs over the few sentences, slicing is cheap
    out = tokens[:spans[0][0]]
    for i in order:
        out += tokens[spans[i][0]:spans[i][1]]
    out += tokens[spans[-1][1]:]
    return long_tensor(out, ids.device, ids.dtype), order


def sentence_permutation(ids: torch.Tensor, *, full_stop_id: int, special_ids=(),
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """Sentence permutation (BART Sec. 2.2): split the document into sentences after full
    stops (``sentence_spans``) and shuffle them in a uniformly random order::

        [ A B . C . D E . ]  ->  [ C . D E . A B . ]
    """
    return _sentence_permutation(ids, full_stop_id, special_ids, generator)[0]


def sentence_permutation_order(ids: torch.Tensor, *, full_stop_id: int, special_ids=(),
                               generator: torch.Generator | None = None
                               ) -> tuple[torch.Tensor, list[int]]:
    """``sentence_permutation`` plus the order: the output is the sentences of
    ``sentence_spans(ids, ...)`` in the order ``order[0], order[1], ...``."""
    return _sentence_permutation(ids, full_stop_id, special_ids, generator)


# ------------------------------------------------------------------- document rotation
def _document_rotation(ids, special_ids, generator):
    _check_ids(ids)
    check_generator(generator)
    head, tail = special_edges(ids, special_ids)
    n = len(ids) - head - tail
    if n == 0:
        return ids.clone(), head
    k = int(torch.randint(n, (), generator=generator, device=generator_device(generator)))
    body = ids[head:len(ids) - tail]
    out = torch.cat([ids[:head], body[k:], body[:k], ids[len(ids) - tail:]])
    return out, head + k


def document_rotation(ids: torch.Tensor, *, generator: torch.Generator | None = None,
                      special_ids=()) -> torch.Tensor:
    """Document rotation (BART Sec. 2.2): pick a token uniformly at random and rotate the
    document so that it starts with that token; the model must find the true start::

        [ <s> A B C D <e> ]  ->  [ <s> C D A B <e> ]   (start = C)
    """
    return _document_rotation(ids, special_ids, generator)[0]


def document_rotation_start(ids: torch.Tensor, *, generator: torch.Generator | None = None,
                            special_ids=()) -> tuple[torch.Tensor, int]:
    """``document_rotation`` plus the index in ``ids`` of the token it now starts with."""
    return _document_rotation(ids, special_ids, generator)


def bart_noise(ids: torch.Tensor, *, mask_id: int, full_stop_id: int, mask_ratio: float = 0.3,
               poisson_lambda: float = 3.0, permute_sentences: bool = True, special_ids=(),
               generator: torch.Generator | None = None) -> torch.Tensor:
    """The noise of the final BART models (Sec. 5.1): shuffle the sentences, then text
    infilling of 30 % of the tokens with Poisson(3) spans (fairseq's order)."""
    if permute_sentences:
        ids = sentence_permutation(ids, full_stop_id=full_stop_id, special_ids=special_ids,
                                   generator=generator)
    return text_infilling(ids, mask_id=mask_id, mask_ratio=mask_ratio, poisson_lambda=poisson_lambda,
                          special_ids=special_ids, generator=generator)
