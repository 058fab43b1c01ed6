"""What every minilm model returns, and how big it is.

Hugging Face names on purpose: ``loss``, ``logits``, ``hidden_states``, ``attentions``,
and labels of -100 for positions the loss ignores (``minilm.objectives.loss``). A learner
who later opens ``transformers`` finds the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ModelOutput:
    loss: torch.Tensor | None = None           # scalar, when labels were given
    logits: torch.Tensor | None = None         # [B, T, vocab] (or [B, n_classes] for heads)
    hidden_states: torch.Tensor | None = None  # [B, T, d] top-layer states
    attentions: tuple[torch.Tensor, ...] | None = None        # per layer [B, h, T, S]
    cross_attentions: tuple[torch.Tensor, ...] | None = None  # encoder-decoder models


def count_parameters(model: torch.nn.Module) -> int:
    """Number of distinct trainable parameters (a tied matrix counts once)."""
    seen = {id(p): p for p in model.parameters() if p.requires_grad}
    return sum(p.numel() for p in seen.values())
