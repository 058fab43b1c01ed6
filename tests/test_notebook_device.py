"""Every model a notebook builds lives on the setup cell's ``DEVICE``.

A notebook is read, not run: each code cell is parsed and three rules are checked on its
syntax tree, so a Colab GPU is used while the CPU stays the tested path.

1. A minilm model built in a cell (``GPT(config)``, ``Autoencoder(...)``, any ``nn.Module``
   that ``minilm.models`` or ``minilm.finetune`` exports) is followed at once by
   ``.to(DEVICE)``, or handed straight to a call that takes ``device=``, or to a call that
   only counts its parameters (it never runs).
2. Every ``.numpy()`` has a ``.cpu()`` before it in the same chain: a GPU tensor has no numpy view.
3. No ``"cpu"`` literal: the device is ``DEVICE`` (``MINILM_DEVICE=cpu`` forces the CPU).

The package side (helpers that build or train a model take ``device=``) is tested below the
notebook check, on the CPU.
"""

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import nbformat
import pytest
import torch

import minilm.finetune
import minilm.models

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# Calls that only inspect a model's parameters: a model built just to be counted never runs.
COUNTS_ONLY = {"count_parameters", "non_embedding_parameters"}


def model_class_names() -> set[str]:
    """Every nn.Module class that the model and fine-tuning packages export."""
    names = set()
    for package in (minilm.models, minilm.finetune):
        for name in package.__all__:
            value = getattr(package, name)
            if inspect.isclass(value) and issubclass(value, torch.nn.Module):
                names.add(name)
    return names


MODEL_CLASSES = model_class_names()


