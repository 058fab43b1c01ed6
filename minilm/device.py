"""Which device to train on, and moving batches there.

minilm prefers CUDA, then Apple's MPS, then the CPU; every model, test and notebook also
runs on the CPU alone, which is what the course is sized for.
"""

from __future__ import annotations

import torch


def default_device() -> torch.device:
    """CUDA if present, else Apple MPS, else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


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
