"""Attention masks: the one place where every model's "who may see whom" is decided.

The pretraining objectives of this course differ less than they seem. A causal LM (GPT),
a masked LM (BERT), an encoder-decoder (BART, T5), a prefix LM (UniLM) and GLM's blank
infilling all run the same attention; what changes is the boolean matrix that says which
key positions each query position may attend to.

Convention (the same as ``torch.nn.functional.scaled_dot_product_attention``):

    mask[..., i, j] == True   <=>   query i MAY attend to key j

Shapes are ``[T, S]`` for one sequence or ``[B, T, S]`` for a batch (T queries, S keys;
S == T for self-attention). Models, plots and widgets all build their masks here, so the
picture a learner looks at is the mask the model uses.

Worked example, T = 4, ``prefix_lm_mask(4, prefix_len=2)`` (1 = may attend)::

    key:   0 1 2 3
    q0  [  1 1 0 0 ]   the prefix is bidirectional ...
    q1  [  1 1 0 0 ]
    q2  [  1 1 1 0 ]   ... the rest reads the prefix and itself causally
    q3  [  1 1 1 1 ]
"""

from __future__ import annotations

import torch

from minilm.checks import check_attention_mask, check_positive_int, check_size, check_tensor
from minilm.constants import MAX_MASK_ELEMENTS

__all__ = [
    "causal_mask",
    "bidirectional_mask",
    "padding_mask",
    "prefix_lm_mask",
    "glm_mask",
    "causal_padding_mask",
    "encoder_decoder_masks",
    "cross_mask",
    "combine",
]


def causal_mask(T: int, S: int | None = None, *, device=None) -> torch.Tensor:
    """Lower-triangular ``[T, S]`` mask: query i sees keys 0..i (GPT, left-to-right LM).

    With ``S > T`` (a cache of ``S - T`` earlier keys during generation) the triangle is
    aligned bottom-right, so the last query still sees every key.

    Every mask built here is a dense bool tensor of at most
    ``minilm.constants.MAX_MASK_ELEMENTS`` entries (64 MiB, e.g. 8192 x 8192): a larger
    request is refused with a ``ValueError`` naming the argument before anything is allocated.
    """
    check_positive_int(T, "T")
    S = T if S is None else S
    check_positive_int(S, "S")
    if S < T:
        raise ValueError(f"S (number of keys) must be >= T (number of queries), got S={S}, T={T}")
    check_size(T * S, MAX_MASK_ELEMENTS, "S" if S > T else "T", f"a [{T}, {S}] mask")
    query = torch.arange(T, device=device).unsqueeze(1) + (S - T)
    key = torch.arange(S, device=device).unsqueeze(0)
    return key <= query


def causal_padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Causal AND key-padding ``[B, T, T]``: a decoder over a padded batch.

    Each query also keeps its own position, so a left-padded row (a pad query whose
    earlier keys are all pads) still has one key to attend to instead of none (NaN).
    """
    keys = check_attention_mask(attention_mask).unsqueeze(1)  # [B, 1, T]
    T = keys.shape[2]
    causal = causal_mask(T, device=keys.device)
    return causal & (keys | torch.eye(T, dtype=torch.bool, device=keys.device))


def padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Key-padding mask ``[B, T, T]`` from an HF-style ``attention_mask`` ``[B, T]`` (1 = real).

    Every query may attend to every *real* key. Padded queries keep attending to the real
    keys as well: their outputs are ignored by the loss, and a row with no allowed key at
    all would turn the softmax into 0/0 = NaN.
    """
    keys = check_attention_mask(attention_mask)
    if not keys.any(dim=1).all():
        raise ValueError("attention_mask has a row with no real token (all zeros)")
    T = keys.shape[1]
    return keys.unsqueeze(1).expand(-1, T, -1)


def bidirectional_mask(T: int | None = None, attention_mask: torch.Tensor | None = None,
                       *, device=None) -> torch.Tensor:
    """Everyone sees everyone (BERT's encoder); with ``attention_mask``, padding is hidden.

    Give ``T`` for an unpadded ``[T, T]`` mask, or ``attention_mask`` ``[B, T]`` for
    ``[B, T, T]``.
    """
    if attention_mask is not None:
        return padding_mask(attention_mask)
    if T is None:
        raise ValueError("bidirectional_mask needs T or attention_mask")
    check_positive_int(T, "T")
    return torch.ones(T, T, dtype=torch.bool, device=device)


