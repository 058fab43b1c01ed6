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
    special = torch.isin(input_ids, torch.tensor(special_ids, dtype=input_ids.dtype))
    can_choose = attention_mask.bool() & ~special
    chosen = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & can_choose
    labels = input_ids.masked_fill(~chosen, -100)
    u = torch.rand(input_ids.shape, generator=generator)
    allowed = torch.tensor([i for i in range(vocab_size) if i not in special_ids])
    random_ids = allowed[torch.randint(len(allowed), input_ids.shape, generator=generator)]
    inputs = input_ids.masked_fill(chosen & (u < 0.8), mask_id)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids, inputs)
    return {"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}


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
