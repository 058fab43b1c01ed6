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
HALF_SOLVED_ZH = '''
def add(a, b):
    raise NotImplementedError("把 a 和 b 相加")


def mul(a, b):
    return a * b
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
    """A course folder with ex01_demo (2 of 3 tests pass; in its Chinese twin, 1 of 3) and
    ex02_broken (a SyntaxError)."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")  # it defines --target
    write(root / "exercises" / "ex01_demo.py", HALF_SOLVED)
    write(root / "exercises" / "zh" / "ex01_demo.py", HALF_SOLVED_ZH)
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


# --- learner code that loops, exits, forges the report or peeks at the solutions ----------

LOOPS = SOLVED.replace("return a * b", "while True: pass")  # one line: the stack names that line
EXITS = SOLVED.replace("return a + b", "import sys\n    sys.exit(3)")
HARD_EXITS = SOLVED.replace("return a * b", "import os\n    os._exit(7)")
HANGS_ON_IMPORT = "while True: pass\n" + SOLVED
FORGES_THE_REPORT = HALF_SOLVED.replace("return a + b", "raise NotImplementedError") + '''

import atexit, json, os

def _forge():  # what the JSON report in an environment variable allowed
    path = os.environ.get("MINILM_GRADE_REPORT")
    if path and os.path.exists(path):
        data = json.load(open(path))
        for record in data["tests"].values():
            record["outcome"] = "passed"
        json.dump(data, open(path, "w"))

atexit.register(_forge)
for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
    for nodeid in ("test_add_small", "test_add_negative", "test_mul"):
        line = json.dumps({"event": "result", "outcome": "passed", "message": "",
                           "nodeid": "tests/exercises/test_ex06_forge.py::" + nodeid})
        try:
            os.write(int(fd), b"0" * 64 + b" " + line.encode() + b"\\n")
        except OSError:
            pass
