"""GPT-1's fine-tuning heads and its auxiliary LM objective (Radford et al., 2018, Sec. 3.2).

The pretrained GPT reads the formatted input (``minilm.finetune.formats``); a head reads
the final transformer state ``h_L^m`` of the *last* token, the extract token ``<e>``,
because under a causal mask it is the only position that has seen the whole input:

    P(y | x^1 .. x^m) = softmax(h_L^m W_y)                              (Eq. 3)
    L_2(C) = sum_(x, y) log P(y | x^1 .. x^m)                            (Eq. 4)
    L_3(C) = L_2(C) + lambda * L_1(C)                                   (Eq. 5)

L_1 is the pretraining objective - next-token prediction, ``minilm.objectives.clm`` - on
the same inputs; the paper uses lambda = 0.5 and reports that it helps generalisation and
speeds up convergence. (The equations are log-likelihoods to maximise; the code
minimises their negatives, the cross-entropies, averaged over the batch.)

Three heads cover the four input formats:

* ``GPTClassifier`` - classification and entailment: one sequence [B, T], W_y in R^{d x k};
* ``GPTSimilarityClassifier`` - the two orders [B, 2, T]: their ``h_L^m`` are *added*,
  then W_y, so the prediction cannot depend on which text came first;
* ``GPTMultipleChoice`` - N options [B, N, T]: a linear layer gives each option one
  score, a softmax over the N scores gives P(option), trained with cross-entropy.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from minilm.checks import check_positive_int, check_probability, check_tensor
from minilm.finetune.batching import last_token_index
from minilm.finetune.classifier import classification_loss, new_linear
from minilm.models.common import ModelOutput
from minilm.objectives.clm import clm_labels
from minilm.objectives.loss import token_cross_entropy


def auxiliary_loss(task_loss: torch.Tensor, lm_loss: torch.Tensor, lm_weight: float) -> torch.Tensor:
    """L_3 = L_2 + lambda * L_1: the task loss plus lambda times the language-model loss."""
    check_probability(lm_weight, "lm_weight")
    return task_loss + lm_weight * lm_loss


@dataclass
class ClassifierOutput(ModelOutput):
    """``logits`` [B, n_classes] (or [B, N] option scores); ``hidden_states`` the features
    the head read; ``loss`` = ``task_loss`` + lm_weight * ``lm_loss``."""

    task_loss: torch.Tensor | None = None  # L_2, cross-entropy of the labels
    lm_loss: torch.Tensor | None = None    # L_1, next-token cross-entropy on the inputs


class _GPTWithHead(nn.Module):
    """A pretrained GPT plus what every head shares: run the GPT, read h_L at <e>."""

    def __init__(self, gpt: nn.Module, lm_weight: float):
        super().__init__()
        if not hasattr(gpt, "config") or not hasattr(gpt.config, "d_model"):
            raise TypeError(f"gpt must be a minilm GPT, got {type(gpt).__name__}")
        self.gpt = gpt
        self.lm_weight = check_probability(lm_weight, "lm_weight")

    def last_hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None):
        """``input_ids`` [..., T] -> (h_L of each row's last real token [..., d], L_1).

        Leading dimensions (options, orders) are folded into the batch: the GPT reads every
        sequence on its own.
        """
        check_tensor(input_ids, "input_ids", ndim=(2, 3), integer=True)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        elif attention_mask.shape != input_ids.shape:
            raise ValueError(f"attention_mask must have the shape of input_ids "
                             f"{tuple(input_ids.shape)}, got {tuple(attention_mask.shape)}")
        lead, T = input_ids.shape[:-1], input_ids.shape[-1]
        ids, mask = input_ids.reshape(-1, T), attention_mask.reshape(-1, T)  # [M, T], M = prod(lead)
        # Without padding the fast causal path needs no mask tensor at all.
        out = self.gpt(ids, attention_mask=None if bool(mask.all()) else mask)
        last = last_token_index(mask)                                # [M]
        h = out.hidden_states[torch.arange(ids.shape[0], device=ids.device), last]  # [M, d]: h_L^m at <e>
        lm_loss = token_cross_entropy(out.logits, clm_labels(ids, mask))
        return h.reshape(*lead, h.shape[-1]), lm_loss

    def _output(self, logits, labels, lm_loss, features) -> ClassifierOutput:
        task_loss = classification_loss(logits, labels)                            # L_2
        loss = None if task_loss is None else auxiliary_loss(task_loss, lm_loss, self.lm_weight)  # L_3
        return ClassifierOutput(loss=loss, logits=logits, hidden_states=features,
                                task_loss=task_loss, lm_loss=lm_loss)


class GPTClassifier(_GPTWithHead):
    """P(y|x) = softmax(h_L^m W_y): classification (``<s> X <e>``) and entailment
    (``<s> premise $ hypothesis <e>``). Input ``input_ids`` [B, T]."""

    def __init__(self, gpt: nn.Module, n_classes: int, *, lm_weight: float = 0.0):
        super().__init__(gpt, lm_weight)
        check_positive_int(n_classes, "n_classes")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        self.head = new_linear(gpt.config.d_model, n_classes)  # W_y (plus a bias)

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None) -> ClassifierOutput:
        check_tensor(input_ids, "input_ids", ndim=2, integer=True)
        h, lm_loss = self.last_hidden(input_ids, attention_mask)   # [B, d]
        return self._output(self.head(h), labels, lm_loss, h)


class GPTSimilarityClassifier(_GPTWithHead):
    """Similarity: ``input_ids`` [B, 2, T] holds ``<s> A $ B <e>`` and ``<s> B $ A <e>``;
    their final states are added, then W_y: softmax((h(AB) + h(BA)) W_y)."""

    def __init__(self, gpt: nn.Module, n_classes: int = 2, *, lm_weight: float = 0.0):
        super().__init__(gpt, lm_weight)
        check_positive_int(n_classes, "n_classes")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        self.head = new_linear(gpt.config.d_model, n_classes)

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None) -> ClassifierOutput:
        check_tensor(input_ids, "input_ids", ndim=3, integer=True)
        if input_ids.shape[1] != 2:
            raise ValueError("input_ids must be [B, 2, T], the two orders <s> A $ B <e> and "
                             f"<s> B $ A <e> (similarity_inputs makes them), got {tuple(input_ids.shape)}")
        h, lm_loss = self.last_hidden(input_ids, attention_mask)   # [B, 2, d]
        features = h.sum(dim=1)                                      # [B, d]: order-free
        return self._output(self.head(features), labels, lm_loss, features)


class GPTMultipleChoice(_GPTWithHead):
    """Multiple choice: ``input_ids`` [B, N, T], one ``<s> p $ q $ c_k <e>`` per option;
    score_k = h_L^m(c_k) w + b, P(k) = softmax over the N scores. ``labels`` [B] = the
    index of the right option."""

    def __init__(self, gpt: nn.Module, *, lm_weight: float = 0.0):
        super().__init__(gpt, lm_weight)
        self.head = new_linear(gpt.config.d_model, 1)  # one scalar score per option

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None) -> ClassifierOutput:
        check_tensor(input_ids, "input_ids", ndim=3, integer=True)
        if input_ids.shape[1] < 2:
            raise ValueError(f"input_ids must be [B, N, T] with N >= 2 options, got {tuple(input_ids.shape)}")
        h, lm_loss = self.last_hidden(input_ids, attention_mask)   # [B, N, d]
        scores = self.head(h).squeeze(-1)                            # [B, N]
        return self._output(scores, labels, lm_loss, h)
