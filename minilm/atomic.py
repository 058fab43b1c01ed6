"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The new content goes to a temporary file in the same folder (so the final rename never
crosses file systems), is flushed to disk with ``os.fsync``, and ``os.replace`` swaps it in
(atomic on POSIX and Windows). The folder is synced too, so the rename itself survives a
power cut. Whatever goes wrong on the way - an exception, Ctrl-C in a notebook - the
temporary file is removed. A hard kill of the process (which runs no Python at all) can
still leave one behind; the next save to the same path removes such leftovers once they are
older than ``STALE_SECONDS`` (younger ones may belong to a save still running elsewhere).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from glob import escape as glob_escape
from pathlib import Path

STALE_SECONDS = 600


def write_atomically(path: Path, write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)`` to fill a file next to ``path``, then move it into place."""
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "r+b") as f:  # whatever ``write`` used, its bytes reach the disk now
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_folder(path.parent)
    return path


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files of ``path`` that a killed save left behind."""
    for leftover in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete
            if time.time() - leftover.stat().st_mtime > STALE_SECONDS:
                leftover.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; Windows cannot open a folder for syncing, and needs not."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
