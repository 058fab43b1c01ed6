"""Saving and loading a trained model as one safetensors file.

The weights go in with ``safetensors`` (no pickle: loading a checkpoint cannot run code);
the model's class name, its config and the tokenizer travel as JSON in the file's
metadata, so one file is all a notebook needs to pick up where another left off.

Writes are atomic: the file is written under a temporary name in the same folder and
renamed into place, so a crash mid-save never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model, save_model

FORMAT = "minilm-checkpoint-v1"


def save_checkpoint(model: torch.nn.Module, path: str | os.PathLike, *, tokenizer=None,
                    extra: dict | None = None) -> Path:
    """Write ``model`` (with its ``config`` dataclass), an optional tokenizer and any JSON
    ``extra`` (e.g. the training history) to ``path``. Returns the path."""
    config = getattr(model, "config", None)
    if not dataclasses.is_dataclass(config):
        raise TypeError("model must have a dataclass `config` attribute to be checkpointed")
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"path must end in .safetensors, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "model": type(model).__name__,
        "config_class": type(config).__name__,
        "config": dataclasses.asdict(config),
        "tokenizer": None if tokenizer is None else tokenizer.to_dict(),
        "extra": extra or {},
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_model(model, tmp, metadata={"minilm": json.dumps(header)})
        os.replace(tmp, path)  # atomic on POSIX and Windows
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read_header(path: str | os.PathLike) -> dict:
    """The JSON header of a checkpoint (model class, config, tokenizer, extra)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise ValueError(f"{str(path)!r} is not a readable safetensors file "
                         f"(truncated or corrupt?): {e}") from e
    if "minilm" not in metadata:
        raise ValueError(f"{str(path)!r} is a safetensors file but not a minilm checkpoint")
    header = json.loads(metadata["minilm"])
    if header.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} has format {header.get('format')!r}, expected {FORMAT!r}")
    return header


def load_checkpoint(path: str | os.PathLike, model: torch.nn.Module | None = None, *,
                    map_location: str | torch.device = "cpu"):
    """Load a checkpoint. Returns ``(model, tokenizer or None, extra dict)``.

    Without ``model``, the model is rebuilt from the class and config stored in the file.
    With ``model``, its weights are replaced; a model of another shape is a clear error.
    """
    header = read_header(path)
    if model is None:
        model = _build_model(header)
    elif type(model).__name__ != header["model"]:
        raise ValueError(f"checkpoint holds a {header['model']}, "
                         f"but model is a {type(model).__name__}")
    try:
        missing, unexpected = load_model(model, str(path), strict=False, device=str(map_location))
    except (RuntimeError, SafetensorError) as e:
        raise ValueError(f"checkpoint {str(path)!r} does not fit this model "
                         f"(different sizes?): {e}") from e
    if missing or unexpected:
        raise ValueError(f"checkpoint {str(path)!r} does not fit this model: "
                         f"missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    tokenizer = None
    if header["tokenizer"] is not None:
        from minilm.tokenizer import Tokenizer
        tokenizer = Tokenizer.from_dict(header["tokenizer"])
    return model, tokenizer, header["extra"]


def _build_model(header: dict) -> torch.nn.Module:
    from minilm import models

    cls = getattr(models, header["model"], None)
    config_cls = getattr(models, header["config_class"], None)
    if cls is None or config_cls is None:
        raise ValueError(f"unknown model class {header['model']!r} in checkpoint")
    return cls(config_cls(**header["config"]))
