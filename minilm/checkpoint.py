"""Saving and loading a trained model as one safetensors file.

The weights go in with ``safetensors`` (no pickle: loading a checkpoint cannot run code);
the model's class name, its config and the tokenizer travel as JSON in the file's
metadata, so one file is all a notebook needs to pick up where another left off. Any
``safetensors`` reader can open the file.

What loading trusts, and why:

* **Damage is detected.** The metadata holds two SHA-256 checksums: one of the header
  (every header byte, the checksums' own values excepted) and one of the tensor data. A
  single flipped byte anywhere in either is a clear ``ValueError``, never a weight that
  silently became -300. (A checksum protects against accidents - a bad disk, an
  interrupted copy - not against someone who rewrites the file on purpose.)
* **A crafted header cannot make loading allocate memory.** Every size the header declares
  is checked against the file's own size before anything is read, and a model is only
  built once a bodiless copy of it (on PyTorch's "meta" device) shows that it needs about
  as much memory as the weights the file holds.
* **Only minilm's own model classes are built** from the class name in the file
  (``model_classes()``); to load into any other class, build it and pass ``model=``.

Writes are atomic (``minilm.atomic``): a crash mid-save never leaves a half-written
checkpoint or a stray temporary file behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model

from minilm.atomic import write_atomically
from minilm.checks import check_file, check_utf8_text

FORMAT = "minilm-checkpoint-v2"  # v2 added the checksums; v1 files must be saved again
HEADER_SUM, DATA_SUM = "minilm_header_sha256", "minilm_data_sha256"
_UNSET = "0" * 64  # a checksum's value while it is being computed, same length as the real one
_MAX_HEADER_BYTES = 100 * 2**20  # the largest header safetensors itself accepts
_BUILD_ALLOWANCE = 256 * 2**20  # memory a model may need beyond its stored weights (fixed tables)
_HEADER_KEYS = {"format": str, "model": str, "config_class": str, "config": dict,
                "tokenizer": (dict, type(None)), "extra": dict}


def model_classes() -> dict[str, type[torch.nn.Module]]:
    """The model classes ``load_checkpoint`` may build from a name in a file: those of
    ``minilm.models``. Nothing else named in a file is ever looked up."""
    from minilm import models

    return {name: obj for name in models.__all__
            if isinstance(obj := getattr(models, name), type) and issubclass(obj, torch.nn.Module)}


def save_checkpoint(model: torch.nn.Module, path: str | os.PathLike, *, tokenizer=None,
                    extra: dict | None = None) -> Path:
    """Write ``model`` (with its ``config`` dataclass), an optional tokenizer and any JSON
    ``extra`` (e.g. the training history) to ``path``. Returns the path."""
    config = getattr(model, "config", None)
    if not dataclasses.is_dataclass(config):
        raise TypeError("model must have a dataclass `config` attribute to be checkpointed")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {type(extra).__name__}")
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"path must end in .safetensors, got {str(path)!r}")
    header = {
        "format": FORMAT,
        "model": type(model).__name__,
        "config_class": type(config).__name__,
        "config": dataclasses.asdict(config),
        "tokenizer": None if tokenizer is None else tokenizer.to_dict(),
        "extra": extra or {},
    }
    for key in ("config", "tokenizer", "extra"):
        check_utf8_text(header[key], key)
    metadata = {"minilm": json.dumps(header), HEADER_SUM: _UNSET, DATA_SUM: _UNSET}
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        save_model(model, tmp, metadata=metadata)
        _fill_in_checksums(tmp)

    return write_atomically(path, write)


def read_header(path: str | os.PathLike) -> dict:
    """The JSON header of a checkpoint (model class, config, tokenizer, extra), after
    checking the header's checksum (the weights are checked by ``load_checkpoint``)."""
    return _read(Path(path), check_data=False)[0]


