"""The Chinese edition stays in step with the English (``minilm.i18n``, docs/CONTRIBUTING.md).

On the real notebooks: every English notebook has a twin in notebooks/zh/ with the same
cells, the English code and a translation of the current English text; the glossary
covers the syllabus and the notebooks use its terms. On copies in a temporary folder:
``python -m minilm i18n sync --check`` fails after an English code cell or paragraph
changes, and passes again after ``sync`` / ``--mark``.
"""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from learner_edits import edited_by_learner

from minilm import i18n, i18n_files
from minilm.__main__ import main
from minilm.syllabus import CONCEPTS

ROOT = Path(__file__).resolve().parents[1]


def missing_reason() -> str:
    return "no Chinese notebook yet for: " + ", ".join(i18n.missing_twins(ROOT))


# ------------------------------------------------------------------ the real notebooks
def test_every_english_notebook_has_a_chinese_twin():
    if i18n.missing_twins(ROOT):
        pytest.fail(missing_reason() + " (write notebooks/zh/NAME.ipynb: docs/CONTRIBUTING.md)")


@pytest.mark.parametrize("english", i18n.english_notebooks(ROOT), ids=lambda p: p.stem)
def test_chinese_notebook_is_in_step_with_the_english(english):
    twin = i18n.twin_of(english)
    if not twin.is_file():
        pytest.fail(f"notebooks/zh/{english.name} is not written yet")
    report = i18n.sync_notebook(english, twin, ROOT, write=False)
    assert not report.problems(), "\n".join(report.problems())


def zh_markdown() -> dict[str, str]:
    """Notebook name -> the text of its markdown cells, for every Chinese notebook."""
    def text(path: Path) -> str:
        notebook = nbformat.read(path, as_version=4)
        return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")

    return {p.name: text(p) for p in sorted((ROOT / i18n.TWIN_DIR).glob("*.ipynb"))}


def glossary_rows() -> list[i18n.GlossaryRow]:
    path = ROOT / i18n.GLOSSARY
    if not path.is_file():
        pytest.fail(f"{i18n.GLOSSARY} is not written yet")
    return i18n.read_glossary(path.read_text(encoding="utf-8"))


def test_glossary_has_a_row_for_every_syllabus_concept():
    ids = {row.id for row in glossary_rows()}
    missing = [c.id for c in CONCEPTS if c.id not in ids]
    assert not missing, f"docs/glossary.md has no row for {', '.join(missing)}"


