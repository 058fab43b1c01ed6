"""The objective arena: each metric on cases with a known answer, equal budgets, readers
that agree with their models, reproducible runs that resume, and clear plug-in errors."""

import json
import math

import pytest
import torch
from torch import nn

from minilm.__main__ import main
from minilm.arena import (
    BUILTIN,
    OBJECTIVES,
    ArenaConfig,
    blank_exact_match,
    build_model,
    cloze_accuracy,
    continuation_nll,
    fact_claims,
    fact_precision,
    finetuned_accuracy,
    leaders,
    load_results,
    markdown_table,
    mlm_batch,
    non_embedding_parameters,
    reader_for,
    register_objective,
    run_arena,
    uninformative,
    verdict,
)
from minilm.arena.contestants import Reader, batch_cost
from minilm.arena.metrics import Blank
from minilm.arena.run import budget_target, make_batches, prepare
from minilm.data.world import WORLD
from minilm.objectives.blank_infilling import glm_sample
from minilm.objectives.clm import clm_labels

TINY = ArenaConfig.tiny(seeds=(0, 1))


@pytest.fixture(scope="module")
def data():
    torch.set_num_threads(1)
    return prepare(TINY)


# ------------------------------------------------------------ fake readers
class FakeReader(Reader):
    """Answers from a table: ``answers[tuple(left)]`` is the span it writes into a blank
    after ``left`` (then its stop token); ``score`` is the probability it gives each token."""

    def __init__(self, answers, vocab_size=300, *, score=None, d_model=4):
        self.model = nn.Linear(1, 1)  # something to put in eval mode
        self.model.config = type("Config", (), {"d_model": d_model})()
        self.answers, self.V, self.score = answers, vocab_size, score
        self.stop_ids = (vocab_size - 1,)
        self.can_score = score is not None

    def next_logits(self, left, right, written, remaining=1):
        span = self.answers[tuple(left)]
        token = span[len(written)] if len(written) < len(span) else self.stop_ids[0]
        return torch.nn.functional.one_hot(torch.tensor(token), self.V).float()

    def span_logprobs(self, left, right, span):
        return torch.full((len(span),), math.log(self.score))


def test_blank_exact_match_is_one_for_a_model_that_knows_and_zero_for_one_that_does_not():
    blanks = [Blank([2, 10 + i], [7], [20 + i, 30 + i]) for i in range(5)]
    right = FakeReader({(2, 10 + i): [20 + i, 30 + i] for i in range(5)})
    wrong = FakeReader({(2, 10 + i): [20 + i, 31 + i] for i in range(5)})  # last token off by one
    short = FakeReader({(2, 10 + i): [20 + i] for i in range(5)})          # ends the span too early
    assert blank_exact_match(right, blanks) == 1.0
    assert blank_exact_match(wrong, blanks) == 0.0
    assert blank_exact_match(short, blanks) == 0.0
    half = FakeReader({(2, 10 + i): [20 + i, 30 + i] if i < 2 else [0, 0] for i in range(5)})
    assert blank_exact_match(half, blanks) == pytest.approx(2 / 5)


def test_cloze_accuracy_counts_the_label_word_put_in_the_blank():
    words = [50, 60]   # label 0 -> 50, label 1 -> 60
    blanks = [Blank([2, i], [7], []) for i in range(6)]
    labels = [0, 1, 1, 0, 1, 0]
    right = FakeReader({(2, i): [words[y]] for i, y in enumerate(labels)})
    wrong = FakeReader({(2, i): [words[1 - y]] for i, y in enumerate(labels)})
    assert cloze_accuracy(right, blanks, words, labels) == 1.0
    assert cloze_accuracy(wrong, blanks, words, labels) == 0.0


def test_fact_claims_reads_every_fact_a_sentence_states():
    assert fact_claims("lives in paris and likes soup.") == [("town", "paris"), ("food", "soup")]
    assert fact_claims("is a baker in rome.") == [("town", "rome"), ("job", "baker")]
    assert fact_claims("works as a nurse.") == [("job", "nurse")]
    assert fact_claims("has a red cat.") == []


def test_fact_precision_is_one_for_the_world_and_zero_for_a_wrong_world(data):
    tok = data.tokenizer

    def writer(fact_of):
        answers = {}
        for p in WORLD.values():
            left = (tok.bos_token_id, *tok.encode(p.name))
            answers[left] = tok.encode(fact_of(p))
        return FakeReader(answers, tok.vocab_size)

    towns = sorted({p.town for p in WORLD.values()})
    assert fact_precision(writer(lambda p: f"lives in {p.town}."), tok) == (1.0, len(WORLD))
    wrong_town = writer(lambda p: f"lives in {towns[(towns.index(p.town) + 1) % len(towns)]}.")
    assert fact_precision(wrong_town, tok) == (0.0, len(WORLD))
    half = writer(lambda p: f"lives in {p.town} and likes {'toast' if p.food != 'toast' else 'soup'}.")
    assert fact_precision(half, tok) == (0.5, 2 * len(WORLD))
    assert fact_precision(writer(lambda p: ""), tok) == (0.0, 0)   # says nothing: earns nothing


