"""An encoder-only masked language model: a bidirectional Transformer (Devlin et al., 2019).

    h_0 = token embedding + position embedding (+ segment embedding)
    h_l = transformer_block(h_{l-1})      every position sees every real position
    P(x_t | x~) = softmax(h_L[t] W_e^T)   tied output layer, read at the masked positions

The only difference from GPT is the attention mask: GPT's is causal (query t sees keys
<= t), this one is bidirectional with padding hidden (``minilm.masks.padding_mask``). With
a full boolean ``attention_matrix`` the same model is a prefix LM / UniLM
(``minilm.masks.prefix_lm_mask``).
Train it with ``minilm.objectives.mlm.mask_tokens``: labels are the original tokens at the
chosen positions and -100 elsewhere. BERT (notebook 05) adds the NSP head on top of this.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from minilm.checks import check_attention_mask, check_attention_matrix
from minilm.masks import combine, padding_mask
from minilm.models.common import ModelOutput
from minilm.models.transformer_lm import TransformerLM
from minilm.nn import TransformerConfig


@dataclass
class EncoderConfig(TransformerConfig):
    """Encoder sizes; the defaults (2 layers, d=128) train on the course corpus in seconds."""


def encoder_mask(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                 attention_matrix: torch.Tensor | None = None) -> torch.Tensor | None:
    """The mask the stack needs: bidirectional with padding hidden (``attention_mask``
    [B, T], 1 = real token), AND ``attention_matrix`` (bool [T, T] or [B, T, T], True =
    query may attend key) when one is given, e.g. ``minilm.masks.prefix_lm_mask``."""
    B, T = input_ids.shape
    masks = []
    if attention_matrix is not None:
        masks.append(check_attention_matrix(attention_matrix, B, T))
    if attention_mask is not None:
        real = check_attention_mask(attention_mask, input_ids, matrix_argument="attention_matrix")
        masks.append(padding_mask(real))
    return combine(*masks) if masks else None


class EncoderLM(TransformerLM):
    """Bidirectional Transformer LM: the parts of ``TransformerLM`` under a padding mask."""

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                attention_matrix: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, output_attentions: bool = False) -> ModelOutput:
        """``input_ids`` [B, T] -> ``logits`` [B, T, vocab]; ``loss`` over labels != -100.

        ``attention_mask`` is the usual [B, T] padding mask (1 = real token, 0 = padding).
        ``attention_matrix``, a bool [T, T] or [B, T, T] mask (True = query may attend key),
        replaces the bidirectional pattern: ``prefix_lm_mask`` makes this a prefix LM.
        """
        h = self.embed(input_ids, position_ids=position_ids, token_type_ids=token_type_ids)
        mask = encoder_mask(input_ids, attention_mask, attention_matrix)
        out = self.transformer(h, mask=mask, output_attentions=output_attentions)
        return self.language_model_output(out, labels)