'''
IMPORTS_SOLUTIONS = "from solutions.ex07_peek import add, mul\n"
LOADS_SOLUTIONS = ("from minilm.grade import load_target\n"
                   "add = load_target('ex08_peek', 'solutions').add\n"
                   "mul = load_target('ex08_peek', 'solutions').mul\n")
READS_SOLUTIONS = "exec(open('solutions/ex09_peek.py').read())\n"
REWRITES_THE_TESTS = SOLVED + (
    "import glob\n"
    "for path in glob.glob('tests/exercises/test_*.py'):\n"
    "    open(path, 'w').write('def test_free():\\n    pass\\n')\n")
HOSTILE = {"ex03_loop": LOOPS, "ex04_exit": EXITS, "ex05_hard_exit": HARD_EXITS,
           "ex06_forge": FORGES_THE_REPORT, "ex07_peek": IMPORTS_SOLUTIONS, "ex08_peek": LOADS_SOLUTIONS,
           "ex09_peek": READS_SOLUTIONS, "ex10_hang": HANGS_ON_IMPORT, "ex11_rewrite": REWRITES_THE_TESTS,
           "ex12_exit_on_import": "import sys\nsys.exit(5)\n",
           "ex13_os_exit_on_import": "import os\nos._exit(9)\n",
           "ex14_loop_twice": SOLVED.replace("return a + b", "while True: pass"),
           "ex15_spawn": "import subprocess\nsubprocess.run(['echo', 'hi'])\n",
           "ex16_delete": "import os\nos.remove('conftest.py')\n",
           "ex17_patch_minilm": ("import os, minilm\n"
                                 "open(os.path.join(os.path.dirname(minilm.__file__), 'grade.py'), 'a')\n")}


def line_of(text: str, source: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(source).splitlines(), 1) if text in line)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """ex01_demo and ex02_broken beside exercises that misbehave; graded with 2 s budgets."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")
    for name, text in {"ex01_demo": HALF_SOLVED, "ex02_broken": "def add(a, b)\n    return a + b\n",
                       **HOSTILE}.items():
        write(root / "exercises" / f"{name}.py", text)
        write(root / "solutions" / f"{name}.py", SOLVED)
        write(root / "tests" / "exercises" / f"test_{name}.py", TESTS.format(name=name))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(grading.ROOT_ENV, str(root))
        mp.setenv(grading.BUDGET_ENV, "2")
        mp.setattr(grading, "IMPORT_BUDGET_S", 4.0)
        rows = {r.exercise: r for r in grading.grade()}
    return root, rows


def test_an_endless_loop_times_out_that_test_and_the_others_still_count(hostile):
    root, rows = hostile
    loop = rows["ex03_loop"]
    line = line_of("while True", LOOPS)
    assert loop.problems == (f"timed out after 2 s in test_mul (mul, exercises/ex03_loop.py line {line})",)
    assert (loop.passed, loop.total, loop.points) == (2, 3, 6.7)
    assert {t.name: t.outcome for t in loop.tests}["test_mul"] == "failed"
    assert (rows["ex01_demo"].passed, rows["ex01_demo"].total) == (2, 3)  # graded after the loop
    assert grading.format_table([loop]).splitlines()[2].split() == [
        "ex03_loop", "2", "/", "3", "6.7", "/", "10", "(timed", "out)"]


def test_a_function_that_timed_out_fails_at_once_in_its_other_tests(hostile):
    root, rows = hostile
    loop = rows["ex14_loop_twice"]
    (problem,) = loop.problems  # one budget spent, not one per test that calls add
    assert problem.startswith("timed out after 2 s in test_add_small (add, exercises/ex14_loop_twice.py")
    messages = {t.name: t.message for t in loop.tests}
    assert messages["test_add_negative"] == ("TimeoutError: add ran past its budget in an earlier test; "
                                             "it is not run again")
    assert (loop.passed, loop.total) == (1, 3)


def test_an_endless_loop_while_importing_times_out_that_exercise_only(hostile):
    root, rows = hostile
    hang = rows["ex10_hang"]
    line = line_of("while True", HANGS_ON_IMPORT)
    assert hang.problems == ("timed out after 4 s while importing tests/exercises/test_ex10_hang.py "
                             f"and its exercise (<module>, exercises/ex10_hang.py line {line})",)
    assert (hang.passed, hang.total) == (0, 3)
    assert (rows["ex01_demo"].passed, rows["ex01_demo"].total) == (2, 3)


def test_sys_exit_and_os_exit_say_what_happened(hostile):
    root, rows = hostile
    exits = rows["ex04_exit"]
    line = line_of("sys.exit(3)", EXITS)
    assert (exits.passed, exits.total, exits.problems) == (1, 3, ())
    messages = {t.name: t.message for t in exits.tests}
    assert messages["test_add_small"] == f"called sys.exit(3) in add, exercises/ex04_exit.py line {line}"
    hard = rows["ex05_hard_exit"]
    assert hard.problems == ("the process exited with code 7 in test_mul "
                             "(os._exit, or sys.exit outside a test)",)
    assert (hard.passed, hard.total) == (2, 3)
    on_import = rows["ex12_exit_on_import"]
    assert on_import.errors == ("ImportError: exercises/ex12_exit_on_import.py called sys.exit(5) "
                                "while being imported",)
    assert (on_import.passed, on_import.total) == (0, 3)
    hard_on_import = rows["ex13_os_exit_on_import"]
    assert hard_on_import.problems == ("the process exited with code 9 while importing "
                                       "tests/exercises/test_ex13_os_exit_on_import.py and its exercise "
                                       "(os._exit, or sys.exit outside a test)",)
    assert (hard_on_import.passed, hard_on_import.total) == (0, 3)


def test_forged_reports_do_not_count(hostile):
    root, rows = hostile
    forged = rows["ex06_forge"]
    assert (forged.passed, forged.total, forged.points) == (0, 3, 0.0)


def test_the_solutions_cannot_be_imported_loaded_or_read_while_grading(hostile):
    root, rows = hostile
    for name, why in [("ex07_peek", "ImportError: the solutions cannot be imported"),
                      ("ex08_peek", "PermissionError: load_target('ex08_peek', 'solutions')"),
                      ("ex09_peek", "PermissionError: not allowed while your exercises are graded: reading")]:
        row = rows[name]
        assert (row.passed, row.total) == (0, 3), name
        assert row.errors and why in row.errors[0], (name, row.errors)


def test_the_graded_tests_cannot_be_rewritten(hostile):
    root, rows = hostile
    assert "def test_mul" in (root / "tests" / "exercises" / "test_ex01_demo.py").read_text()
    assert rows["ex11_rewrite"].errors[0].startswith(
        "PermissionError: not allowed while your exercises are graded: writing tests/exercises/test_")


def test_no_other_program_and_no_edit_of_the_grader(hostile):
    root, rows = hostile
    for name, why in [("ex15_spawn", "starting another program"),
                      ("ex16_delete", "os.remove on conftest.py (part of the grader)"),
                      ("ex17_patch_minilm", "writing ")]:
        row = rows[name]
        assert (row.passed, row.total) == (0, 3), name
        refused = f"not allowed while your exercises are graded: {why}"
        assert row.errors and refused in row.errors[0], row.errors
    assert (root / "conftest.py").is_file()


def test_a_check_of_one_function_says_it_timed_out(hostile):
    root, rows = hostile
    loop = rows["ex03_loop"]
    mul = grading._only(loop, "mul", ["add", "mul"])
    assert mul.problems == loop.problems
    message = grading.CheckReport(mul, function="mul").message
    assert message.startswith("timed out after 2 s in test_mul (mul, ")
    add = grading._only(loop, "add", ["add", "mul"])  # add's own tests did not stop
    assert add.problems == () and grading.CheckReport(add, function="add").message.startswith("All 2 tests")


def test_a_syntax_error_names_the_file_line_and_code(hostile):
    root, rows = hostile
    broken = rows["ex02_broken"]
    assert broken.errors == ("exercises/ex02_broken.py line 1: SyntaxError: expected ':' in: def add(a, b)",)
    assert (broken.passed, broken.total) == (0, 3)
    assert all(t.message.startswith("not run: exercises/ex02_broken.py line 1") for t in broken.tests)


def test_the_whole_grading_has_a_time_limit(hostile, monkeypatch):
    root, rows = hostile
    monkeypatch.setenv(grading.ROOT_ENV, str(root))
    (row,) = grading.grade(["ex03"], timeout=0.1)
    assert row.problems == ("not graded: the 0.1 s limit for the whole grading ran out",)
    assert row.passed == 0


def test_cli_prints_why_an_exercise_stopped(hostile, monkeypatch, capsys):
    root, rows = hostile
    monkeypatch.setenv(grading.ROOT_ENV, str(root))
    monkeypatch.setenv(grading.BUDGET_ENV, "2")
    assert main(["grade", "ex02", "ex03"]) == 0
    out = capsys.readouterr().out
    assert "ex02_broken: could not import: exercises/ex02_broken.py line 1: SyntaxError" in out
    assert "ex03_loop: timed out after 2 s in test_mul (mul, exercises/ex03_loop.py line" in out


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


# --- the Chinese edition: exercises/zh/ is the learner's folder ---------------------------

def test_in_chinese_the_learner_folder_is_exercises_zh(in_course, monkeypatch):
    monkeypatch.setenv("MINILM_LANG", "zh")
    assert grading.learner_target() == "exercises/zh"
    (row,) = grading.grade(["ex01"])
    assert (row.target, row.passed, row.total) == ("exercises/zh", 1, 3)
    assert row.file == "exercises/zh/ex01_demo.py"
    assert {t.name: t.outcome for t in row.tests}["test_mul"] == "passed"
    (row,) = grading.grade(["ex01"], target="exercises")  # an explicit folder wins
    assert (row.target, row.passed) == ("exercises", 2)
    monkeypatch.setenv("MINILM_LANG", "en")
    assert grading.learner_target() == "exercises"
    with pytest.raises(ValueError, match="lang must be one of"):
        grading.learner_target("fr")


def test_check_in_chinese_names_the_chinese_file(in_course, monkeypatch, capsys):
    monkeypatch.setenv("MINILM_LANG", "zh")
    grading.check("ex01", "add")
    out = capsys.readouterr().out
    assert "exercises/zh/ex01_demo.py" in out and "NotImplementedError" in out and "0 / 2" in out
    grading.check("ex01", "nope")
    assert "exercises/zh/ex01_demo.py has no function 'nope'" in capsys.readouterr().out


def test_cli_lang_zh_grades_exercises_zh(in_course, monkeypatch, capsys):
    monkeypatch.setenv("MINILM_LANG", "en")  # restored after the test: --lang sets it for the process
    assert main(["grade", "ex01", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "exercises/zh/" in out.splitlines()[0] and "1 / 3" in out
    assert "在 exercises/zh/ 中补全" in out  # the hint names the folder graded
    assert main(["grade", "ex01", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "2 / 3" in out and "Fill in the functions in exercises/ and grade again" in out


@pytest.fixture(scope="module")
def hostile_zh(tmp_path_factory):
    """Learner code in exercises/zh/ that loops or peeks at the solutions; 2 s budgets."""
    root = tmp_path_factory.mktemp("hostile_zh")
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")
    for name in ("ex02_broken", "ex09_peek", "ex14_loop_twice", "ex18_wrong"):
        broken = "def add(a, b)\n    return a + b\n"
        write(root / "exercises" / "zh" / f"{name}.py", HOSTILE.get(name, broken))
        write(root / "solutions" / f"{name}.py", SOLVED)
        write(root / "tests" / "exercises" / f"test_{name}.py", TESTS.format(name=name))
    # a wrong answer whose test explains itself, and that explanation's Chinese form
    write(root / "exercises" / "zh" / "ex18_wrong.py", SOLVED.replace("return a * b", "return a + b"))
    write(root / "tests" / "exercises" / "test_ex18_wrong.py", TESTS.format(name="ex18_wrong").replace(
        "ex.mul(3, 4) == 12", 'ex.mul(3, 4) == 12, f"mul(3, 4) gave {ex.mul(3, 4)}"'))
    write(root / "tests" / "exercises" / "hints_zh.py",
          'HINTS_ZH = {"mul(3, 4) gave {ex.mul(3, 4)}": "mul(3, 4) 得到了 {ex.mul(3, 4)}"}\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(grading.ROOT_ENV, str(root))
        mp.setenv(grading.BUDGET_ENV, "2")
        rows = {r.exercise: r for r in grading.grade(target="exercises/zh")}
        mp.setenv("MINILM_LANG", "zh")
        (rows["ex18_wrong_zh"],) = grading.grade(["ex18"], target="exercises/zh")
    return root, rows


def test_the_chinese_folder_is_guarded_like_exercises(hostile_zh):
    root, rows = hostile_zh
    peek = rows["ex09_peek"]
    assert (peek.passed, peek.total) == (0, 3)
    assert "PermissionError: not allowed while your exercises are graded: reading" in peek.errors[0]
    loop = rows["ex14_loop_twice"]
    (problem,) = loop.problems  # the endless loop is found in exercises/zh/ and costs one budget
    assert problem.startswith("timed out after 2 s in test_add_small (add, exercises/zh/ex14_loop_twice.py")
    assert {t.name: t.message for t in loop.tests}["test_add_negative"].startswith(
        "TimeoutError: add ran past its budget in an earlier test")
    messages = {t.name: t.message for t in rows["ex18_wrong"].tests}
    assert messages["test_mul"].startswith("AssertionError: mul(3, 4) gave 7")
    messages = {t.name: t.message for t in rows["ex18_wrong_zh"].tests}  # MINILM_LANG=zh
    assert messages["test_mul"] == "AssertionError: mul(3, 4) 得到了 7"
    assert rows["ex02_broken"].errors == ("exercises/zh/ex02_broken.py line 1: SyntaxError: expected ':' "
                                          "in: def add(a, b)",)
