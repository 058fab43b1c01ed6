"""The parts GPT, the encoder LM and GLM share: token (+ position) embeddings, a stack of
Transformer blocks and an output layer over the vocabulary."""

from __future__ import annotations

import torch
from torch import nn

from minilm.models.common import ModelOutput
from minilm.nn import Embeddings, StackOutput, TransformerConfig, TransformerStack, init_weights
from minilm.objectives.loss import token_cross_entropy


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
