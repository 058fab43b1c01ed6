"""Grading the learner's exercises.

``exercises/exNN_topic.py`` (the learner's, stubs at first), its Chinese twin
``exercises/zh/exNN_topic.py`` (the same code, the text in Chinese: the learner's when the
course runs in Chinese) and ``solutions/exNN_topic.py`` define the same functions;
``tests/exercises/test_exNN_topic.py`` grades any of them. The tests load the module under
grade with ``load_target("exNN_topic")``: the solutions by default (so the course's own CI is
green), the learner's with ``pytest --target exercises`` (``exercises/zh``) or
``python -m minilm grade`` (``--lang zh``).

``grade(names, target=...)`` runs those tests in a separate, guarded Python process, each
test within a time budget (so a learner's crash or endless loop cannot take a notebook
down, and their code cannot reach the solutions or the report; docs/GRADING.md), and
returns one ``Score`` per exercise;
``print_table`` prints them; ``check(name)`` is the notebook's "check your exercise" cell:
it shows the score and a friendly message and never raises.
"""

from __future__ import annotations

import ast
import html
import importlib.util
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from minilm import _grade_guard
from minilm._grade_run import LEARNER_TARGETS, TARGETS, hung_function, run_tests
from minilm.lang import LANGS, language, pad, t, width
from minilm.settings import ROOT_ENV, course_root  # noqa: F401 (ROOT_ENV: public here too)

TARGET_ENV = "MINILM_GRADE_TARGET"


def learner_target(lang: str | None = None) -> str:
    """The folder of the learner's exercise files in ``lang`` (default: ``MINILM_LANG``):
    ``exercises`` in English, ``exercises/zh`` in Chinese."""
    lang = lang or language()
    if lang not in LEARNER_TARGETS:
        raise ValueError(f"lang must be one of {tuple(LEARNER_TARGETS)}, got {lang!r}")
    return LEARNER_TARGETS[lang]


def load_target(name: str, target: str | None = None) -> ModuleType:
    """Import ``<target>/<name>.py`` (target: one of ``TARGETS``) as a module."""
    target = target or os.environ.get(TARGET_ENV, "solutions")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if _grade_guard.grading_only not in (None, target):
        raise PermissionError(f"load_target({name!r}, {target!r}): only {_grade_guard.grading_only}/ "
                              "can be loaded while the exercises are graded")
    path = course_root() / target / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no exercise file {path}")
    module_name = f"minilm_{target.replace('/', '_')}_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as stop:  # else pytest stops the whole session with an internal error
        raise ImportError(f"{target}/{name}.py called sys.exit({stop.code!r}) while being imported") from None
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
    errors: tuple[str, ...] = ()    # the exercise or its tests could not be imported (e.g. a SyntaxError)
    problems: tuple[str, ...] = ()  # a test timed out, or the process exited or crashed
    target: str = "exercises"       # the folder graded: "exercises", "exercises/zh" or "solutions"

    @property
    def file(self) -> str:
        """The graded file, e.g. ``exercises/zh/ex03_gpt.py``."""
        return f"{self.target}/{self.exercise}.py"

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


# Each graded test gets a budget: setup, body and teardown must finish within it, or the
# test fails as "timed out" and the exercise's other tests go on in a new process. The
# budget is max(5 s, 10 x the slowest solution test of that exercise), measured with
# `pytest tests/exercises --durations=0` on a busy 2-core machine, one torch thread:
# every solution test takes under 0.1 s except ex01's first forward pass (1.1 s, torch
# warming up). Importing the test file and the exercise has its own, larger budget.
TEST_BUDGET_S = 5.0
SLOW_EXERCISE_BUDGET_S = {"ex01_autoencoders": 15.0}
IMPORT_BUDGET_S = 60.0
BUDGET_ENV = "MINILM_GRADE_BUDGET"  # seconds for every test; the grader's own tests shrink it
MAX_STOPS = 3  # after three timeouts or crashes in one exercise, its other tests count as not run


