"""Run the arena: pretrain every objective at equal budget, judge it, write JSON + Markdown.

    results = run_arena(ArenaConfig(seeds=(0, 1, 2)), out_dir="arena")   # resumable
    print(markdown_table(results)); plot_results(results)

A *cell* is one objective pretrained from one seed and judged on every metric. The seed
fixes the initial weights, the order of the stories (the same for every objective: each
sees the very same stories in the same order) and the noise. Results go to
``arena.json`` after every cell, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from minilm.arena.contestants import Sizes, batch_cost, build_model, non_embedding_parameters, reader_for
from minilm.arena.metrics import (
    Blank,
    blank_exact_match,
    cloze_accuracy,
    continuation_nll,
    fact_precision,
    finetuned_accuracy,
)
from minilm.arena.objectives import BUILTIN, OBJECTIVES, Objective, get_objective
from minilm.arena.report import markdown_table
from minilm.checks import check_positive_int
from minilm.constants import IGNORE_INDEX
from minilm.data import make_entailment, make_sentiment, split_sentences, synthetic_corpus
from minilm.data.world import WORLD
from minilm.device import chosen_device, move_to
from minilm.tokenizer import WordTokenizer
from minilm.train import train

FORMAT = "minilm-arena/1"


@dataclass(frozen=True)
class ArenaConfig:
    """Everything that decides the numbers. Defaults: about 6 minutes of CPU time on one core."""

    objectives: tuple[str, ...] = BUILTIN
    seeds: tuple[int, ...] = (0, 1, 2)
    budget: str = "tokens"       # "tokens": the same corpus tokens; "flops": the same FLOPs estimate
    tokens: int = 500_000        # corpus tokens per cell (the FLOPs budget is a decoder's on these)
    batch_size: int = 16         # stories per step
    lr: float = 3e-3
    warmup: int = 20
    sizes: Sizes = field(default_factory=Sizes)
    n_stories: int = 2000        # pretraining corpus: synthetic_corpus(n_stories, seed=0)
    sentiment_steps: int = 40    # fine-tuning steps per task, the same for every contestant;
    entailment_steps: int = 150  # entailment (two sentences compared) needs more to leave chance
    finetune_lr: float = 1e-3
    n_task_examples: int = 200   # fine-tuning set per task; the test set has as many
    n_heldout: int = 100         # test stories (seed=1) for the continuation NLL

    def __post_init__(self):
        for name in ("tokens", "batch_size", "n_stories", "sentiment_steps", "entailment_steps",
                     "n_task_examples", "n_heldout"):
            check_positive_int(getattr(self, name), name)
        if self.budget not in ("tokens", "flops"):
            raise ValueError(f"budget must be 'tokens' or 'flops', got {self.budget!r}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct ints, at least one, got {self.seeds!r}")
        if not self.objectives:
            raise ValueError("objectives must name at least one objective")

    @classmethod
    def tiny(cls, **overrides) -> ArenaConfig:
        """Seconds per cell: tests and ``MINILM_FAST=1``."""
        return cls(**{"tokens": 3_000, "n_stories": 300, "sentiment_steps": 8, "entailment_steps": 8,
                      "n_task_examples": 48,
                      "n_heldout": 12, "seeds": (0, 1), "warmup": 5, **overrides})

    def to_dict(self) -> dict:
        return {**asdict(self), "objectives": list(self.objectives), "seeds": list(self.seeds)}

    def digest(self) -> str:
        """A short name for this configuration: one results folder per configuration."""
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:10]


# ----------------------------------------------------------------------- data
@dataclass
class ArenaData:
    """The corpus, tokenizer and probes shared by every cell (deterministic)."""

    tokenizer: WordTokenizer
    rows: list[torch.Tensor]
    tasks: dict[str, tuple[list, list]]
    cloze: tuple[list[Blank], list[int], list[int]]
    facts: list[Blank]
    heldout: list[Blank]


def _ids(tok, text: str) -> list[int]:
    return tok.encode(text)


def fact_blanks(tok) -> list[Blank]:
    """Three multi-token fact spans per person, in sentences the corpus uses:
    "anna [lives in paris] and likes soup.", "anna is [a doctor] in paris.",
    "in the evening, anna went [home to paris]."."""
    bos, eos = [tok.bos_token_id], [tok.eos_token_id]
    blanks = []
    for p in WORLD.values():
        for left, gold, right in (
            (p.name, f"lives in {p.town}", f"and likes {p.food}."),
            (f"{p.name} is", f"a {p.job}", f"in {p.town}."),
            (f"In the evening, {p.name} went", f"home to {p.town}", "."),
        ):
            blanks.append(Blank(bos + _ids(tok, left), _ids(tok, right) + eos, _ids(tok, gold)))
    return blanks


CLOZE_PATTERN = ("{sentence} so she was", ".")  # the corpus: "The film was great, so Anna was happy."
CLOZE_WORDS = ("sad", "happy")                  # label 0 = negative, 1 = positive


def prepare(config: ArenaConfig) -> ArenaData:
    """Corpus (seed 0), tokenizer, fine-tuning sets (seed 0) and every probe (seed 1)."""
    corpus = synthetic_corpus(config.n_stories, seed=0)
    tok = WordTokenizer.train(corpus)
    bos, eos = [tok.bos_token_id], [tok.eos_token_id]
    rows = [torch.tensor(_ids(tok, s)) for s in corpus]
    n = config.n_task_examples

    def framed(text):
        return bos + _ids(tok, text) + eos

    tasks = {
        "sentiment": tuple([(framed(e.text), e.label) for e in make_sentiment(n, seed=s)] for s in (0, 1)),
        "entailment": tuple([(framed(f"{e.premise} {e.hypothesis}"), e.label)
                             for e in make_entailment(n, seed=s)] for s in (0, 1)),
    }
    test_sentiment = make_sentiment(n, seed=1)
    before, after = CLOZE_PATTERN
    cloze = ([Blank(bos + _ids(tok, before.format(sentence=e.text)), _ids(tok, after) + eos, [])
              for e in test_sentiment],
             [tok.token_to_id(w) for w in CLOZE_WORDS], [e.label for e in test_sentiment])
    heldout = []
    for story in synthetic_corpus(config.n_heldout, seed=1):
        sentences = split_sentences(story)
        heldout.append(Blank(bos + _ids(tok, " ".join(sentences[:-1])), eos, _ids(tok, sentences[-1])))
    return ArenaData(tok, rows, tasks, cloze, fact_blanks(tok), heldout)


# ---------------------------------------------------------------- pretraining
def budget_target(config: ArenaConfig, data: ArenaData) -> float:
    """The amount every cell trains for: corpus tokens, or the FLOPs a decoder-only model
    of the same size spends on that many tokens (``batch_cost``'s estimate, without the
    attention term, which depends on the batch)."""
    if config.budget == "tokens":
        return config.tokens
    decoder = build_model("decoder", data.tokenizer.vocab_size, config.sizes)
    return 6 * non_embedding_parameters(decoder) * config.tokens


def make_batches(objective: Objective, data: ArenaData, config: ArenaConfig, seed: int,
                 n_params: int) -> tuple[list[dict], dict[str, int]]:
    """Draw batches until the budget is spent; returns them and what they cost."""
    order = torch.Generator().manual_seed(seed)            # which stories: the same for everyone
    noise = torch.Generator().manual_seed(1_000_003 + seed)  # the objective's own randomness
    target, spent = budget_target(config, data), {"corpus_tokens": 0, "tokens": 0, "flops": 0}
    batches = []
    while spent["corpus_tokens" if config.budget == "tokens" else "flops"] < target:
        index = torch.randint(len(data.rows), (config.batch_size,), generator=order).tolist()
        rows = [data.rows[i] for i in index]
        batch = objective.make_batch(rows, data.tokenizer, noise)
        if not batches:
            check_batch(objective, batch)
        cost = batch_cost(batch, objective.model, config.sizes, n_params, data.tokenizer.pad_token_id)
        spent["corpus_tokens"] += sum(len(r) for r in rows)
        spent["tokens"] += cost["tokens"]
        spent["flops"] += cost["flops"]
        batches.append(batch)
    return batches, spent


def check_batch(objective: Objective, batch) -> None:
    """A plug-in's batch must be a dict of tensors with ``input_ids`` and ``labels``."""
    where = f"objective {objective.name!r} (model {objective.model!r})"
    if not isinstance(batch, dict):
        raise TypeError(f"{where} must return a dict of model inputs, got {type(batch).__name__}")
    missing = {"input_ids", "labels"} - set(batch)
    if missing:
        raise ValueError(f"{where} returned a batch without {sorted(missing)}; it has {sorted(batch)}")
    labels = batch["labels"]
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.long:
        raise TypeError(f"{where}: labels must be a LongTensor (-100 = not scored)")
    if not bool((labels != IGNORE_INDEX).any()):
        raise ValueError(f"{where}: every label is -100, so the loss scores nothing")


