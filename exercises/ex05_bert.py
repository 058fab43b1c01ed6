"""Exercise 05 · BERT: segments, 80/10/10 masking, next-sentence pairs, answer spans.

Notebook 05_bert_mlm_nsp builds BERT with ``minilm``; here you write its four data-side
pieces yourself (Devlin et al., 2019):

* ``segment_ids``  - the token_type_ids of ``[CLS] A [SEP] B [SEP]`` (BERT-1);
* ``bert_mask``    - masked LM's 15 % choice and 80/10/10 replacement (BERT-2);
* ``nsp_pairs``    - next sentence prediction's 50 % IsNext / 50 % NotNext (BERT-3);
* ``best_span``    - the answer span of span extraction, end >= start (BERT-4).

Conventions (the same as ``minilm``): labels of -100 mean "no prediction here"; NSP
label 0 = IsNext (B follows A), 1 = NotNext (B is random); randomness comes only from
the ``generator`` argument, so the same seed gives the same result.

Fill in the functions below (replace each ``raise NotImplementedError``), then run the
"check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex05
"""

from __future__ import annotations

import torch


def segment_ids(input_ids: torch.Tensor, sep_id: int) -> torch.Tensor:
    """token_type_ids of packed rows ``[CLS] A [SEP] B [SEP] [PAD] ...``, from the [SEP]s.

    Args:
        input_ids: token ids [T] or [B, T]. Each row is ``[CLS] A [SEP]`` (one segment) or
            ``[CLS] A [SEP] B [SEP]`` (two), possibly followed by padding.
        sep_id: the id of [SEP].

    Returns:
        A LongTensor shaped like ``input_ids``: 1 for the tokens of B *and* its closing
        [SEP], 0 everywhere else ([CLS], A, the first [SEP], padding). Example with
        [CLS]=2, [SEP]=3, [PAD]=0::

            [2, 10, 11, 3, 12, 3, 0, 0]  ->  [0, 0, 0, 0, 1, 1, 0, 0]
            [2, 10, 3, 0]                ->  [0, 0, 0, 0]

    Hint: ``(input_ids == sep_id).cumsum(-1)`` counts the [SEP]s up to each position;
    a position is in B when exactly one [SEP] lies before it and another at or after it.
    """
    raise NotImplementedError("count the [SEP]s before and after each position")


def bert_mask(input_ids: torch.Tensor, special_ids: list[int], mask_id: int, vocab_size: int,
              generator: torch.Generator | None = None,
              mlm_probability: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masked-LM corruption: choose 15 %, then 80 % [MASK], 10 % random, 10 % kept.

    Args:
        input_ids: token ids [B, T] (do not change this tensor in place).
        special_ids: ids never chosen ([PAD], [CLS], [SEP], ...).
        mask_id: the id of [MASK].
        vocab_size: ids lie in [0, vocab_size).
        generator: the only source of randomness.
        mlm_probability: the chance that a non-special position is chosen.

    Returns:
        ``(inputs, labels)``, both [B, T] like ``input_ids``:
        * every non-special position is chosen independently with ``mlm_probability``;
        * ``labels`` = the original id at chosen positions, -100 everywhere else;
        * ``inputs`` = ``input_ids`` except at chosen positions, where (independently per
          position) with probability 0.8 the token becomes ``mask_id``, with 0.1 a random
          token drawn uniformly from the NON-special ids, and with 0.1 it stays as it is.

    Hint: ``torch.rand(shape, generator=generator) < p`` draws a Bernoulli mask; one more
    uniform draw per position splits the chosen ones into 80/10/10; ``torch.isin`` finds
    the special tokens; ``torch.where`` picks between tensors.
    """
    raise NotImplementedError("choose 15 % of the non-special positions, then 80/10/10")


def nsp_pairs(documents: list[list[str]], n: int,
              generator: torch.Generator | None = None) -> list[tuple[str, str, int]]:
    """``n`` next-sentence-prediction examples ``(a, b, label)``.

    Args:
        documents: a list of documents, each a list of sentences (at least two documents,
            at least one with two or more sentences).
        n: how many pairs to make.
        generator: the only source of randomness.

    Returns:
        A list of ``n`` tuples. For each: A is a sentence that has a next sentence in its
        document (drawn uniformly among all such sentences). Then, with probability 0.5,
        B is that next sentence and label = 0 (IsNext); otherwise B is a sentence drawn
        from a DIFFERENT document and label = 1 (NotNext).

    Hint: list every ``(document, index)`` with ``index < len(document) - 1`` first, then
    draw indices into that list with ``torch.randint(..., generator=generator)``.
    """
    raise NotImplementedError("draw A, flip a fair coin, then pick B")


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor) -> tuple[int, int]:
    """The answer span (i, j), j >= i, with the highest ``start_logits[i] + end_logits[j]``.

    Args:
        start_logits: S . T_i for every position i, shape [T].
        end_logits: E . T_j for every position j, shape [T].

    Returns:
        ``(i, j)`` as two Python ints, both inclusive, with j >= i. Example:
        start = [0, 3, 1], end = [2, 0, 1] gives (1, 2): 3 + 1 = 4 beats every other span
        with end >= start (the span (1, 0) would score 5, but it ends before it starts).

    Hint: ``start[:, None] + end[None, :]`` scores every (i, j); ``torch.triu`` keeps j >= i.
    """
    raise NotImplementedError("score every (start, end) pair with end >= start, take the best")
