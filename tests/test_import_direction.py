"""Imports run one way through ``minilm``: from the leaves (checks, masks, constants) up to
the course tools, never back down. Importing an objective must not load the models, and
the checkpoint cache must not depend on the grader.

Every module's imports (top-level and inside functions) are read with ``ast``; an import
of a higher layer fails the test with the file, the line and the two layers.
``docs/CONTRIBUTING.md`` shows the same table.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minilm"

# Lowest first. A module may import modules of its own layer and of the layers below.
LAYERS = [
    # leaves: argument checks, masks, constants, environment, token ids and data
    ("foundations", {"__init__", "checks", "constants", "settings", "lang", "modes", "device", "masks",
                     "atomic", "evidence", "tokenizer", "data"}),
    ("nn", {"nn"}),
    ("objectives", {"objectives"}),
    # the loops take a model as an argument and never import one; models' own
    # ``generate`` methods and the autoencoder's layer-wise pretraining call them
    ("loops", {"train", "generate"}),
    ("models", {"models"}),
    ("uses of models", {"finetune", "pretrained", "pretrained_glm", "checkpoint", "interop", "arena",
                        "hf_reference"}),
    ("course tools", {"viz", "course", "grade", "syllabus", "_grade_plugin", "_grade_run", "_grade_guard",
                      "__main__", "i18n", "i18n_files"}),
]

# (importing layer, imported module) pairs allowed against the direction, with the reason.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def layer_of(module: str) -> int:
    """Index in LAYERS of a dotted ``minilm`` module name (by its first part below minilm)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for index, (_, members) in enumerate(LAYERS):
        if top in members:
            return index
    raise KeyError(f"{module} is in no layer of LAYERS: add it to the layer it belongs to")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, importer: str, is_package: bool):
    """(line, dotted module) for every ``minilm`` import in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                package = importer.split(".")
                package = package if is_package else package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            if base == "minilm":  # from minilm import masks: each name is a module
                for alias in node.names:
                    yield node.lineno, f"minilm.{alias.name}"
            else:
                yield node.lineno, base


def violations(source: str, path: Path) -> list[str]:
    """Every import in ``source`` (the text of ``path``) that points up the layers."""
    importer = module_name(path)
    own = layer_of(importer)
    found = []
    for line, target in imported_modules(ast.parse(source), importer, path.name == "__init__.py"):
        if target != "minilm" and not target.startswith("minilm."):
            continue
        other = layer_of(target)
        if other > own and (LAYERS[own][0], target) not in KNOWN_EXCEPTIONS:
            allowed = ", ".join(name for name, _ in LAYERS[: own + 1])
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target} "
                         f"({LAYERS[other][0]}), but {LAYERS[own][0]} may import only: {allowed}")
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    unplaced = []
    for path in MODULES:
        try:
            layer_of(module_name(path))
        except KeyError as e:
            unplaced.append(str(e))
    assert not unplaced, "\n".join(unplaced)


def test_imports_run_one_way():
    found = [v for path in MODULES for v in violations(path.read_text(encoding="utf-8"), path)]
    assert not found, "imports against the direction of the layers:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("from minilm.models.gpt import GPT\n", ["minilm/nn.py:1 imports minilm.models.gpt (models)"]),
    ("import os\n\ndef f():\n    from minilm import viz\n",
     ["minilm/nn.py:4 imports minilm.viz (course tools)"]),
    ("from minilm.masks import causal_mask\nfrom minilm.checks import check_tensor\n", []),
])
def test_the_checker_finds_an_upward_import(source, expected):
    found = violations(source, PACKAGE / "nn.py")
    assert [v.split(", but")[0] for v in found] == expected


def test_the_checker_resolves_relative_imports():
    source = "from ..models import gpt\nfrom . import formats\n"
    found = violations(source, PACKAGE / "objectives" / "mlm.py")
    expected = ["minilm/objectives/mlm.py:1 imports minilm.models (models)"]
    assert [v.split(", but")[0] for v in found] == expected
