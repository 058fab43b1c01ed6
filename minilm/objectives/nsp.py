"""Next sentence prediction and BERT's two-segment input (Devlin et al., 2019, Sec. 3.1).

BERT reads one or two pieces of text packed into one sequence::

    [CLS] A [SEP] B [SEP]
    token_type_ids:  0 for [CLS] A [SEP],  1 for B [SEP]

Task #2 of the paper, next sentence prediction (NSP): "when choosing the sentences A and B
for each pretraining example, 50 % of the time B is the actual next sentence that follows
A (labeled as IsNext), and 50 % of the time it is a random sentence from the corpus
(labeled as NotNext)". A binary classifier on C, the final hidden state of [CLS], learns
to tell the two apart (``minilm.models.bert``).

Labels follow Hugging Face's ``next_sentence_label``: **0 = IsNext** (B follows A),
**1 = NotNext** (B is random). Here the random B always comes from *another* document,
as in the paper's released code, so it never is the true continuation by accident of
position.

Worked example with two documents ``[["Anna runs.", "She is happy."], ["Ben swims."]]``::

    NSPPair(a="Anna runs.", b="She is happy.", label=0)    # IsNext
    NSPPair(a="Anna runs.", b="Ben swims.",    label=1)    # NotNext

``bert_pretraining_batch`` packs pairs, pads them and applies BERT's 80/10/10 masking
(``minilm.objectives.mlm.mask_tokens``): one batch trains both of BERT's objectives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from minilm.checks import check_generator, check_positive_int, check_probability, check_tensor
from minilm.objectives.mlm import mask_tokens

IS_NEXT = 0   # B is the sentence that follows A in the same document
NOT_NEXT = 1  # B is a random sentence from another document


class NSPPair(NamedTuple):
    """One NSP example. ``a`` and ``b`` are whatever the documents hold: text or id lists."""

    a: str | list[int]
    b: str | list[int]
    label: int  # IS_NEXT (0) or NOT_NEXT (1)


def _check_documents(documents) -> list[list]:
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise TypeError("documents must be a list of documents, each a list of sentences "
                        f"(str or token-id lists), got {type(documents).__name__}")
    for i, doc in enumerate(documents):
        if isinstance(doc, (str, bytes)) or not isinstance(doc, Sequence):
            raise TypeError(f"documents[{i}] must be a list of sentences, got {type(doc).__name__}; "
                            "split a text with minilm.data.split_sentences")
    return [list(doc) for doc in documents]


def make_nsp_pairs(documents: Sequence[Sequence], n: int, *,
                   generator: torch.Generator | None = None) -> list[NSPPair]:
    """``n`` NSP pairs: A is a sentence with a successor, B its successor or a random sentence.

    Each pair draws A uniformly among all sentences that have a next sentence in their
    document, then flips a fair coin (a Bernoulli draw per pair, as in BERT's code, so the
    number of IsNext pairs varies around n / 2): heads, B = the next sentence, label 0;
    tails, B = a uniformly drawn sentence of a uniformly drawn *other* document, label 1.
    """
    documents = _check_documents(documents)
    check_positive_int(n, "n")
    check_generator(generator)
    firsts = [(d, i) for d, doc in enumerate(documents) for i in range(len(doc) - 1)]
    if not firsts:
        raise ValueError("documents need at least one document with two or more sentences")
    non_empty = [d for d, doc in enumerate(documents) if doc]
    if len(non_empty) < 2:
        raise ValueError("documents need at least two non-empty documents: a NotNext B comes "
                         "from a different document than A")
    rank = {d: r for r, d in enumerate(non_empty)}  # document -> its index in non_empty
    # All draws up front, the same number whatever the outcome: one seed, one set of pairs.
    pick = torch.randint(len(firsts), (n,), generator=generator).tolist()
    is_next = (torch.rand(n, generator=generator) < 0.5).tolist()
    other = torch.randint(len(non_empty) - 1, (n,), generator=generator).tolist()
    where = torch.rand(n, generator=generator).tolist()  # position inside the other document
    pairs = []
    for k in range(n):
        d, i = firsts[pick[k]]
        a = documents[d][i]
        if is_next[k]:
            pairs.append(NSPPair(a, documents[d][i + 1], IS_NEXT))
            continue
        # Uniform over the other non-empty documents: draw among n - 1, skip past A's own.
        j = other[k] + (other[k] >= rank[d])
        doc = documents[non_empty[j]]
        pairs.append(NSPPair(a, doc[min(int(where[k] * len(doc)), len(doc) - 1)], NOT_NEXT))
    return pairs


def _ids(tokenizer, text, name: str) -> list[int]:
    if isinstance(text, str):
        return tokenizer.encode(text)
    if isinstance(text, torch.Tensor):
        check_tensor(text, name, ndim=1, integer=True, non_empty=False)
        return text.tolist()
    if isinstance(text, Sequence) and all(isinstance(t, int) and not isinstance(t, bool) for t in text):
        return list(text)
    raise TypeError(f"{name} must be a str or a list of token ids, got {type(text).__name__}")


def bert_pair_input(tokenizer, a, b=None, *, max_len: int | None = None) -> dict[str, list[int]]:
    """``[CLS] A [SEP] B [SEP]`` (or ``[CLS] A [SEP]`` without ``b``) with its segments.

    ``a`` and ``b`` are text or token-id lists. Returns lists of ints: ``input_ids``,
    ``token_type_ids`` (0 for [CLS] A [SEP], 1 for B [SEP]) and ``attention_mask`` (all 1).
    If the pair is longer than ``max_len``, the longer of A and B loses its last token
    until it fits (BERT's ``truncate_seq_pair``).

    >>> bert_pair_input(tok, "Anna runs.", "She is happy.")["token_type_ids"]
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    a_ids = _ids(tokenizer, a, "a")
    b_ids = None if b is None else _ids(tokenizer, b, "b")
    n_special = 2 if b_ids is None else 3
    if max_len is not None:
        if check_positive_int(max_len, "max_len") < n_special:
            raise ValueError(f"max_len={max_len} leaves no room for the {n_special} special tokens")
        budget = max_len - n_special
        while len(a_ids) + len(b_ids or []) > budget:
            if b_ids is not None and len(b_ids) > len(a_ids):
                b_ids.pop()
            else:
                a_ids.pop()
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    input_ids = [cls, *a_ids, sep]
    token_type_ids = [0] * len(input_ids)
    if b_ids is not None:
        input_ids += [*b_ids, sep]
        token_type_ids += [1] * (len(b_ids) + 1)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids,
            "attention_mask": [1] * len(input_ids)}


