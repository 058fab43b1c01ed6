"""The sequence-to-sequence objective's batches: a source for the encoder, a target the
decoder rebuilds token by token (BART, T5, translation, notebook 06).

The decoder reads the target shifted right by one, ``decoder_input_ids = [start, y_1, ...,
y_{T-1}]``, while ``labels = [y_1, ..., y_T]`` stay aligned with its outputs, so
``model(**batch).loss`` is ``-sum_t log P(y_t | y_<t, x)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn.utils.rnn import pad_sequence

from minilm.checks import check_positive_int, check_tensor
from minilm.constants import IGNORE_INDEX

__all__ = ["shift_right", "seq2seq_batch", "denoising_batch"]


def shift_right(labels: torch.Tensor, *, start_id: int, pad_id: int) -> torch.Tensor:
    """Decoder inputs from labels: ``[start, y_1, ..., y_{T-1}]``; -100 labels become ``pad_id``.

    labels            = [ anna  lives  <e>   -100 ]
    decoder_input_ids = [ <s>   anna   lives <e>  ]   (the <e> under a -100 label is never scored)
    """
    check_tensor(labels, "labels", ndim=(1, 2), integer=True)
    check_positive_int(start_id, "start_id", allow_zero=True)
    check_positive_int(pad_id, "pad_id", allow_zero=True)
    shifted = torch.full_like(labels, start_id)
    shifted[..., 1:] = labels[..., :-1]
    return shifted.masked_fill(shifted == IGNORE_INDEX, pad_id)


def _id_list(rows, name: str) -> list[torch.Tensor]:
    if isinstance(rows, torch.Tensor) or not isinstance(rows, Sequence) or len(rows) == 0:
        raise TypeError(f"{name} must be a non-empty list of 1-D token id tensors")
    for i, row in enumerate(rows):
        check_tensor(row, f"{name}[{i}]", ndim=1, integer=True, non_empty=False)
    return [row.long() for row in rows]


def seq2seq_batch(sources, targets, *, pad_id: int, start_id: int,
                  eos_id: int | None = None) -> dict[str, torch.Tensor]:
    """Pad pairs (source ids, target ids) into one batch for ``Bart``/``Seq2Seq``.

    With ``eos_id`` both sides get it appended. Returns ``input_ids`` and
    ``attention_mask`` [B, S]; ``labels`` [B, T] (the target, -100 on padding),
    ``decoder_input_ids = shift_right(labels)`` and ``decoder_attention_mask`` [B, T]::

        source [a M d], target [a b c d], eos E, start <s>:
        input_ids         = [a  M  d  E]
        labels            = [a  b  c  d  E]
        decoder_input_ids = [<s> a b  c  d]
    """
    sources, targets = _id_list(sources, "sources"), _id_list(targets, "targets")
    if len(sources) != len(targets):
        raise ValueError(f"sources and targets must have the same length, got {len(sources)} and "
                         f"{len(targets)}")
    check_positive_int(pad_id, "pad_id", allow_zero=True)
    check_positive_int(start_id, "start_id", allow_zero=True)
    if eos_id is not None:
        check_positive_int(eos_id, "eos_id", allow_zero=True)
        end = torch.tensor([eos_id])
        sources = [torch.cat([s, end.to(s.device)]) for s in sources]
        targets = [torch.cat([t, end.to(t.device)]) for t in targets]
    for name, rows in (("sources", sources), ("targets", targets)):
        if any(len(r) == 0 for r in rows):
            raise ValueError(f"{name} has an empty row (and no eos_id to fill it)")
    input_ids = pad_sequence(sources, batch_first=True, padding_value=pad_id)
    attention_mask = pad_sequence([torch.ones_like(s) for s in sources], batch_first=True)
    labels = pad_sequence(targets, batch_first=True, padding_value=IGNORE_INDEX)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
            "decoder_input_ids": shift_right(labels, start_id=start_id, pad_id=pad_id),
            "decoder_attention_mask": (labels != IGNORE_INDEX).long()}


def denoising_batch(documents, noise: Callable[[torch.Tensor], torch.Tensor], *, pad_id: int,
                    start_id: int, eos_id: int | None = None) -> dict[str, torch.Tensor]:
    """BART's pretraining batch: the encoder reads ``noise(doc)``, the labels are ``doc``.

    ``noise`` maps a 1-D id tensor to its corrupted copy, e.g.
    ``partial(text_infilling, mask_id=tok.mask_token_id, generator=gen)``.
    """
    if not callable(noise):
        raise TypeError(f"noise must be a function ids -> noised ids, got {type(noise).__name__}")
    documents = _id_list(documents, "documents")
    return seq2seq_batch([noise(d) for d in documents], documents, pad_id=pad_id, start_id=start_id,
                         eos_id=eos_id)
