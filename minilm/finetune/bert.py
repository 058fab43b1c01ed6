"""Fine-tuning BERT (Devlin et al., 2019, Sec. 3.2 and Figure 4): one small head, all
parameters updated.

The same pretrained ``BertEncoder`` serves every task; only the input packing and a head
of a few parameters change:

* **sequence level** - single sentence (sentiment) or sentence pair (entailment, packed
  ``[CLS] A [SEP] B [SEP]``): classify from C, the final [CLS] state,
  ``P = softmax(C W^T)``, W in R^{K x H} (``BertForSequenceClassification``). The
  released code reads C through the NSP-pretrained pooler (dense + tanh) instead;
  ``use_pooler=True`` does that (on the course's tasks the plain C fine-tunes faster);
* **token level, tagging** - every token's final state T_i gets its own label
  (``BertForTokenClassification``);
* **token level, span extraction** (SQuAD) - a start vector S and an end vector E:
  ``P(start = i) = softmax_i(S . T_i)``, likewise for the end with E; the answer is the
  span (i, j), j >= i, with the highest ``S . T_i + E . T_j`` (``BertForSpanExtraction``,
  ``best_span``). The loss is the sum of the start and end log-likelihoods.

Every head copies the encoder it is given, so fine-tuning never changes the pretrained
model: fine-tune the same ``Bert`` on several tasks, or pass a ``BertConfig`` for a
randomly initialised encoder of the same shape (the "from scratch" baseline).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minilm.checks import check_positive_int, check_tensor
from minilm.finetune.classifier import classification_loss, new_linear, token_classification_loss
from minilm.models.bert import Bert, BertConfig, BertEncoder
from minilm.models.common import ModelOutput


def encoder_from(source: Bert | BertEncoder | BertConfig) -> BertEncoder:
    """A private copy of a pretrained body, or a fresh random one from a config."""
    if isinstance(source, Bert):
        return copy.deepcopy(source.encoder)
    if isinstance(source, BertEncoder):
        return copy.deepcopy(source)
    if isinstance(source, BertConfig):
        return BertEncoder(source)
    raise TypeError(f"source must be a Bert, a BertEncoder or a BertConfig, got {type(source).__name__}")


class BertForSequenceClassification(nn.Module):
    """K-way classification of a sentence or a sentence pair from C: logits [B, K]."""

    def __init__(self, source: Bert | BertEncoder | BertConfig, n_labels: int = 2, *,
                 use_pooler: bool = False):
        super().__init__()
        self.bert = encoder_from(source)
        self.config = self.bert.config
        self.n_labels = check_positive_int(n_labels, "n_labels")
        self.use_pooler = bool(use_pooler)
        self.classifier = new_linear(self.config.d_model, n_labels)  # W in R^{K x H}: the only new weights

    def forward(self, input_ids: torch.Tensor, *, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                output_attentions: bool = False) -> ModelOutput:
        out = self.bert(input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                        output_attentions=output_attentions)
        C = out.pooler_output if self.use_pooler else out.hidden_states[:, 0]  # [B, d]
        logits = self.classifier(C)  # [B, K]
        return ModelOutput(loss=classification_loss(logits, labels, per="sequence"), logits=logits,
                           hidden_states=out.hidden_states, attentions=out.attentions)


class BertForTokenClassification(nn.Module):
    """A label for every token from its final state T_i: logits [B, T, K]; labels -100 are
    skipped ([CLS], [SEP], padding)."""

    def __init__(self, source: Bert | BertEncoder | BertConfig, n_labels: int):
        super().__init__()
        self.bert = encoder_from(source)
        self.config = self.bert.config
        self.n_labels = check_positive_int(n_labels, "n_labels")
        self.classifier = new_linear(self.config.d_model, n_labels)

    def forward(self, input_ids: torch.Tensor, *, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                output_attentions: bool = False) -> ModelOutput:
        out = self.bert(input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                        output_attentions=output_attentions)
        logits = self.classifier(out.hidden_states)  # [B, T, K]
        return ModelOutput(loss=token_classification_loss(logits, labels), logits=logits,
                           hidden_states=out.hidden_states, attentions=out.attentions)


@dataclass
class SpanOutput(ModelOutput):
    """``start_logits`` and ``end_logits`` [B, T] (S . T_i and E . T_i; -inf on padding)."""

    start_logits: torch.Tensor | None = None
    end_logits: torch.Tensor | None = None


class BertForSpanExtraction(nn.Module):
    """SQuAD-style answer spans: a start vector S and an end vector E, the only new weights."""

    def __init__(self, source: Bert | BertEncoder | BertConfig):
        super().__init__()
        self.bert = encoder_from(source)
        self.config = self.bert.config
        self.span = new_linear(self.config.d_model, 2, bias=False)  # rows: S and E, each in R^H

    def forward(self, input_ids: torch.Tensor, *, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, start_positions: torch.Tensor | None = None,
                end_positions: torch.Tensor | None = None, output_attentions: bool = False) -> SpanOutput:
        out = self.bert(input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                        output_attentions=output_attentions)
        scores = self.span(out.hidden_states)  # [B, T, 2]
        start_logits, end_logits = scores.unbind(dim=-1)  # each [B, T]
        if attention_mask is not None and attention_mask.dtype != torch.bool:
            padding = attention_mask == 0  # a padded position can be neither start nor end
            start_logits = start_logits.masked_fill(padding, float("-inf"))
            end_logits = end_logits.masked_fill(padding, float("-inf"))
        loss = None
        if (start_positions is None) != (end_positions is None):
            raise ValueError("give both start_positions and end_positions, or neither")
        if start_positions is not None:
            T = input_ids.shape[1]
            for name, positions in (("start_positions", start_positions), ("end_positions", end_positions)):
                check_tensor(positions, name, ndim=1, integer=True)
                if positions.shape[0] != input_ids.shape[0] or int(positions.min()) < 0 \
                        or int(positions.max()) >= T:
                    raise ValueError(f"{name} must hold one position in [0, {T}) per sequence")
            # The sum of the log-likelihoods of the correct start and end positions.
            loss = F.cross_entropy(start_logits.float(), start_positions) \
                + F.cross_entropy(end_logits.float(), end_positions)
        return SpanOutput(loss=loss, logits=scores, hidden_states=out.hidden_states,
                          attentions=out.attentions, start_logits=start_logits, end_logits=end_logits)


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, *,
              allowed: torch.Tensor | None = None, max_answer_len: int | None = None) -> torch.Tensor:
    """The span (i, j) with j >= i maximising ``start_logits[i] + end_logits[j]``.

    ``start_logits``, ``end_logits`` [T] or [B, T]; ``allowed`` (bool, same shape) marks the
    positions an answer may use (e.g. the context segment, ``token_type_ids == 1``);
    ``max_answer_len`` caps j - i + 1. Returns LongTensor [2] or [B, 2]: (start, end),
    both inclusive.

        start = [0, 3, 1], end = [2, 0, 1]  ->  (1, 2): 3 + 1 beats (1, 1) = 3 + 0
    """
    check_tensor(start_logits, "start_logits", ndim=(1, 2))
    if end_logits.shape != start_logits.shape:
        raise ValueError(f"end_logits must have the shape of start_logits {tuple(start_logits.shape)}, "
                         f"got {tuple(end_logits.shape)}")
    single = start_logits.dim() == 1
    start, end = (start_logits[None], end_logits[None]) if single else (start_logits, end_logits)
    T = start.shape[-1]
    scores = start[:, :, None] + end[:, None, :]  # [B, T, T]: start i (rows), end j (columns)
    valid = torch.ones(T, T, dtype=torch.bool, device=start.device).triu()  # j >= i
    if max_answer_len is not None:
        valid &= ~torch.ones_like(valid).triu(check_positive_int(max_answer_len, "max_answer_len"))
    valid = valid.expand_as(scores)
    if allowed is not None:
        check_tensor(allowed, "allowed", dtype=torch.bool)
        if allowed.shape != start_logits.shape:
            raise ValueError(f"allowed must have the shape of start_logits {tuple(start_logits.shape)}")
        ok = allowed[None] if single else allowed
        valid = valid & ok[:, :, None] & ok[:, None, :]
    flat = scores.masked_fill(~valid, float("-inf")).flatten(1).argmax(dim=1)  # [B]
    spans = torch.stack([flat // T, flat % T], dim=1)
    return spans[0] if single else spans
