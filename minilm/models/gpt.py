"""GPT: a left-to-right Transformer language model (Radford et al., 2018, Sec. 3.1).

    h_0 = U W_e + W_p                       token embeddings + position embeddings
    h_l = transformer_block(h_{l-1})        for l = 1 .. L, each under a causal mask
    P(u) = softmax(h_L W_e^T)               the output layer *is* the embedding matrix

``U`` is the one-hot context of the last k tokens (k = ``max_len``, the context window).
Reusing W_e for the output ("tied embeddings") saves vocab_size x d_model parameters and
makes a token's input and output representations the same vector.

GPT-1 used post-LN blocks; GPT-2 moved the LayerNorm first (pre-LN) and added a final
LayerNorm, which trains more stably; ``GPTConfig`` defaults to pre-LN and
``norm_first=False`` gives GPT-1's arrangement.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from minilm.checks import check_attention_mask, check_shifted_labels
from minilm.masks import causal_padding_mask
from minilm.models.common import ModelOutput
from minilm.models.transformer_lm import TransformerLM
from minilm.nn import KVCache, TransformerConfig


@dataclass
class GPTConfig(TransformerConfig):
    """GPT sizes; the defaults (2 layers, d=128, k=128) train on the course corpus in seconds."""


class GPT(TransformerLM):
    """Decoder-only Transformer LM: the parts of ``TransformerLM`` under a causal mask."""

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, cache: KVCache | None = None,
                output_attentions: bool = False) -> ModelOutput:
        """``input_ids`` [B, T] -> ``logits`` [B, T, vocab]; ``loss`` when ``labels`` are given.

        ``attention_mask`` [B, T]: 1 = real token, 0 = padding. ``labels`` are aligned with
        the logits (make them with ``minilm.objectives.clm.clm_labels``); unlike Hugging
        Face's GPT-2 the model does not shift them, so ``labels=input_ids`` is refused.
        With a ``cache``, ``input_ids`` holds only the new tokens, the positions continue
        from the cached ones and ``attention_mask`` covers cached and new tokens.
        """
        past = 0 if cache is None else len(cache)
        h = self.embed(input_ids, past_length=past)
        if labels is not None:
            check_shifted_labels(labels, input_ids, builder="minilm.objectives.clm.clm_labels(input_ids)")
        # A causal mask needs no tensor at all (SDPA's is_causal) unless padding is present.
        mask = None
        if attention_mask is not None:
            real = check_attention_mask(attention_mask, input_ids, length=past + input_ids.shape[1])
            mask = causal_padding_mask(real)[:, past:]  # the rows of the new tokens
        out = self.transformer(h, mask=mask, is_causal=mask is None, cache=cache,
                               output_attentions=output_attentions)
        return self.language_model_output(out, labels)

    def new_cache(self) -> KVCache:
        return KVCache(self.config.n_layers)
