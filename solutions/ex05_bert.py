"""Solution 05 · BERT: segments, 80/10/10 masking, next-sentence pairs, answer spans
(see exercises/ex05_bert.py)."""

from __future__ import annotations

import torch


def segment_ids(input_ids: torch.Tensor, sep_id: int) -> torch.Tensor:
    """token_type_ids of packed rows ``[CLS] A [SEP] B [SEP] [PAD] ...``, from the [SEP]s."""
    sep = (input_ids == sep_id).long()
    before = sep.cumsum(dim=-1) - sep                   # [SEP]s strictly before each position
    from_here = sep.sum(dim=-1, keepdim=True) - before  # [SEP]s at or after it
    return ((before == 1) & (from_here >= 1)).long()


def bert_mask(input_ids: torch.Tensor, special_ids: list[int], mask_id: int, vocab_size: int,
              generator: torch.Generator | None = None,
              mlm_probability: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masked-LM corruption: choose 15 %, then 80 % [MASK], 10 % random, 10 % kept."""
    special = torch.isin(input_ids, torch.tensor(list(special_ids), dtype=input_ids.dtype))
    chosen = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    labels = input_ids.masked_fill(~chosen, -100)
    u = torch.rand(input_ids.shape, generator=generator)  # one draw splits 80 / 10 / 10
    allowed = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    random_ids = allowed[torch.randint(len(allowed), input_ids.shape, generator=generator)]
    inputs = torch.where(chosen & (u < 0.8), torch.full_like(input_ids, mask_id), input_ids)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids.to(input_ids.dtype), inputs)
    return inputs, labels


def nsp_pairs(documents: list[list[str]], n: int,
              generator: torch.Generator | None = None) -> list[tuple[str, str, int]]:
    """``n`` next-sentence-prediction examples ``(a, b, label)``."""
    firsts = [(d, i) for d, doc in enumerate(documents) for i in range(len(doc) - 1)]
    pairs = []
    for _ in range(n):
        d, i = firsts[int(torch.randint(len(firsts), (1,), generator=generator))]
        if float(torch.rand(1, generator=generator)) < 0.5:
            pairs.append((documents[d][i], documents[d][i + 1], 0))  # IsNext
            continue
        others = [e for e, doc in enumerate(documents) if e != d and doc]
        doc = documents[others[int(torch.randint(len(others), (1,), generator=generator))]]
        pairs.append((documents[d][i], doc[int(torch.randint(len(doc), (1,), generator=generator))], 1))
    return pairs


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor) -> tuple[int, int]:
    """The answer span (i, j), j >= i, with the highest ``start_logits[i] + end_logits[j]``."""
    T = start_logits.shape[0]
    scores = start_logits[:, None] + end_logits[None, :]  # [T, T]: start i (rows), end j (columns)
    valid = torch.ones(T, T, dtype=torch.bool).triu()     # j >= i
    best = int(scores.masked_fill(~valid, float("-inf")).argmax())
    return best // T, best % T