def test_budget(name: str) -> float:
    """Seconds each graded test of exercise ``name`` may take (``MINILM_GRADE_BUDGET`` overrides)."""
    if os.environ.get(BUDGET_ENV):
        return float(os.environ[BUDGET_ENV])
    return SLOW_EXERCISE_BUDGET_S.get(name, TEST_BUDGET_S)


def syntax_error(path: Path, folder: str) -> str | None:
    """``"exercises/ex01.py line 4: SyntaxError: expected ':' in: def f(x)"`` (``folder``: the
    graded folder, as the learner knows it), or None."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as err:
        where = f"{folder}/{path.name} line {err.lineno}"
        line = (err.text or "").strip()
        return f"{where}: {type(err).__name__}: {err.msg}" + (f" in: {line}" if line else "")
    except (OSError, ValueError):  # missing or unreadable: importing it says so
        return None
    return None


def _owner(nodeid: str, files: dict[str, str]) -> str | None:
    """The exercise whose test file holds ``nodeid``."""
    file = nodeid.split("::")[0]
    return next((name for name, f in files.items() if f == file), None)


def grade(names: Iterable[str] | str | None = None, *, target: str | None = None,
          timeout: float = 600) -> list[Score]:
    """Run the graded tests of ``names`` (default: all) against ``target`` and score them.

    ``target="exercises"`` grades the learner's files (``"exercises/zh"`` the Chinese ones;
    None: ``learner_target()``, the learner's files in the course's language),
    ``"solutions"`` the course's own.
    The tests an exercise has are counted against the solutions; the graded tests then run
    in a guarded process (see docs/GRADING.md). A test past its budget (``test_budget``),
    a crash or an exit scores that test 0 and the other tests go on in a new process; an
    exercise file with a syntax error scores 0 and names the line. The whole call ends
    within about ``timeout`` seconds whatever the exercises do.
    """
    target = target or learner_target()
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    selected = resolve_names(names)
    files = {name: (TESTS_DIR / f"test_{name}.py").as_posix() for name in selected}
    if not files:
        return []
    root, deadline = course_root(), time.monotonic() + timeout
    budgets = {files[name]: test_budget(name) for name in selected}
    counted = run_tests(root, "solutions", list(files.values()), budgets=budgets,
                        import_budget=IMPORT_BUDGET_S, deadline=deadline, collect_only=True)
    expected = {name: [n for n in counted.collected if _owner(n, files) == name] for name in selected}
    results: dict[str, dict[str, dict[str, str]]] = {name: {} for name in selected}
    errors: dict[str, list[str]] = {name: [] for name in selected}
    problems: dict[str, list[str]] = {name: [] for name in selected}
    for name in selected:
        broken = syntax_error(root / target / f"{name}.py", target)
        if broken:
            errors[name].append(broken)
    pending = [name for name in selected if not errors[name]]
    hung: dict[str, list[str]] = {}  # exercise file -> functions that ran past a budget
    while pending:
        if time.monotonic() >= deadline:
            for name in pending:
                problems[name].append(f"not graded: the {timeout:g} s limit for the whole grading ran out")
            break
        done = tuple(n for name in pending for n in results[name])
        run = run_tests(root, target, [files[n] for n in pending], skip=done,
                        budgets={files[n]: budgets[files[n]] for n in pending},
                        import_budget=IMPORT_BUDGET_S, deadline=deadline, hung=hung)
        if hung_function(run.ended):
            file, function = hung_function(run.ended)
            hung.setdefault(file, []).append(function)
        for error in run.collect_errors:
            errors[_owner(error["nodeid"], files)].append(error["message"])
        progress = False
        for nodeid, result in run.results.items():
            name = _owner(nodeid, files)
            expected[name] = expected[name] or [n for n in run.collected if _owner(n, files) == name]
            if name in pending and "::" in nodeid and nodeid not in results[name]:
                results[name][nodeid], progress = result, True
        stopped = _owner(run.current, files) if run.current else None
        if run.ended and stopped:  # that test (or that exercise's import) failed; the rest go on
            problems[stopped].append(run.ended)
            for nodeid in (expected[stopped] if "::" not in run.current else [run.current]):
                results[stopped].setdefault(nodeid, {"outcome": "failed", "message": run.ended})
            progress = True
        elif run.ended:
            for name in pending:
                problems[name].append(run.ended)
        pending = [name for name in pending if not errors[name] and len(problems[name]) < MAX_STOPS
                   and any(n not in results[name] for n in expected[name])]
        if run.finished or not progress:
            break
    return [_score(name, files[name], expected[name], results[name], errors[name], problems[name], target)
            for name in selected]


def _score(name: str, test_file: str, expected: list[str], results: dict[str, dict[str, str]],
           errors: list[str], problems: list[str], target: str) -> Score:
    not_run = {"outcome": "error", "message": f"not run: {(errors or problems or ['did not run'])[-1]}"}
    prefix = test_file + "::"
    tests = tuple(GradedTest(n.removeprefix(prefix), results.get(n, not_run)["outcome"],
                             results.get(n, not_run)["message"]) for n in expected)
    passed = sum(test.outcome == "passed" for test in tests)
    points = round(POINTS_PER_EXERCISE * passed / len(tests), 1) if tests else 0.0
    return Score(name, passed, len(tests), points, tests, tuple(errors), tuple(problems), target)


def _timed_out(problem: str) -> bool:
    return any(t("run.timed_out_word", lang=lang) in problem for lang in LANGS)


def format_table(rows: list[Score]) -> str:
    """The score table as plain text, with a total line (in Chinese with ``MINILM_LANG=zh``)."""
    head = (t("grade.exercise"), t("grade.tests_passed"), t("grade.points"))
    columns = (max([width(head[0]), width(t("grade.total"))] + [len(r.exercise) for r in rows]),
               max(12, width(head[1])), max(11, width(head[2])))

    def line(name: str, tests: str, points: str, note: str = "") -> str:
        return (f"{pad(name, columns[0])}  {pad(tests, columns[1], '>')}  {pad(points, columns[2], '>')}"
                + (f"  {note}" if note else ""))

    lines = [line(*head)]
    lines.append("-" * width(lines[0]))
    for r in rows:
        note = (t("grade.note.import_error") if r.errors else
                t("grade.note.timed_out") if any(_timed_out(p) for p in r.problems)
                else t("grade.note.stopped_early") if r.problems else "")
        lines.append(line(r.exercise, f"{r.passed} / {r.total}", f"{r.points:g} / {r.max_points}", note))
    lines.append(lines[1])
    passed, total = sum(r.passed for r in rows), sum(r.total for r in rows)
    points, max_points = sum(r.points for r in rows), sum(r.max_points for r in rows)
    lines.append(line(t("grade.total"), f"{passed} / {total}", f"{points:g} / {max_points}"))
    return "\n".join(lines)


def print_table(rows: list[Score], file=None) -> None:
    """Print ``format_table(rows)`` (to stdout unless ``file`` is given)."""
    print(format_table(rows), file=file)


# --- check(): the "check your exercise" cell of a notebook ------------------------------

def exercise_functions(name: str, target: str | None = None) -> list[str]:
    """The public functions of ``<target>/<name>.py``, in file order, read without importing it
    (a learner's file may loop forever or crash on import; the notebook must not)."""
    for folder in (target or learner_target(), "solutions"):  # a SyntaxError: read the solutions
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
    for test in row.tests:
        groups.setdefault(function_of_test(test.name, functions) or "other", []).append(test)
    out = []
    for function, tests in groups.items():
        if not tests:
            continue
        failing = [test for test in tests if test.outcome != "passed"]
        first = f"{failing[0].name}: {failing[0].message}" if failing else ""
        out.append(FunctionResult(function, len(tests) - len(failing), len(tests), first))
    return out


def _message(row: Score, function: str | None = None) -> str:
    file = row.file
    if row.errors:
        return t("grade.import_failed", file=file, error=row.errors[0])
    if row.problems:
        return t("grade.stopped", exercise=row.exercise, problem=row.problems[0], passed=row.passed,
                 total=row.total)
    if row.total and row.passed == row.total:
        return t("grade.solved", total=row.total, name=function or row.exercise)
    if row.passed == 0 and all("NotImplementedError" in test.message for test in row.tests):
        if function:
            return t("grade.todo_function", total=row.total, function=function, file=file)
        return t("grade.todo_file", total=row.total, file=file)
    return t("grade.keep_going", passed=row.passed, total=row.total)


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
            failing = [test for test in r.tests if test.outcome != "passed"]
            first = f"✗ {failing[0].name}: {failing[0].message}" if failing else "✓"
            return [(r.exercise, f"{r.passed} / {r.total}", first)]
        return [(f.function, f"{f.passed} / {f.total}", f"✗ {f.first_failure}" if f.first_failure else "✓")
                for f in self.results]

    @staticmethod
    def _head() -> tuple[str, str, str]:
        return t("grade.function"), t("grade.tests_passed"), t("grade.first_failure")

    def __repr__(self) -> str:
        if self.row is None:
            return f"check: {self.error}"
        rows = [self._head()] + self._rows()
        w0, w1 = (max(width(r[i]) for r in rows) for i in (0, 1))
        lines = [f"{self.row.exercise}: {self.message}", ""]
        lines += [f"{pad(a, w0)}  {pad(b, w1, '>')}  {_short(c)}" for a, b, c in rows]
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
                       for h, a in zip(self._head(), align, strict=True))
        body = "".join("<tr>" + "".join(f"<td {cell.format(a)}>{html.escape(_short(v))}</td>"
                                        for v, a in zip(row, align, strict=True)) + "</tr>"
                       for row in self._rows())
        return (f"<p style='color:{colour};font-weight:bold'>{html.escape(r.exercise)}: "
                f"{html.escape(self.message)}</p>"
                f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}</table>")


