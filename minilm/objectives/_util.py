"""Small helpers shared by the span-based objectives (BART, GLM, T5)."""

from __future__ import annotations

import array
from collections.abc import Iterable

import torch


def generator_device(generator: torch.Generator | None) -> torch.device:
    """Random numbers are drawn where the generator lives (CPU unless it is a CUDA one)."""
    return generator.device if generator is not None else torch.device("cpu")


def long_tensor(values: list[int], device=None, dtype: torch.dtype = torch.long) -> torch.Tensor:
    """A 1-D integer tensor (LongTensor by default) from a list of ints.

    Objectives run once per training example, so this matters: ``torch.tensor(list)``
    converts element by element, while going through ``array.array`` copies in one step
    (several times faster for a few hundred ids).
    """
    if not values:
        return torch.zeros(0, dtype=dtype, device=device)
    return torch.frombuffer(array.array("q", values), dtype=torch.long).to(device, dtype)


def special_set(special_ids) -> frozenset[int]:
    """``special_ids`` (ints, or a tensor of them) as a set, checked."""
    if isinstance(special_ids, torch.Tensor):
        return frozenset(special_ids.reshape(-1).tolist())
    if not isinstance(special_ids, Iterable) or isinstance(special_ids, (str, bytes)):
        raise TypeError(f"special_ids must be a sequence of token ids, got {type(special_ids).__name__}")
    special_ids = frozenset(special_ids)
    for s in special_ids:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"special_ids must contain ints, got {s!r}")
    return special_ids


def special_edges(ids: torch.Tensor, special_ids) -> tuple[int, int]:
    """Lengths of the leading and trailing runs of special tokens (``<s> ... <e>``,
    ``[CLS] ... [SEP]``): the part of a document that noising leaves in place."""
    special = special_set(special_ids)
    if not special:
        return 0, 0
    tokens = ids.tolist()
    head = 0
    while head < len(tokens) and tokens[head] in special:
        head += 1
    tail = 0
    while tail < len(tokens) - head and tokens[-1 - tail] in special:
        tail += 1
    return head, tail
