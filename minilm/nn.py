"""The Transformer parts every minilm model is built from (Vaswani et al., 2017).

Read top to bottom: a config, a key/value cache for generation, attention, the MLP, a
block, the embeddings, then the stacks (decoder-only / encoder-only, encoder-decoder).
GPT, BERT, BART and GLM differ only in how they arrange these parts and which mask from
``minilm.masks`` they pass in.

Attention has two paths that compute the same thing:

* the explicit path, ``softmax(Q K^T / sqrt(d_head) + mask) V`` written out, which can
  return the attention weights for plotting;
* the fast path, ``torch.nn.functional.scaled_dot_product_attention`` (SDPA), a fused
  kernel that never materialises the T x T weight matrix.

A test checks that they agree; a benchmark measures how much faster SDPA is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from minilm.checks import check_context_length, check_size, check_token_ids
from minilm.constants import MAX_TENSOR_ELEMENTS
from minilm.masks import causal_mask


@dataclass
class TransformerConfig:
    """Sizes and switches of a Transformer. The defaults train in seconds on a laptop CPU."""

    vocab_size: int = 512     # number of token ids (tokenizer.vocab_size)
    max_len: int = 128        # context window k: the most positions the model can see
    d_model: int = 128        # width of every hidden state
    n_layers: int = 2         # number of blocks
    n_heads: int = 4          # attention heads per block; d_model must divide evenly
    d_ff: int | None = None   # MLP hidden width; None means 4 * d_model
    dropout: float = 0.0      # on embeddings, attention weights and residual branches
    norm_first: bool = True   # pre-LN (GPT-2, GLM) or post-LN (Transformer, GPT-1, BERT)
    activation: str = "gelu"  # "gelu" (GPT, BERT, BART, GLM), "relu" (the Transformer) or
    # "gelu_tanh": the tanh approximation of GELU that the released GPT-2 computes
    layer_norm_eps: float = 1e-5  # LayerNorm's epsilon; BERT's released checkpoints use 1e-12
    position: str = "learned"  # "learned" (GPT, BERT, BART) or "2d" (GLM)
    n_segments: int = 0       # token-type embeddings (BERT's sentence A / B); 0 = none
    tie_embeddings: bool = True  # output layer reuses the token embedding matrix W_e
    bias: bool = True         # biases in linear layers
    use_sdpa: bool = True     # fast fused attention unless weights are asked for

    def __post_init__(self):
        for name in ("vocab_size", "max_len", "d_model", "n_layers", "n_heads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}")
        if not (isinstance(self.layer_norm_eps, float | int) and 0 < self.layer_norm_eps < 1):
            raise ValueError(f"layer_norm_eps must be a number in (0, 1), got {self.layer_norm_eps!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.position not in ("learned", "2d"):
            raise ValueError(f"position must be 'learned' or '2d', got {self.position!r}")
        check_size(self.vocab_size * self.d_model, MAX_TENSOR_ELEMENTS, "vocab_size",
                   f"an embedding table [{self.vocab_size}, {self.d_model}]")

    @classmethod
    def tiny(cls, vocab_size: int, **overrides):
        """Smallest useful preset, for tests and ``MINILM_FAST=1`` notebooks."""
        return cls(**{"vocab_size": vocab_size, "max_len": 64, "d_model": 64, "n_layers": 2,
                      "n_heads": 4, **overrides})


ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU, "gelu_tanh": partial(nn.GELU, approximate="tanh")}


# --------------------------------------------------------------------------- cache
class KV:
    """Keys and values one attention layer has computed so far, ``[B, n_heads, S, d_head]``."""

    def __init__(self):
        self.k: torch.Tensor | None = None
        self.v: torch.Tensor | None = None

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.k is not None:
            k, v = torch.cat([self.k, k], dim=2), torch.cat([self.v, v], dim=2)
        self.k, self.v = k, v
        return k, v


class KVCache:
    """Per-layer caches so that generation computes each token's keys and values once.

    Without a cache, producing token t re-runs the model on all t previous tokens; with it,
    each step feeds only the newest token and attends to the stored keys and values. The
    encoder's keys and values (``cross``) are computed at the first step and reused.
    """

    def __init__(self, n_layers: int):
        self.self_attn = [KV() for _ in range(n_layers)]
        self.cross_attn = [KV() for _ in range(n_layers)]

    def __len__(self) -> int:
        """Number of positions already cached."""
        k = self.self_attn[0].k
        return 0 if k is None else k.shape[2]


# ----------------------------------------------------------------------- attention
class Attention(nn.Module):
    """Multi-head attention: self-attention, or cross-attention when given a ``context``."""

    def __init__(self, d_model: int, n_heads: int, *, dropout: float = 0.0, bias: bool = True,
                 cross: bool = False, use_sdpa: bool = True):
        super().__init__()
        self.n_heads, self.cross, self.use_sdpa, self.dropout = n_heads, cross, use_sdpa, dropout
        if cross:  # queries from the decoder, keys and values from the encoder
            self.q_proj = nn.Linear(d_model, d_model, bias=bias)
            self.kv_proj = nn.Linear(d_model, 2 * d_model, bias=bias)
        else:      # one fused matmul for Q, K and V: fewer, larger kernels run faster
            self.qkv_proj = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, *,
                mask: torch.Tensor | None = None, is_causal: bool = False,
                cache: KV | None = None, need_weights: bool = False):
        """``x`` [B, T, d]; ``mask`` bool [T, S] / [B, T, S] (True = may attend).

        Returns ``(output [B, T, d], weights [B, n_heads, T, S] or None)``.
        """
        q, k, v = self.qkv_heads(x, context, cache)  # [B, h, T, d_head], keys and values [B, h, S, d_head]
        T, S = q.shape[2], k.shape[2]
        if is_causal and (S != T or mask is not None or need_weights or not self.use_sdpa):
            # SDPA's is_causal aligns the triangle top-left, which is wrong once a cache
            # holds earlier keys; an explicit bottom-right triangle is right in every case.
            causal = causal_mask(T, S, device=q.device)
            mask = causal if mask is None else mask & causal
            is_causal = False
        if mask is not None:
            mask = _broadcastable(mask, T, S)

        dropout = self.dropout if self.training else 0.0
        if need_weights or not self.use_sdpa:
            y, weights = explicit_attention(q, k, v, mask=mask, dropout=dropout)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout,
                                               is_causal=is_causal)
            weights = None
        y = rearrange(y, "b h t d -> b t (h d)")  # concatenate the heads
        return self.out_proj(y), weights

    def qkv_heads(self, x: torch.Tensor, context: torch.Tensor | None, cache: KV | None):
        """Q from ``x``; K and V from ``x`` (self-attention) or ``context`` (cross-attention),
        after the cached ones; each split into heads, [B, n_heads, length, d_head]."""
        split = partial(rearrange, pattern="b t (h d) -> b h t d", h=self.n_heads)
        if not self.cross:
            q, k, v = map(split, self.qkv_proj(x).chunk(3, dim=-1))
        else:
            if context is None:
                raise ValueError("cross-attention needs a context (the encoder's hidden states)")
            q = split(self.q_proj(x))
            if cache is not None and cache.k is not None:  # the encoder's, computed at the first step
                return q, cache.k, cache.v
            k, v = map(split, self.kv_proj(context).chunk(2, dim=-1))
        return (q, k, v) if cache is None else (q, *cache.append(k, v))


def explicit_attention(q, k, v, *, mask=None, dropout: float = 0.0):
    """``softmax(Q K^T / sqrt(d_head)) V`` written out; returns ``(output, weights)``.

    ``q`` [B, h, T, d], ``k`` and ``v`` [B, h, S, d], ``mask`` bool broadcastable to
    [B, h, T, S]. Masked scores become -inf, so their weight after softmax is exactly 0.
    """
    # Scaling Q (T x d_head numbers) rather than the scores (T x S) is the same product, cheaper.
    scores = (q / math.sqrt(q.shape[-1])) @ k.transpose(-2, -1)  # (B, h, T, S)
    if mask is not None:
        # Adding 0 / -inf does what scores.masked_fill(~mask, -inf) does, but the backward
        # pass of an addition is free, where masked_fill's needs one more sweep over the scores.
        scores = scores + torch.where(mask, 0.0, float("-inf")).to(scores.dtype)
    weights = scores.softmax(dim=-1)
    if dropout:
        weights = F.dropout(weights, p=dropout)
    return weights @ v, weights


def _broadcastable(mask: torch.Tensor, T: int, S: int) -> torch.Tensor:
    """[T, S] or [B, T, S] bool -> [1 or B, 1, T, S], broadcast over heads."""
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor (True = may attend), got {mask.dtype}")
    if mask.dim() not in (2, 3) or tuple(mask.shape[-2:]) != (T, S):
        raise ValueError(f"mask must have shape [T, S] or [B, T, S] with T={T}, S={S}, "
                         f"got {tuple(mask.shape)}")
    return mask.view(-1, 1, T, S)


# ----------------------------------------------------------------------------- MLP
class MLP(nn.Module):
    """Position-wise feed-forward network: Linear -> activation -> Linear."""

    def __init__(self, d_model: int, d_ff: int, *, activation: str = "gelu",
                 dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.up = nn.Linear(d_model, d_ff, bias=bias)
        self.act = ACTIVATIONS[activation]()
        self.down = nn.Linear(d_ff, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down(self.act(self.up(x))))


# --------------------------------------------------------------------------- block
class Block(nn.Module):
    """Self-attention, optional cross-attention, MLP; each with a residual and a LayerNorm.

    ``norm_first=True`` is pre-LN, ``x + f(LN(x))``, used by GPT-2 and GLM ("rearranged
    layer norm and residual"): gradients flow through the residual path untouched, so deep
    stacks train without warm-up tricks. ``norm_first=False`` is the original post-LN,
    ``LN(x + f(x))``, used by the Transformer, GPT-1, BERT and BART.
    """

    def __init__(self, config: TransformerConfig, *, cross_attention: bool = False):
        super().__init__()
        c = config
        self.norm_first = c.norm_first
        self.attn = Attention(c.d_model, c.n_heads, dropout=c.dropout, bias=c.bias,
                              use_sdpa=c.use_sdpa)
        self.ln_attn = nn.LayerNorm(c.d_model, eps=c.layer_norm_eps)
        self.cross_attn = self.ln_cross = None
        if cross_attention:
            self.cross_attn = Attention(c.d_model, c.n_heads, dropout=c.dropout, bias=c.bias,
                                        cross=True, use_sdpa=c.use_sdpa)
            self.ln_cross = nn.LayerNorm(c.d_model, eps=c.layer_norm_eps)
        self.mlp = MLP(c.d_model, c.d_ff, activation=c.activation, dropout=c.dropout, bias=c.bias)
        self.ln_mlp = nn.LayerNorm(c.d_model, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x, *, mask=None, is_causal=False, context=None, context_mask=None,
                cache: KVCache | None = None, layer: int = 0, need_weights=False):
        """Returns ``(x, self-attention weights, cross-attention weights)``."""
        self_cache, cross_cache = (None, None) if cache is None else (cache.self_attn[layer],
                                                                      cache.cross_attn[layer])
        pre = self.norm_first  # pre-LN: x + f(LN(x)); post-LN: LN(x + f(x))
        out, self_weights = self.attn(self.ln_attn(x) if pre else x, mask=mask, is_causal=is_causal,
                                      cache=self_cache, need_weights=need_weights)
        x = x + self.dropout(out) if pre else self.ln_attn(x + self.dropout(out))
        cross_weights = None
        if self.cross_attn is not None:
            out, cross_weights = self.cross_attn(self.ln_cross(x) if pre else x, context, mask=context_mask,
                                                 cache=cross_cache, need_weights=need_weights)
            x = x + self.dropout(out) if pre else self.ln_cross(x + self.dropout(out))
        out = self.mlp(self.ln_mlp(x) if pre else x)
        x = x + self.dropout(out) if pre else self.ln_mlp(x + self.dropout(out))
        return x, self_weights, cross_weights


# ---------------------------------------------------------------------- embeddings
class Embeddings(nn.Module):
    """h_0 = token embedding + position embedding (+ segment embedding); GPT-1's U W_e + W_p.

    ``position="2d"`` adds GLM's second position embedding: ``position_ids`` is then
    ``[B, 2, T]``, row 0 the position in the corrupted text, row 1 the position inside
    the span being generated (0 for Part A tokens).
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = config
        self.vocab_size, self.max_len, self.kind = c.vocab_size, c.max_len, c.position
        self.token = nn.Embedding(c.vocab_size, c.d_model)
        self.position = nn.Embedding(c.max_len, c.d_model)
        self.block_position = nn.Embedding(c.max_len, c.d_model) if c.position == "2d" else None
        self.segment = nn.Embedding(c.n_segments, c.d_model) if c.n_segments else None
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, input_ids: torch.Tensor, *, position_ids: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, past_length: int = 0,
                name: str = "input_ids") -> torch.Tensor:
        """``name`` is what errors call ``input_ids`` (e.g. ``decoder_input_ids``)."""
        check_token_ids(input_ids, name, self.vocab_size, ndim=2)
        B, T = input_ids.shape
        check_context_length(past_length + T, self.max_len, name)
        h = self.token(input_ids)
        if self.kind == "2d":
            if position_ids is None or position_ids.dim() != 3 or position_ids.shape[1] != 2:
                raise ValueError("a model with 2D positions needs position_ids of shape [B, 2, T]")
            check_token_ids(position_ids, "position_ids", self.max_len)
            h = h + self.position(position_ids[:, 0]) + self.block_position(position_ids[:, 1])
        else:
            if position_ids is None:
                position_ids = torch.arange(past_length, past_length + T, device=input_ids.device)
            check_token_ids(position_ids, "position_ids", self.max_len)
            h = h + self.position(position_ids)
        if self.segment is not None:
            segments = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids
            check_token_ids(segments, "token_type_ids", self.segment.num_embeddings)
            h = h + self.segment(segments)
        elif token_type_ids is not None:
            raise ValueError("token_type_ids given, but the model has no segment embeddings "
                             "(build it with n_segments=2)")
        return self.dropout(h)