def load_checkpoint(path: str | os.PathLike, model: torch.nn.Module | None = None, *,
                    map_location: str | torch.device = "cpu"):
    """Load a checkpoint. Returns ``(model, tokenizer or None, extra dict)``.

    Without ``model``, the model is rebuilt from the class and config stored in the file
    (a class of ``minilm.models``, see ``model_classes``). With ``model``, its weights are
    replaced; a model of another shape is a clear error. A damaged file is a ValueError.
    """
    path = Path(path)
    header, data_bytes = _read(path, check_data=True)
    if model is None:
        model = _build_model(header, data_bytes, path)
    elif type(model).__name__ != header["model"]:
        raise ValueError(f"checkpoint holds a {header['model']}, "
                         f"but model is a {type(model).__name__}")
    try:
        missing, unexpected = load_model(model, str(path), strict=False, device=str(map_location))
    except (RuntimeError, SafetensorError) as e:
        raise ValueError(f"checkpoint path={str(path)!r} does not fit this model "
                         f"(different sizes?): {e}") from e
    if missing or unexpected:
        raise ValueError(f"checkpoint path={str(path)!r} does not fit this model: "
                         f"missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    tokenizer = None
    if header["tokenizer"] is not None:
        from minilm.tokenizer import Tokenizer
        try:
            tokenizer = Tokenizer.from_dict(header["tokenizer"])
        except (TypeError, ValueError) as e:
            raise ValueError(f"checkpoint path={str(path)!r} holds a broken tokenizer: {e}") from None
    return model, tokenizer, header["extra"]


# -- the file layout ------------------------------------------------------------------------
# A safetensors file is: 8 bytes (little-endian length n), n bytes of JSON header (the tensor
# table plus "__metadata__", padded with spaces), then the tensors' bytes back to back.


def _fill_in_checksums(filename: str) -> None:
    """Replace the two placeholder checksums in a freshly written file by the real ones.
    Both have the same length as the placeholder, so nothing else in the file moves."""
    with open(filename, "r+b") as f:
        prefix, raw = _read_header_bytes(f, os.fstat(f.fileno()).st_size, filename)
        sums = {HEADER_SUM: hashlib.sha256(prefix + raw).hexdigest(),
                DATA_SUM: _data_digest(f, 8 + len(raw))}
        for key, value in sums.items():
            f.seek(8 + _value_offset(raw, key, _UNSET, filename))
            f.write(value.encode("ascii"))


def _read(path: Path, *, check_data: bool) -> tuple[dict, int]:
    """The checked minilm header of ``path`` and how many bytes of tensor data it has."""
    check_file(path, what="checkpoint")
    size = path.stat().st_size
    with open(path, "rb") as f:
        prefix, raw = _read_header_bytes(f, size, path)
        table = _parse_json(raw, path, "its safetensors header")
        metadata = table.pop("__metadata__", None)
        if not isinstance(metadata, dict) or not isinstance(metadata.get("minilm"), str):
            raise ValueError(f"path={str(path)!r} is a safetensors file but not a minilm checkpoint")
        _check_header_sum(prefix, raw, metadata, path)
        header = _check_minilm_header(_parse_json(metadata["minilm"].encode("utf-8"), path,
                                                  "its minilm header"), path)
        data_bytes = size - 8 - len(raw)
        _check_tensor_table(table, data_bytes, path)
        if check_data and _data_digest(f, 8 + len(raw)) != metadata.get(DATA_SUM):
            raise ValueError(f"path={str(path)!r} is damaged: its tensor data does not match the "
                             "checksum saved with it (a flipped byte?); save or copy it again")
    return header, data_bytes


def _read_header_bytes(f, size: int, path) -> tuple[bytes, bytes]:
    """The 8-byte length prefix and the header, checking the length against the file size."""
    prefix = f.read(8)
    if len(prefix) < 8:
        raise ValueError(f"path={str(path)!r} is not a readable safetensors file "
                         f"(corrupt or truncated: {size} bytes)")
    n = int.from_bytes(prefix, "little")
    if n > min(size - 8, _MAX_HEADER_BYTES):
        raise ValueError(f"path={str(path)!r} is not a readable safetensors file (corrupt or "
                         f"truncated): it declares a {n}-byte header in a {size}-byte file")
    return prefix, f.read(n)


def _parse_json(raw: bytes, path: Path, what: str):
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"path={str(path)!r} is corrupt: {what} is not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise ValueError(f"path={str(path)!r} is corrupt: {what} is not a JSON object")
    return value


def _value_offset(raw: bytes, key: str, value: str, path) -> int:
    """Where the checksum ``value`` of metadata ``key`` sits in the header bytes. Inside an
    escaped JSON string a quote is always preceded by a backslash, so the pattern with bare
    quotes can only match the real field."""
    key_bytes, value_bytes = (re.escape(text.encode("ascii")) for text in (key, value))
    field = re.compile(rb'"%s"\s*:\s*"%s"' % (key_bytes, value_bytes))
    matches = list(field.finditer(raw))
    if len(matches) != 1:
        raise ValueError(f"path={str(path)!r} is damaged: its header's {key} field cannot be found")
    return matches[0].end() - 1 - len(value)


def _check_header_sum(prefix: bytes, raw: bytes, metadata: dict, path: Path) -> None:
    sums = [metadata.get(key) for key in (HEADER_SUM, DATA_SUM)]
    if not all(isinstance(s, str) and len(s) == len(_UNSET) and s.isascii() for s in sums):
        if '"format": "minilm-checkpoint-v1"' in metadata["minilm"]:
            raise ValueError(f"path={str(path)!r} was written by an older minilm (format v1, without "
                             "checksums): save it again, or delete it to retrain")
        raise ValueError(f"path={str(path)!r} is damaged: its header has no valid checksums")
    unset = bytearray(raw)  # the header as it was hashed: both checksums still placeholders
    for key, value in zip((HEADER_SUM, DATA_SUM), sums, strict=True):
        at = _value_offset(raw, key, value, path)
        unset[at: at + len(value)] = _UNSET.encode("ascii")
    if hashlib.sha256(prefix + unset).hexdigest() != sums[0]:
        raise ValueError(f"path={str(path)!r} is damaged: its header does not match the checksum "
                         "saved with it (a flipped byte?); save or copy it again")


def _check_minilm_header(header: dict, path: Path) -> dict:
    for key, kind in _HEADER_KEYS.items():
        if key not in header:
            raise ValueError(f"path={str(path)!r} is not a valid minilm checkpoint: its header has no "
                             f"{key!r}")
        if not isinstance(header[key], kind):
            raise ValueError(f"path={str(path)!r} is not a valid minilm checkpoint: header {key!r} is "
                             f"a {type(header[key]).__name__}")
    if header["format"] != FORMAT:
        raise ValueError(f"path={str(path)!r} has format {header['format']!r}, expected {FORMAT!r}")
    return header


def _check_tensor_table(table: dict, data_bytes: int, path: Path) -> None:
    """Every tensor's declared place must lie inside the file."""
    for name, entry in table.items():
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_bytes):
            raise ValueError(f"path={str(path)!r} is corrupt: tensor {name!r} does not lie inside the "
                             f"file's {data_bytes} bytes of tensor data")