def pretrain(objective: Objective, data: ArenaData, config: ArenaConfig, seed: int, *,
             progress: bool | str = "auto", device=None):
    """One pretrained model and its bookkeeping (steps, tokens, FLOPs, last train loss), on
    ``device`` (default: ``minilm.device.default_device()``)."""
    torch.manual_seed(seed)
    device = chosen_device(device)
    model = build_model(objective.model, data.tokenizer.vocab_size, config.sizes).to(device)
    n_params = non_embedding_parameters(model)
    batches, spent = make_batches(objective, data, config, seed, n_params)
    try:
        model(**move_to(batches[0], device))
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"objective {objective.name!r}: its batch does not fit the {objective.model!r} "
                         f"model ({type(model).__name__}): {err}") from err
    history = train(model, batches, steps=len(batches), lr=config.lr, warmup=config.warmup,
                    progress=progress, desc=f"{objective.name} · seed {seed}")
    model.eval()
    return model, {"steps": len(batches), "non_embedding_parameters": n_params, **spent,
                   "final_train_loss": round(history.final_train_loss, 4)}


def judge(model, kind: str, data: ArenaData, config: ArenaConfig, seed: int) -> dict:
    """Every shared metric of one pretrained model."""
    reader = reader_for(kind, model, data.tokenizer)
    scores = {}
    for i, (task, (train_set, test_set)) in enumerate(data.tasks.items()):
        gen = torch.Generator().manual_seed(seed * 100 + i)
        torch.manual_seed(seed * 100 + i)  # the new head's initial weights
        scores[task] = finetuned_accuracy(reader, train_set, test_set, steps=getattr(config, f"{task}_steps"),
                                          lr=config.finetune_lr, batch_size=config.batch_size, generator=gen)
    scores["cloze"] = cloze_accuracy(reader, *data.cloze)
    scores["blank"] = blank_exact_match(reader, data.facts)
    scores["facts"], scores["facts_stated"] = fact_precision(reader, data.tokenizer)
    scores["nll"] = continuation_nll(reader, data.heldout)
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in scores.items()}


