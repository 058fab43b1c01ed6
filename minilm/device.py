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
    if device is None:
        return batch
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
