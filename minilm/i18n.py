"""Keep the Chinese notebooks (``notebooks/zh/``) in step with the English ones.

The English notebook is the one source: a Chinese twin has the same cells in the same
order with the same ids, the English code cells byte for byte (outputs stripped), and
its own markdown. Each translated markdown cell records, in its metadata, the SHA-256 of
the English text it was translated from::

    "i18n": {"lang": "zh", "source_sha256": "<sha256 of the English cell's source>"}

so a change to the English text shows up as a *stale* translation. A markdown cell the
twin did not have is copied in English and flagged ``"untranslated": true``.

    python -m minilm i18n sync                 # copy code cells, add/remove/reorder cells
    python -m minilm i18n sync --check         # change nothing; exit 1 if anything is out of step
    python -m minilm i18n sync --mark 06_bart_noising:e7b2c4d8   # that cell is translated again
    python -m minilm i18n sync --mark-all 06_bart_noising        # every markdown cell of it is
    python -m minilm i18n status               # translated / stale / untranslated per notebook

docs/CONTRIBUTING.md ("Keeping the Chinese edition in step") says when to run which.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

LANG = "zh"
ENGLISH_DIR = Path("notebooks")
TWIN_DIR = ENGLISH_DIR / LANG
SYNC = "python -m minilm i18n sync"


def source_sha256(source: str) -> str:
    """The hash a translated cell records: SHA-256 of the English source (UTF-8), in hex."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def english_notebooks(root: Path) -> list[Path]:
    """Every English notebook (``notebooks/*.ipynb``), sorted."""
    return sorted((root / ENGLISH_DIR).glob("*.ipynb"))


def twin_of(english: Path) -> Path:
    """``notebooks/NAME.ipynb`` -> ``notebooks/zh/NAME.ipynb``."""
    return english.parent / LANG / english.name


def missing_twins(root: Path) -> list[str]:
    """Names of the English notebooks that have no Chinese twin yet."""
    return [p.name for p in english_notebooks(root) if not twin_of(p).is_file()]


def markdown_state(cell, english_source: str) -> str:
    """"translated", "stale" or "untranslated" for a markdown cell of a twin."""
    meta = cell.get("metadata", {}).get("i18n", {})
    if meta.get("untranslated") or not meta.get("source_sha256"):
        return "untranslated"
    return "translated" if meta["source_sha256"] == source_sha256(english_source) else "stale"


@dataclass
class NotebookReport:
    """What ``sync_notebook`` found (and, unless checking, fixed) in one twin."""

    twin: str                                             # "notebooks/zh/06_bart_noising.ipynb"
    changes: list[str] = field(default_factory=list)      # structure and code-cell differences
    states: dict[str, str] = field(default_factory=dict)  # markdown cell id -> state

    @property
    def name(self) -> str:
        return Path(self.twin).stem

    def cells(self, state: str) -> list[str]:
        return [cell_id for cell_id, s in self.states.items() if s == state]

    def problems(self, *, changed_on_disk: bool = False) -> list[str]:
        """One line per thing out of step, each saying how to fix it."""
        changes = [] if changed_on_disk else self.changes
        lines = [f"out of step: {self.twin} {c}; run `{SYNC}`" for c in changes]
        lines += [f"stale: {self.twin} cell {c}: the English text changed since it was translated; "
                  f"retranslate it and run `{SYNC} --mark {self.name}:{c}`" for c in self.cells("stale")]
        lines += [f"untranslated: {self.twin} cell {c}: still the English text; translate it and run "
                  f"`{SYNC} --mark {self.name}:{c}`" for c in self.cells("untranslated")]
        return lines


def _code_copy(cell):
    """An English code cell as the twin holds it: the same cell, outputs stripped."""
    out = copy.deepcopy(cell)
    out["outputs"], out["execution_count"] = [], None
    return out


def _untranslated_copy(cell):
    out = copy.deepcopy(cell)
    out.setdefault("metadata", {})["i18n"] = {"lang": LANG, "untranslated": True}
    return out


