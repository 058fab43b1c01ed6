"""Causal language modelling (GPT-1, Radford et al., 2018, Eq. 1).

    L_1(U) = sum_i log P(u_i | u_{i-k}, ..., u_{i-1}; Theta)

Every position predicts the *next* token, so the labels are the inputs shifted left by
one. The last position has no next token and padded positions predict nothing: both get
the ignore label -100.

Worked example::

    input_ids = [ <s>  the  cat  runs  .  [PAD] ]
    labels    = [ the  cat  runs  .  -100  -100  ]
"""

from __future__ import annotations

import torch

from minilm.checks import check_tensor
from minilm.constants import IGNORE_INDEX


def clm_labels(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Labels for next-token prediction: ``labels[..., t] = input_ids[..., t + 1]``.

    ``input_ids`` [T] or [B, T]; positions whose *target* is padding get -100.
    """
    check_tensor(input_ids, "input_ids", ndim=(1, 2), integer=True)
    labels = torch.full_like(input_ids, IGNORE_INDEX)
    labels[..., :-1] = input_ids[..., 1:]
    if attention_mask is not None:
        if attention_mask.shape != input_ids.shape:
            raise ValueError(f"attention_mask must have the shape of input_ids "
                             f"{tuple(input_ids.shape)}, got {tuple(attention_mask.shape)}")
        target_is_real = torch.zeros_like(attention_mask, dtype=torch.bool)
        target_is_real[..., :-1] = attention_mask[..., 1:].bool()
        labels = labels.masked_fill(~target_is_real, IGNORE_INDEX)
    return labels