def _only(row: Score, function: str, functions: list[str]) -> Score:
    """``row`` restricted to the tests of ``function``."""
    tests = tuple(test for test in row.tests if function_of_test(test.name, functions) == function)
    passed = sum(test.outcome == "passed" for test in tests)
    points = round(POINTS_PER_EXERCISE * passed / len(tests), 1) if tests else 0.0
    # a stop in one of its tests, or one no test owns (the whole grading's time limit ran out)
    problems = tuple(p for p in row.problems if any(test.message == p for test in tests)
                     or not any(test.message == p for test in row.tests))
    return Score(row.exercise, passed, len(tests), points, tests, row.errors, problems, row.target)


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


def check(name: str, function: str | None = None, *, target: str | None = None) -> None:
    """Grade one exercise, or one ``function`` of it, and show the result; never raises, so a
    notebook keeps running.

    ``check("ex07_glm", "sample_spans")`` grades only the tests of ``sample_spans`` (the
    check cell beside the section that teaches it); ``check("ex07_glm")`` grades them all.
    In a notebook it displays a small HTML table, elsewhere it prints text. Returns None
    (the cell shows the report once, not twice). ``target`` defaults to ``learner_target()``:
    a Chinese notebook (``MINILM_LANG=zh``) grades ``exercises/zh/``.
    """
    try:
        target = target or learner_target()
        rows = _grade_tests_of(function, [name], target) if function else grade([name], target=target)
        if len(rows) != 1:
            raise ValueError(f"{name!r} matches {len(rows)} exercises; give the full name")
        row = rows[0]
        functions = exercise_functions(row.exercise, target)
        if function is not None:
            if function not in functions:
                raise ValueError(f"{row.file} has no function {function!r}; "
                                 f"it has {', '.join(functions)}")
            row, functions = _only(row, function, functions), [function]
        report = CheckReport(row, functions=functions, function=function)
    except Exception as err:  # the learner's notebook must keep running whatever happens
        error = f"{type(err).__name__}: {err}"
        report = CheckReport(None, t("grade.could_not_grade", name=name, error=error))
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(report)
            return
    except Exception:
        pass
    print(repr(report))