def sync_notebook(english: Path, twin: Path, root: Path, *, write: bool = True) -> NotebookReport:
    """Bring ``twin`` in step with ``english``: English code cells by id, missing cells added
    (English, flagged untranslated), cells the English dropped removed, the English order.
    Translated markdown is kept whatever its state. ``write=False`` only reports."""
    en = nbformat.read(english, as_version=4)
    zh = nbformat.read(twin, as_version=4)
    report = NotebookReport(twin.relative_to(root).as_posix())
    theirs = {cell.get("id"): cell for cell in zh.cells}
    cells = []
    for cell in en.cells:
        old = theirs.get(cell.id)
        if cell.cell_type != "markdown":
            new = _code_copy(cell)
            if old is None:
                report.changes.append(f"cell {cell.id}: missing (a {cell.cell_type} cell of the English)")
            elif old != new:
                report.changes.append(f"cell {cell.id}: the {cell.cell_type} cell differs from the English")
        elif old is None or old.cell_type != "markdown":
            new = _untranslated_copy(cell)
            report.changes.append(f"cell {cell.id}: missing (a markdown cell of the English)")
        else:
            new = old
        if new.cell_type == "markdown":
            report.states[cell.id] = markdown_state(new, cell.source)
        cells.append(new)
    english_ids = {cell.id for cell in en.cells}
    report.changes += [f"cell {c}: the English has no such cell" for c in theirs if c not in english_ids]
    kept = [c for c in theirs if c in english_ids]
    if kept != [c for c in (cell.id for cell in en.cells) if c in theirs]:
        report.changes.append("cells: not in the English order")
    notebook_meta = {"lang": LANG, "source": f"../{english.name}"}
    if zh.metadata.get("i18n") != notebook_meta:
        report.changes.append("metadata: i18n should be " + str(notebook_meta))
    if write and report.changes:
        zh.cells = cells
        zh.metadata["i18n"] = notebook_meta
        nbformat.write(zh, twin)
    return report


def sync(root: Path, *, write: bool = True) -> tuple[list[NotebookReport], list[str]]:
    """``sync_notebook`` for every English notebook with a twin; also the names without one."""
    reports = [sync_notebook(p, twin_of(p), root, write=write)
               for p in english_notebooks(root) if twin_of(p).is_file()]
    return reports, missing_twins(root)


