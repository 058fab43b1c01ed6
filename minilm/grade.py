"""Grading the learner's exercises.

``exercises/exNN_topic.py`` (the learner's, stubs at first) and ``solutions/exNN_topic.py``
define the same functions; ``tests/exercises/test_exNN_topic.py`` grades either one. The
tests load the module under grade with ``load_target("exNN_topic")``: the solutions by
default (so the course's own CI is green), the learner's with ``pytest --target exercises``
or ``python -m minilm grade``.

``grade(names, target=...)`` runs those tests in a separate Python process (so a learner's
crash or endless loop cannot take a notebook down) and returns one ``Score`` per exercise;
``print_table`` prints them; ``check(name)`` is the notebook's "check your exercise" cell:
it shows the score and a friendly message and never raises.
"""

from __future__ import annotations

import ast
import html
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

TARGET_ENV = "MINILM_GRADE_TARGET"
TARGETS = ("solutions", "exercises")
ROOT_ENV = "MINILM_COURSE_ROOT"  # another course folder to grade (the grader's own tests use it)


def course_root() -> Path:
    """The folder holding exercises/, solutions/ and tests/ (the repository root)."""
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).resolve()
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


# --- grading: run the graded tests in a subprocess, count, show -------------------------

POINTS_PER_EXERCISE = 10  # every exercise weighs the same, however many tests it has
TESTS_DIR = Path("tests") / "exercises"


@dataclass(frozen=True)
class GradedTest:
    name: str      # the test function, e.g. "test_causal_mask_matches_minilm[7]"
    outcome: str   # "passed", "failed", "error" or "skipped"
    message: str   # one line: why it did not pass ("" when it passed)


@dataclass(frozen=True)
class Score:
    """One row of the score table."""

    exercise: str                 # "ex00_warmup"
    passed: int                   # graded tests that pass
    total: int                    # graded tests in tests/exercises/test_<exercise>.py
    points: float                 # POINTS_PER_EXERCISE * passed / total, one decimal
    tests: tuple[GradedTest, ...] = ()
    errors: tuple[str, ...] = ()  # the test file could not be collected (e.g. a SyntaxError)

    @property
    def max_points(self) -> int:
        return POINTS_PER_EXERCISE


def exercise_names() -> list[str]:
    """Every gradable exercise: ``tests/exercises/test_<name>.py`` files, sorted."""
    tests = course_root() / TESTS_DIR
    return sorted(p.stem.removeprefix("test_") for p in tests.glob("test_ex*.py"))


def resolve_names(names: Iterable[str] | str | None = None) -> list[str]:
    """``["ex03"]`` or ``["ex03_gpt"]`` -> ``["ex03_gpt"]`` (prefix match); None -> all."""
    available = exercise_names()
    if names is None:
        return available
    if isinstance(names, str):
        names = [names]
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"exercise names must be non-empty strings like 'ex03', got {name!r}")
        stem = Path(name).stem.removeprefix("test_")  # "exercises/ex03_gpt.py" also works
        matches = [stem] if stem in available else [a for a in available if a.startswith(stem)]
        if not matches:
            raise ValueError(f"unknown exercise {name!r}; available: {', '.join(available) or 'none'}")
        out += [m for m in matches if m not in out]
    return out


def _run_pytest(files: list[str], target: str, *extra: str, timeout: float) -> dict:
    """Run pytest on ``files`` in a fresh interpreter; the plugin's JSON report."""
    if importlib.util.find_spec("pytest") is None:
        raise RuntimeError("grading runs pytest, which is not installed: pip install pytest")
    root = course_root()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = dict(os.environ, **{TARGET_ENV: target, "MINILM_GRADE_REPORT": str(report)})
        package_parent = str(Path(__file__).resolve().parents[1])  # minilm importable from anywhere
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), package_parent, env.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "pytest", *files, "--target", target, "-q",
               "-p", "no:cacheprovider", "-p", "no:nbval",  # nbval's imports take seconds
               "-p", "minilm._grade_plugin",
               "--continue-on-collection-errors", "-o", "timeout=120", *extra]
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True,
                              timeout=timeout)
        if not report.is_file():
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise RuntimeError("pytest did not finish:\n" + "\n".join(tail))
        return json.loads(report.read_text())