# -------------------------------------------------------------------------- stacks
@dataclass
class StackOutput:
    hidden_states: torch.Tensor                      # [B, T, d], after the final LayerNorm
    attentions: tuple[torch.Tensor, ...] | None = None        # per layer [B, h, T, S]
    cross_attentions: tuple[torch.Tensor, ...] | None = None  # per layer [B, h, T, S_src]


class TransformerStack(nn.Module):
    """L blocks, then a final LayerNorm for pre-LN stacks (whose block outputs are un-normalised).

    The same class is a GPT decoder (``is_causal=True``), a BERT encoder (a padding mask),
    a GLM (``glm_mask``) and, with ``cross_attention=True``, a BART/T5 decoder.
    """

    def __init__(self, config: TransformerConfig, *, cross_attention: bool = False):
        super().__init__()
        self.blocks = nn.ModuleList(Block(config, cross_attention=cross_attention)
                                    for _ in range(config.n_layers))
        self.ln_final = (nn.LayerNorm(config.d_model, eps=config.layer_norm_eps) if config.norm_first
                         else nn.Identity())

    def forward(self, h: torch.Tensor, *, mask=None, is_causal=False, context=None,
                context_mask=None, cache: KVCache | None = None,
                output_attentions: bool = False) -> StackOutput:
        attentions, cross_attentions = [], []
        for i, block in enumerate(self.blocks):
            h, weights, cross_weights = block(
                h, mask=mask, is_causal=is_causal, context=context, context_mask=context_mask,
                cache=cache, layer=i, need_weights=output_attentions)
            attentions.append(weights)
            cross_attentions.append(cross_weights)
        if not output_attentions:
            return StackOutput(self.ln_final(h))
        return StackOutput(self.ln_final(h), tuple(attentions),
                           tuple(cross_attentions) if context is not None else None)


