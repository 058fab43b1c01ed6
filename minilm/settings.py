"""What the environment decides for the whole course: fast mode and the course folder.

A leaf module (it imports nothing from ``minilm``), so that the checkpoint cache
(``minilm.pretrained``), the notebook plumbing (``minilm.course``) and the grader
(``minilm.grade``) can all read the same two answers without importing each other.

* ``FAST`` - ``MINILM_FAST=1`` (set by the test suite and CI) shrinks every training run;
* ``course_root()`` - the folder holding ``exercises/``, ``solutions/``, ``tests/`` and
  ``checkpoints/``; ``MINILM_COURSE_ROOT`` points it at another course folder.
"""

from __future__ import annotations

import os
from pathlib import Path

FAST = os.environ.get("MINILM_FAST", "0").strip().lower() not in ("", "0", "false", "no")

ROOT_ENV = "MINILM_COURSE_ROOT"  # another course folder to grade (the grader's own tests use it)


def course_root() -> Path:
    """The folder holding exercises/, solutions/ and tests/ (the repository root)."""
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).resolve()
    package_parent = Path(__file__).resolve().parents[1]
    if (package_parent / "exercises").is_dir():
        return package_parent
    return Path.cwd()
