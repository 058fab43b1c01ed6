"""The course's downstream tasks packed for BERT's fine-tuning heads (Devlin et al., 2019, Fig. 4).

Every task becomes ``[CLS] A [SEP]`` or ``[CLS] A [SEP] B [SEP]`` (``minilm.objectives.nsp``)
plus the labels its head needs:

==================  ==============================  ======================================
task                packed input                    labels
==================  ==============================  ======================================
sentiment           [CLS] sentence [SEP]            ``labels`` [B]
entailment          [CLS] premise [SEP] hyp. [SEP]  ``labels`` [B]
tagging             [CLS] w_1 .. w_n [SEP]          ``labels`` [B, T], -100 on [CLS]/[SEP]/pad
span QA             [CLS] question [SEP] context    ``start_positions``, ``end_positions`` [B]
==================  ==============================  ======================================

The span-QA data is built from ``minilm.data.make_multiple_choice``: the question ("Where
does Anna live?") and the story, with the answer's position in the story as the target
span - extraction instead of choosing among options.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from minilm.checks import (
    check_attention_mask,
    check_generator,
    check_positive_int,
    check_tensor,
    labels_tensor,
)
from minilm.constants import IGNORE_INDEX
from minilm.data.tasks import TAGS, make_multiple_choice
from minilm.device import model_device, move_to
from minilm.finetune.bert import BertForSpanExtraction, best_span
from minilm.modes import evaluating
from minilm.objectives.nsp import bert_pair_input, collate_pairs


def _check_texts(texts, name: str) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence) or not texts:
        raise TypeError(f"{name} must be a non-empty list of str")
    return list(texts)


def sequence_batch(tokenizer, a: Sequence[str], b: Sequence[str] | None = None,
                   labels: Sequence[int] | None = None, *, max_len: int | None = None) -> dict:
    """Sentences ``a`` (single-sentence task) or pairs ``(a[i], b[i])`` -> a padded batch
    with ``token_type_ids``; ``labels`` [B] if given."""
    a = _check_texts(a, "a")
    if b is not None and len(_check_texts(b, "b")) != len(a):
        raise ValueError(f"b must have one text per text of a ({len(a)}), got {len(b)}")
    batch = collate_pairs([bert_pair_input(tokenizer, x, None if b is None else b[i], max_len=max_len)
                           for i, x in enumerate(a)], pad_id=tokenizer.pad_token_id)
    if labels is not None:
        batch["labels"] = labels_tensor(labels, len(a), per="text")
    return batch


def sentiment_batch(tokenizer, examples, *, max_len: int | None = None) -> dict:
    """``make_sentiment`` examples -> ``[CLS] text [SEP]`` and labels (1 = positive)."""
    return sequence_batch(tokenizer, [e.text for e in examples], labels=[e.label for e in examples],
                          max_len=max_len)


def entailment_batch(tokenizer, examples, *, max_len: int | None = None) -> dict:
    """``make_entailment`` examples -> ``[CLS] premise [SEP] hypothesis [SEP]`` and labels."""
    return sequence_batch(tokenizer, [e.premise for e in examples], [e.hypothesis for e in examples],
                          [e.label for e in examples], max_len=max_len)


def tagging_batch(tokenizer, examples, *, tags: Sequence[str] = TAGS) -> dict:
    """``make_tagging`` examples -> ``[CLS] tokens [SEP]`` with one tag id per word token.

    The examples' tokens are the word tokenizer's tokens, so each word is one id and its
    tag lines up with it; [CLS], [SEP] and padding get -100 (no prediction there).
    """
    index = {t: i for i, t in enumerate(tags)}
    encoded, label_rows = [], []
    for e in examples:
        ids = tokenizer.convert_tokens_to_ids(list(e.tokens))
        encoded.append(bert_pair_input(tokenizer, ids))
        label_rows.append([IGNORE_INDEX, *(index[t] for t in e.tags), IGNORE_INDEX])
    batch = collate_pairs(encoded, pad_id=tokenizer.pad_token_id)
    labels = torch.full_like(batch["input_ids"], IGNORE_INDEX)
    for row, values in enumerate(label_rows):
        labels[row, : len(values)] = torch.tensor(values)
    batch["labels"] = labels
    return batch


@dataclass(frozen=True)
class SpanQAExample:
    question: str
    context: str
    answer: str  # a word that occurs in the context


def make_span_qa(n: int, *, seed: int = 0) -> list[SpanQAExample]:
    """``n`` questions about short stories whose answer is a word of the story.

    >>> make_span_qa(1)[0]   # doctest: +SKIP
    SpanQAExample(question='Where does Anna live?', context='Anna lives in Paris. ...', answer='Paris')
    """
    return [SpanQAExample(e.question, e.context, e.options[e.answer])
            for e in make_multiple_choice(n, seed=seed)]


def _find(sequence: list[int], part: list[int]) -> int:
    for i in range(len(sequence) - len(part) + 1):
        if sequence[i: i + len(part)] == part:
            return i
    return -1


def span_batch(tokenizer, examples: Sequence[SpanQAExample], *, max_len: int | None = None) -> dict:
    """``[CLS] question [SEP] context [SEP]`` with the answer's first occurrence in the context
    as ``start_positions`` / ``end_positions`` (inclusive token indices)."""
    encoded, starts, ends = [], [], []
    for i, e in enumerate(examples):
        question, context, answer = (tokenizer.encode(t) for t in (e.question, e.context, e.answer))
        at = _find(context, answer)
        if at < 0 or not answer:
            raise ValueError(f"examples[{i}]: the answer {e.answer!r} does not occur in the context")
        packed = bert_pair_input(tokenizer, question, context, max_len=max_len)
        start = len(question) + 2 + at  # after [CLS] question [SEP]
        if start + len(answer) > len(packed["input_ids"]) - 1:
            raise ValueError(f"examples[{i}]: max_len={max_len} cuts the answer off the context")
        encoded.append(packed)
        starts.append(start)
        ends.append(start + len(answer) - 1)
    batch = collate_pairs(encoded, pad_id=tokenizer.pad_token_id)
    batch["start_positions"] = torch.tensor(starts)
    batch["end_positions"] = torch.tensor(ends)
    return batch


def sampler(data: dict, *, batch_size: int = 32,
            generator: torch.Generator | None = None) -> Callable[[], dict]:
    """A function that returns ``batch_size`` random rows of ``data`` per call (for
    ``minilm.train.train``): fine-tuning draws minibatches from a fixed labelled set."""
    check_positive_int(batch_size, "batch_size")
    check_generator(generator)
    n = data["input_ids"].shape[0]

    def next_batch() -> dict:
        rows = torch.randint(n, (batch_size,), generator=generator)
        return {k: v[rows] for k, v in data.items()}

    return next_batch


@torch.no_grad()
def accuracy(model, batch: dict, *, chunk: int = 256) -> float:
    """Share of right answers of a fine-tuned head on ``batch`` (dropout off).

    Sequence classification: per sequence. Tagging: per labelled token. Span extraction:
    exact match of (start, end), searched with ``best_span`` inside the context segment.
    Each chunk of ``batch`` is moved to the model's device.
    """
    correct = total = 0
    n = batch["input_ids"].shape[0]
    with evaluating(model):
        for lo in range(0, n, chunk):
            part = move_to({k: v[lo: lo + chunk] for k, v in batch.items()}, model_device(model))
            if isinstance(model, BertForSpanExtraction):
                out = model(part["input_ids"], token_type_ids=part["token_type_ids"],
                            attention_mask=part["attention_mask"])
                context = answer_positions(part["token_type_ids"], part["attention_mask"])
                spans = best_span(out.start_logits, out.end_logits, allowed=context)
                gold = torch.stack([part["start_positions"], part["end_positions"]], dim=1)
                correct += int((spans == gold).all(dim=1).sum())
                total += len(gold)
                continue
            inputs = {k: v for k, v in part.items() if k != "labels"}
            predictions = model(**inputs).logits.argmax(dim=-1)
            labels = check_tensor(part["labels"], "labels", integer=True)
            keep = labels != IGNORE_INDEX
            correct += int((predictions == labels)[keep].sum())
            total += int(keep.sum())
    return correct / max(1, total)


def answer_positions(token_type_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Where an answer may lie: the context segment (type 1) without its closing [SEP]."""
    check_tensor(token_type_ids, "token_type_ids", ndim=2, integer=True)
    attention_mask = check_attention_mask(attention_mask, token_type_ids, like_name="token_type_ids")
    last = attention_mask.sum(dim=1, keepdim=True) - 1  # [B, 1]: the closing [SEP]
    positions = torch.arange(token_type_ids.shape[1], device=token_type_ids.device)
    return (token_type_ids == 1) & (positions < last)
