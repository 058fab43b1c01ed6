"""Grade deliberately wrong solutions ("mutants"): every one must fail a graded test.

``tests/exercises/mutants/<exercise>/<function>_<what is wrong>.py`` holds one plausible
mistake: it redefines one function (or a few) of ``solutions/<exercise>.py``. To grade it,
a throw-away course folder gets ``solutions/<exercise>.py`` = the solution followed by the
mutant (the later definitions win), and the graded tests of the redefined functions run
against it through ``MINILM_COURSE_ROOT``, exactly as they grade a learner's file.

All mutants of one exercise run in one process (importing torch once), each in its own
``pytest.main`` call with the test module imported afresh::

    python tests/exercises/mutation.py ex01_autoencoders report.json

writes ``{mutant file name: pytest exit code}``: 1 means a graded test failed (the mutant is
caught), 0 means it passed everything (the tests have a gap).
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MUTANTS = HERE / "mutants"


def mutant_files(exercise: str) -> list[Path]:
    return sorted((MUTANTS / exercise).glob("*.py"))


def redefined_functions(mutant: Path) -> list[str]:
    """The top-level functions a mutant (re)defines."""
    return [node.name for node in ast.parse(mutant.read_text()).body if isinstance(node, ast.FunctionDef)]


def mutated_source(exercise: str, mutant: Path) -> str:
    """The solution with the mutant's definitions appended (its own ``__future__`` import dropped:
    it may only stand at the top of a file, where the solution already has it)."""
    body = [line for line in mutant.read_text().splitlines() if not line.startswith("from __future__")]
    solution = (ROOT / "solutions" / f"{exercise}.py").read_text()
    return solution + "\n\n# --- mutant ---\n" + "\n".join(body) + "\n"


def grade_mutant(exercise: str, mutant: Path) -> int:
    """pytest's exit code for the graded tests of the functions ``mutant`` redefines."""
    import pytest

    from minilm.grade import ROOT_ENV

    with tempfile.TemporaryDirectory() as course:
        (Path(course) / "solutions").mkdir()
        (Path(course) / "solutions" / f"{exercise}.py").write_text(mutated_source(exercise, mutant))
        os.environ[ROOT_ENV] = course
        for module in [m for m in sys.modules if m.endswith(exercise)]:
            del sys.modules[module]  # the test module and the graded module, imported afresh
        selected = " or ".join(f"test_{f}" for f in redefined_functions(mutant))
        return int(pytest.main([str(HERE / f"test_{exercise}.py"), "-x", "-q", "-k", selected,
                                "-p", "no:cacheprovider", "-p", "no:nbval", "-o", "timeout=300"]))


def main(exercise: str, report: str) -> None:
    results = {m.name: grade_mutant(exercise, m) for m in mutant_files(exercise)}
    Path(report).write_text(json.dumps(results))


if __name__ == "__main__":
    main(*sys.argv[1:3])
