"""Exercise 05 · BERT: segments, 80/10/10 masking, next-sentence pairs, answer spans.

Notebook 05_bert_mlm_nsp builds BERT with ``minilm``; here you write its four data-side
pieces yourself (Devlin et al., 2019):

* ``segment_ids``  - the token_type_ids of ``[CLS] A [SEP] B [SEP]`` (BERT-1);
* ``mlm_batch``    - masked LM's 15 % choice and 80/10/10 replacement (BERT-2);
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


def mlm_batch(input_ids: torch.Tensor, attention_mask: torch.Tensor, *, mask_id: int, vocab_size: int,
              special_ids: tuple[int, ...], mlm_probability: float = 0.15,
              generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """A masked-LM batch with BERT's 80/10/10 rule.

    Args:
        input_ids: [B, T] token ids; attention_mask: [B, T], 1 = real token, 0 = padding.
        mask_id: the [MASK] id. vocab_size: ids lie in [0, vocab_size).
        special_ids: ids that are never chosen ([PAD], [CLS], [SEP], [MASK], ...).
        mlm_probability: each real, non-special token is chosen with this probability.
        generator: all randomness comes from it.

    Returns:
        ``{"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}`` where
        * labels = the original id at chosen positions, -100 everywhere else;
        * a chosen position's input becomes ``mask_id`` with probability 0.8, a random id
          drawn uniformly from the NON-special ids with probability 0.1, and stays as it is
          with probability 0.1;
        * unchosen positions are unchanged; padding (attention_mask 0) is never chosen.

    Hint: ``torch.rand(shape, generator=generator) < mlm_probability`` chooses; a second
    uniform number u per position decides: u < 0.8 -> [MASK], 0.8 <= u < 0.9 -> random.
    ``torch.isin(input_ids, torch.tensor(special_ids))`` finds the special tokens.
    """
    raise NotImplementedError("choose, then [MASK] / random / keep, and build the labels")


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

    Hint: ``start[:, None] + end[None, :]`` scores every (i, j); a boolean ``triu`` mask marks
    j >= i. Give the other pairs ``float("-inf")`` (``masked_fill``), not 0: ``torch.triu`` on the
    scores themselves sets them to 0, which wins when every real span scores below zero.
    """
    raise NotImplementedError("score every (start, end) pair with end >= start, take the best")