class EncoderDecoderStack(nn.Module):
    """A bidirectional encoder and a causal decoder that cross-attends to it (BART, T5).

    Run ``encoder`` once over the source embeddings, then call this module to decode:
    both read embeddings made by the caller, so a model can share one embedding table
    between source and target (BART) or give the source its own (BART's translation
    fine-tuning swaps in a new source encoder).
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.encoder = TransformerStack(config)
        self.decoder = TransformerStack(config, cross_attention=True)

    def forward(self, tgt: torch.Tensor, encoder_out: StackOutput, *, tgt_mask=None, cross_mask=None,
                cache: KVCache | None = None, output_attentions: bool = False) -> StackOutput:
        """Target embeddings ``tgt`` [B, T, d] -> decoder states, reading ``encoder_out``;
        masks as in ``minilm.masks.encoder_decoder_masks``. The decoder is causal whatever
        ``tgt_mask`` says."""
        return self.decoder(tgt, mask=tgt_mask, is_causal=True, context=encoder_out.hidden_states,
                            context_mask=cross_mask, cache=cache, output_attentions=output_attentions)


def init_weights(module: nn.Module, n_layers: int, std: float = 0.02) -> None:
    """GPT-2's initialisation: N(0, 0.02) weights, zero biases, and the projections that
    write into the residual stream scaled by 1/sqrt(2 L) so its variance stays put as
    L blocks add to it."""
    for name, p in module.named_parameters():
        if p.dim() < 2:
            if name.endswith("bias"):
                nn.init.zeros_(p)
            continue
        scale = 1 / math.sqrt(2 * n_layers) if name.endswith(("out_proj.weight", "down.weight")) else 1.0
        nn.init.normal_(p, mean=0.0, std=std * scale)
