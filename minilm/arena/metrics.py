"""The shared metrics: every contestant is judged by the same functions on the same probes.

Each metric talks to a model only through its ``Reader`` (``minilm.arena.contestants``),
so the questions are the same for every architecture; what differs is what the model can
see when it answers (GPT and the prefix LM never see the text right of a blank).

* understanding: ``finetuned_accuracy`` (a linear head on one vector per text, the whole
  model fine-tuned for the same steps) and ``cloze_accuracy`` (zero-shot: which label
  word the pretrained model puts into a blank, PET's pattern and verbaliser);
* blank filling: ``blank_exact_match`` (a multi-token fact span, filled greedily);
* generation: ``fact_precision`` (are the facts a model writes about a person true in
  ``minilm.data.WORLD``?) and ``continuation_nll`` (log-loss of the same held-out tokens
  for every model that defines their probability).

A pretraining loss is *not* among them: each objective scores different tokens from
different inputs, so their losses are not comparable.
"""

from __future__ import annotations

import copy
import re
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minilm.data.world import WORLD
from minilm.device import model_device
from minilm.models.common import ModelOutput
from minilm.train import train

# metric key (in the results) -> (label, higher is better)
METRICS = {
    "sentiment": ("sentiment, fine-tuned (acc.)", True),
    "entailment": ("entailment, fine-tuned (acc.)", True),
    "cloze": ("sentiment, zero-shot cloze (acc.)", True),
    "blank": ("fact span, blank filling (exact match)", True),
    "facts": ("generated facts that are true", True),
    "nll": ("held-out continuation NLL (nats/token)", False),
}



@dataclass(frozen=True)
class Blank:
    """A probe: a blank between ``left`` and ``right`` (token ids) whose answer is ``gold``."""

    left: list[int]
    right: list[int]
    gold: list[int]


@contextmanager
def evaluating(model: nn.Module):
    """The model in eval mode without gradients inside the block, its mode restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def write(reader, left: list[int], right: list[int], n: int, *, stop: tuple[int, ...] = (),
          told_length: bool = True) -> list[int]:
    """Greedily write up to ``n`` tokens into the blank; stop early at a ``reader.stop_ids``
    token (not kept) or after a token in ``stop`` (kept). ``told_length``: a model that
    must know the blank's length (the MLM) is given ``n``."""
    written: list[int] = []
    while len(written) < n:
        remaining = n - len(written) if told_length else 1
        token = int(reader.next_logits(left, right, written, remaining).argmax())
        if token in reader.stop_ids:
            break
        written.append(token)
        if token in stop:
            break
    return written


# ---------------------------------------------------------------- understanding
class _Classifier(nn.Module):
    """A linear head on the reader's vector for each text."""

    def __init__(self, reader, d_model: int, n_classes: int):
        super().__init__()
        self.reader, self.body = reader, reader.model
        self.head = nn.Linear(d_model, n_classes, device=model_device(reader.model))

    def forward(self, rows, labels=None) -> ModelOutput:
        logits = self.head(self.reader.features(rows))
        return ModelOutput(loss=None if labels is None else F.cross_entropy(logits, labels), logits=logits)


def finetuned_accuracy(reader, train_set: list[tuple[list[int], int]], test_set: list[tuple[list[int], int]],
                       *, steps: int, lr: float, batch_size: int, generator: torch.Generator) -> float:
    """Test accuracy after fine-tuning a copy of the model with a linear head.

    Each text is ``<s> text <e>`` and becomes one vector (``Reader.features``): GPT's last
    token (GPT-1, Sec. 3.2), the mean over an encoder's tokens (an MLM trained without NSP
    never learns a sentence vector at [CLS]/<s>), the last decoder state of an
    encoder-decoder fed the text on both sides (BART, Sec. 3.1), GLM's [S] state at a
    blank after the text. Every parameter is updated, for the same ``steps`` with the
    same ``lr`` and batches for every contestant. The pretrained model is left untouched.
    """
    clone = copy.copy(reader)
    clone.model = copy.deepcopy(reader.model)  # fine-tune a copy, keep the pretrained weights
    n_classes = 1 + max(label for _, label in train_set)
    classifier = _Classifier(clone, clone.model.config.d_model, n_classes)

    def batch():
        index = torch.randint(len(train_set), (batch_size,), generator=generator).tolist()
        return {"rows": [train_set[i][0] for i in index],
                "labels": torch.tensor([train_set[i][1] for i in index])}

    train(classifier, batch, steps=steps, lr=lr, warmup=0, progress=False)
    with evaluating(classifier):
        logits = classifier([row for row, _ in test_set]).logits
    labels = torch.tensor([label for _, label in test_set], device=logits.device)
    return float((logits.argmax(-1) == labels).float().mean())