# --------------------------------------------------------------------- results
def environment() -> dict:
    """Versions and machine, for the JSON (not part of what must match on a rerun)."""
    import minilm

    return {"versions": {"python": platform.python_version(), "torch": torch.__version__,
                         "minilm": minilm.__version__},
            "machine": {"platform": platform.platform(),
                        "processor": platform.processor() or platform.machine(),
                        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()}}


def _write_json(path: Path, results: dict) -> None:
    """Atomic: a crash mid-write never leaves a half-written results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".arena-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load_results(path: str | os.PathLike) -> dict:
    """Read an ``arena.json``."""
    results = json.loads(Path(path).read_text())
    if results.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not an arena results file (format {FORMAT})")
    return results


def run_arena(config: ArenaConfig = ArenaConfig(), out_dir: str | os.PathLike | None = None, *,
              progress: bool | str = "auto", registry: dict[str, Objective] | None = None,
              device=None) -> dict:
    """Pretrain and judge every (objective, seed) cell on ``device`` (default:
    ``minilm.device.default_device()``); returns the results dict.

    With ``out_dir``, ``arena.json`` is rewritten after every cell and ``arena.md`` at the
    end; cells already in an ``arena.json`` made with the same config are not recomputed.
    """
    registry = OBJECTIVES if registry is None else registry
    objectives = [get_objective(name, registry) for name in config.objectives]
    path = None if out_dir is None else Path(out_dir) / "arena.json"
    results = {"format": FORMAT, "config": config.to_dict(), "objectives": {}, "cells": {}, "seconds": {}}
    if path is not None and path.is_file():
        previous = load_results(path)
        if previous["config"] != results["config"]:
            raise ValueError(f"{str(path)!r} holds results of another configuration; pass another "
                             "out_dir (or delete the file) to start afresh")
        results = previous
    results.update(environment())
    data = None
    for objective in objectives:
        results["objectives"][objective.name] = {"model": objective.model,
                                                 "description": objective.description}
        for seed in config.seeds:
            cells = results["cells"].setdefault(objective.name, {})
            if str(seed) in cells:
                continue
            data = data or prepare(config)
            clock = os.times()
            model, bookkeeping = pretrain(objective, data, config, seed, progress=progress, device=device)
            cells[str(seed)] = {**bookkeeping, **judge(model, objective.model, data, config, seed)}
            used = os.times()
            results["seconds"][f"{objective.name}/{seed}"] = round(used.user - clock.user + used.system
                                                                   - clock.system, 1)
            if path is not None:
                _write_json(path, results)
    if path is not None:
        _write_json(path, results)
        (path.parent / "arena.md").write_text(markdown_table(results) + "\n")
    return results
