"""GLM: autoregressive blank infilling (Du et al., 2022, Sec. 2).

One Transformer reads ``[Part A ; Part B]``: Part A is the text with each sampled span
replaced by a single [MASK], Part B the spans themselves (shuffled, each opened by [S]).
Under ``glm_mask`` Part A is encoded bidirectionally and Part B is decoded left to right,
so the same weights act as a BERT-like encoder and a GPT-like decoder:

    max_theta  E_z [ sum_i log p(s_{z_i} | x_corrupt, s_{z_<i}) ]

Each token carries two positions (Sec. 2.2, "2D positional encoding"): its index in
Part A (a Part B token takes the index of its span's [MASK]) and its index inside the span
(0 throughout Part A). The model is never told how long a span is.

Architecture (Sec. 2.2): pre-LN blocks ("rearranged layer normalization and residual
connection"), GeLU, and one output layer tied to the input embedding, as in GPT.
Generation (``minilm.generate.generate_blanks``) feeds one Part B token per step with a
``cache``: Part A never attends to Part B, so its keys and values never change.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from minilm.checks import check_attention_mask, check_batch_size, check_shifted_labels
from minilm.masks import combine, glm_mask, padding_mask
from minilm.models.common import ModelOutput
from minilm.models.transformer_lm import TransformerLM
from minilm.nn import KVCache, TransformerConfig


@dataclass
class GLMConfig(TransformerConfig):
    """GLM sizes; 2D positions, pre-LN and GeLU are what make it GLM."""

    position: str = "2d"
    norm_first: bool = True
    activation: str = "gelu"

    def __post_init__(self):
        super().__post_init__()
        if self.position != "2d":
            raise ValueError(f"GLM needs position='2d' (GLM-4), got {self.position!r}")


class GLM(TransformerLM):
    """A GLM: ``TransformerLM``'s parts with 2D-position embeddings, under the Part A/B mask."""

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, sep: torch.Tensor | int,
                *, attention_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                cache: KVCache | None = None, output_attentions: bool = False) -> ModelOutput:
        """``input_ids`` [B, T]; ``position_ids`` [B, 2, T]; ``sep`` = length of Part A (int or
        LongTensor [B]); ``attention_mask`` [B, T]: 1 = real token, 0 = padding; ``labels``
        aligned with the predictions (-100 on Part A), as ``blank_infilling.glm_sample`` makes them.

        With a ``cache`` (``new_cache()``), ``input_ids`` and ``position_ids`` hold only the
        new tokens; ``sep`` and ``attention_mask`` still count from the first cached token.
        """
        past = 0 if cache is None else len(cache)
        if isinstance(sep, torch.Tensor):
            check_batch_size(sep, input_ids.shape[0], "sep", "input_ids")
        # The rows of the full [Part A ; Part B] mask that belong to the new tokens.
        mask = glm_mask(past + input_ids.shape[1], sep, device=input_ids.device)[..., past:, :]
        if attention_mask is not None:
            real = check_attention_mask(attention_mask, input_ids, length=past + input_ids.shape[1])
            mask = combine(mask, padding_mask(real)[..., past:, :])
        if labels is not None:
            check_shifted_labels(labels, input_ids, builder="minilm.objectives.blank_infilling.glm_sample")
        h = self.embed(input_ids, position_ids=position_ids, past_length=past)
        out = self.transformer(h, mask=mask, cache=cache, output_attentions=output_attentions)
        return self.language_model_output(out, labels)

    def new_cache(self) -> KVCache:
        return KVCache(self.config.n_layers)