def test_chinese_notebooks_use_the_glossary_terms():
    rows = glossary_rows()
    if i18n.missing_twins(ROOT):
        pytest.fail("the terms are checked once every notebook is translated; " + missing_reason())
    problems = i18n.glossary_problems(rows, zh_markdown())
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------ a course in a temp folder
@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with 00_welcome and a translated twin; the CLI works on it."""
    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    english = tmp_path / "notebooks" / "00_welcome.ipynb"
    shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", english)
    shutil.copy(english, i18n.twin_of(english))
    monkeypatch.setenv("MINILM_COURSE_ROOT", str(tmp_path))
    assert main(["i18n", "sync"]) == 0
    translate(i18n.twin_of(english))
    assert main(["i18n", "sync", "--mark-all", "00_welcome"]) == 0
    return english


def translate(twin: Path, prefix: str = "译文：") -> None:
    nb = nbformat.read(twin, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = prefix + cell.source
    nbformat.write(nb, twin)


def edit(path: Path, cell_type: str, change) -> str:
    """Apply ``change`` to the source of the first ``cell_type`` cell after the title; its id."""
    nb = nbformat.read(path, as_version=4)
    cell = [c for c in nb.cells if c.cell_type == cell_type][1]
    cell.source = change(cell.source)
    nbformat.write(nb, path)
    return cell.id


def check(capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["i18n", "sync", "--check"])
    return status, capsys.readouterr().out


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_a_translated_twin_passes_the_check(course, capsys):
    status, out = check(capsys)
    assert status == 0, out
    twin = i18n.twin_of(course)
    assert [c["id"] for c in cells(twin)] == [c["id"] for c in cells(course)]
    assert all(c["source"][0].startswith("译文：") for c in cells(twin) if c["cell_type"] == "markdown")


def test_an_edited_english_code_cell_fails_the_check_until_synced(course, capsys):
    cell_id = edit(course, "code", lambda s: s + "\nprint('one more line')")
    status, out = check(capsys)
    assert status == 1
    assert f"notebooks/zh/00_welcome.ipynb cell {cell_id}: the code cell differs" in out
    assert "run `python -m minilm i18n sync`" in out
    assert main(["i18n", "sync"]) == 0
    assert check(capsys)[0] == 0
    code = [c for c in cells(i18n.twin_of(course)) if c["id"] == cell_id][0]
    assert code == [c for c in cells(course) if c["id"] == cell_id][0]


def test_an_edited_english_paragraph_makes_its_translation_stale_until_marked(course, capsys):
    cell_id = edit(course, "markdown", lambda s: s.replace(" ", "  ", 1))
    status, out = check(capsys)
    assert status == 1
    assert (f"stale: notebooks/zh/00_welcome.ipynb cell {cell_id}: the English text changed since it was "
            "translated; retranslate it and run "
            f"`python -m minilm i18n sync --mark 00_welcome:{cell_id}`") in out
    assert main(["i18n", "sync"]) == 0 and check(capsys)[0] == 1  # sync alone cannot translate
    assert main(["i18n", "sync", "--mark", f"00_welcome:{cell_id}"]) == 0
    assert check(capsys)[0] == 0


def test_sync_adds_removes_and_orders_cells_as_the_english_does(course, capsys):
    en = nbformat.read(course, as_version=4)
    dropped = en.cells.pop(2)
    added = nbformat.v4.new_markdown_cell("A new paragraph.")
    en.cells.insert(3, added)
    en.cells[4], en.cells[5] = en.cells[5], en.cells[4]
    nbformat.write(en, course)
    status, out = check(capsys)
    assert status == 1
    assert f"cell {dropped.id}: the English has no such cell" in out and f"cell {added.id}: missing" in out
    assert "not in the English order" in out
    assert main(["i18n", "sync"]) == 0
    twin_cells = cells(i18n.twin_of(course))
    assert [c["id"] for c in twin_cells] == [c.id for c in en.cells]
    new = twin_cells[3]
    assert new["source"] == ["A new paragraph."] and new["metadata"]["i18n"]["untranslated"] is True
    status, out = check(capsys)
    assert status == 1 and f"untranslated: notebooks/zh/00_welcome.ipynb cell {added.id}" in out


def test_sync_strips_outputs_from_code_cells(course, capsys):
    en = nbformat.read(course, as_version=4)
    code = next(c for c in en.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    code.execution_count = 3
    nbformat.write(en, course)
    assert main(["i18n", "sync"]) == 0
    twin = next(c for c in cells(i18n.twin_of(course)) if c["id"] == code.id)
    assert twin["outputs"] == [] and twin["execution_count"] is None


def test_status_counts_translated_stale_and_untranslated_cells(course, capsys):
    markdown = sum(c["cell_type"] == "markdown" for c in cells(course))
    edit(course, "markdown", lambda s: s + " More.")
    capsys.readouterr()
    assert main(["i18n", "status"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("00_welcome"))
    assert line.split()[1:4] == [str(markdown - 1), "1", "0"]


def test_marking_an_unknown_cell_says_what_to_do(course, capsys):
    assert main(["i18n", "sync", "--mark", "00_welcome:nosuchid"]) == 2
    err = capsys.readouterr().err
    assert "no markdown cell nosuchid" in err and "python -m minilm i18n sync" in err
    assert main(["i18n", "sync", "--mark", "no-colon"]) == 2


# ------------------------------------------------------------------------- the glossary
GLOSSARY = """\
| ID | English | 中文 | Where taught | Avoid |
|---|---|---|---|---|
| BERT-2 | MLM | 掩码语言模型 | `05` | 屏蔽语言模型、掩蔽语言模型（旧译） |
| AE-4 | autoencoding LM | 自编码语言模型（完形填空） | `01_autoencoders_dae.ipynb` | |
| GLM-7 | generation | 无条件生成 / 条件生成 | `07_glm_blank_infilling.ipynb` | |
"""


def test_read_glossary_splits_alternatives_and_drops_asides():
    rows = i18n.read_glossary("# Title\n\nSome prose.\n\n" + GLOSSARY)
    assert [r.id for r in rows] == ["BERT-2", "AE-4", "GLM-7"]
    assert rows[0].avoid == ("屏蔽语言模型", "掩蔽语言模型")
    assert rows[1].terms == ["自编码语言模型"] and rows[2].terms == ["无条件生成", "条件生成"]


def test_glossary_problems_name_unused_terms_and_avoided_variants():
    rows = i18n.read_glossary(GLOSSARY)
    good = {"05.ipynb": "掩码语言模型（MLM）与自编码语言模型，条件生成与无条件生成。"}
    assert i18n.glossary_problems(rows, good) == []
    bad = {"05.ipynb": "屏蔽语言模型与自编码语言模型，无条件生成。"}
    problems = i18n.glossary_problems(rows, bad)
    assert any("no Chinese notebook uses the term '掩码语言模型'" in p for p in problems)
    assert any(p.startswith("05.ipynb: uses '屏蔽语言模型'") for p in problems)
    assert not any("'条件生成'" in p for p in problems)  # found inside 无条件生成: still used


# ------------------------------------------- a Chinese notebook runs where the course runs
@pytest.mark.slow
def test_a_chinese_notebook_runs_under_nbval_from_notebooks_zh(tmp_path):
    """The test command's `pytest --nbval-lax ... notebooks` also collects notebooks/zh/ and
    runs it in FAST mode: a twin of 00 (English text, as sync makes it) with the setup cell
    unchanged finds the course one folder deeper, turns Chinese, and links the Chinese map."""
    import os
    import subprocess
    import sys

    english = tmp_path / "notebooks" / "00_welcome.ipynb"
    i18n.twin_of(english).parent.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / english.name, english)
    shutil.copy(english, i18n.twin_of(english))
    i18n.sync(tmp_path)
    twin = nbformat.read(i18n.twin_of(english), as_version=4)
    twin.cells.append(nbformat.v4.new_code_cell(
        "import os\nfrom minilm.syllabus import course_map_markdown\n"
        "assert os.environ['MINILM_LANG'] == 'zh'\n"
        "assert '](../../notebooks/zh/03_gpt_pretraining.ipynb)' in course_map_markdown(root='../')"))
    nbformat.write(twin, i18n.twin_of(english))
    english.unlink()  # only the Chinese notebook runs
    env = {**os.environ, "MINILM_FAST": "1", "MINILM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    env.pop("MINILM_LANG", None)
    env.pop("MINILM_COURSE_ROOT", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", "notebooks"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    cells = sum(c.cell_type == "code" for c in twin.cells)
    assert f"{cells} passed" in run.stdout


# ------------------------------------------- the exercise files and the grading page
@pytest.mark.parametrize("english, twin", i18n_files.file_twins(ROOT), ids=lambda p: p.as_posix())
def test_every_exercise_file_and_the_grading_page_have_a_current_chinese_twin(english, twin):
    found = i18n_files.check_twin(ROOT, english, twin)
    if found.code and edited_by_learner(twin.as_posix()):
        pytest.skip(f"{twin} has your edits; its code is compared on the shipped file")
    assert not found.problems(), "\n".join(found.problems())


@pytest.mark.parametrize("stub", sorted((ROOT / "exercises").glob("ex[0-9]*.py")), ids=lambda p: p.stem)
def test_every_chinese_exercise_states_each_task_in_chinese(stub):
    import ast
    twin = stub.parent / "zh" / stub.name
    tree = ast.parse(twin.read_text(encoding="utf-8"))
    docs = {n.name: ast.get_docstring(n) or "" for n in tree.body if isinstance(n, ast.FunctionDef)}
    docs["module"] = ast.get_docstring(tree) or ""
    untranslated = [name for name, doc in docs.items()
                    if sum("\u4e00" <= ch <= "\u9fff" for ch in doc) < 10]
    assert not untranslated, f"{twin.name}: no Chinese text in the docstring of {untranslated}"
    assert "--lang zh" in docs["module"], f"{twin.name}: the grading command needs --lang zh"


def test_the_chinese_files_use_the_glossary_terms():
    rows = glossary_rows()
    texts = i18n_files.translated_text(ROOT)
    assert texts, "no Chinese exercise files or pages found"
    problems = [p for p in i18n.glossary_problems(rows, texts) if "no Chinese notebook uses" not in p]
    assert not problems, "\n".join(problems)


ENGLISH_STUB = '''"""Exercise 99 · demo."""


def add(a: int, b: int) -> int:
    """Add two numbers."""
    raise NotImplementedError("add them")
'''
CHINESE_STUB = '''"""练习 99 · 演示。"""


def add(a: int, b: int) -> int:
    """把两个数相加。"""
    raise NotImplementedError("把它们相加")  # 一条注释
'''


@pytest.fixture
def file_course(tmp_path, monkeypatch):
    """A course folder with one exercise stub and its Chinese twin, marked as translated."""
    (tmp_path / "exercises" / "zh").mkdir(parents=True)
    (tmp_path / "exercises" / "ex99_demo.py").write_text(ENGLISH_STUB, encoding="utf-8")
    twin = tmp_path / "exercises" / "zh" / "ex99_demo.py"
    twin.write_text("# i18n-source: exercises/ex99_demo.py sha256=PENDING\n" + CHINESE_STUB, encoding="utf-8")
    monkeypatch.setenv("MINILM_COURSE_ROOT", str(tmp_path))
    return tmp_path


def test_an_exercise_twin_is_untranslated_until_marked_then_in_step(file_course, capsys):
    status, out = check(capsys)
    assert status == 1 and "untranslated: exercises/zh/ex99_demo.py" in out
    assert "--mark exercises/zh/ex99_demo.py" in out
    assert main(["i18n", "sync", "--mark", "exercises/zh/ex99_demo.py"]) == 0
    status, out = check(capsys)
    assert status == 0, out
    first = (file_course / "exercises" / "zh" / "ex99_demo.py").read_text(encoding="utf-8").splitlines()[0]
    english_hash = i18n.source_sha256(ENGLISH_STUB)  # the hash of the English file's text
    assert first == f"# i18n-source: exercises/ex99_demo.py sha256={english_hash}"


def test_an_edited_english_stub_makes_its_twin_stale_until_marked(file_course, capsys):
    main(["i18n", "sync", "--mark", "exercises/zh/ex99_demo.py"])
    stub = file_course / "exercises" / "ex99_demo.py"
    stub.write_text(ENGLISH_STUB.replace("Add two numbers.", "Add two integers."), encoding="utf-8")
    status, out = check(capsys)
    assert status == 1 and "stale: exercises/zh/ex99_demo.py: exercises/ex99_demo.py changed" in out
    assert main(["i18n", "sync", "--mark", "exercises/zh/ex99_demo.py"]) == 0
    assert check(capsys)[0] == 0


def test_a_twin_whose_code_differs_is_out_of_step(file_course, capsys):
    main(["i18n", "sync", "--mark", "exercises/zh/ex99_demo.py"])
    twin = file_course / "exercises" / "zh" / "ex99_demo.py"
    text = twin.read_text(encoding="utf-8")
    twin.write_text(text.replace("b: int) -> int", "b: float) -> int"), encoding="utf-8")
    status, out = check(capsys)
    assert status == 1 and "out of step: exercises/zh/ex99_demo.py add: differs from the English" in out
    twin.write_text(text + "\n\ndef extra():\n    pass\n", encoding="utf-8")
    assert "extra: the English has no such statement" in check(capsys)[1]
    twin.unlink()
    status, out = check(capsys)
    assert status == 1 and "missing: exercises/zh/ex99_demo.py" in out


def test_code_differences_ignore_only_docstrings_comments_and_the_todo_message():
    assert i18n_files.code_differences(ENGLISH_STUB, CHINESE_STUB) == []
    changed_body = CHINESE_STUB.replace('raise NotImplementedError("把它们相加")', "return a + b")
    assert i18n_files.code_differences(ENGLISH_STUB, changed_body) == ["add: differs from the English"]
    other_error = CHINESE_STUB.replace("NotImplementedError", "ValueError")
    assert i18n_files.code_differences(ENGLISH_STUB, other_error) == ["add: differs from the English"]
    assert i18n_files.code_differences(ENGLISH_STUB, "def add(a, b)\n")[0].startswith("line 1: SyntaxError")


def test_marking_something_that_is_not_a_twin_says_which_are(file_course, capsys):
    assert main(["i18n", "sync", "--mark", "exercises/ex99_demo.py"]) == 2
    assert "is not a Chinese twin; they are: exercises/zh/ex99_demo.py" in capsys.readouterr().err


# --------------------------------- the graded tests' failure messages, in Chinese too
def message_templates() -> dict[str, str]:
    """English template ("query {i} sees the later key {j}") -> where, for every
    ``assert ..., "message"`` in tests/exercises/test_ex*.py."""
    import ast

    def template(node) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if not isinstance(node, ast.JoinedStr):
            return None
        out = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                out += part.value
            else:
                spec = "".join(x.value for x in part.format_spec.values) if part.format_spec else ""
                out += "{" + ast.unparse(part.value) + (":" + spec if spec else "") + "}"
        return out

    found = {}
    for path in sorted((ROOT / "tests" / "exercises").glob("test_ex*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert) and node.msg is not None and template(node.msg) is not None:
                found.setdefault(template(node.msg), f"{path.name} line {node.lineno}")
    return found


def test_every_graded_test_message_has_a_chinese_form():
    import re
    import runpy

    hints = runpy.run_path(str(ROOT / "tests" / "exercises" / "hints_zh.py"))["HINTS_ZH"]
    used = message_templates()
    missing = [f"{where}: {english!r}" for english, where in used.items() if english not in hints]
    assert not missing, "add these to tests/exercises/hints_zh.py:\n" + "\n".join(missing)
    unused = [english for english in hints if english not in used]
    assert not unused, f"tests/exercises/hints_zh.py has messages no graded test uses: {unused}"
    field = re.compile(r"\{([^{}]+)\}")
    for english, chinese in hints.items():
        assert sorted(field.findall(english)) == sorted(field.findall(chinese)), english
        assert re.search("[\u4e00-\u9fff]", chinese), english


def test_every_chinese_grading_command_grades_the_chinese_files():
    """`python -m minilm grade` without --lang zh grades exercises/, not the Chinese learner's
    exercises/zh/: every such command a Chinese page shows must carry --lang zh."""
    import re

    texts = {**zh_markdown(), **i18n_files.translated_text(ROOT),
             "README.zh.md": (ROOT / "README.zh.md").read_text(encoding="utf-8")}
    command = re.compile(r"minilm grade\b[^`\n]*")
    bare = [f"{name}: {m.group(0)!r}" for name, text in texts.items() for m in command.finditer(text)
            if "--lang zh" not in text[m.start():m.end() + 60] and "--target" not in m.group(0)]
    assert not bare, "add --lang zh to:\n" + "\n".join(bare)
