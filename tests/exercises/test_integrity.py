"""The exercises hang together: every stub has a solution with the same API and graded tests,
every graded test FAILS on the shipped stubs (so no test passes for free), every graded
test passes on the solutions (so a correct answer can reach full points), every test is
named after the one function it grades (``check("exNN", "function")`` relies on it), and
every deliberately wrong solution in ``tests/exercises/mutants/`` fails at least one graded
test (so a plausible mistake cannot reach full points either).

The graded tests run in subprocesses through ``minilm.grade.grade``, exactly as
``python -m minilm grade`` runs them for a learner.
"""

import ast
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from learner_edits import edited_by_learner
from mutation import mutant_files, redefined_functions

from minilm.grade import (
    CheckReport,
    GradedTest,
    Score,
    check,
    exercise_functions,
    exercise_names,
    function_of_test,
    grade,
    load_target,
)
from minilm.syllabus import CONCEPTS

ROOT = Path(__file__).resolve().parents[2]
STUBS = sorted(p.stem for p in (ROOT / "exercises").glob("ex[0-9]*.py"))
GRADED = exercise_names()


def public_api(module) -> dict[str, str]:
    """name -> signature of every public function and class defined in ``module``."""
    return {name: str(inspect.signature(obj)) for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__}


@pytest.fixture(scope="module")
def scores():
    """target -> {exercise: Score}, graded once per target for the whole module."""
    cache: dict[str, dict] = {}

    def get(target: str) -> dict:
        if target not in cache:
            cache[target] = {row.exercise: row for row in grade(GRADED, target=target)}
        return cache[target]
    return get


def test_there_are_exercises():
    assert STUBS, "exercises/ holds no exNN_*.py files"
    assert "ex00_warmup" in STUBS


def test_every_graded_test_file_belongs_to_an_exercise():
    orphans = sorted(set(GRADED) - set(STUBS))
    assert orphans == [], "tests/exercises/test_<name>.py without exercises/<name>.py"


@pytest.mark.parametrize("name", STUBS)
def test_each_stub_has_a_solution_and_graded_tests(name):
    assert re.fullmatch(r"ex\d\d_[a-z0-9_]+", name), f"{name}: name exercises exNN_topic.py"
    assert (ROOT / "solutions" / f"{name}.py").is_file(), f"solutions/{name}.py is missing"
    test_file = ROOT / "tests" / "exercises" / f"test_{name}.py"
    assert test_file.is_file(), f"tests/exercises/test_{name}.py is missing"
    assert f'load_target("{name}")' in test_file.read_text(), \
        f"{test_file.name} must grade its own exercise: ex = load_target(\"{name}\")"


@pytest.mark.parametrize("name", STUBS)
def test_stub_and_solution_have_the_same_public_functions_and_signatures(name):
    stub, solution = load_target(name, "exercises"), load_target(name, "solutions")
    stub_api = public_api(stub)
    assert stub_api, f"exercises/{name}.py defines no public function"
    assert stub_api == public_api(solution)
    for fn_name in stub_api:
        doc = inspect.getdoc(getattr(stub, fn_name)) or ""
        assert len(doc) > 40, f"exercises/{name}.py: {fn_name} needs a docstring stating the task"


@pytest.mark.parametrize("name", GRADED)
def test_every_graded_test_fails_on_the_stubs(name, scores):
    if edited_by_learner(f"exercises/{name}.py"):
        pytest.skip(f"exercises/{name}.py has your edits; this check is for the shipped stubs")
    row = scores("exercises")[name]
    assert row.errors == (), f"test_{name}.py does not even import against the stubs: {row.errors}"
    assert row.total > 0, f"test_{name}.py has no tests"
    passing = [t.name for t in row.tests if t.outcome == "passed"]
    assert passing == [], f"these graded tests pass on the unsolved stub (they must fail): {passing}"
    not_failing = {t.name: t.outcome for t in row.tests if t.outcome != "failed"}
    assert not_failing == {}, "a graded test must fail in its body, not error or skip"


@pytest.mark.parametrize("name", GRADED)
def test_every_graded_test_passes_on_the_solutions(name, scores):
    row = scores("solutions")[name]
    assert row.errors == ()
    failing = {t.name: t.message for t in row.tests if t.outcome != "passed"}
    assert failing == {}
    assert row.passed == row.total > 0 and row.points == row.max_points


# One function, its own tests: check("exNN", "function") grades exactly these ------------

def graded_test_names(name: str) -> list[str]:
    tree = ast.parse((ROOT / "tests" / "exercises" / f"test_{name}.py").read_text())
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