def prefix_lm_mask(T: int, prefix_len: int | torch.Tensor, *, device=None) -> torch.Tensor:
    """Prefix LM (UniLM, T5's prefix variant): the first ``prefix_len`` tokens see each
    other in both directions; every later token sees the prefix and the tokens before it.

    ``prefix_len`` is an int (``[T, T]`` mask) or a LongTensor ``[B]`` (``[B, T, T]``).
    ``prefix_len = 0`` gives the causal mask, ``prefix_len = T`` the bidirectional one.
    """
    return _prefix_mask(T, prefix_len, "prefix_len", device)


def _prefix_mask(T: int, prefix_len: int | torch.Tensor, name: str, device) -> torch.Tensor:
    """``prefix_lm_mask``, with errors that name the caller's argument (``sep`` for GLM)."""
    check_positive_int(T, "T")
    causal = causal_mask(T, device=device)
    key = torch.arange(T, device=device)
    if isinstance(prefix_len, torch.Tensor):
        check_tensor(prefix_len, name, ndim=1, integer=True)
        B = len(prefix_len)
        check_size(B * T * T, MAX_MASK_ELEMENTS, name, f"a batch of {B} [{T}, {T}] masks")
        if (prefix_len < 0).any() or (prefix_len > T).any():
            raise ValueError(f"{name} must lie in [0, T={T}], got {prefix_len.tolist()}")
        in_prefix = key.view(1, 1, T) < prefix_len.to(device).view(-1, 1, 1)  # [B, 1, T]
        return causal.unsqueeze(0) | in_prefix
    if isinstance(prefix_len, bool) or not isinstance(prefix_len, int):
        raise TypeError(f"{name} must be an int or a LongTensor, got {type(prefix_len)}")
    if not 0 <= prefix_len <= T:
        raise ValueError(f"{name} must lie in [0, T={T}], got {prefix_len}")
    return causal | (key < prefix_len).unsqueeze(0)


def glm_mask(T: int, sep: int | torch.Tensor, *, device=None) -> torch.Tensor:
    """GLM's self-attention mask (Du et al., 2022, Fig. 2d).

    The input is ``[Part A ; Part B]`` with ``sep = len(Part A)``. Part A tokens (the
    corrupted text) see all of Part A and nothing of Part B; Part B tokens (the spans
    being generated) see Part A and the Part B tokens before them. That is exactly a
    prefix-LM mask with the prefix = Part A: one model is a bidirectional encoder over A
    and a left-to-right decoder over B.
    """
    return _prefix_mask(T, sep, "sep", device)


def cross_mask(src_attention_mask: torch.Tensor, T: int) -> torch.Tensor:
    """Cross-attention ``[B, T, S]``: each of T decoder queries sees every real encoder key."""
    check_attention_mask(src_attention_mask, name="src_attention_mask")
    check_positive_int(T, "T")
    return padding_mask(src_attention_mask)[:, :1, :].expand(-1, T, -1)


def encoder_decoder_masks(src_attention_mask: torch.Tensor,
                          tgt_attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """The three masks of an encoder-decoder (BART, T5, the original Transformer).

    Returns ``encoder`` ``[B, S, S]`` (bidirectional over the source, padding hidden),
    ``decoder`` ``[B, T, T]`` (causal over the target, padding hidden) and ``cross``
    ``[B, T, S]`` (every target position sees every real source position).
    """
    check_tensor(src_attention_mask, "src_attention_mask", ndim=2)
    check_tensor(tgt_attention_mask, "tgt_attention_mask", ndim=2)
    if src_attention_mask.shape[0] != tgt_attention_mask.shape[0]:
        raise ValueError("src_attention_mask and tgt_attention_mask must have the same batch size")
    T = tgt_attention_mask.shape[1]
    return {
        "encoder": padding_mask(src_attention_mask),
        "decoder": causal_padding_mask(tgt_attention_mask),
        "cross": cross_mask(src_attention_mask, T),
    }


def combine(*masks: torch.Tensor) -> torch.Tensor:
    """Logical AND of masks (broadcasting ``[T, S]`` against ``[B, T, S]``)."""
    if not masks:
        raise ValueError("masks must hold at least one mask: combine() was given none")
    out = masks[0]
    for i, m in enumerate(masks):
        check_tensor(m, f"masks[{i}]", dtype=torch.bool)
        out = out & m
    return out
