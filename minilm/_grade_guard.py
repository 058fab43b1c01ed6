"""What learner code may not do while it is being graded: read the solutions, edit the grader.

The grading process installs ``install(root, target)`` before any test or exercise is
imported. It adds an audit hook (PEP 578; once added, an audit hook cannot be removed from
the running interpreter) that refuses, with a ``PermissionError``:

* reading anything under ``solutions/`` or importing the ``solutions`` package, when the
  learner's ``exercises/`` are graded;
* writing, renaming, deleting or linking files of the graded tests (``tests/``), the
  solutions, the ``minilm`` package or the root ``conftest.py``;
* starting another program (``subprocess``, ``os.system``, ``os.exec*``, ``os.spawn*``),
  which could do either of the above from outside the hook.

This stops the accidental and the easy ways in. It is not a sandbox: code that runs in the
grading process can still patch the test functions or pytest itself. docs/GRADING.md states
what self-grading does and does not protect against.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

grading_only: str | None = None  # set while grading: the one target load_target may load

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {"os.rename": 2, "os.remove": 1, "os.rmdir": 1, "shutil.rmtree": 1, "os.truncate": 1,
                "os.link": 2, "os.symlink": 2, "os.chmod": 1, "os.utime": 1, "os.mkdir": 1}
_PROGRAM_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                             "os.startfile", "pty.spawn"})


def _resolved(path) -> str | None:
    if isinstance(path, int) or path is None:  # an open file descriptor: already checked when opened
        return None
    try:
        return os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return None


def _inside(path: str | None, folders: tuple[str, ...]) -> bool:
    return path is not None and any(path == f or path.startswith(f + os.sep) for f in folders)


def _writes(mode, flags) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def install(root: Path, target: str) -> None:
    """Guard this process for grading ``target`` (a learner's folder, ``exercises`` or
    ``exercises/zh``, or ``solutions``) in ``root``."""
    root = Path(os.path.realpath(root))
    package = str(Path(os.path.realpath(__file__)).parent)
    solutions = str(root / "solutions")
    protected = (str(root / "tests"), solutions, package, str(root / "conftest.py"))
    hidden = (solutions,) if target != "solutions" else ()  # every learner's folder

    def refuse(what: str) -> None:
        raise PermissionError(f"not allowed while your exercises are graded: {what}")

    def shown(path: str) -> str:
        return os.path.relpath(path, root) if _inside(path, (str(root),)) else path

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = _resolved(args[0])
            if _inside(path, hidden):
                refuse(f"reading {shown(path)} (the solutions)")
            if _inside(path, protected) and _writes(*args[1:3]):
                refuse(f"writing {shown(path)} (part of the grader)")
        elif event == "import":
            if hidden and (args[0] == "solutions" or str(args[0]).startswith("solutions.")):
                raise ImportError("the solutions cannot be imported while your exercises are graded")
        elif event in _PATH_EVENTS:
            for path in map(_resolved, args[:_PATH_EVENTS[event]]):
                if _inside(path, protected):
                    refuse(f"{event} on {shown(path)} (part of the grader)")
        elif event in _PROGRAM_EVENTS:
            refuse(f"starting another program ({event})")

    global grading_only
    grading_only = target
    sys.dont_write_bytecode = True  # no .pyc files written into tests/ or minilm/ either
    sys.addaudithook(hook)
