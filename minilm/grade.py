"""Grading the learner's exercises.

``exercises/exNN_topic.py`` (the learner's, stubs at first) and ``solutions/exNN_topic.py``
define the same functions; ``tests/exercises/test_exNN_topic.py`` grades either one. The
tests load the module under grade with ``load_target("exNN_topic")``: the solutions by
default (so the course's own CI is green), the learner's with ``pytest --target exercises``
or ``python -m minilm grade``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

TARGET_ENV = "MINILM_GRADE_TARGET"
TARGETS = ("solutions", "exercises")


def course_root() -> Path:
    """The folder holding exercises/, solutions/ and tests/ (the repository root)."""
    package_parent = Path(__file__).resolve().parents[1]
    if (package_parent / "exercises").is_dir():
        return package_parent
    return Path.cwd()


def load_target(name: str, target: str | None = None) -> ModuleType:
    """Import ``<target>/<name>.py`` (target: "solutions" or "exercises") as a module."""
    target = target or os.environ.get(TARGET_ENV, "solutions")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    path = course_root() / target / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no exercise file {path}")
    module_name = f"minilm_{target}_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
