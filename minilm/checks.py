"""Input checks shared by every public function.

A learner who passes a float tensor where token ids belong should read "input_ids must
be an integer tensor", not a stack trace from deep inside ``torch.nn.functional``. Each
helper raises ``TypeError`` for the wrong kind of thing and ``ValueError`` for the right
kind with a wrong value, and always names the argument.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Sequence
from pathlib import Path

import torch


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """``value`` must be an int (not a bool) that is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_probability(value, name: str) -> float:
    """``value`` must be a real number in [0, 1] (a ratio, a probability)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in [0, 1], got {type(value).__name__}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return float(value)


def check_positive_number(value, name: str, *, meaning: str = "") -> float:
    """``value`` must be a finite real number > 0 (a rate, a mean length)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number > 0, got {type(value).__name__}")
    if not 0 < value < math.inf:
        detail = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name} must be a finite number > 0{detail}, got {value}")
    return float(value)


def check_size(count: int, limit: int, name: str, what: str) -> int:
    """``count`` elements (of a mask, a sequence, a weight table) that ``name`` asks for must
    not exceed ``limit`` (one of the ``MAX_*`` numbers in ``minilm.constants``). Checked
    before anything is allocated, so a typo such as ``causal_mask(10**5)`` (a 10 GB
    matrix) fails at once with a message instead of exhausting memory or hanging."""
    if count > limit:
        raise ValueError(f"{name} asks for {what} of {count:,} elements, more than the limit of "
                         f"{limit:,} set in minilm.constants")
    return count


def check_non_negative_number(value, name: str, *, meaning: str = "") -> float:
    """``value`` must be a finite real number >= 0 (a penalty weight, where 0 means off)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number >= 0, got {type(value).__name__}")
    if not 0 <= value < math.inf:
        detail = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name} must be a finite number >= 0{detail}, got {value}")
    return float(value)


def check_utf8_text(data, name: str) -> None:
    """Every str inside JSON-like ``data`` (dicts, lists) must be writable as UTF-8.

    A Python str may hold a lone surrogate (say "\\ud800", from a badly decoded file), which no
    UTF-8 file can store; the error names where it sits, e.g. ``extra['note']``.
    """
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ValueError(f"{name} holds a lone surrogate {data[err.start]!r} at index {err.start}, "
                             "which cannot be saved as UTF-8 text; remove or replace it") from None
    elif isinstance(data, dict):
        for key, value in data.items():
            check_utf8_text(key, f"{name} key {key!r}")
            check_utf8_text(value, f"{name}[{key!r}]")
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            check_utf8_text(value, f"{name}[{i}]")


def check_tensor(x, name: str, *, ndim: int | tuple[int, ...] | None = None,
                 dtype: torch.dtype | None = None, integer: bool = False,
                 non_empty: bool = True) -> torch.Tensor:
    """``x`` must be a tensor of the given rank / dtype, and not empty."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.dim() not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {x.dtype}")
    if integer and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise TypeError(f"{name} must be an integer (token id) tensor, got {x.dtype}")
    if non_empty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty")
    return x


def check_token_ids(ids, name: str, vocab_size: int | None = None, *,
                    ndim: int | tuple[int, ...] | None = None) -> torch.Tensor:
    """``ids`` must be a non-empty integer tensor with every id in [0, vocab_size)."""
    check_tensor(ids, name, ndim=ndim, integer=True)
    # Reading min/max back to Python would split a torch.compile graph in two; compiled, the
    # range is left to the embedding lookup's own index check.
    if vocab_size is not None and not torch.compiler.is_compiling():
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= vocab_size:
            raise ValueError(
                f"{name} has token ids outside [0, {vocab_size}): min {lo}, max {hi} "
                "(was the tokenizer built with a different vocabulary?)")
    return ids