@pytest.mark.parametrize("name", GRADED)
def test_every_graded_test_is_named_after_the_function_it_grades(name):
    functions = exercise_functions(name, "exercises")
    tests = graded_test_names(name)
    orphans = [t for t in tests if function_of_test(t, functions) is None]
    assert orphans == [], f"name these tests test_<function>_... after one of {functions}"
    untested = [f for f in functions if all(function_of_test(t, functions) != f for t in tests)]
    assert untested == [], f"functions of exercises/{name}.py without a graded test"


# Mutants: plausible wrong solutions must each fail a graded test ---------------------------

@pytest.mark.parametrize("name", GRADED)
def test_every_function_has_mutants_that_redefine_real_functions(name):
    functions = exercise_functions(name, "solutions")
    redefined = {f: m.name for m in mutant_files(name) for f in redefined_functions(m)}
    unknown = set(redefined) - set(functions)
    assert unknown == set(), f"mutants redefine functions the solution does not have: {unknown}"
    assert sorted(set(functions) - set(redefined)) == [], \
        f"write a wrong solution for each of these in tests/exercises/mutants/{name}/"


@pytest.mark.parametrize("name", GRADED)
def test_every_mutant_fails_a_graded_test(name, tmp_path):
    """Runs tests/exercises/mutation.py (all mutants of one exercise in one process)."""
    report = tmp_path / "mutants.json"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    runner = ROOT / "tests" / "exercises" / "mutation.py"
    done = subprocess.run([sys.executable, str(runner), name, str(report)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=path), capture_output=True, text=True, timeout=1200)
    assert report.is_file(), f"the mutation run did not finish:\n{(done.stdout + done.stderr)[-3000:]}"
    exit_codes = json.loads(report.read_text())
    assert exit_codes, f"no mutants in tests/exercises/mutants/{name}/"
    survivors = {mutant: code for mutant, code in exit_codes.items() if code != 1}
    # 1: a graded test failed (caught). 0: every graded test passed. 2-5: it did not even run.
    assert survivors == {}, f"these wrong solutions are not caught (pytest exit code): {survivors}"


def test_check_report_shows_one_row_per_function_with_its_first_failure():
    tests = (GradedTest("test_add_small", "passed", ""),
             GradedTest("test_add_negative[3]", "failed", "AssertionError: -2"),
             GradedTest("test_add_negative[4]", "failed", "AssertionError: -3"),
             GradedTest("test_mul", "failed", "NotImplementedError: multiply"))
    row = Score("ex01_demo", 1, 4, 2.5, tests)
    lines = repr(CheckReport(row, functions=["add", "mul"])).splitlines()
    assert lines[0] == "ex01_demo: 1/4 tests pass — keep going."
    assert lines[2].split()[:2] == ["function", "tests"]
    assert lines[3].split()[:5] == ["add", "1", "/", "3", "✗"]
    assert "test_add_negative[3]: AssertionError: -2" in lines[3]
    assert lines[4].split()[:4] == ["mul", "0", "/", "1"] and "NotImplementedError: multiply" in lines[4]
    assert len(lines) == 5, "one row per function, not one line per failing test"


def test_check_of_one_function_grades_only_its_tests(capsys):
    """What a section's check cell prints: the one function, all its tests, nothing else."""
    check("ex00_warmup", "is_causal", target="solutions")
    lines = capsys.readouterr().out.strip().splitlines()
    n = sum(function_of_test(t, ["is_causal"]) == "is_causal" for t in graded_test_names("ex00_warmup"))
    assert lines[0].startswith("ex00_warmup: All ") and "is_causal is solved" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == ["function", "is_causal"]
    assert int(lines[3].split()[3]) >= n > 0, "every test of is_causal ran"


# The syllabus's starred concepts each have a graded exercise -------------------------------

STARRED = ("AE-1", "AE-2", "AR-1", "AR-3", "AR-4", "GPT-2", "GPT-5", "BERT-2", "BERT-3", "BERT-4",
           "BART-2", "GLM-1", "GLM-2", "GLM-3", "GLM-4", "GLM-6")


@pytest.mark.parametrize("concept_id", STARRED)
def test_every_starred_concept_has_a_graded_function(concept_id):
    concept = next(c for c in CONCEPTS if c.id == concept_id)
    stem, _, function = (concept.exercise or "").partition(".")
    assert function, f"{concept_id} needs an exercise function in minilm/syllabus.py (exNN_topic.function)"
    tests = [t for t in graded_test_names(stem) if function_of_test(t, exercise_functions(stem)) == function]
    assert tests, f"{concept.exercise} has no graded test"
