"""Classification as a cloze question: PET's patterns and verbalisers, GLM's way (GLM-6).

Pattern-Exploiting Training (Schick & Schütze, 2021) rewrites an input x as a cloze
question c(x) with one blank, and each label y as a word v(y), the *verbaliser*::

    c(x) = "{sentence} it was [MASK] ."        v(positive) = "good",  v(negative) = "bad"

GLM (Du et al., 2022, Sec. 2.3, Eq. 3) scores the label words at the blank, renormalised
over the labels only::

    p(y | x) = p(v(y) | c(x)) / sum_{y' in Y} p(v(y') | c(x))

and fine-tunes the whole model with the cross-entropy of that distribution. With GLM the
blank is generated exactly as in pretraining: Part A is c(x), Part B starts with [S] at
the blank's position, and the prediction made at [S] is the first token of the span. So
classification needs no new head and no new parameters, and a pretrained GLM can
classify before any fine-tuning (zero-shot). Label words must be single tokens here.

    batch = cloze_batch(tokenizer, ["The film was great."], labels=[1])
    scores = cloze_logits(glm, batch["input_ids"], batch["position_ids"], batch["sep"],
                          verbaliser_ids(tokenizer, ["bad", "good"]))   # [1, 2]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from minilm.checks import check_positive_int, check_tensor, check_token_ids, labels_tensor
from minilm.constants import IGNORE_INDEX
from minilm.device import model_device, move_to
from minilm.finetune.classifier import classification_loss
from minilm.models.common import ModelOutput
from minilm.modes import evaluating
from minilm.objectives.blank_infilling import glm_collate, glm_generation_context

DEFAULT_PATTERN = "{sentence} it was [MASK] ."
DEFAULT_VERBALISER = ("bad", "good")  # label 0 = negative, label 1 = positive (SENTIMENT_LABELS)


def verbaliser_ids(tokenizer, words: Sequence[str]) -> torch.Tensor:
    """Ids [K] of the label words, label k -> ``words[k]``; each must be one known token."""
    if isinstance(words, str) or not isinstance(words, Sequence) or len(words) < 2:
        raise TypeError(f"words must be a list of at least 2 label words (one per label), got {words!r}")
    ids = []
    for k, word in enumerate(words):
        pieces = tokenizer.tokenize(word) if isinstance(word, str) else None
        if pieces is None or len(pieces) != 1:
            raise ValueError(f"words[{k}] = {word!r} must be a single token, got {pieces}")
        token_id = tokenizer.convert_tokens_to_ids(pieces[0])
        if token_id == tokenizer.unk_token_id:
            raise ValueError(f"words[{k}] = {word!r} is not in the tokenizer's vocabulary")
        ids.append(token_id)
    if len(set(ids)) != len(ids):
        raise ValueError(f"words must be different tokens, got {list(words)}")
    return torch.tensor(ids, dtype=torch.long)


def _check_pattern(pattern) -> str:
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str, got {type(pattern).__name__}")
    if "{sentence}" not in pattern or pattern.count("[MASK]") != 1:
        raise ValueError(f"pattern must contain '{{sentence}}' and exactly one [MASK], got {pattern!r}")
    return pattern


def cloze_sample(tokenizer, sentence: str, *, pattern: str = DEFAULT_PATTERN) -> dict:
    """One cloze question as a GLM input: Part A = the pattern with ``sentence`` in it,
    then [S] at the blank. Returns ``input_ids`` [T], ``position_ids`` [2, T] and ``sep``
    (the index of [S], where the label word is predicted)."""
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
    text = _check_pattern(pattern).replace("{sentence}", sentence)
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    if (ids == tokenizer.mask_token_id).sum() != 1:
        raise ValueError(f"sentence must not contain [MASK] itself: {sentence!r}")
    context = glm_generation_context(ids, mask_id=tokenizer.mask_token_id,
                                     start_id=tokenizer.span_start_token_id)
    return {"input_ids": context["input_ids"], "position_ids": context["position_ids"],
            "sep": context["sep"]}


def cloze_batch(tokenizer, sentences: Sequence[str], *, labels: Sequence[int] | None = None,
                pattern: str = DEFAULT_PATTERN) -> dict[str, torch.Tensor]:
    """A right-padded batch of cloze questions: ``input_ids`` [B, T], ``position_ids``
    [B, 2, T], ``sep`` [B] (where each row's [S] is), ``attention_mask`` [B, T] and, when
    given, the class ``labels`` [B]."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence) or not sentences:
        raise TypeError("sentences must be a non-empty list of str")
    samples = [cloze_sample(tokenizer, s, pattern=pattern) for s in sentences]
    for s in samples:  # glm_collate wants labels; a cloze question has none per token
        s["labels"] = torch.full_like(s["input_ids"], IGNORE_INDEX)
    batch = glm_collate(samples, tokenizer.pad_token_id)
    del batch["labels"]
    if labels is not None:
        batch["labels"] = labels_tensor(labels, len(sentences), per="sentence")
    return batch


def cloze_logits(model, input_ids: torch.Tensor, position_ids: torch.Tensor, sep: torch.Tensor,
                 label_word_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """The model's logits of the label words at each row's blank: [B, K].

    ``softmax`` over the K columns is GLM's Eq. 3, p(y | x). The blank's first token is
    predicted at [S], index ``sep`` (= len(Part A)) of each row.
    """
    check_tensor(input_ids, "input_ids", ndim=2, integer=True)
    check_tensor(label_word_ids, "label_word_ids", ndim=1, integer=True)
    sep = torch.as_tensor(sep, dtype=torch.long, device=input_ids.device)
    if sep.dim() == 0:
        sep = sep.expand(input_ids.shape[0])
    if sep.shape != (input_ids.shape[0],) or bool((sep < 0).any()) or bool((sep >= input_ids.shape[1]).any()):
        raise ValueError(f"sep must hold one index per row inside [0, {input_ids.shape[1]}), "
                         f"got {sep.tolist()}")
    logits = model(input_ids, position_ids, sep, attention_mask=attention_mask).logits  # [B, T, V]
    if int(label_word_ids.max()) >= logits.shape[-1] or int(label_word_ids.min()) < 0:
        raise ValueError(f"label_word_ids must be token ids in [0, {logits.shape[-1]})")
    at_blank = logits[torch.arange(len(sep), device=logits.device), sep]  # [B, V]
    return at_blank[:, label_word_ids.to(logits.device)]


class ClozeClassifier(nn.Module):
    """A GLM that classifies by filling a blank: no new parameters, only the verbaliser.

    ``forward(**cloze_batch(...))`` returns ``logits`` [B, K] (label-word logits) and, with
    ``labels``, ``loss`` = cross-entropy of p(y | x) (Eq. 3), so ``minilm.train.train``
    fine-tunes the whole GLM with it.
    """

    def __init__(self, glm: nn.Module, label_word_ids: torch.Tensor):
        super().__init__()
        self.glm = glm
        label_word_ids = check_token_ids(label_word_ids, "label_word_ids", glm.config.vocab_size, ndim=1)
        self.register_buffer("label_word_ids", label_word_ids.clone(), persistent=False)

    def forward(self, input_ids, position_ids, sep, *, attention_mask=None, labels=None) -> ModelOutput:
        logits = cloze_logits(self.glm, input_ids, position_ids, sep, self.label_word_ids,
                              attention_mask=attention_mask)
        return ModelOutput(loss=classification_loss(logits, labels, per="sentence"), logits=logits)


@torch.no_grad()
def cloze_predict(model, tokenizer, sentences: Sequence[str], label_word_ids: torch.Tensor, *,
                  pattern: str = DEFAULT_PATTERN, batch_size: int = 64) -> torch.Tensor:
    """Predicted class [N] of each sentence: the label word the model likes best at the blank.

    The batches are built on the model's device (a GPU model reads GPU tensors); the
    predictions come back on the CPU, ready to compare with a list of labels or to plot."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence) or not sentences:
        raise TypeError("sentences must be a non-empty list of str")
    check_positive_int(batch_size, "batch_size")
    device = model_device(model)
    predictions = []
    with evaluating(model):
        for i in range(0, len(sentences), batch_size):
            batch = move_to(cloze_batch(tokenizer, list(sentences[i: i + batch_size]), pattern=pattern),
                            device)
            scores = cloze_logits(model, batch["input_ids"], batch["position_ids"], batch["sep"],
                                  label_word_ids, attention_mask=batch["attention_mask"])
            predictions.append(scores.argmax(dim=-1).cpu())
    return torch.cat(predictions)
