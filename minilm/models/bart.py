"""BART: a denoising sequence-to-sequence autoencoder (Lewis et al., 2020, Sec. 2).

Corrupt a document x with a noising function (``minilm.objectives.denoising``), let a
bidirectional encoder read ``noise(x)`` and an autoregressive decoder rebuild x; the loss
is "the cross-entropy between the decoder's output and the original document" (Sec. 2.2):

    L(theta) = - sum_t log p_theta(x_t | x_<t, noise(x))

The architecture is the standard Transformer encoder-decoder (``Seq2Seq``) with the
changes of the released fairseq model (Sec. 2.1 and fairseq's ``bart_base``/``bart_large``):

* GeLU instead of ReLU, weights initialised from N(0, 0.02);
* learned positions, one table for the encoder and one for the decoder;
* a LayerNorm right after the embeddings (fairseq's ``layernorm_embedding``);
* post-LN blocks, ``LN(x + f(x))``, with no final LayerNorm;
* one token embedding shared by encoder, decoder and the output layer.

Base has 6 encoder and 6 decoder layers (d = 768), large 12 + 12 (d = 1024). The decoder
reads ``decoder_input_ids = shift_right(labels)`` and ``labels`` are the original document
(aligned with the logits, -100 on padding), so one call ``model(**batch).loss`` is L.
``minilm.generate.generate_seq2seq`` (or ``Bart.generate``) encodes the source once and
decodes with a key/value cache.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from minilm.checks import (
    check_context_length,
    check_tensor,
    check_token_ids,
)
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig

__all__ = ["BartConfig", "Bart"]


@dataclass
class BartConfig(Seq2SeqConfig):
    """BART's switches on top of ``Seq2SeqConfig``; ``n_layers`` is per stack (6 = "6 + 6")."""

    max_len: int = 128        # documents of the synthetic corpus have 49 word tokens at most
    norm_first: bool = False  # post-LN, as the released BART-base/large
    activation: str = "gelu"  # "ReLU -> GeLU" (Sec. 2.1)
    position: str = "learned"  # learned positions (fairseq's encoder/decoder_learned_pos)
    # Multiply token embeddings by sqrt(d_model) before adding positions, as the released
    # BART checkpoints do (fairseq's embed_scale; Hugging Face's scale_embedding).
    scale_embedding: bool = False
    # A bias on the output logits, as Hugging Face's BartForConditionalGeneration carries
    # (final_logits_bias); the output weight stays tied to the token embeddings.
    final_logits_bias: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.position != "learned":
            raise ValueError(f"position must be 'learned' for BART, got {self.position!r}")
        if self.n_segments:
            raise ValueError(f"BART has no segment embeddings: n_segments must be 0, got {self.n_segments}")

    @classmethod
    def tiny(cls, vocab_size: int, **overrides) -> BartConfig:
        """2 + 2 layers, d = 64: trains in seconds on a CPU (tests).

        Notebook 06 pretrains ``tiny(V, n_layers=1)``: at this size a post-LN 2 + 2 model
        often collapses its encoder early in training (every output the same vector) and
        its decoder settles for an unconditional LM; one layer per stack does not.
        """
        return super().tiny(vocab_size, **{"max_len": 128, **overrides})

    @classmethod
    def base(cls, vocab_size: int = 50265, **overrides) -> BartConfig:
        """BART-base (about 140 M parameters with GPT-2's BPE vocabulary): for reference."""
        return cls(**{"vocab_size": vocab_size, "max_len": 1024, "d_model": 768, "n_layers": 6,
                      "n_heads": 12, "d_ff": 3072, "dropout": 0.1, **overrides})

    @classmethod
    def large(cls, vocab_size: int = 50265, **overrides) -> BartConfig:
        """BART-large (about 400 M parameters): for reference."""
        return cls(**{"vocab_size": vocab_size, "max_len": 1024, "d_model": 1024, "n_layers": 12,
                      "n_heads": 16, "d_ff": 4096, "dropout": 0.1, **overrides})


class BartEmbeddings(nn.Module):
    """BART's input layer, in fairseq's order: ``LN(scale * E[x] + P)``, then dropout.

    One token table ``token`` serves the encoder, the decoder and (tied) the output layer;
    each side has its own learned positions and its own LayerNorm (fairseq's
    ``layernorm_embedding``). ``scale`` is sqrt(d_model) with ``scale_embedding``, else 1.
    """

    def __init__(self, config: BartConfig):
        super().__init__()
        d, self.config = config.d_model, config
        self.token = nn.Embedding(config.vocab_size, d)
        self.encoder_position = nn.Embedding(config.max_len, d)
        self.decoder_position = nn.Embedding(config.max_len, d)
        self.encoder_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.decoder_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.scale = d ** 0.5 if config.scale_embedding else 1.0
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor | None = None, *, side: str,
                inputs_embeds: torch.Tensor | None = None, past_length: int = 0) -> torch.Tensor:
        """Ids [B, T] (or ready vectors ``inputs_embeds`` [B, T, d], which replace the scaled
        token lookup) of the ``side`` "encoder" or "decoder" -> [B, T, d], positions
        ``past_length ... past_length + T - 1``."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        if input_ids is not None:
            name = "input_ids" if side == "encoder" else "decoder_input_ids"
            check_token_ids(input_ids, name, self.config.vocab_size, ndim=2)
            inputs_embeds = self.token(input_ids) * self.scale
        else:
            name = "inputs_embeds"
            check_tensor(inputs_embeds, name, ndim=3)
            if inputs_embeds.shape[-1] != self.config.d_model:
                raise ValueError(f"inputs_embeds must be [B, S, d_model={self.config.d_model}], "
                                 f"got {tuple(inputs_embeds.shape)}")
        T = inputs_embeds.shape[1]
        check_context_length(past_length + T, self.config.max_len, name)
        position, norm = ((self.encoder_position, self.encoder_norm) if side == "encoder"
                          else (self.decoder_position, self.decoder_norm))
        return self.dropout(norm(inputs_embeds + position.weight[past_length:past_length + T]))


class Bart(Seq2Seq):
    """``Seq2Seq`` with BART's input layer (``BartEmbeddings``) and, for released
    checkpoints, a bias on the output logits."""

    def __init__(self, config: BartConfig):
        if not isinstance(config, BartConfig):
            raise TypeError(f"config must be a BartConfig, got {type(config).__name__}")
        super().__init__(config)
        if config.final_logits_bias:  # logits = h W_e^T + b, W_e still shared with the input
            head = nn.Linear(config.d_model, config.vocab_size, bias=True)
            head.weight = self.lm_head.weight  # the tied (or untied) output matrix, unchanged
            nn.init.zeros_(head.bias)
            self.lm_head = head

    def make_embeddings(self, config: BartConfig) -> BartEmbeddings:
        return BartEmbeddings(config)

    def embed_source(self, input_ids: torch.Tensor | None = None, *,
                     inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """``LN(E[x] + P_enc)`` [B, S, d]. ``inputs_embeds`` [B, S, d] replaces the token
        lookup E[x] (BART's translation fine-tuning feeds a new source encoder's output here)."""
        return self.embed(input_ids, inputs_embeds=inputs_embeds, side="encoder")

    def embed_target(self, decoder_input_ids: torch.Tensor, *, past_length: int = 0) -> torch.Tensor:
        """``LN(E[y] + P_dec)`` [B, T, d], positions ``past_length ... past_length + T - 1``."""
        return self.embed(decoder_input_ids, side="decoder", past_length=past_length)