def _find_twin(root: Path, name: str) -> tuple[Path, Path]:
    """(English, twin) for "06_bart_noising", "06_bart_noising.ipynb" or "06"."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"notebook must be a name like '06_bart_noising', got {name!r}")
    stem = Path(name).stem
    found = [p for p in english_notebooks(root) if twin_of(p).is_file()
             and (p.stem == stem or p.stem.startswith(stem + "_"))]
    if len(found) != 1:
        twins = ", ".join(p.stem for p in english_notebooks(root) if twin_of(p).is_file()) or "none"
        raise ValueError(f"notebook {name!r} matches {len(found)} Chinese notebooks; they are: {twins}")
    return found[0], twin_of(found[0])


def mark_translated(root: Path, notebook: str, cell_ids: list[str] | None = None) -> list[str]:
    """Record that markdown cells of a twin are translated from the English text as it is now
    (``cell_ids=None``: every markdown cell). Returns the ids marked."""
    english, twin = _find_twin(root, notebook)
    en = {cell.id: cell for cell in nbformat.read(english, as_version=4).cells}
    zh = nbformat.read(twin, as_version=4)
    markdown = {cell.id: cell for cell in zh.cells if cell.cell_type == "markdown" and cell.id in en}
    wanted = list(markdown) if cell_ids is None else cell_ids
    unknown = [c for c in wanted if c not in markdown]
    if unknown:
        raise ValueError(f"{twin.relative_to(root).as_posix()} has no markdown cell {', '.join(unknown)} "
                         f"that the English also has; run `{SYNC}` first, then mark")
    for cell_id in wanted:
        english_hash = source_sha256(en[cell_id].source)
        markdown[cell_id].metadata["i18n"] = {"lang": LANG, "source_sha256": english_hash}
    nbformat.write(zh, twin)
    return wanted


def status_table(reports: list[NotebookReport], missing: list[str]) -> str:
    """One line per Chinese notebook: translated / stale / untranslated markdown cells."""
    width = max([len("notebook")] + [len(r.name) for r in reports] + [len(Path(m).stem) for m in missing])
    lines = [f"{'notebook':<{width}}  translated  stale  untranslated  code and cells"]
    for r in reports:
        step = f"{len(r.changes)} out of step" if r.changes else "in step"
        lines.append(f"{r.name:<{width}}  {len(r.cells('translated')):>10}  {len(r.cells('stale')):>5}  "
                     f"{len(r.cells('untranslated')):>12}  {step}")
    lines += [f"{Path(m).stem:<{width}}  (no Chinese notebook yet)" for m in missing]
    return "\n".join(lines)


# --- the glossary (docs/glossary.md): one Chinese term per concept -------------------------

GLOSSARY = Path("docs") / "glossary.md"
_ALTERNATIVES = re.compile(r"；|、|，|,|\s/\s|/")
_ASIDE = re.compile(r"（[^）]*）|\([^)]*\)")  # an explanation in parentheses, not part of the term


@dataclass(frozen=True)
class GlossaryRow:
    id: str                 # a syllabus ID ("BERT-2"), or "—" for a general term
    english: str
    chinese: str            # as written, e.g. "自编码语言模型（完形填空）"
    where: str
    avoid: tuple[str, ...]  # variants the course does not use

    @property
    def terms(self) -> list[str]:
        """The Chinese terms a notebook must use: alternatives split, asides in parentheses dropped."""
        return [t.strip() for t in _ALTERNATIVES.split(_ASIDE.sub("", self.chinese)) if t.strip()]


def read_glossary(text: str) -> list[GlossaryRow]:
    """The rows of every table headed ``| ID | English | 中文 | Where taught |`` (an ``Avoid``
    column may follow: variants separated by 、 or commas)."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.strip().startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells if {"ID", "English", "中文", "Where taught"} <= set(cells) else []
        elif header and not set("".join(cells)) <= set("-: "):
            cell = dict(zip(header, cells, strict=False))
            avoided = _ASIDE.sub("", cell.get("Avoid", ""))  # "填充（留给 text infilling）": 填充
            avoid = tuple(a.strip() for a in re.split(r"、|，|,", avoided) if a.strip())
            rows.append(GlossaryRow(cell["ID"], cell["English"], cell["中文"], cell["Where taught"], avoid))
    return rows


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)  # "BART 微调" and "BART微调" are the same term


def glossary_problems(rows: list[GlossaryRow], texts: dict[str, str]) -> list[str]:
    """What the Chinese notebooks' markdown (``texts``: notebook name -> text) does against
    the glossary: a term no notebook uses, or a variant the glossary says to avoid."""
    squeezed = {name: _squeeze(text) for name, text in texts.items()}
    problems = [f"glossary {r.id} ({r.english}): no Chinese notebook uses the term {term!r}"
                for r in rows for term in r.terms if not any(_squeeze(term) in t for t in squeezed.values())]
    approved = sorted({_squeeze(term) for r in rows for term in r.terms}, key=len, reverse=True)
    for name, text in squeezed.items():
        for term in approved:  # an approved term may contain an avoided variant: don't count it
            text = text.replace(term, "\0")
        problems += [f"{name}: uses {variant!r}; docs/glossary.md says {r.chinese!r} ({r.id}, {r.english})"
                     for r in rows for variant in r.avoid if _squeeze(variant) in text]
    return list(dict.fromkeys(problems))  # a variant avoided in two rows: one line each
