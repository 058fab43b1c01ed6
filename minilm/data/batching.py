"""Batches for causal language modelling: random windows cut from one long id stream.

GPT-style pretraining does not care where documents start: all the text is encoded into
one 1-D stream and training samples ``block_size + 1`` consecutive ids at random offsets.
A window ``w`` gives the inputs ``w[:, :-1]`` and the labels ``w[:, 1:]`` - the next token
at every position - which is the whole causal LM objective.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from minilm.checks import check_generator, check_positive_int, check_tensor


def encode_stream(tokenizer, texts: Iterable[str], *,
                  separator_id: int | None = None) -> torch.Tensor:
    """Encode ``texts`` and concatenate them into one 1-D LongTensor.

    ``separator_id`` (e.g. ``tokenizer.eos_token_id``) goes between texts, so the model
    can learn where one story ends and the next begins.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list of str, not a single str; wrap it in a list")
    if separator_id is not None:
        check_positive_int(separator_id, "separator_id", allow_zero=True)
    stream: list[int] = []
    for i, text in enumerate(texts):
        if i and separator_id is not None:
            stream.append(separator_id)
        stream.extend(tokenizer.encode(text))
    return torch.tensor(stream, dtype=torch.long)


def lm_windows(ids: torch.Tensor, *, block_size: int, batch_size: int,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """``batch_size`` random windows of ``block_size + 1`` consecutive ids.

    Returns a LongTensor [batch_size, block_size + 1]; use ``w[:, :-1]`` as input_ids and
    ``w[:, 1:]`` as labels. Example: ids = [10, 11, 12, 13, 14], block_size = 2 gives rows
    such as [11, 12, 13].
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    check_positive_int(block_size, "block_size")
    check_positive_int(batch_size, "batch_size")
    check_generator(generator)
    if block_size >= len(ids):
        raise ValueError(f"block_size={block_size} must be smaller than len(ids)={len(ids)}: "
                         "a window needs block_size + 1 ids (inputs plus the next token)")
    starts = torch.randint(0, len(ids) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size + 1)
    return ids[starts[:, None] + offsets].long()  # [batch_size, block_size + 1]