def test_continuation_nll_of_known_probabilities_and_none_for_the_mlm(data):
    blanks = [Blank([2], [7], [5, 6, 8]), Blank([2, 3], [7], [9])]
    assert continuation_nll(FakeReader({}, score=1.0), blanks) == pytest.approx(0.0)
    assert continuation_nll(FakeReader({}, score=0.25), blanks) == pytest.approx(math.log(4))
    mlm = reader_for("encoder", build_model("encoder", data.tokenizer.vocab_size), data.tokenizer)
    assert continuation_nll(mlm, blanks) is None


class LabelCopier(nn.Module):
    """Features that copy the label (token 100 + label sits at position 1) or carry nothing."""

    def __init__(self, informative: bool):
        super().__init__()
        self.config = type("Config", (), {"d_model": 2})()
        self.scale = nn.Parameter(torch.ones(()))
        self.informative = informative


class CopyReader(Reader):
    def __init__(self, informative):
        self.model = LabelCopier(informative)

    def features(self, rows):
        label = torch.tensor([r[1] - 100 for r in rows], dtype=torch.float)
        if not self.model.informative:
            label = torch.zeros_like(label)
        return self.model.scale * torch.stack([label, 1 - label], dim=1)


def test_finetuned_accuracy_is_one_when_the_features_hold_the_label_and_chance_when_they_hold_nothing():
    train_set = [([2, 100 + y, 7], y) for y in [0, 1] * 20]
    test_set = [([2, 100 + y, 7], y) for y in [1, 0] * 10]
    torch.manual_seed(0)
    kwargs = {"steps": 60, "lr": 0.1, "batch_size": 8, "generator": torch.Generator().manual_seed(0)}
    copier = CopyReader(informative=True)
    assert finetuned_accuracy(copier, train_set, test_set, **kwargs) == 1.0
    assert copier.model.scale.item() == 1.0, "fine-tuning works on a copy: the pretrained model is untouched"
    assert finetuned_accuracy(CopyReader(informative=False), train_set, test_set, **kwargs) == 0.5


# ------------------------------------------------- readers agree with their models
def test_every_reader_scores_a_span_as_its_models_own_loss_does(data):
    tok = data.tokenizer
    left, span = [tok.bos_token_id, *tok.encode("anna lives in")], tok.encode("paris .")
    right = [tok.eos_token_id]
    torch.manual_seed(0)
    gpt = build_model("decoder", tok.vocab_size).eval()
    ids = torch.tensor([left + span])
    labels = clm_labels(ids)
    labels[0, : len(left) - 1] = -100
    labels[0, len(left) + len(span) - 1:] = -100
    with torch.no_grad():
        expected = gpt(ids, labels=labels).loss
        got = -reader_for("decoder", gpt, tok).span_logprobs(left, right, span).mean()
    torch.testing.assert_close(got, expected)

    glm = build_model("glm", tok.vocab_size).eval()
    full = torch.tensor(left + span + right)
    sample = glm_sample(full, [(len(left), len(left) + len(span))], mask_id=tok.mask_token_id,
                        start_id=tok.span_start_token_id, end_id=tok.span_end_token_id, order=[0])
    labels = sample["labels"].clone()
    labels[-1] = -100  # the [E] after the span is not part of the continuation
    with torch.no_grad():
        expected = glm(sample["input_ids"][None], sample["position_ids"][None], sample["sep"],
                       labels=labels[None]).loss
        got = -reader_for("glm", glm, tok).span_logprobs(left, right, span).mean()
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_an_encoder_decoder_reader_scores_a_span_as_the_models_loss_does(data, kind):
    tok = data.tokenizer
    left, span = [tok.bos_token_id, *tok.encode("anna lives in")], tok.encode("paris .")
    right = [tok.eos_token_id]
    blank = tok.token_to_id("<extra_id_0>") if kind == "t5" else tok.mask_token_id
    torch.manual_seed(0)
    model = build_model(kind, tok.vocab_size).eval()
    start = [tok.bos_token_id, blank] if kind == "t5" else left   # what the decoder has read before the span
    decoder_input_ids = torch.tensor([start + span])
    labels = torch.full_like(decoder_input_ids, -100)
    labels[0, len(start) - 1: len(start) - 1 + len(span)] = torch.tensor(span)  # predicted one step early
    with torch.no_grad():
        expected = model(torch.tensor([left[1:] + [blank] + right]), decoder_input_ids=decoder_input_ids,
                         labels=labels).loss
        got = -reader_for(kind, model, tok).span_logprobs(left, right, span).mean()
    torch.testing.assert_close(got, expected)


