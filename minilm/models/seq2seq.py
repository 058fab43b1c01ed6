"""An encoder-decoder Transformer for sequence-to-sequence LM (Vaswani et al., 2017; BART; T5).

    encoder:  H = Encoder(x)                         bidirectional over the source x
    decoder:  P(y_t | y_<t, x) = softmax(s_t W_e^T)  s_t from causal self-attention over
                                                     y_<t plus cross-attention to H

    L = -sum_t log P(y_t | y_<t, x)

Three masks make the difference (``minilm.masks.encoder_decoder_masks``): bidirectional
over the source, causal over the target, and a cross mask that lets every target
position read every real source position. Source and target share one embedding table,
which is also the output layer (as in BART and T5).

The decoder reads ``decoder_input_ids = shift_right(labels)`` (``minilm.objectives.seq2seq``),
and BART (notebook 06) reuses this class.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from minilm.checks import (
    check_attention_mask,
    check_batch_size,
    check_shifted_labels,
)
from minilm.masks import causal_padding_mask, cross_mask, padding_mask
from minilm.models.common import ModelOutput
from minilm.nn import Embeddings, EncoderDecoderStack, KVCache, StackOutput, TransformerConfig, init_weights
from minilm.objectives.loss import token_cross_entropy


@dataclass
class Seq2SeqConfig(TransformerConfig):
    """Sizes of both stacks (each has ``n_layers`` blocks); defaults train in seconds on CPU."""


class Seq2Seq(nn.Module):
    """Encoder + causal decoder with cross-attention, shared embeddings, tied output layer."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.config = config
        self.embed = self.make_embeddings(config)    # shared by source and target
        self.stack = EncoderDecoderStack(config)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        init_weights(self, config.n_layers)
        if config.tie_embeddings:
            self.lm_head.weight = self.embed.token.weight

    # Subclasses (BART) change how tokens become vectors by overriding these three.
    def make_embeddings(self, config: Seq2SeqConfig) -> nn.Module:
        return Embeddings(config)

    def embed_source(self, input_ids: torch.Tensor | None, *,
                     inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """Source ids [B, S] -> the encoder's input vectors [B, S, d]."""
        if inputs_embeds is not None:
            raise ValueError("inputs_embeds: this model embeds token ids only (Bart also takes vectors)")
        return self.embed(input_ids)

    def embed_target(self, decoder_input_ids: torch.Tensor, *, past_length: int = 0) -> torch.Tensor:
        """Target ids [B, T] -> the decoder's input vectors; positions start at ``past_length``."""
        return self.embed(decoder_input_ids, past_length=past_length, name="decoder_input_ids")

    def encode(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None, *,
               inputs_embeds: torch.Tensor | None = None, output_attentions: bool = False) -> StackOutput:
        """Source [B, S] (or vectors ``inputs_embeds`` [B, S, d], see ``embed_source``) ->
        encoder states [B, S, d], bidirectional with padding hidden."""
        h = self.embed_source(input_ids, inputs_embeds=inputs_embeds)
        like = "input_ids" if inputs_embeds is None else "inputs_embeds"
        mask = None if attention_mask is None else padding_mask(
            check_attention_mask(attention_mask, h, like_name=like))
        return self.stack.encoder(h, mask=mask, output_attentions=output_attentions)

    def forward(self, input_ids: torch.Tensor, *, decoder_input_ids: torch.Tensor,
                attention_mask: torch.Tensor | None = None,
                decoder_attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, encoder_outputs: StackOutput | None = None,
                cache: KVCache | None = None, output_attentions: bool = False) -> ModelOutput:
        """``input_ids`` [B, S] (source) and ``decoder_input_ids`` [B, T] -> ``logits`` [B, T, vocab].

        Padding masks (1 = real token): ``attention_mask`` [B, S], ``decoder_attention_mask``
        [B, T] (with a ``cache``: the cached and the new tokens). ``labels`` [B, T] are aligned
        with the logits, ``decoder_input_ids = shift_right(labels)``: never ``labels=decoder_input_ids``.
        Pass ``encoder_outputs`` to reuse an encoding and ``cache`` to decode one token at a time.
        """
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask, output_attentions=output_attentions)
        past = 0 if cache is None else len(cache)
        tgt = self.embed_target(decoder_input_ids, past_length=past)
        check_batch_size(decoder_input_ids, encoder_outputs.hidden_states.shape[0], "decoder_input_ids",
                         "input_ids")
        T = decoder_input_ids.shape[1]
        tgt_mask = src_mask = None
        if decoder_attention_mask is not None:
            real = check_attention_mask(decoder_attention_mask, decoder_input_ids, length=past + T,
                                        name="decoder_attention_mask", like_name="decoder_input_ids")
            tgt_mask = causal_padding_mask(real)[:, past:]  # the rows of the new tokens
        if attention_mask is not None:
            real = check_attention_mask(attention_mask, encoder_outputs.hidden_states)
            src_mask = cross_mask(real, T)
        if labels is not None:
            check_shifted_labels(labels, decoder_input_ids, inputs_name="decoder_input_ids",
                                 builder="decoder_input_ids = minilm.objectives.seq2seq.shift_right(labels)")
        dec = self.stack(tgt, encoder_outputs, tgt_mask=tgt_mask, cross_mask=src_mask, cache=cache,
                         output_attentions=output_attentions)
        logits = self.lm_head(dec.hidden_states)
        loss = None if labels is None else token_cross_entropy(logits, labels)
        return ModelOutput(loss=loss, logits=logits, hidden_states=dec.hidden_states,
                           attentions=dec.attentions, cross_attentions=dec.cross_attentions)

    def new_cache(self) -> KVCache:
        """An empty key/value cache for the decoder (self- and cross-attention)."""
        return KVCache(self.config.n_layers)

    def generate(self, input_ids: torch.Tensor, *, start_id: int, max_new_tokens: int,
                 **decoding) -> torch.Tensor:
        """Encode the source once, then decode token by token from ``start_id``.

        Returns the generated target [B, 1 + n] (it starts with ``start_id``). Greedy by
        default; ``decoding`` takes ``minilm.generate.generate_seq2seq``'s other arguments
        (``attention_mask``, ``eos_token_id``, ``do_sample``, ``temperature``, ``top_k``,
        ``top_p``, ``use_cache``, ``generator``).
        """
        from minilm.generate import generate_seq2seq  # generation sits above the models

        return generate_seq2seq(self, input_ids, start_id=start_id, max_new_tokens=max_new_tokens,
                                **decoding)
