"""Keep the Chinese twins of the course's other files in step: the exercise files and the
grading page.

A Chinese learner edits ``exercises/zh/exNN_topic.py`` (the grader grades that folder when
the course runs in Chinese) and reads ``docs/GRADING.zh.md``. Each twin says on its first
line which English file it was translated from, and that file's SHA-256 at the time::

    # i18n-source: exercises/ex03_gpt.py sha256=<hex>             (a Python twin)
    <!-- i18n-source: docs/GRADING.md sha256=<hex> -->           (a Markdown twin)

so any change to the English file shows up as a *stale* twin. An exercise twin must also
hold the same code as its English stub: only docstrings, comments and the message of
``raise NotImplementedError(...)`` are translated (``code_differences`` compares the two
syntax trees without them).

    python -m minilm i18n sync --check                            # reports these too
    python -m minilm i18n sync --mark exercises/zh/ex03_gpt.py    # that twin is translated again
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from minilm.i18n import SYNC, source_sha256

EXERCISES = Path("exercises")
PAGES = {Path("docs") / "GRADING.md": Path("docs") / "GRADING.zh.md"}
_HEADER = re.compile(r"^(?:# |<!-- )i18n-source: (?P<source>\S+) sha256=(?P<sha>\S+?)(?: -->)?$")


def file_sha256(path: Path) -> str:
    """The hash a twin records: ``source_sha256`` of the English file's text, as for a notebook
    cell (read as text, so a checkout with Windows line endings hashes the same)."""
    return source_sha256(Path(path).read_text(encoding="utf-8"))


def file_twins(root: Path) -> list[tuple[Path, Path]]:
    """(English, Chinese twin) paths relative to ``root``: every exercise stub and every page."""
    stubs = sorted(p.relative_to(root) for p in (root / EXERCISES).glob("ex[0-9]*.py"))
    pages = [(page, twin) for page, twin in PAGES.items() if (root / page).is_file()]
    return [(stub, stub.parent / "zh" / stub.name) for stub in stubs] + pages


def header(english: Path, sha256: str) -> str:
    """The first line a twin of ``english`` carries (a comment in its own syntax)."""
    line = f"i18n-source: {english.as_posix()} sha256={sha256}"
    return f"# {line}" if english.suffix == ".py" else f"<!-- {line} -->"


def recorded_source(text: str) -> tuple[str, str] | None:
    """(English path, sha256) from a twin's first line, or None if it has no such line."""
    match = _HEADER.match(text.split("\n", 1)[0].strip())
    return (match["source"], match["sha"]) if match else None


_DOCUMENTED = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef  # may have a docstring


def _without_translated_text(tree: ast.AST) -> ast.AST:
    """``tree`` minus docstrings and the messages of ``raise NotImplementedError("...")``."""
    for node in ast.walk(tree):
        if isinstance(node, _DOCUMENTED) and ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:] or [ast.Pass()]
        if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name) and node.exc.func.id == "NotImplementedError"):
            node.exc.args = []
    return tree


def code_differences(english: str, twin: str) -> list[str]:
    """Where the twin's code differs from the English (docstrings, comments and the
    NotImplementedError messages aside): one line per top-level statement, [] if none."""
    try:
        ours = _without_translated_text(ast.parse(twin))
    except SyntaxError as err:
        return [f"line {err.lineno}: SyntaxError: {err.msg}"]
    theirs = _without_translated_text(ast.parse(english))

    def named(tree: ast.Module) -> dict[str, str]:
        out = {}
        for i, node in enumerate(tree.body):
            name = getattr(node, "name", None) or f"statement {i + 1} ({type(node).__name__})"
            out[name] = ast.dump(node)
        return out

    a, b = named(theirs), named(ours)
    lines = [f"{name}: differs from the English" for name in a if name in b and a[name] != b[name]]
    lines += [f"{name}: missing (the English has it)" for name in a if name not in b]
    lines += [f"{name}: the English has no such statement" for name in b if name not in a]
    if not lines and list(a) != list(b):
        lines.append("the statements are not in the English order")
    return lines