def test_prefix_lm_batches_never_score_a_token_its_position_can_see(data):
    gen = torch.Generator().manual_seed(0)
    batch = OBJECTIVES["prefix_lm"].make_batch(data.rows[:8], data.tokenizer, gen)
    mask, labels = batch["attention_matrix"], batch["labels"]
    for b, t in (labels != -100).nonzero().tolist():
        assert not bool(mask[b, t, t + 1]), f"row {b}: position {t} sees the token it predicts"


# ------------------------------------------------------------- equal budgets
def test_every_contestant_has_the_same_non_embedding_parameters_within_one_percent(data):
    counts = {kind: non_embedding_parameters(build_model(kind, data.tokenizer.vocab_size))
              for kind in ("decoder", "encoder", "prefix_lm", "bart", "t5", "glm")}
    reference = counts["decoder"]
    assert all(abs(n - reference) / reference < 0.01 for n in counts.values()), counts


def test_every_objective_reads_the_same_stories_at_a_tokens_budget(data):
    spent = {}
    for name in BUILTIN:
        objective = OBJECTIVES[name]
        n = non_embedding_parameters(build_model(objective.model, data.tokenizer.vocab_size))
        _, spent[name] = make_batches(objective, data, TINY, seed=0, n_params=n)
    corpus = {s["corpus_tokens"] for s in spent.values()}
    assert len(corpus) == 1, spent  # the same stories, step for step
    longest = TINY.batch_size * max(len(r) for r in data.rows)
    assert TINY.tokens <= corpus.pop() < TINY.tokens + longest
    # An encoder-decoder pushes more tokens through its layers than a decoder for the same text.
    assert spent["bart"]["tokens"] > spent["clm"]["tokens"]


def test_a_flops_budget_gives_every_objective_the_same_flops_within_one_step(data):
    config = ArenaConfig.tiny(budget="flops")
    target = budget_target(config, data)
    for name in ("clm", "bart", "glm"):
        objective = OBJECTIVES[name]
        n = non_embedding_parameters(build_model(objective.model, data.tokenizer.vocab_size))
        batches, spent = make_batches(objective, data, config, seed=0, n_params=n)
        last = batch_cost(batches[-1], objective.model, config.sizes, n, data.tokenizer.pad_token_id)
        assert target <= spent["flops"] < target + last["flops"]


# ------------------------------------------------------ reproducible, resumable
def strip_timing(results):
    return {k: v for k, v in results.items() if k not in ("seconds", "machine", "versions")}


def test_the_arena_is_reproducible_from_its_seeds_and_resumes_without_recomputing(tmp_path, monkeypatch):
    config = ArenaConfig.tiny(objectives=("clm", "t5"), seeds=(0, 1))
    first = run_arena(config, tmp_path / "a", progress=False)
    second = run_arena(config, tmp_path / "b", progress=False)
    assert json.dumps(strip_timing(first), sort_keys=True) == json.dumps(strip_timing(second), sort_keys=True)
    assert (tmp_path / "a" / "arena.md").read_text().startswith("| objective |")

    saved = load_results(tmp_path / "a" / "arena.json")
    del saved["cells"]["t5"]["1"]
    (tmp_path / "a" / "arena.json").write_text(json.dumps(saved))
    import minilm.arena.run as run_module

    calls = []
    real = run_module.pretrain
    monkeypatch.setattr(run_module, "pretrain", lambda o, *a, **k: calls.append(o.name) or real(o, *a, **k))
    resumed = run_arena(config, tmp_path / "a", progress=False)
    assert calls == ["t5"]
    assert resumed["cells"] == first["cells"]
    with pytest.raises(ValueError, match="another configuration"):
        run_arena(ArenaConfig.tiny(objectives=("clm",), seeds=(0, 1)), tmp_path / "a", progress=False)


# ---------------------------------------------------------------- plug-ins
def test_a_learner_objective_enters_the_same_table(tmp_path):
    registry = dict(OBJECTIVES)

    @register_objective("mlm40", model="encoder", description="MLM with 40 % masking", registry=registry)
    def mlm40(rows, tokenizer, generator):
        return mlm_batch(rows, tokenizer, generator, mlm_probability=0.4)

    results = run_arena(ArenaConfig.tiny(objectives=("mlm", "mlm40"), seeds=(0,)), progress=False,
                        registry=registry)
    assert set(results["cells"]) == {"mlm", "mlm40"}
    assert "| mlm40 | encoder |" in markdown_table(results)
    assert "mlm40" not in OBJECTIVES, "a private registry leaves the course's one alone"


