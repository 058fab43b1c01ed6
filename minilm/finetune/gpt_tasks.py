"""The four GPT fine-tuning formats, each on a synthetic task with a known answer.

=================  ============================  ===========================  =========
task               minilm.data                   input format                  head
=================  ============================  ===========================  =========
sentiment          ``make_sentiment``            ``<s> X <e>``                 GPTClassifier
entailment         ``make_entailment``           ``<s> p $ h <e>``             GPTClassifier
similarity         ``make_similarity``           both orders                   GPTSimilarityClassifier
multiple_choice    ``make_multiple_choice``      ``<s> p $ q $ c_k <e>`` x N   GPTMultipleChoice
=================  ============================  ===========================  =========

``finetune_gpt`` copies a GPT, puts the task's head on it, trains with L_3 = L_2 +
lambda * L_1 (Radford et al., 2018, Eq. 5) and measures accuracy on held-out examples.
Calling it with a pretrained GPT and with a freshly initialised one of the same size,
for the same number of steps, measures what pretraining is worth.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from minilm.checks import check_generator, check_positive_int
from minilm.data.tasks import (
    EntailmentExample,
    MultipleChoiceExample,
    SentimentExample,
    SimilarityExample,
    make_entailment,
    make_multiple_choice,
    make_sentiment,
    make_similarity,
)
from minilm.data.world import NEGATIVE_FEELINGS, NEGATIVE_WORDS, POSITIVE_FEELINGS, POSITIVE_WORDS
from minilm.device import default_device, model_device, move_to
from minilm.finetune.batching import collate
from minilm.finetune.formats import (
    classification_input,
    entailment_input,
    multiple_choice_inputs,
    similarity_inputs,
)
from minilm.finetune.gpt import GPTClassifier, GPTMultipleChoice, GPTSimilarityClassifier
from minilm.modes import evaluating
from minilm.train import History, train

TASKS = {  # task name -> (example maker, the input format it uses)
    "sentiment": (make_sentiment, "classification"),
    "entailment": (make_entailment, "entailment"),
    "similarity": (make_similarity, "similarity"),
    "multiple_choice": (make_multiple_choice, "multiple choice"),
}


# Half of the sentiment words never occur in a labelled training sentence of ``task_data``;
# the test sentences all contain one. Only a model that learned those words elsewhere - from
# the unlabelled stories, where "awful" comes with "sad" and "superb" with "happy" - can
# classify them: exactly the knowledge pretraining is meant to bring.
_SENTIMENT_WORDS = (POSITIVE_WORDS, NEGATIVE_WORDS, POSITIVE_FEELINGS, NEGATIVE_FEELINGS)
UNSEEN_SENTIMENT_WORDS = frozenset(w for words in _SENTIMENT_WORDS for w in words[len(words) // 2:])
SEEN_SENTIMENT_WORDS = frozenset(w for words in _SENTIMENT_WORDS for w in words[: len(words) // 2])


@dataclass(frozen=True)
class FinetuneSettings:
    """How much labelled data and how many steps a task gets (the same for every model)."""

    n_train: int      # labelled training examples
    steps: int        # optimizer steps
    batch_size: int   # examples per step (a multiple-choice example is N sequences)
    lr: float


FINETUNE_SETTINGS = {  # small labelled sets: where pretraining should matter most
    "sentiment": FinetuneSettings(n_train=200, steps=100, batch_size=16, lr=1e-3),
    "entailment": FinetuneSettings(n_train=1000, steps=300, batch_size=16, lr=1e-3),
    "similarity": FinetuneSettings(n_train=500, steps=150, batch_size=16, lr=1e-3),
    "multiple_choice": FinetuneSettings(n_train=1000, steps=500, batch_size=8, lr=1e-3),
}


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    return task


def _sentiment_words(example) -> tuple[bool, bool]:
    """(has a seen sentiment word, has an unseen one)."""
    words = set(re.findall(r"[a-z]+", example.text.lower()))
    return bool(words & SEEN_SENTIMENT_WORDS), bool(words & UNSEEN_SENTIMENT_WORDS)


def task_data(task: str, *, n_train: int, n_test: int, seed: int = 0) -> tuple[list, list]:
    """Labelled training and test examples for ``task``, from two different seeds.

    For "sentiment" the split is by word: no training sentence contains a word of
    ``UNSEEN_SENTIMENT_WORDS``, and every test sentence contains one and no other
    sentiment word.
    """
    make = TASKS[_check_task(task)][0]
    check_positive_int(n_train, "n_train")
    check_positive_int(n_test, "n_test")
    if task != "sentiment":
        return make(n_train, seed=seed), make(n_test, seed=seed + 1)
    pool = 5 * (n_train + n_test)  # about a quarter of the sentences are test sentences
    train = [e for e in make(pool, seed=seed) if not _sentiment_words(e)[1]][:n_train]
    test = [e for e in make(pool, seed=seed + 1) if _sentiment_words(e) == (False, True)][:n_test]
    return train, test


def format_example(tokenizer, example) -> tuple[list[int] | list[list[int]], int]:
    """One example of ``minilm.data`` -> (its formatted token ids, its label)."""
    if isinstance(example, SentimentExample):
        return classification_input(tokenizer, example.text), example.label
    if isinstance(example, EntailmentExample):
        return entailment_input(tokenizer, example.premise, example.hypothesis), example.label
    if isinstance(example, SimilarityExample):
        return list(similarity_inputs(tokenizer, example.a, example.b)), example.label
    if isinstance(example, MultipleChoiceExample):
        return (multiple_choice_inputs(tokenizer, example.context, example.question, example.options),
                example.answer)
    raise TypeError(f"example must be a sentiment, entailment, similarity or multiple-choice "
                    f"example from minilm.data, got {type(example).__name__}")


def task_batch(tokenizer, examples: Sequence, *, max_len: int | None = None) -> dict[str, torch.Tensor]:
    """Format and pad ``examples`` into one batch dict (``input_ids``, ``attention_mask``, ``labels``)."""
    if not examples:
        raise ValueError("examples is empty")
    formatted = [format_example(tokenizer, ex) for ex in examples]
    return collate([f for f, _ in formatted], [y for _, y in formatted],
                   pad_id=tokenizer.pad_token_id, max_len=max_len)


def task_model(task: str, gpt: nn.Module, *, lm_weight: float = 0.0) -> nn.Module:
    """The head GPT-1 uses for ``task``, on top of ``gpt`` (used as is, not copied)."""
    kind = TASKS[_check_task(task)][1]
    if kind == "similarity":
        return GPTSimilarityClassifier(gpt, 2, lm_weight=lm_weight)
    if kind == "multiple choice":
        return GPTMultipleChoice(gpt, lm_weight=lm_weight)
    return GPTClassifier(gpt, 2, lm_weight=lm_weight)


@torch.no_grad()
def accuracy(model: nn.Module, batch: dict[str, torch.Tensor], *, chunk: int = 128) -> float:
    """Fraction of examples whose highest-scoring class (or option) is the label."""
    n = batch["labels"].shape[0]
    correct = 0
    with evaluating(model):
        for i in range(0, n, chunk):
            part = move_to({k: v[i: i + chunk] for k, v in batch.items()}, model_device(model))
            logits = model(part["input_ids"], attention_mask=part["attention_mask"]).logits
            correct += int((logits.argmax(-1) == part["labels"]).sum())
    return correct / n


def scratch_copy(gpt: nn.Module, generator: torch.Generator | None = None, *,
                 device: torch.device | str | None = None) -> nn.Module:
    """A GPT of the same size as ``gpt`` with fresh random weights (no pretraining), on
    ``device`` (default: ``minilm.device.default_device()``)."""
    with torch.random.fork_rng():  # initialisation draws from the global generator
        torch.manual_seed(_seed_from(generator))
        fresh = type(gpt)(gpt.config)  # built on the CPU, so a seed gives the same weights anywhere
    return fresh.to(device or default_device())


def _seed_from(generator: torch.Generator | None) -> int:
    return int(torch.randint(0, 2**31 - 1, (1,), generator=generator))


@dataclass
class FinetuneRun:
    """A fine-tuned model, its training history and its test accuracy."""

    task: str
    model: nn.Module
    history: History
    accuracy: float


def finetune_gpt(gpt: nn.Module, tokenizer, task: str, *, train_examples: Sequence,
                 test_batch: dict[str, torch.Tensor], steps: int, batch_size: int = 16,
                 lr: float = 1e-3, lm_weight: float = 0.0, generator: torch.Generator | None = None,
                 progress: bool | str = False, device: torch.device | str | None = None) -> FinetuneRun:
    """Fine-tune a *copy* of ``gpt`` on ``train_examples`` for ``steps`` steps of
    ``batch_size`` examples with L_2 + ``lm_weight`` * L_1; return it with its accuracy on
    ``test_batch`` (made by ``task_batch``). The copy trains on ``device`` (default:
    ``minilm.device.default_device()``)."""
    check_positive_int(steps, "steps")
    model, next_batch = finetuning_setup(gpt, tokenizer, task, train_examples=train_examples,
                                         batch_size=batch_size, lm_weight=lm_weight, generator=generator,
                                         device=device)
    history = train(model, next_batch, steps=steps, lr=lr, warmup=max(1, steps // 10),
                    progress=progress, desc=f"fine-tuning on {task}")
    return FinetuneRun(task, model, history, accuracy(model, test_batch))


def finetuning_setup(gpt: nn.Module, tokenizer, task: str, *, train_examples: Sequence,
                     batch_size: int, lm_weight: float, generator: torch.Generator | None,
                     device: torch.device | str | None = None):
    """A *copy* of ``gpt`` with ``task``'s head (initialised from ``generator``) on ``device``
    (default: ``minilm.device.default_device()``), and a function returning random training
    batches of ``batch_size`` examples (on the CPU; ``train`` moves them to the model)."""
    check_positive_int(batch_size, "batch_size")
    check_generator(generator)
    train_data = task_batch(tokenizer, train_examples, max_len=gpt.config.max_len)
    n = train_data["labels"].shape[0]
    with torch.random.fork_rng():  # the head's initialisation, reproducibly
        torch.manual_seed(_seed_from(generator))
        model = task_model(task, copy.deepcopy(gpt), lm_weight=lm_weight)
    model.to(device or default_device())

    def next_batch():
        rows = torch.randint(0, n, (min(batch_size, n),), generator=generator)
        batch = {k: v[rows] for k, v in train_data.items()}
        width = int(batch["attention_mask"].sum(-1).max())  # drop all-padding columns
        return {k: (v[..., :width] if k != "labels" else v) for k, v in batch.items()}

    return model, next_batch
