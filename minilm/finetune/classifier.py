"""The two parts every fine-tuning head adds to a pretrained body: a new linear layer and
the loss of its predictions.

GPT-1 (``minilm.finetune.gpt``), BERT (``minilm.finetune.bert``) and BART
(``minilm.finetune.bart``) read different states - h_L at ``<e>``, C at ``[CLS]``, the
decoder state of ``<e>`` - but put the same thing on top: ``P = softmax(h W)`` with W
initialised small (the pretrained models' own scale, std 0.02), trained with
cross-entropy. Only W (and its bias) is new.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from minilm.checks import check_class_labels, check_tensor
from minilm.objectives.loss import token_cross_entropy


def new_linear(d_in: int, d_out: int, *, bias: bool = True) -> nn.Linear:
    """A freshly initialised ``d_in -> d_out`` layer: weights N(0, 0.02^2), bias zero."""
    layer = nn.Linear(d_in, d_out, bias=bias)
    nn.init.normal_(layer.weight, std=0.02)  # the initialiser range of GPT and BERT
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


def classification_loss(logits: torch.Tensor, labels: torch.Tensor | None, *,
                        per: str = "example") -> torch.Tensor | None:
    """Cross-entropy of ``logits`` [B, K] against one class index per row, ``labels`` [B];
    None without labels. ``per`` names a row in the error message ("sequence", ...)."""
    if labels is None:
        return None
    check_class_labels(labels, logits.shape[0], logits.shape[-1], per=per)
    return F.cross_entropy(logits.float(), labels)


def token_classification_loss(logits: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor | None:
    """Cross-entropy of ``logits`` [B, T, K] against a class per token, ``labels`` [B, T]
    (-100 = no label: [CLS], [SEP], padding); None without labels."""
    if labels is None:
        return None
    check_tensor(labels, "labels", ndim=2, integer=True)
    return token_cross_entropy(logits, labels)