def _data_digest(f, start: int) -> str:
    """SHA-256 of everything from ``start`` to the end of the file, read 1 MiB at a time."""
    f.seek(start)
    digest = hashlib.sha256()
    while chunk := f.read(2**20):
        digest.update(chunk)
    return digest.hexdigest()


def _build_model(header: dict, data_bytes: int, path: Path) -> torch.nn.Module:
    """The model named in the header, with its config - if it is a minilm model whose size
    matches the weights in the file (checked on the meta device, which allocates nothing)."""
    from minilm import models

    classes = model_classes()
    cls = classes.get(header["model"])
    config_cls = getattr(models, header["config_class"]) if header["config_class"] in models.__all__ else None
    if cls is None or not dataclasses.is_dataclass(config_cls):
        raise ValueError(f"path={str(path)!r} names model class {header['model']!r} with config "
                         f"{header['config_class']!r}; only minilm's models can be rebuilt "
                         f"({', '.join(sorted(classes))}): build yours and pass model=")
    try:
        config = config_cls(**header["config"])
        with torch.device("meta"):
            skeleton = cls(config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"path={str(path)!r} has a config that does not build a "
                         f"{header['model']}: {e}") from None
    tensors = {id(t): t for t in [*skeleton.parameters(), *skeleton.buffers()]}.values()
    needed = sum(t.numel() * t.element_size() for t in tensors)
    if needed > data_bytes + _BUILD_ALLOWANCE:
        raise ValueError(f"path={str(path)!r} describes a {header['model']} of {needed / 2**20:,.0f} MiB "
                         f"but holds only {data_bytes / 2**20:,.1f} MiB of weights; not building it "
                         "(a damaged or crafted config?)")
    return cls(config)