def segment_ids(input_ids: torch.Tensor, sep_id: int) -> torch.Tensor:
    """token_type_ids of packed ``[CLS] A [SEP] B [SEP] [PAD]...`` rows, from the [SEP]s alone.

    A position is in segment 1 when exactly one [SEP] comes before it and one comes at or
    after it: B and its closing [SEP]. Everything else - [CLS] A [SEP], and the padding
    after the last [SEP] - is 0. ``input_ids`` [T] or [B, T] -> the same shape.

        [CLS] anna runs [SEP] she naps [SEP] [PAD]  ->  0 0 0 0 1 1 1 0
        [CLS] anna runs [SEP] [PAD]                 ->  0 0 0 0 0
    """
    check_tensor(input_ids, "input_ids", ndim=(1, 2), integer=True)
    check_positive_int(sep_id, "sep_id", allow_zero=True)
    sep = (input_ids == sep_id).long()
    seps_before = sep.cumsum(dim=-1) - sep              # [SEP]s strictly before each position
    seps_from_here = sep.sum(dim=-1, keepdim=True) - seps_before  # at or after it
    return ((seps_before == 1) & (seps_from_here >= 1)).long()


def collate_pairs(encoded: Sequence[dict[str, list[int]]], *, pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad ``bert_pair_input`` outputs into [B, T] LongTensors (padding: [PAD], segment 0,
    attention_mask 0)."""
    if isinstance(encoded, dict) or not isinstance(encoded, Sequence) or not encoded:
        raise ValueError("encoded must be a non-empty list of bert_pair_input dicts")
    check_positive_int(pad_id, "pad_id", allow_zero=True)
    T = max(len(e["input_ids"]) for e in encoded)
    batch = {"input_ids": torch.full((len(encoded), T), pad_id, dtype=torch.long),
             "token_type_ids": torch.zeros(len(encoded), T, dtype=torch.long),
             "attention_mask": torch.zeros(len(encoded), T, dtype=torch.long)}
    for row, e in enumerate(encoded):
        for key, values in batch.items():
            values[row, : len(e[key])] = torch.tensor(e[key], dtype=torch.long)
    return batch


def bert_pretraining_batch(tokenizer, pairs: Sequence[NSPPair], *, max_len: int | None = None,
                           mlm_probability: float = 0.15,
                           generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """One batch for both of BERT's objectives, ready for ``Bert(**batch)``.

    Packs each pair as ``[CLS] A [SEP] B [SEP]``, pads, then masks 15 % of the real,
    non-special tokens with 80/10/10 (never [CLS], [SEP] or [PAD]). Returns ``input_ids``
    (masked), ``token_type_ids``, ``attention_mask``, ``labels`` (MLM: the original ids at
    the chosen positions, -100 elsewhere) and ``next_sentence_label`` [B].
    """
    if isinstance(pairs, NSPPair) or not isinstance(pairs, Sequence) or not pairs:
        raise ValueError("pairs must be a non-empty list of NSPPair (see make_nsp_pairs)")
    check_probability(mlm_probability, "mlm_probability")
    batch = collate_pairs([bert_pair_input(tokenizer, p.a, p.b, max_len=max_len) for p in pairs],
                          pad_id=tokenizer.pad_token_id)
    batch["input_ids"], batch["labels"] = mask_tokens(
        batch["input_ids"], mask_id=tokenizer.mask_token_id, vocab_size=tokenizer.vocab_size,
        mlm_probability=mlm_probability, special_ids=tokenizer.special_token_ids,
        attention_mask=batch["attention_mask"], generator=generator)
    batch["next_sentence_label"] = torch.tensor([p.label for p in pairs], dtype=torch.long)
    return batch
