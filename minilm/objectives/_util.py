"""Small helpers shared by the span-based objectives (BART, GLM, T5)."""

from __future__ import annotations

import array
from collections.abc import Iterable

import torch

from minilm.checks import check_positive_number
from minilm.constants import MAX_SEQUENCE_LENGTH, MIN_POISSON_LAMBDA


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


def check_poisson_lambda(value) -> float:
    """The mean of a Poisson span-length distribution (BART's text infilling, GLM's spans).

    At least ``MIN_POISSON_LAMBDA`` = 1/2: below it most draws are 0 (P(0) = exp(-lambda)
    > 0.6), so BART inserts far more [MASK]s than it hides tokens (lambda = 0.01 turned 100
    tokens into about 2,400) and GLM throws most draws away; the work grows as 1/lambda
    (1e-12 never finishes). At most ``MAX_SEQUENCE_LENGTH``: a mean span longer than any
    document is meaningless, and torch's Poisson sampler overflows for huge rates.
    """
    value = check_positive_number(value, "poisson_lambda", meaning="the mean span length")
    if not MIN_POISSON_LAMBDA <= value <= MAX_SEQUENCE_LENGTH:
        raise ValueError(
            f"poisson_lambda must lie in [{MIN_POISSON_LAMBDA}, {MAX_SEQUENCE_LENGTH}], got {value}: below "
            f"{MIN_POISSON_LAMBDA} most spans would be empty (probability exp(-lambda) of length 0) and the "
            "work grows as 1 / lambda; BART and GLM use 3")
    return value