def code_of(cell_source: str) -> str:
    """The cell as Python: IPython's ``%magic`` and ``!shell`` lines become comments."""
    return re.sub(r"^(\s*)([%!])", r"\1# \2", cell_source, flags=re.MULTILINE)


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def parents_of(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def is_to_device(node: ast.AST, parents: dict) -> bool:
    """``node`` is the receiver of ``.to(DEVICE)``."""
    attribute = parents.get(node)
    call = parents.get(attribute)
    return (isinstance(attribute, ast.Attribute) and attribute.attr == "to" and isinstance(call, ast.Call)
            and call.func is attribute and len(call.args) == 1 and isinstance(call.args[0], ast.Name)
            and call.args[0].id == "DEVICE")


def goes_to_device(construction: ast.Call, parents: dict) -> bool:
    if is_to_device(construction, parents):
        return True
    outer = parents.get(construction)
    if isinstance(outer, ast.Call) and construction in outer.args:
        keywords = {k.arg for k in outer.keywords}
        return "device" in keywords or called_name(outer) in COUNTS_ONLY
    return False


def receiver_chain(node: ast.AST):
    """``a.b()[0].c`` -> the nodes c's receiver is made of, outermost first."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return
        yield node


def has_cpu_call(chain_start: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "cpu" for n in receiver_chain(chain_start))


def device_problems(source: str) -> list[str]:
    """What breaks the three rules in one code cell (empty when it follows them)."""
    tree = ast.parse(code_of(source))
    parents = parents_of(tree)
    problems = []
    for node in ast.walk(tree):
        built = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id in MODEL_CLASSES)
        if built and not goes_to_device(node, parents):
            problems.append(f"line {node.lineno}: {node.func.id}(...) is not followed by .to(DEVICE)")
        if isinstance(node, ast.Attribute) and node.attr == "numpy" and not has_cpu_call(node):
            problems.append(f"line {node.lineno}: .numpy() without .cpu() before it")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() == "cpu":
            problems.append(f"line {node.lineno}: a 'cpu' literal (use DEVICE)")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_model_a_notebook_builds_goes_to_DEVICE(path):
    nb = nbformat.read(path, as_version=4)
    problems = [f"cell {cell.get('id')} {problem}" for cell in nb.cells if cell.cell_type == "code"
                for problem in device_problems(cell.source)]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the checker itself
def test_the_model_classes_include_every_family():
    assert {"GPT", "EncoderLM", "Seq2Seq", "Autoencoder", "DeepNet", "CBOW", "Bert", "Bart", "GLM",
            "GPTClassifier"} <= MODEL_CLASSES
    assert "GPTConfig" not in MODEL_CLASSES  # a config is not a module


@pytest.mark.parametrize("source", [
    "model = GPT(config).to(DEVICE)",
    "model = GPT(config).to(DEVICE).eval()",
    "n = count_parameters(GPT(config))",
    "model = train_helper(GPT(config), device=DEVICE)",
    "x = out.logits.detach().cpu().numpy()",
    "x = features[:10].cpu().numpy()",
    "%matplotlib inline\nmodel = Bert(config).to(DEVICE)",
])
def test_cells_that_follow_the_rules_pass(source):
    assert device_problems(source) == []


@pytest.mark.parametrize("source, complaint", [
    ("model = GPT(config)", "GPT(...) is not followed"),
    ("model = GPT(config).eval()", "GPT(...) is not followed"),
    ("model = GPT(config).to('cuda')", "GPT(...) is not followed"),
    ("model = wrap(GPT(config))", "GPT(...) is not followed"),
    ("x = features[:10].numpy()", ".numpy() without .cpu()"),
    ("x = model(ids).logits.numpy()", ".numpy() without .cpu()"),
    ("model.to('cpu')", "'cpu' literal"),
    ("device = torch.device('CPU')", "'cpu' literal"),
])
def test_cells_that_break_a_rule_are_named(source, complaint):
    problems = device_problems(source)
    assert len(problems) == 1 and complaint in problems[0]


# ---------------------------------------------------------------- the package helpers
CPU = torch.device("cpu")


def all_on(tensors, device) -> bool:
    tensors = list(tensors)
    return bool(tensors) and all(t.device == device for t in tensors)


def test_greedy_layerwise_pretrain_builds_its_autoencoders_on_the_given_device():
    from minilm.models import greedy_layerwise_pretrain

    x = torch.rand(32, 8, generator=torch.Generator().manual_seed(0))
    stack = greedy_layerwise_pretrain(x, (8, 4, 2), steps=2, batch_size=4, device="cpu",
                                      generator=torch.Generator().manual_seed(0))
    assert all(all_on(ae.parameters(), CPU) for ae in stack)
    assert stack[1].encode(stack[0].encode(x)).device == CPU


def test_pretrained_gpt_is_on_the_given_device(tmp_path):
    from minilm.pretrained import PretrainRecipe, pretrained_gpt

    recipe = dataclasses.replace(PretrainRecipe.fast(), steps=2, n_stories=40, heldout=10, warmup=1)
    pre = pretrained_gpt(recipe, path=tmp_path / "gpt.safetensors", progress=False, device="cpu")
    assert all_on(pre.model.parameters(), CPU)
    ids = torch.tensor([[pre.tokenizer.bos_token_id]], device="cpu")
    assert pre.model(ids).logits.device == CPU
    # reloaded from the checkpoint it wrote: on the device asked for again
    again = pretrained_gpt(recipe, path=tmp_path / "gpt.safetensors", progress=False, device="cpu")
    assert not again.trained_now and all_on(again.model.parameters(), CPU)


def test_arena_pretrains_on_the_given_device(arena_data):
    from minilm.arena import ArenaConfig
    from minilm.arena.objectives import OBJECTIVES
    from minilm.arena.run import pretrain

    model, bookkeeping = pretrain(OBJECTIVES["clm"], arena_data, ArenaConfig.tiny(), seed=0, progress=False,
                                  device="cpu")
    assert all_on(model.parameters(), CPU) and bookkeeping["steps"] > 0


def test_from_hf_puts_the_minilm_model_on_the_given_device():
    pytest.importorskip("transformers")
    from minilm.hf_reference import encode, stand_in
    from minilm.interop import from_hf, to_hf

    reference = stand_in("gpt2", device="cpu")
    assert all_on(reference.hf_model.parameters(), CPU)
    ids = encode(reference, "ben has a home in")
    ours = from_hf(reference.hf_model, device="cpu")
    assert all_on(ours.parameters(), CPU) and ours(ids).logits.device == CPU
    back = to_hf(ours)
    assert all_on(back.parameters(), CPU)
    # on "meta" (shapes only, nothing computed): the model goes where it is asked to
    assert all_on(from_hf(reference.hf_model, device="meta").parameters(), torch.device("meta"))


@pytest.fixture(scope="module")
def arena_data():
    from minilm.arena import ArenaConfig
    from minilm.arena.run import prepare

    return prepare(ArenaConfig.tiny())


@pytest.mark.parametrize("kind", ["decoder", "prefix_lm", "encoder", "bart", "t5", "glm"])
def test_arena_readers_build_their_inputs_on_the_models_device(kind, arena_data):
    from minilm.arena.contestants import build_model, reader_for

    data = arena_data
    torch.manual_seed(0)
    reader = reader_for(kind, build_model(kind, data.tokenizer.vocab_size).eval(), data.tokenizer)
    row = data.rows[0].tolist()
    left, span, right = row[:4], row[4:6], row[6:]
    with torch.no_grad():
        expected = (reader.next_logits(left, right, [], 2), reader.features([row, row[:5]]))
        # Under a "meta" default device every tensor made without an explicit device has no
        # data, and feeding one to the CPU model raises: equal results prove the reader built
        # each input on the model's device.
        with torch.device("meta"):
            got = (reader.next_logits(left, right, [], 2), reader.features([row, row[:5]]))
        if reader.can_score:
            scored = reader.span_logprobs(left, right, span)
            with torch.device("meta"):
                torch.testing.assert_close(reader.span_logprobs(left, right, span), scored)
    for a, b in zip(expected, got, strict=True):
        assert b.device == CPU
        torch.testing.assert_close(a, b)