def grade(names: Iterable[str] | str | None = None, *, target: str = "exercises",
          timeout: float = 600) -> list[Score]:
    """Run the graded tests of ``names`` (default: all) against ``target`` and score them.

    ``target="exercises"`` grades the learner's files, ``"solutions"`` the course's own.
    One pytest process runs every requested exercise; a test file that cannot even be
    imported scores 0 out of the number of tests it has against the solutions.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    selected = resolve_names(names)
    files = {name: (TESTS_DIR / f"test_{name}.py").as_posix() for name in selected}
    if not files:
        return []
    report = _run_pytest(list(files.values()), target, timeout=timeout)
    broken = [n for n in selected
              if any(e["nodeid"] == files[n] for e in report["collection_errors"])]
    collected = []
    if broken:  # count their tests where they do import: against the solutions
        collected = _run_pytest([files[n] for n in broken], "solutions", "--collect-only",
                                timeout=timeout)["collected"]
    rows = []
    for name in selected:
        prefix = files[name] + "::"
        tests = tuple(GradedTest(nodeid.removeprefix(prefix), r["outcome"], r["message"])
                      for nodeid, r in report["tests"].items() if nodeid.startswith(prefix))
        errors = tuple(e["message"] for e in report["collection_errors"] if e["nodeid"] == files[name])
        passed = sum(t.outcome == "passed" for t in tests)
        total = max(len(tests), sum(c.startswith(prefix) for c in collected))
        points = round(POINTS_PER_EXERCISE * passed / total, 1) if total else 0.0
        rows.append(Score(name, passed, total, points, tests, errors))
    return rows


def format_table(rows: list[Score]) -> str:
    """The score table as plain text, with a total line."""
    width = max([len("exercise"), len("total")] + [len(r.exercise) for r in rows])
    lines = [f"{'exercise':<{width}}  {'tests passed':>12}  {'points':>11}"]
    lines.append("-" * len(lines[0]))
    for r in rows:
        note = "  (import error)" if r.errors else ""
        lines.append(f"{r.exercise:<{width}}  {f'{r.passed} / {r.total}':>12}  "
                     f"{f'{r.points:g} / {r.max_points}':>11}{note}")
    lines.append("-" * len(lines[0]))
    passed, total = sum(r.passed for r in rows), sum(r.total for r in rows)
    points, max_points = sum(r.points for r in rows), sum(r.max_points for r in rows)
    lines.append(f"{'total':<{width}}  {f'{passed} / {total}':>12}  {f'{points:g} / {max_points}':>11}")
    return "\n".join(lines)


def print_table(rows: list[Score], file=None) -> None:
    """Print ``format_table(rows)`` (to stdout unless ``file`` is given)."""
    print(format_table(rows), file=file)


# --- check(): the "check your exercise" cell of a notebook ------------------------------

def exercise_functions(name: str, target: str = "exercises") -> list[str]:
    """The public functions of ``<target>/<name>.py``, in file order, read without importing it
    (a learner's file may loop forever or crash on import; the notebook must not)."""
    for folder in (target, "solutions"):  # a learner's SyntaxError: fall back to the solutions
        try:
            tree = ast.parse((course_root() / folder / f"{name}.py").read_text())
        except (OSError, SyntaxError, ValueError):
            continue
        return [node.name for node in tree.body
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]
    return []


def function_of_test(test_name: str, functions: Iterable[str]) -> str | None:
    """The function a graded test grades: ``test_<function>_...`` (the longest name that fits)."""
    base = test_name.split("[")[0]
    fits = [f for f in functions if base == f"test_{f}" or base.startswith(f"test_{f}_")]
    return max(fits, key=len) if fits else None


@dataclass(frozen=True)
class FunctionResult:
    """One row of check()'s table: one function of an exercise."""

    function: str
    passed: int
    total: int
    first_failure: str  # "test_x: AssertionError: ..." ("" when every test passes)


def function_results(row: Score, functions: list[str]) -> list[FunctionResult]:
    """Group an exercise's tests by the function they grade (tests of no known function: "other")."""
    groups: dict[str, list[GradedTest]] = {f: [] for f in functions}
    for t in row.tests:
        groups.setdefault(function_of_test(t.name, functions) or "other", []).append(t)
    out = []
    for function, tests in groups.items():
        if not tests:
            continue
        failing = [t for t in tests if t.outcome != "passed"]
        first = f"{failing[0].name}: {failing[0].message}" if failing else ""
        out.append(FunctionResult(function, len(tests) - len(failing), len(tests), first))
    return out


def _message(row: Score, function: str | None = None) -> str:
    file = f"exercises/{row.exercise}.py"
    if row.errors:
        return f"{file} could not be imported: {row.errors[0]} Fix it and run this cell again."
    if row.total and row.passed == row.total:
        return f"All {row.total} tests pass: {function or row.exercise} is solved. Well done!"
    if row.passed == 0 and all("NotImplementedError" in t.message for t in row.tests):
        if function:
            return (f"0/{row.total} tests pass: {function} in {file} still raises "
                    "NotImplementedError. Fill it in, then run this cell again.")
        return (f"0/{row.total} tests pass: the functions in {file} still raise "
                "NotImplementedError. Fill them in, then run this cell again.")
    return f"{row.passed}/{row.total} tests pass — keep going."


def _short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class CheckReport:
    """What ``check()`` shows: one message, then a short table with one row per function
    (tests passed, and the first failing test with its one-line reason)."""

    def __init__(self, row: Score | None, error: str | None = None, *,
                 functions: list[str] | None = None, function: str | None = None) -> None:
        self.row, self.error, self.function = row, error, function
        functions = functions if functions is not None else []
        self.results = function_results(row, functions) if row is not None else []

    @property
    def message(self) -> str:
        if self.row is None:
            return self.error or ""
        return _message(self.row, self.function)

    def _rows(self) -> list[tuple[str, str, str]]:
        if not self.results:  # no function could be told apart: one line per exercise
            r = self.row
            failing = [t for t in r.tests if t.outcome != "passed"]
            first = f"✗ {failing[0].name}: {failing[0].message}" if failing else "✓"
            return [(r.exercise, f"{r.passed} / {r.total}", first)]
        return [(f.function, f"{f.passed} / {f.total}", f"✗ {f.first_failure}" if f.first_failure else "✓")
                for f in self.results]

    def __repr__(self) -> str:
        if self.row is None:
            return f"check: {self.error}"
        rows = [("function", "tests passed", "first failure")] + self._rows()
        w0, w1 = (max(len(r[i]) for r in rows) for i in (0, 1))
        lines = [f"{self.row.exercise}: {self.message}", ""]
        lines += [f"{a:<{w0}}  {b:>{w1}}  {_short(c)}" for a, b, c in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self.row is None:
            return f"<p style='color:#b3261e'><b>check:</b> {html.escape(self.error or '')}</p>"
        r = self.row
        solved = r.total > 0 and r.passed == r.total
        colour = "#1b7f3b" if solved else ("#b3261e" if r.passed == 0 else "#a15c00")
        cell = "style='padding:2px 10px;border-bottom:1px solid #ddd;text-align:{}'"
        align = ("left", "right", "left")
        head = "".join(f"<th {cell.format(a)}>{h}</th>"
                       for h, a in zip(("function", "tests passed", "first failure"), align, strict=True))
        body = "".join("<tr>" + "".join(f"<td {cell.format(a)}>{html.escape(_short(v))}</td>"
                                        for v, a in zip(row, align, strict=True)) + "</tr>"
                       for row in self._rows())
        return (f"<p style='color:{colour};font-weight:bold'>{html.escape(r.exercise)}: "
                f"{html.escape(self.message)}</p>"
                f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}</table>")


def _only(row: Score, function: str, functions: list[str]) -> Score:
    """``row`` restricted to the tests of ``function``."""
    tests = tuple(t for t in row.tests if function_of_test(t.name, functions) == function)
    passed = sum(t.outcome == "passed" for t in tests)
    points = round(POINTS_PER_EXERCISE * passed / len(tests), 1) if tests else 0.0
    return Score(row.exercise, passed, len(tests), points, tests, row.errors)


def _grade_tests_of(function: str, names: list[str], target: str) -> list[Score]:
    """``grade`` running only the tests named after ``function`` (pytest's ``-k``, passed to the
    grading process through ``PYTEST_ADDOPTS``), so a check cell beside a section stays quick."""
    saved = os.environ.get("PYTEST_ADDOPTS")
    os.environ["PYTEST_ADDOPTS"] = " ".join(filter(None, [saved, f"-k test_{function}"]))
    try:
        return grade(names, target=target)
    finally:
        if saved is None:
            del os.environ["PYTEST_ADDOPTS"]
        else:
            os.environ["PYTEST_ADDOPTS"] = saved


def check(name: str, function: str | None = None, *, target: str = "exercises") -> None:
    """Grade one exercise, or one ``function`` of it, and show the result; never raises, so a
    notebook keeps running.

    ``check("ex07_glm", "sample_spans")`` grades only the tests of ``sample_spans`` (the
    check cell beside the section that teaches it); ``check("ex07_glm")`` grades them all.
    In a notebook it displays a small HTML table, elsewhere it prints text. Returns None
    (the cell shows the report once, not twice).
    """
    try:
        rows = _grade_tests_of(function, [name], target) if function else grade([name], target=target)
        if len(rows) != 1:
            raise ValueError(f"{name!r} matches {len(rows)} exercises; give the full name")
        row = rows[0]
        functions = exercise_functions(row.exercise, target)
        if function is not None:
            if function not in functions:
                raise ValueError(f"exercises/{row.exercise}.py has no function {function!r}; "
                                 f"it has {', '.join(functions)}")
            row, functions = _only(row, function, functions), [function]
        report = CheckReport(row, functions=functions, function=function)
    except Exception as err:  # the learner's notebook must keep running whatever happens
        report = CheckReport(None, f"could not grade {name!r}: {type(err).__name__}: {err}")
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(report)
            return
    except Exception:
        pass
    print(repr(report))