@dataclass(frozen=True)
class FileTwin:
    """What ``check_twin`` found for one English file and its Chinese twin."""

    english: str   # "exercises/ex03_gpt.py"
    twin: str      # "exercises/zh/ex03_gpt.py"
    state: str     # "translated", "stale", "untranslated" (no hash recorded yet) or "missing"
    code: tuple[str, ...] = ()  # code_differences, for an exercise twin

    def problems(self) -> list[str]:
        """One line per thing out of step, each saying how to fix it."""
        mark = f"`{SYNC} --mark {self.twin}`"
        lines = {
            "missing": [f"missing: {self.twin}, the Chinese twin of {self.english}; translate it, "
                        f"start it with the line `{header(Path(self.english), 'PENDING')}` and run {mark}"],
            "stale": [f"stale: {self.twin}: {self.english} changed since it was translated; update the "
                      f"translation (`git log -p {self.english}` shows what changed) and run {mark}"],
            "untranslated": [f"untranslated: {self.twin} records no translated English; translate it and "
                             f"run {mark}"],
        }.get(self.state, [])
        return lines + [f"out of step: {self.twin} {line}; only docstrings, comments and "
                        f"NotImplementedError messages may differ from {self.english}" for line in self.code]


def check_twin(root: Path, english: Path, twin: Path) -> FileTwin:
    """The state of ``twin`` against ``english`` (both relative to ``root``)."""
    if not (root / twin).is_file():
        return FileTwin(english.as_posix(), twin.as_posix(), "missing")
    text = (root / twin).read_text(encoding="utf-8")
    recorded = recorded_source(text)
    hashed = recorded is not None and re.fullmatch(r"[0-9a-f]{64}", recorded[1])
    if not hashed or recorded[0] != english.as_posix():
        state = "untranslated"
    else:
        state = "translated" if recorded[1] == file_sha256(root / english) else "stale"
    code = ()
    if english.suffix == ".py":
        code = tuple(code_differences((root / english).read_text(encoding="utf-8"), text))
    return FileTwin(english.as_posix(), twin.as_posix(), state, code)


def check_all(root: Path) -> list[FileTwin]:
    """``check_twin`` for every file that has (or needs) a Chinese twin."""
    return [check_twin(root, english, twin) for english, twin in file_twins(root)]


def mark_translated(root: Path, twin: str) -> Path:
    """Record in ``twin``'s first line that it is translated from its English file as it is now."""
    wanted = Path(twin)
    pairs = {t.as_posix(): e for e, t in file_twins(root)}
    if wanted.as_posix() not in pairs:
        raise ValueError(f"{twin!r} is not a Chinese twin; they are: {', '.join(pairs)}")
    english, path = pairs[wanted.as_posix()], root / wanted
    if not path.is_file():
        raise ValueError(f"{twin} does not exist yet; translate {english.as_posix()} first")
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    body = rest if recorded_source(first) is not None else text
    path.write_text(header(english, file_sha256(root / english)) + "\n" + body, encoding="utf-8")
    return english


def translated_text(root: Path) -> dict[str, str]:
    """Twin path -> the Chinese a learner reads in it (a Python twin: its docstrings and
    comments; a page: all of it), for the glossary check."""
    out = {}
    for _, twin in file_twins(root):
        path = root / twin
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if twin.suffix == ".py":
            tree = ast.parse(text)
            docs = [ast.get_docstring(n, clean=False) or "" for n in ast.walk(tree)
                    if isinstance(n, _DOCUMENTED)]
            comments = [tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                        if tok.type == tokenize.COMMENT and recorded_source(tok.string) is None]
            text = "\n".join(docs + comments)
        out[twin.as_posix()] = text
    return out
