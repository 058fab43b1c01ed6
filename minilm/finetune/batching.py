"""Batches of formatted sequences: right padding, ``attention_mask`` and the last real token.

Sequences of one batch differ in length, so the short ones are padded with [PAD] on the
right and ``attention_mask`` says which positions are real (1) and which are padding (0).
GPT's classifier reads the hidden state of the *last real* token (``<e>``), which in a
padded row is not the last column - ``last_token_index`` finds it::

    attention_mask = [[1, 1, 1, 1],        last_token_index -> [3,
                      [1, 1, 0, 0]]                             1]

Multiple choice and similarity give each example several sequences (N options, or the
two orders); they are batched as ``input_ids`` [B, N, T], the layout Hugging Face's
multiple-choice models use.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from minilm.checks import check_binary_mask, check_id_list, check_positive_int, check_tensor, labels_tensor


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last real token of each row: ``attention_mask`` [..., T] -> [...].

    Works for right and left padding alike (it is the position of the last 1). A row of
    only padding has no such token and is an error.
    """
    check_tensor(attention_mask, "attention_mask", ndim=(1, 2, 3))
    real = check_binary_mask(attention_mask, "attention_mask")
    if not real.any(dim=-1).all():
        raise ValueError("attention_mask has a row with no real token (all zeros)")
    T = real.shape[-1]
    positions = torch.arange(T, device=real.device).expand_as(real)
    return positions.masked_fill(~real, -1).amax(dim=-1)


def pad_sequences(sequences: Sequence[Sequence[int]], *, pad_id: int,
                  max_len: int | None = None) -> dict[str, torch.Tensor]:
    """Right-pad token-id lists to the longest one: ``{"input_ids", "attention_mask"}`` [B, T].

    Every id must be an int >= 0 (a float such as 1.7 is a TypeError, not truncated to 1).

    A sequence longer than ``max_len`` (the model's context window) is an error: cutting
    it would drop the ``<e>`` token the classifier reads.
    """
    check_positive_int(pad_id, "pad_id", allow_zero=True)
    if isinstance(sequences, (str, bytes)) or not isinstance(sequences, Sequence) or not sequences:
        raise ValueError("sequences must be a non-empty list of token-id lists")
    sequences = [check_id_list(seq, f"sequences[{i}]") for i, seq in enumerate(sequences)]
    lengths = [len(s) for s in sequences]
    if min(lengths) == 0:
        raise ValueError(f"sequences[{lengths.index(0)}] is empty")
    if max_len is not None:
        check_positive_int(max_len, "max_len")
        longest = max(lengths)
        if longest > max_len:
            i = lengths.index(longest)
            raise ValueError(f"sequences[{i}] has {longest} tokens but the model's context window "
                             f"(max_len) is {max_len}; shorten the text or use a larger max_len")
    T = max(lengths)
    input_ids = torch.full((len(sequences), T), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), T), dtype=torch.long)
    for i, seq in enumerate(sequences):
        input_ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        attention_mask[i, : len(seq)] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def collate(examples: Sequence, labels: Sequence[int] | torch.Tensor | None = None, *,
            pad_id: int, max_len: int | None = None) -> dict[str, torch.Tensor]:
    """Batch formatted examples (+ their labels) for the heads in ``minilm.finetune.gpt``.

    ``examples`` is a list of token-id lists (classification, entailment) -> ``input_ids``
    [B, T]; or a list of *groups* of sequences (similarity's two orders, multiple choice's
    N options) -> ``input_ids`` [B, N, T], every group of the same size N. ``labels``
    becomes a LongTensor [B].
    """
    if isinstance(examples, (str, bytes)) or not isinstance(examples, Sequence) or not examples:
        raise ValueError("examples must be a non-empty list")
    grouped = isinstance(examples[0][0], Sequence)
    if grouped:
        sizes = {len(group) for group in examples}
        if len(sizes) != 1:
            raise ValueError(f"every example must have the same number of sequences, got {sorted(sizes)}")
        n = sizes.pop()
        flat = pad_sequences([seq for group in examples for seq in group], pad_id=pad_id,
                             max_len=max_len)
        batch = {k: v.view(len(examples), n, -1) for k, v in flat.items()}  # [B * N, T] -> [B, N, T]
    else:
        batch = pad_sequences(examples, pad_id=pad_id, max_len=max_len)
    if labels is not None:
        batch["labels"] = labels_tensor(labels, len(examples))
    return batch
