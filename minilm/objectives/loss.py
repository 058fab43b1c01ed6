"""The one loss every language-model objective of the course shares: token cross-entropy,
with -100 marking the positions that are not scored (padding, unmasked tokens, Part A)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from minilm.checks import check_labels
from minilm.constants import IGNORE_INDEX


def token_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the positions whose label is not -100.

    ``logits`` [..., V] and ``labels`` [...] are aligned: the label at position t is what
    the prediction at position t should be. For a causal LM the objective builds that
    alignment (labels = inputs shifted left by one, see ``minilm.objectives.clm``), so
    every model shares this one loss. Labels must be integer ids in [0, V) or -100.

    A batch with no scored position (every label -100) has a loss of 0 and zero
    gradients: it teaches nothing, where PyTorch's own mean would be 0 / 0 = NaN.
    """
    check_labels(labels, logits.shape[-1], ignore_index=IGNORE_INDEX)
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"labels must have shape {tuple(logits.shape[:-1])} to match the "
                         f"logits, got {tuple(labels.shape)}")
    labels = labels.reshape(-1)
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels,
                            ignore_index=IGNORE_INDEX, reduction="sum")
    return total / (labels != IGNORE_INDEX).sum().clamp(min=1)
