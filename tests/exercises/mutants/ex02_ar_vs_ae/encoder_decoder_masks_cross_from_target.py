"""Cross-attention built from the target's padding (and shape)."""

import torch


def encoder_decoder_masks(src_attention_mask, tgt_attention_mask):
    src, tgt = src_attention_mask.bool(), tgt_attention_mask.bool()
    B, S = src.shape
    T = tgt.shape[1]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    return {"encoder": src[:, None, :].expand(B, S, S),
            "decoder": causal & (tgt[:, None, :] | torch.eye(T, dtype=torch.bool)),
            "cross": tgt[:, None, :].expand(B, T, T)}
