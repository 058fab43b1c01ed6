"""Which device to train on, and moving batches there.

minilm prefers CUDA, then Apple's MPS, then the CPU; every model, test and notebook also
runs on the CPU alone, which is what the course is sized for.
"""

from __future__ import annotations

import os

import torch


def default_device() -> torch.device:
    """``$MINILM_DEVICE`` if set (``cpu``, ``cuda``, ``cuda:1``, ``mps``), else CUDA if
    present, else Apple MPS, else CPU."""
    chosen = os.environ.get("MINILM_DEVICE", "").strip()
    if chosen:
        try:
            return torch.device(chosen)
        except RuntimeError:
            raise ValueError(f"MINILM_DEVICE must name a torch device such as cpu, cuda or mps, "
                             f"got {chosen!r}") from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def chosen_device(device: torch.device | str | None) -> torch.device:
    """``device`` as a ``torch.device``, with an error naming ``device`` for a name torch does
    not know; None means ``default_device()`` (the default of every helper that builds a model)."""
    if device is None:
        return default_device()
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a torch.device, a str such as 'cpu' or 'cuda', or None, "
                        f"got {type(device).__name__}")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device={device!r} is not a device torch knows ({err})") from None


def model_device(model: torch.nn.Module) -> torch.device | None:
    """The device of ``model``'s first parameter (None for a module without parameters):
    where a helper that feeds the model must build its tensors."""
    weight = next(iter(model.parameters()), None)
    return weight.device if weight is not None else None


def move_to(batch: dict, device) -> dict:
    """Copy every tensor of a batch dict to ``device`` (None leaves it where it is)."""
    if not isinstance(batch, dict):
        raise TypeError(f"batch must be a dict of tensors, got {type(batch).__name__}")
    if device is None:
        return batch
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be a torch.device or a name such as 'cpu' or 'cuda', "
                         f"got {device!r}") from None
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
