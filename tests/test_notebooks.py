"""Notebook conventions (docs/CONTRIBUTING.md) and the course map (minilm/syllabus.py).

Running the notebooks is nbval's job (``MINILM_FAST=1 pytest --nbval-lax notebooks``, the
README's test command); these tests read them: no committed outputs, the same setup cell,
the same head and foot, and every syllabus row pointing at a real heading and real code.
"""

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from minilm.course import SETUP_CELL
from minilm.grade import exercise_names
from minilm.syllabus import (
    CONCEPTS,
    MAP_END,
    MAP_START,
    NOTEBOOKS,
    TITLES_ZH,
    chinese_section,
    course_map_markdown,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
FILES = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))  # the course; presenter.ipynb is for instructors
FOOT = ["Summary", "Exercises", "Read next"]


def read(path: Path):
    return nbformat.read(path, as_version=4)


def headings(nb) -> list[str]:
    """The text of every Markdown heading (without the #'s), code fences skipped."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced and re.match(r"#{1,6} ", line):
                out.append(line.lstrip("#").strip())
    return out


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_welcome_notebook_exists():
    assert (NOTEBOOK_DIR / "00_welcome.ipynb").is_file()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_notebook_is_numbered_and_on_the_course_map(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", path.stem), "name notebooks NN_topic.ipynb"
    assert path.stem in NOTEBOOKS, f"add {path.stem!r} to minilm.syllabus.NOTEBOOKS"
    nbformat.validate(read(path))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = read(path)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert dirty == [], f"cells {dirty} have outputs or execution counts: clear them before committing"
    assert "widgets" not in nb.metadata, "saved widget state: clear it (Edit > Clear Outputs of All Cells)"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_first_code_cell_is_the_setup_cell(path):
    cells = code_cells(read(path))
    assert cells, "a notebook without code"
    assert cells[0].source == SETUP_CELL, "the first code cell must be minilm.course.SETUP_CELL, unchanged"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_notebook_has_the_course_head_and_foot(path):
    nb = read(path)
    assert nb.cells[0].cell_type == "markdown"
    number = path.stem[:2]
    title = nb.cells[0].source
    assert re.match(rf"# {number} · \S", title), f"the first cell is the title '# {number} · ...'"
    found = headings(nb)
    assert found[-len(FOOT):] == FOOT, f"the notebook ends with the sections {FOOT}, got {found[-3:]}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_check_cells_name_real_exercises(path):
    names = exercise_names()
    for cell in code_cells(read(path)):
        for name in re.findall(r"""\bcheck\(\s*["']([^"']+)["']""", cell.source):
            assert any(n == name or n.startswith(name) for n in names), f"check({name!r}): no such exercise"


# The course map ----------------------------------------------------------------------

def test_every_concept_names_a_known_notebook():
    unknown = {c.id: c.notebook for c in CONCEPTS if c.notebook not in NOTEBOOKS}
    assert unknown == {}
    assert len({c.id for c in CONCEPTS}) == len(CONCEPTS), "syllabus IDs must be unique"


@pytest.mark.parametrize("concept", [c for c in CONCEPTS if (NOTEBOOK_DIR / f"{c.notebook}.ipynb").is_file()],
                         ids=lambda c: c.id)
def test_each_concept_of_a_written_notebook_points_at_one_of_its_headings(concept):
    assert concept.section, f"{concept.id}: fill in its section (a heading of {concept.notebook})"
    found = headings(read(NOTEBOOK_DIR / f"{concept.notebook}.ipynb"))
    assert concept.section in found, f"{concept.id}: no heading {concept.section!r} in {concept.notebook}"


def resolve(dotted: str):
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ModuleNotFoundError:
            continue
        for attr in parts[n:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("concept", [c for c in CONCEPTS if c.function], ids=lambda c: c.id)
def test_each_concept_function_imports(concept):
    assert concept.function.startswith("minilm.")
    assert callable(resolve(concept.function))


@pytest.mark.parametrize("concept", [c for c in CONCEPTS if c.exercise], ids=lambda c: c.id)
def test_each_concept_exercise_exists(concept):
    stem, _, function = concept.exercise.partition(".")
    path = ROOT / "exercises" / f"{stem}.py"
    assert path.is_file(), f"{concept.id}: exercises/{stem}.py does not exist"
    if function:
        assert re.search(rf"^(def|class) {re.escape(function)}\b", path.read_text(), re.M), \
            f"{concept.id}: exercises/{stem}.py defines no {function}"


def test_course_map_marks_unwritten_notebooks_as_coming(tmp_path):
    (tmp_path / "00_welcome.ipynb").write_text("{}")
    table = course_map_markdown(notebooks_dir=tmp_path).splitlines()
    assert table[0] == "| ID | concept | notebook § section | minilm function | exercise |"
    assert len(table) == 2 + len(CONCEPTS)
    glm3 = next(line for line in table if line.startswith("| GLM-3 |"))
    assert "07_glm_blank_infilling (coming)" in glm3
    assert "[`minilm.masks.glm_mask`](minilm/masks.py)" in glm3
    in_notebook = course_map_markdown(root="../", notebooks_dir=tmp_path)
    assert "](../minilm/masks.py)" in in_notebook


def test_compact_course_map_fits_a_jupyterlab_cell():
    # A cell of JupyterLab at its default width is about 864 px; a table column is at least
    # as wide as its longest word (a dotted path cannot wrap), about 8 px per character of
    # 13 px text and code, plus 16 px of padding. The full table needed about 1,190 px.
    table = course_map_markdown(root="../", compact=True).splitlines()
    assert table[1] == "| :--- | :--- | :--- | :--- | :--- |"  # left-aligned (JupyterLab's default is right)
    rows = [line.strip("|").split(" | ") for line in table[2:]]
    visible = [[re.sub(r"\]\([^)]*\)", "", cell).replace("[", "").replace("`", "") for cell in row]
               for row in rows]
    columns = zip(*visible, strict=True)
    longest_words = [max(len(word) for cell in column for word in cell.split()) for column in columns]
    assert sum(8 * n + 16 for n in longest_words) <= 864, longest_words
    glm3 = next(line for line in table if line.startswith("| GLM-3 |"))
    assert '[`glm_mask`](../minilm/masks.py "minilm.masks.glm_mask")' in glm3  # the full path on hover
    assert "[07](../notebooks/07_glm_blank_infilling.ipynb) § The Part A / Part B mask" in glm3


def test_welcome_notebook_shows_the_compact_course_map():
    cells = [c for c in nbformat.read(NOTEBOOK_DIR / "00_welcome.ipynb", as_version=4).cells
             if "course_map_markdown" in c.source and c.cell_type == "code"]
    assert cells and all("compact=True" in c.source for c in cells)


def test_readme_shows_the_current_course_map():
    readme = ROOT / "README.md"
    if not readme.is_file():
        pytest.skip("README.md is not written yet")
    text = readme.read_text()
    assert MAP_START in text and MAP_END in text, "the README needs the course-map markers"
    assert course_map_markdown() in text, \
        "the README's course map is stale: run python -m minilm map --update README.md"


def test_chinese_readme_shows_the_current_chinese_course_map():
    text = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    assert MAP_START in text and MAP_END in text, "README.zh.md needs the course-map markers"
    assert course_map_markdown(lang="zh") in text, \
        "README.zh.md's course map is stale: run python -m minilm map --update README.zh.md"


def test_chinese_course_map_has_a_chinese_title_and_section_for_every_concept():
    assert set(TITLES_ZH) == {c.id for c in CONCEPTS}
    table = course_map_markdown(lang="zh").splitlines()
    assert table[0] == "| ID | 概念 | notebook § 小节 | minilm 函数 | 练习 |"
    for concept, row in zip(CONCEPTS, table[2:], strict=True):
        title, where, _, exercise = (cell.strip() for cell in row.strip("|").split(" | ")[1:])
        assert re.search("[\u4e00-\u9fff]", title), concept.id
        section = chinese_section(concept.notebook, concept.section)
        assert section != concept.section, f"{concept.id}: no Chinese heading found for {concept.section!r}"
        assert f"](notebooks/zh/{concept.notebook}.ipynb) § {section}" in where
        assert exercise == "–" or "](exercises/zh/" in exercise


def test_chinese_section_is_the_heading_in_the_cell_with_the_same_id(tmp_path):
    english = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\n## One\n\n## Two")])
    english.cells[0].id = "abc"
    (tmp_path / "zh").mkdir()
    nbformat.write(english, tmp_path / "01_x.ipynb")
    chinese = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 标题\n\n## 一\n\n## 二")])
    chinese.cells[0].id = "abc"
    nbformat.write(chinese, tmp_path / "zh" / "01_x.ipynb")
    assert chinese_section("01_x", "Two", tmp_path) == "二"
    assert chinese_section("01_x", "Three", tmp_path) == "Three"  # no such heading: the English
    assert chinese_section("02_missing", "Two", tmp_path) == "Two"


# Markdown that renders as written ------------------------------------------------------

# Tags a Markdown cell may use on purpose. Anything else that parses as raw HTML is a
# token meant literally: JupyterLab reads `<s>` as strikethrough (the rest of the cell is
# struck out) and hides `<e>`, `<pad>` or `<mask>` as unknown elements. Write such tokens
# inside backticks.
HARMLESS_TAGS = {"a", "b", "br", "code", "details", "div", "em", "i", "img", "kbd", "p", "span",
                 "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr"}
_ATTRIBUTE = r"""\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?"""
# An open or closing tag as CommonMark defines raw HTML (spec 6.6).
HTML_TAG = re.compile(rf"<([A-Za-z][A-Za-z0-9-]*)(?:{_ATTRIBUTE})*\s*/?>|</([A-Za-z][A-Za-z0-9-]*)\s*>")
# What the renderer never reads as HTML: code (fenced, or spans in backticks), then LaTeX,
# which JupyterLab takes out before it parses the Markdown ($...$, $$...$$; \$ is a dollar).
CODE = re.compile(r"```.*?```|(`+).+?\1", re.S)
MATH = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$[^$\n]+?(?<!\\)\$", re.S)


def html_tokens(markdown: str) -> list[str]:
    """The raw HTML tags in ``markdown`` that are not in HARMLESS_TAGS."""
    text = MATH.sub(" ", CODE.sub(" ", markdown))
    return [m.group() for m in HTML_TAG.finditer(text)
            if (m.group(1) or m.group(2)).lower() not in HARMLESS_TAGS]


def test_html_tokens_are_found_outside_code_only():
    assert html_tokens("rows `<s> story <e>`, or <s> story <e>") == ["<s>", "<e>"]
    assert html_tokens("a line<br>and <sub>2</sub>, <span style='color: red'>x</span>") == []
    assert html_tokens("$x_{<t}$ and $$p(x_t | x_{<t}) > 0$$ and x_<t) > 3") == []
    assert html_tokens("```\n<s> a <e>\n```\n<pad> and </mask>") == ["<pad>", "</mask>"]
    assert html_tokens(r"`<s> $ <e>`, $[z; \$; a]$; a `$` between `<e>`") == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_markdown_has_no_raw_html_tokens(path):
    hits = {i: html_tokens(c.source) for i, c in enumerate(read(path).cells) if c.cell_type == "markdown"}
    hits = {i: tokens for i, tokens in hits.items() if tokens}
    assert hits == {}, f"cells {hits}: raw HTML in Markdown, put the tokens in backticks"
