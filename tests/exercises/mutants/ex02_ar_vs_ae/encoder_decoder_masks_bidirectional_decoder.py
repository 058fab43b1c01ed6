"""The decoder reads the future (no causal part)."""

import torch


def encoder_decoder_masks(src_attention_mask, tgt_attention_mask):
    src, tgt = src_attention_mask.bool(), tgt_attention_mask.bool()
    B, S = src.shape
    T = tgt.shape[1]
    return {"encoder": src[:, None, :].expand(B, S, S),
            "decoder": tgt[:, None, :].expand(B, T, T) | torch.eye(T, dtype=torch.bool),
            "cross": src[:, None, :].expand(B, T, S)}
