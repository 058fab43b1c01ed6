"""What every minilm model returns, the one loss they all share, and the parts of a Transformer LM.

Hugging Face names on purpose: ``loss``, ``logits``, ``hidden_states``, ``attentions``,
and labels of -100 for positions the loss ignores. A learner who later opens
``transformers`` finds the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minilm.checks import check_labels
from minilm.constants import IGNORE_INDEX  # -100: "no prediction here" (padding, unmasked tokens)
from minilm.nn import Embeddings, StackOutput, TransformerConfig, TransformerStack, init_weights


@dataclass
class ModelOutput:
    loss: torch.Tensor | None = None           # scalar, when labels were given
    logits: torch.Tensor | None = None         # [B, T, vocab] (or [B, n_classes] for heads)
    hidden_states: torch.Tensor | None = None  # [B, T, d] top-layer states
    attentions: tuple[torch.Tensor, ...] | None = None        # per layer [B, h, T, S]
    cross_attentions: tuple[torch.Tensor, ...] | None = None  # encoder-decoder models


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


class TransformerLM(nn.Module):
    """What GPT, the encoder LM and GLM share: h_0 = U W_e + W_p (``Embeddings``), L blocks
    (``TransformerStack``), and an output layer that reuses W_e when ``tie_embeddings``:
    P(u) = softmax(h_L W_e^T). Each model's ``forward`` decides the attention mask."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.embed = Embeddings(config)
        self.transformer = TransformerStack(config)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        init_weights(self, config.n_layers)
        if config.tie_embeddings:
            self.lm_head.weight = self.embed.token.weight

    def language_model_output(self, out: StackOutput, labels: torch.Tensor | None) -> ModelOutput:
        """The logits of the top states, and their loss when ``labels`` are given."""
        logits = self.lm_head(out.hidden_states)
        loss = None if labels is None else token_cross_entropy(logits, labels)
        return ModelOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                           attentions=out.attentions)


def count_parameters(model: torch.nn.Module) -> int:
    """Number of distinct trainable parameters (a tied matrix counts once)."""
    seen = {id(p): p for p in model.parameters() if p.requires_grad}
    return sum(p.numel() for p in seen.values())