def check_id_list(seq, name: str) -> list[int]:
    """One sequence of token ids (a list, a tuple or a 1-D integer tensor) as a list of
    ints >= 0: ``[1.7, 2.2]`` is a TypeError, not the silently truncated ``[1, 2]``."""
    if isinstance(seq, torch.Tensor):
        values = check_tensor(seq, name, ndim=1, integer=True, non_empty=False).tolist()
    elif isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
        raise TypeError(f"{name} must be a list of int token ids, got {type(seq).__name__}")
    else:
        values = list(seq)
    ids = []
    for j, value in enumerate(values):
        try:
            if isinstance(value, bool):
                raise TypeError
            ids.append(operator.index(value))  # ints, numpy ints and integer 0-d tensors
        except TypeError:
            raise TypeError(f"{name}[{j}] must be an int token id, got {type(value).__name__} "
                            f"{value!r}") from None
        if ids[-1] < 0:
            raise ValueError(f"{name}[{j}] is {ids[-1]}, but token ids are >= 0 (-100 marks an "
                             "ignored position in labels, never in input ids)")
    return ids


def check_file(path, name: str = "path", *, what: str = "file") -> Path:
    """``path`` (a str or Path) must name an existing regular file: a folder, a pipe or a
    device is an error that says which it is (reading a pipe could wait forever)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or a pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {name}={str(path)!r}")
    if path.is_dir():
        raise ValueError(f"{name}={str(path)!r} is a folder, not a {what}")
    if not path.is_file():
        raise ValueError(f"{name}={str(path)!r} is not a regular file (a pipe, socket or device?), "
                         f"so it cannot be a {what}")
    return path


def check_attention_mask(attention_mask, like: torch.Tensor | None = None, *,
                         name: str = "attention_mask", like_name: str = "input_ids",
                         length: int | None = None, matrix_argument: str | None = None) -> torch.Tensor:
    """The Hugging Face ``attention_mask``: the [B, T] padding mask, 1 (or True) = real
    token and 0 (or False) = padding, in any dtype; returned as bool.

    ``like`` is the tensor it pads (``input_ids`` [B, T], or embeddings [B, T, d]); the
    mask must have its batch size and length (``length`` instead of T when a cache holds
    earlier tokens). A [B, T] mask is never read as a [T, T] attention matrix, even when
    B == T, and never broadcast from one row to the batch. ``matrix_argument`` names the
    model's argument for a full attention matrix, for the error message.
    """
    if not isinstance(attention_mask, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(attention_mask).__name__}")
    if like is None:
        want = "[B, T]"
        ok = attention_mask.dim() == 2
    else:
        B, T = like.shape[0], like.shape[1] if length is None else length
        cached = " plus the cached tokens" if like.shape[1] != T else ""
        want = f"[B, T] = ({B}, {T}), like {like_name}{cached}"
        ok = tuple(attention_mask.shape) == (B, T)
    if not ok:
        matrix = f"; a full attention matrix goes through {matrix_argument}" if matrix_argument else ""
        raise ValueError(f"{name} must be the padding mask of shape {want} (1 = real token, "
                         f"0 = padding), got shape {tuple(attention_mask.shape)}{matrix}")
    return check_binary_mask(attention_mask, name)


def check_binary_mask(mask: torch.Tensor, name: str) -> torch.Tensor:
    """A padding mask of any dtype must hold only 0 and 1 (a 2, a 0.5, a -1 or a NaN is not
    a real token); returned as bool."""
    if mask.is_complex():
        raise TypeError(f"{name} must be a bool, integer or float tensor, got {mask.dtype}")
    if mask.dtype != torch.bool and not torch.compiler.is_compiling():
        binary = (mask == 0) | (mask == 1)
        if not bool(binary.all()):
            raise ValueError(f"{name} must hold only 0 and 1 (1 = real token, 0 = padding), "
                             f"got {mask[~binary][0].item()}")
    return mask.bool()


def check_batch_size(x: torch.Tensor, batch_size: int, name: str, like_name: str) -> torch.Tensor:
    """``x`` must hold one entry per example of ``like_name`` (``batch_size`` of them), so a
    mismatch is named here instead of surfacing as a broadcasting error deep in attention."""
    if x.dim() == 0 or x.shape[0] != batch_size:
        got = "a scalar tensor" if x.dim() == 0 else f"{x.shape[0]}"
        raise ValueError(f"{name} must have one entry per example of {like_name} (batch size "
                         f"{batch_size}), got {got}")
    return x


def check_attention_matrix(matrix, batch_size: int, T: int, *,
                           name: str = "attention_matrix") -> torch.Tensor:
    """A full attention matrix: bool [T, T] or [B, T, T], True = query i may attend to key j
    (e.g. ``minilm.masks.prefix_lm_mask``)."""
    check_tensor(matrix, name, ndim=(2, 3), dtype=torch.bool)
    if tuple(matrix.shape[-2:]) != (T, T) or (matrix.dim() == 3 and matrix.shape[0] not in (1, batch_size)):
        raise ValueError(f"{name} must be a bool [T, T] or [B, T, T] matrix with B={batch_size}, T={T} "
                         f"(True = query may attend key), got shape {tuple(matrix.shape)}")
    return matrix


def check_labels(labels, n_classes: int, *, name: str = "labels", ignore_index: int = -100) -> torch.Tensor:
    """Targets of a token-level loss: an integer tensor of ids in [0, n_classes), or
    ``ignore_index`` (-100) where nothing is scored."""
    check_tensor(labels, name, integer=True, non_empty=False)
    if labels.numel() and not torch.compiler.is_compiling():
        valid = (labels == ignore_index) | ((labels >= 0) & (labels < n_classes))
        if not bool(valid.all()):
            raise ValueError(f"{name} must hold ids in [0, {n_classes}) or {ignore_index} (ignored), "
                             f"got {labels[~valid][0].item()}")
    return labels


def check_shifted_labels(labels: torch.Tensor, inputs: torch.Tensor, *, builder: str,
                         inputs_name: str = "input_ids", ignore_index: int = -100) -> None:
    """A causal model's ``labels`` are already shifted: ``labels[t]`` is the token *after*
    ``inputs[t]``. Labels equal to the inputs (the Hugging Face habit ``labels=input_ids``,
    where the model shifts) would train it to copy its input, so they are refused, with a
    pointer to ``builder``, the function that makes the right ones. A run of one repeated
    token, whose labels read the same either way, is accepted."""
    if labels.shape != inputs.shape or torch.compiler.is_compiling():
        return  # the loss reports a shape mismatch itself
    scored = labels != ignore_index
    copies = scored.any() & ((labels == inputs) | ~scored).all()
    next_tokens = ((labels[..., :-1] == inputs[..., 1:]) | ~scored[..., :-1]).all()
    if bool(copies & ~next_tokens):  # one read back from the device
        raise ValueError(
            f"labels equal {inputs_name} at every scored position, so the model would learn to copy "
            f"its input. Here labels are aligned with the predictions: labels[t] is the token after "
            f"{inputs_name}[t] (-100 where there is none); build them with {builder}")


def labels_tensor(labels, n: int, *, per: str = "example") -> torch.Tensor:
    """Class labels handed to a batch builder (a list, a tuple or a tensor) as a long tensor
    holding one entry per ``per``; ``n`` is how many there must be."""
    labels = torch.as_tensor(labels if isinstance(labels, torch.Tensor) else list(labels), dtype=torch.long)
    if labels.shape != (n,):
        raise ValueError(f"labels must have one entry per {per} ({n}), got shape {tuple(labels.shape)}")
    return labels


def check_class_labels(labels, n: int, n_classes: int, *, per: str = "example") -> torch.Tensor:
    """``labels`` given to a classifier must be an integer tensor of ``n`` class indices
    (one per ``per``), each in [0, n_classes)."""
    check_tensor(labels, "labels", ndim=1, integer=True)
    if labels.shape[0] != n:
        raise ValueError(f"labels must have one entry per {per} ({n}), got {labels.shape[0]}")
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got min {lo}, max {hi}")
    return labels


def check_context_length(T: int, max_len: int, name: str = "input_ids") -> None:
    """A sequence longer than the model's context window is an error, not a crash."""
    if max_len < T:
        raise ValueError(
            f"{name} has length {T} but the model's context window (max_len) is {max_len}; "
            "truncate the input or build the model with a larger max_len")


def check_generator(generator) -> torch.Generator | None:
    """Randomness is passed explicitly: ``generator`` is None or a ``torch.Generator``."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__} "
            "(make one with torch.Generator().manual_seed(0))")
    return generator