def cloze_accuracy(reader, blanks: list[Blank], label_word_ids: list[int], labels: list[int]) -> float:
    """Zero-shot accuracy of a pattern with one blank (PET; GLM, Sec. 2.3, Eq. 3).

    ``blanks[i]`` is the i-th input written into the pattern; the predicted class is the
    label word with the highest logit in the blank (renormalising over the label words,
    as Eq. 3 does, does not change the argmax). Every model can answer, since the blank
    is the last word of the pattern, but GPT and the prefix LM read only its left side.
    """
    words = torch.tensor(label_word_ids, device=model_device(reader.model))
    with evaluating(reader.model):
        predictions = [int(reader.next_logits(b.left, b.right, [], 1)[words].argmax()) for b in blanks]
    return sum(p == y for p, y in zip(predictions, labels, strict=True)) / len(labels)


# ---------------------------------------------------------------- blank filling
def blank_exact_match(reader, blanks: list[Blank]) -> float:
    """Share of blanks whose span is written exactly (every token, greedily).

    Every model is given the span's length: the MLM needs it (one [MASK] per token);
    the others are cut after that many tokens, and a model that ends its span earlier
    (GLM's [E], T5's next sentinel) misses.
    """
    with evaluating(reader.model):
        hits = [write(reader, b.left, b.right, len(b.gold)) == b.gold for b in blanks]
    return sum(hits) / len(hits)


# ------------------------------------------------------------------ generation
_CLAIMS = {  # what a sentence about a person can state, as the corpus words it
    "town": re.compile(r"\b(?:lives in|has a home in|is a \w+ in) (\w+)"),
    "food": re.compile(r"\b(?:likes|enjoys) (\w+)"),
    "job": re.compile(r"\b(?:is a|works as a|job as a) (\w+)"),
}


def fact_claims(text: str) -> list[tuple[str, str]]:
    """The (relation, value) facts a sentence states: "lives in paris and likes soup" ->
    [("town", "paris"), ("food", "soup")]."""
    return [(relation, m.group(1)) for relation, pattern in _CLAIMS.items() for m in pattern.finditer(text)]


def fact_precision(reader, tokenizer, *, max_new_tokens: int = 10) -> tuple[float, int]:
    """Fraction of the facts a model writes about a person that are true in ``WORLD``.

    For every person the model continues ``<s> {name}`` greedily up to the first full stop;
    ``fact_claims`` reads the facts stated (where, what food, which job) and each is
    checked against the world table. Returns (true / stated, number stated); a model
    that states no fact scores 0.
    """
    full_stop = tokenizer.token_to_id(".")
    true = stated = 0
    with evaluating(reader.model):
        for person in WORLD.values():
            left = [tokenizer.bos_token_id, *tokenizer.encode(person.name)]
            written = write(reader, left, [tokenizer.eos_token_id], max_new_tokens, stop=(full_stop,),
                            told_length=False)
            for relation, value in fact_claims(tokenizer.decode(written)):
                stated += 1
                true += value == person.fact(relation).lower()
    return (true / stated if stated else 0.0), stated


def continuation_nll(reader, blanks: list[Blank]) -> float | None:
    """Mean negative log-likelihood (nats per token) of held-out continuations.

    ``blanks[i].gold`` is the last sentence of a test story, ``left`` the sentences before
    it, ``right`` just <e>: every model scores exactly the same tokens given the same
    text, GPT and the prefix LM as a continuation, BART / T5 / GLM as the blank at the end.
    None for a model that defines no probability of a sequence (the MLM).
    """
    if not reader.can_score:
        return None
    total = count = 0
    with evaluating(reader.model):
        for b in blanks:
            total -= float(reader.span_logprobs(b.left, b.right, b.gold).sum())
            count += len(b.gold)
    return total / count
