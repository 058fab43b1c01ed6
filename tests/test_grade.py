"""The grader on a small made-up course: counting, points, broken files, check() and the CLI."""

import shutil
import textwrap
from pathlib import Path

import pytest

from minilm import grade as grading
from minilm.__main__ import main

ROOT = Path(__file__).resolve().parents[1]

HALF_SOLVED = '''
def add(a, b):
    return a + b


def mul(a, b):
    raise NotImplementedError("multiply a and b")
'''
SOLVED = '''
def add(a, b):
    return a + b


def mul(a, b):
    return a * b
'''
TESTS = '''
from minilm.grade import load_target

ex = load_target("{name}")


def test_add_small():
    assert ex.add(2, 3) == 5


def test_add_negative():
    assert ex.add(-4, 1) == -3


def test_mul():
    assert ex.mul(3, 4) == 12
'''


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with ex01_demo (2 of 3 tests pass) and ex02_broken (a SyntaxError)."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")  # it defines --target
    write(root / "exercises" / "ex01_demo.py", HALF_SOLVED)
    write(root / "solutions" / "ex01_demo.py", SOLVED)
    write(root / "tests" / "exercises" / "test_ex01_demo.py", TESTS.format(name="ex01_demo"))
    write(root / "exercises" / "ex02_broken.py", "def add(a, b)\n    return a + b\n")
    write(root / "solutions" / "ex02_broken.py", SOLVED)
    write(root / "tests" / "exercises" / "test_ex02_broken.py", TESTS.format(name="ex02_broken"))
    return root


@pytest.fixture
def in_course(course, monkeypatch):
    monkeypatch.setenv(grading.ROOT_ENV, str(course))
    return course


@pytest.fixture(scope="module")
def rows(course):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(grading.ROOT_ENV, str(course))
        return {r.exercise: r for r in grading.grade()}


def test_resolve_names_prefix_match(in_course):
    assert grading.exercise_names() == ["ex01_demo", "ex02_broken"]
    assert grading.resolve_names(["ex01"]) == ["ex01_demo"]
    assert grading.resolve_names("ex02_broken") == ["ex02_broken"]
    assert grading.resolve_names(["ex0"]) == ["ex01_demo", "ex02_broken"]
    assert grading.resolve_names(None) == ["ex01_demo", "ex02_broken"]
    with pytest.raises(ValueError, match="unknown exercise 'ex9'; available: ex01_demo, ex02_broken"):
        grading.resolve_names(["ex9"])


def test_grade_counts_passes_and_gives_points(rows):
    demo = rows["ex01_demo"]
    assert (demo.passed, demo.total, demo.points, demo.errors) == (2, 3, 6.7, ())
    outcomes = {t.name: t.outcome for t in demo.tests}
    assert outcomes == {"test_add_small": "passed", "test_add_negative": "passed", "test_mul": "failed"}
    assert "NotImplementedError" in next(t.message for t in demo.tests if t.name == "test_mul")


def test_a_file_that_does_not_import_scores_zero_of_its_real_test_count(rows):
    broken = rows["ex02_broken"]
    assert (broken.passed, broken.total, broken.points) == (0, 3, 0.0)
    assert broken.errors and "SyntaxError" in broken.errors[0]


def test_table_and_messages(rows):
    table = grading.format_table([rows["ex01_demo"], rows["ex02_broken"]])
    lines = table.splitlines()
    assert lines[0].split() == ["exercise", "tests", "passed", "points"]
    assert lines[2].split() == ["ex01_demo", "2", "/", "3", "6.7", "/", "10"]
    assert lines[-1].split() == ["total", "2", "/", "6", "6.7", "/", "20"]
    report = grading.CheckReport(rows["ex01_demo"])
    assert report.message == "2/3 tests pass — keep going."
    assert "✗ test_mul: NotImplementedError" in repr(report)
    assert "test_mul" in report._repr_html_() and "<table" in report._repr_html_()
    assert "could not be imported" in grading.CheckReport(rows["ex02_broken"]).message


def test_check_prints_and_never_raises(in_course, capsys):
    grading.check("ex1_does_not_exist")
    assert "could not grade 'ex1_does_not_exist'" in capsys.readouterr().out
    grading.check("ex01", target="solutions")
    out = capsys.readouterr().out
    assert "All 3 tests pass: ex01_demo is solved." in out


def test_cli_grade_prints_the_table_and_exits_0_even_with_failures(in_course, capsys):
    assert main(["grade", "ex01"]) == 0
    out = capsys.readouterr().out
    assert "ex01_demo" in out and "2 / 3" in out and "6.7 / 10" in out
    assert main(["grade", "ex9"]) == 2
    assert "unknown exercise" in capsys.readouterr().err


def test_cli_help_and_map(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "grade" in capsys.readouterr().out
    assert main(["map"]) == 0
    assert capsys.readouterr().out.startswith("| ID | concept | notebook § section |")
