"""An encoder-only masked language model: a bidirectional Transformer (Devlin et al., 2019).

    h_0 = token embedding + position embedding (+ segment embedding)
    h_l = transformer_block(h_{l-1})      every position sees every real position
    P(x_t | x~) = softmax(h_L[t] W_e^T)   tied output layer, read at the masked positions

The only difference from GPT is the attention mask: GPT's is causal (query t sees keys
<= t), this one is bidirectional with padding hidden (``minilm.masks.padding_mask``). With
a full boolean mask the same model is a prefix LM / UniLM (``minilm.masks.prefix_lm_mask``).
Train it with ``minilm.objectives.mlm.mask_tokens``: labels are the original tokens at the
chosen positions and -100 elsewhere. BERT (notebook 05) adds the NSP head on top of this.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from minilm.checks import check_tensor
from minilm.masks import padding_mask
from minilm.models.common import ModelOutput, token_cross_entropy
from minilm.nn import Embeddings, TransformerConfig, TransformerStack, init_weights


@dataclass
class EncoderConfig(TransformerConfig):
    """Encoder sizes; the defaults (2 layers, d=128) train on the course corpus in seconds."""

    @classmethod
    def tiny(cls, vocab_size: int, **overrides) -> EncoderConfig:
        """Smallest useful preset, for tests and ``MINILM_FAST=1`` notebooks."""
        return cls(**{"vocab_size": vocab_size, "max_len": 64, "d_model": 64, "n_layers": 2,
                      "n_heads": 4, **overrides})


def attention_mask_to_mask(attention_mask: torch.Tensor | None,
                           input_ids: torch.Tensor) -> torch.Tensor | None:
    """The attention mask the stack needs, from what the caller gave.

    * an integer [B, T] padding mask (HF style, 1 = real token) -> bidirectional [B, T, T];
    * a bool [T, T] or [B, T, T] mask (True = query may attend key) is used as it is, e.g.
      ``minilm.masks.prefix_lm_mask`` turns this encoder into a prefix LM.
    """
    if attention_mask is None:
        return None
    check_tensor(attention_mask, "attention_mask", ndim=(2, 3))
    T = input_ids.shape[1]
    if attention_mask.dtype == torch.bool:
        if tuple(attention_mask.shape[-2:]) != (T, T):
            raise ValueError(f"a bool attention_mask is a full mask and must end in ({T}, {T}) to "
                             f"match input_ids, got {tuple(attention_mask.shape)}")
        return attention_mask
    if attention_mask.dim() != 2 or attention_mask.shape != input_ids.shape:
        raise ValueError(f"attention_mask must be a [B, T] padding mask shaped like input_ids "
                         f"{tuple(input_ids.shape)} (or a bool [T, T] / [B, T, T] mask), "
                         f"got {tuple(attention_mask.shape)}")
    return padding_mask(attention_mask)


class EncoderLM(nn.Module):
    """Bidirectional Transformer with a tied masked-LM head."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = config
        self.embed = Embeddings(config)
        self.transformer = TransformerStack(config)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        init_weights(self, config.n_layers)
        if config.tie_embeddings:
            self.lm_head.weight = self.embed.token.weight

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, output_attentions: bool = False) -> ModelOutput:
        """``input_ids`` [B, T] -> ``logits`` [B, T, vocab]; ``loss`` over labels != -100.

        ``attention_mask`` is the usual integer [B, T] (1 = real token, 0 = padding), or a
        bool [T, T] / [B, T, T] mask (True = query may attend key) that replaces the
        bidirectional one.
        """
        h = self.embed(input_ids, position_ids=position_ids, token_type_ids=token_type_ids)
        mask = attention_mask_to_mask(attention_mask, input_ids)
        out = self.transformer(h, mask=mask, output_attentions=output_attentions)
        logits = self.lm_head(out.hidden_states)
        loss = None if labels is None else token_cross_entropy(logits, labels)
        return ModelOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                           attentions=out.attentions)