def test_bad_objective_plug_ins_get_clear_errors():
    registry = dict(OBJECTIVES)
    with pytest.raises(ValueError, match="model must be one of"):
        register_objective("x", model="lstm", registry=registry)
    with pytest.raises(ValueError, match="already registered"):
        register_objective("clm", model="decoder", registry=registry)
    with pytest.raises(TypeError, match="three arguments"):
        register_objective("x", model="decoder", registry=registry)(lambda rows: {})
    with pytest.raises(TypeError, match="must be a function"):
        register_objective("x", model="decoder", registry=registry)(42)
    with pytest.raises(ValueError, match="unknown objective 'nope'"):
        run_arena(ArenaConfig.tiny(objectives=("nope",)), progress=False, registry=registry)

    register_objective("nolabels", model="decoder", registry=registry)(
        lambda rows, tok, gen: {"input_ids": torch.zeros(2, 3, dtype=torch.long)})
    with pytest.raises(ValueError, match=r"objective 'nolabels'.*without \['labels'\]"):
        run_arena(ArenaConfig.tiny(objectives=("nolabels",), seeds=(0,)), progress=False, registry=registry)

    # An MLM batch fed to the GLM: it lacks position_ids and sep.
    register_objective("misfit", model="glm", registry=registry)(mlm_batch)
    with pytest.raises(ValueError, match="objective 'misfit': its batch does not fit the 'glm' model"):
        run_arena(ArenaConfig.tiny(objectives=("misfit",), seeds=(0,)), progress=False, registry=registry)


# ------------------------------------------------------------------ reading
def fake_results(cells, metric="sentiment"):
    return {"config": {"seeds": [0, 1], "budget": "tokens"},
            "cells": {name: {str(i): {metric: v} for i, v in enumerate(vs)} for name, vs in cells.items()}}


def test_verdict_calls_a_difference_inside_the_seed_spread_a_tie():
    results = fake_results({"a": [0.8, 0.9], "b": [0.6, 0.7], "c": [0.65, 0.85], "d": [0.95]})
    assert verdict(results, "sentiment", "a", "b") == "better"
    assert verdict(results, "sentiment", "b", "a") == "worse"
    assert verdict(results, "sentiment", "a", "c") == "tie"
    assert verdict(results, "sentiment", "d", "b") == "tie"  # one seed: no spread to judge by
    assert leaders(results, "sentiment") == ["a", "c", "d"]
    nll = fake_results({"a": [1.0, 1.1], "b": [2.0, 2.2], "m": [None, None]}, metric="nll")
    assert verdict(nll, "nll", "a", "b") == "better"   # lower is better
    assert verdict(nll, "nll", "a", "m") == "n/a"


def test_a_metric_that_cannot_rank_the_objectives_says_why():
    assert uninformative(fake_results({"a": [0.8, 0.9], "b": [0.6, 0.7]}), "sentiment") is None
    assert uninformative(fake_results({"a": [0.45, 0.9], "b": [0.5, 0.7]}), "sentiment") == \
        "no objective beats chance with every seed"  # 0.45 and 0.5 do not beat 0.5
    zeros = fake_results({"a": [0.0, 0.0], "b": [0.0, 0.0]}, metric="facts")
    assert uninformative(zeros, "facts") == "every run scores the same"  # no chance level, still a tie
    assert uninformative(fake_results({"a": [0.0, 0.1], "b": [0.0, 0.0]}, metric="facts"), "facts") is None
    assert uninformative(fake_results({"m": [None, None]}, metric="nll"), "nll") == \
        "no objective can be measured on it"


def test_the_command_line_runs_the_arena_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "arena"
    assert main(["arena", "--tiny", "--seeds", "1", "--objectives", "clm", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| clm | decoder |" in printed
    results = load_results(out / "arena.json")
    assert results["config"]["seeds"] == [0] and "torch" in results["versions"]
    assert main(["arena", "--tiny", "--objectives", "nope", "--out", str(out)]) == 2
    assert "unknown objective 'nope'" in capsys.readouterr().err


def test_a_bad_configuration_names_the_field():
    with pytest.raises(ValueError, match="budget must be 'tokens' or 'flops'"):
        ArenaConfig(budget="steps")
    with pytest.raises(ValueError, match="tokens must be > 0"):
        ArenaConfig(tokens=0)
    with pytest.raises(ValueError, match="seeds must be distinct"):
        ArenaConfig(seeds=(1, 1))
