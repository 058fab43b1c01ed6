"""Masked language modelling, BERT's "cloze" objective (Devlin et al., 2019, Sec. 3.1).

Choose 15 % of the token positions at random; the model must predict the original token
at each chosen position from everything around it. Of the chosen positions

* 80 % are replaced by [MASK],
* 10 % by a random token,
* 10 % are left unchanged.

Why not always [MASK]? [MASK] never appears when the model is fine-tuned, so a model that
only ever predicts at [MASK] positions learns nothing useful about ordinary tokens; the
random and unchanged 10 % make it keep a good representation of *every* input token
(the "pretrain/finetune mismatch", demonstrated in notebook 02).

Labels are the original ids at the chosen positions and -100 (ignored) everywhere else:
the loss is computed on the chosen 15 % only. Special tokens and padding are never chosen.

Worked example (mlm_probability high enough to choose two of six tokens)::

    input_ids = [ [CLS]  anna  lives  in    paris  [SEP] ]
    inputs    = [ [CLS]  anna  [MASK] in    cake   [SEP] ]   # 'paris' -> random 'cake'
    labels    = [ -100   -100  lives  -100  paris  -100  ]
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from minilm.checks import (
    check_generator,
    check_positive_int,
    check_probability,
    check_tensor,
    check_token_ids,
)
from minilm.constants import IGNORE_INDEX
from minilm.objectives._util import special_set


def special_tokens_mask(input_ids: torch.Tensor, special_ids: Iterable[int]) -> torch.Tensor:
    """True where ``input_ids`` holds one of ``special_ids`` ([CLS], [SEP], [PAD], ...)."""
    check_tensor(input_ids, "input_ids", integer=True, non_empty=False)
    special = torch.tensor(sorted(set(special_ids)), dtype=input_ids.dtype, device=input_ids.device)
    return torch.isin(input_ids, special)


def mask_tokens(input_ids: torch.Tensor, *, mask_id: int, vocab_size: int,
                mlm_probability: float = 0.15, special_ids: Iterable[int] = (),
                attention_mask: torch.Tensor | None = None,
                mask_replace_prob: float = 0.8, random_replace_prob: float = 0.1,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's 80/10/10 masking. Returns ``(inputs, labels)``, both shaped like ``input_ids``.

    ``input_ids`` [T] or [B, T]. Each position whose token is not in ``special_ids`` (and,
    if ``attention_mask`` is given, is a real token) is chosen independently with
    probability ``mlm_probability`` (a Bernoulli draw per token, as in BERT's code, so the
    number chosen per row varies). A chosen token becomes ``mask_id`` with probability
    ``mask_replace_prob``, a random token with ``random_replace_prob``, else stays.

    The random token is drawn uniformly from the *non-special* ids, so the model is never
    shown a stray [PAD] or [CLS] in the middle of a sentence; it may coincide with the
    original token (BERT does not prevent that either).
    """
    check_positive_int(vocab_size, "vocab_size")
    check_token_ids(input_ids, "input_ids", vocab_size, ndim=(1, 2))
    if isinstance(mask_id, bool) or not isinstance(mask_id, int) or not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must be an int in [0, vocab_size={vocab_size}), got {mask_id!r}")
    check_probability(mlm_probability, "mlm_probability")
    check_probability(mask_replace_prob, "mask_replace_prob")
    check_probability(random_replace_prob, "random_replace_prob")
    if mask_replace_prob + random_replace_prob > 1.0 + 1e-9:
        raise ValueError("mask_replace_prob + random_replace_prob must be <= 1, got "
                         f"{mask_replace_prob} + {random_replace_prob}")
    special = special_set(special_ids)
    check_generator(generator)

    can_choose = torch.ones_like(input_ids, dtype=torch.bool)
    if special:
        can_choose &= ~special_tokens_mask(input_ids, special)
    if attention_mask is not None:
        check_tensor(attention_mask, "attention_mask")
        if attention_mask.shape != input_ids.shape:
            raise ValueError(f"attention_mask must have the shape of input_ids "
                             f"{tuple(input_ids.shape)}, got {tuple(attention_mask.shape)}")
        can_choose &= attention_mask.bool()

    # All draws on the CPU generator, then moved: the same seed gives the same masks anywhere.
    shape = input_ids.shape
    chosen = (torch.rand(shape, generator=generator) < mlm_probability).to(input_ids.device) & can_choose
    labels = input_ids.masked_fill(~chosen, IGNORE_INDEX)

    # One uniform number per position decides [MASK] / random / unchanged.
    u = torch.rand(shape, generator=generator).to(input_ids.device)
    to_mask = chosen & (u < mask_replace_prob)
    to_random = chosen & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)

    inputs = input_ids.masked_fill(to_mask, mask_id)
    # The random token is uniform over the ids in [0, vocab_size) that are not special,
    # found without listing them (vocab_size may be huge): draw its rank r among the
    # allowed ids, then step over the special ids at or below it.
    skipped = torch.tensor(sorted(i for i in special if 0 <= i < vocab_size), dtype=torch.long)
    n_allowed = vocab_size - len(skipped)
    if n_allowed == 0:
        if to_random.any():
            raise ValueError("every id is in special_ids: there is no token to draw at random")
        return inputs, labels
    # Drawn for every position (used only where to_random), so the generator advances the
    # same way whatever was chosen.
    rank = torch.randint(n_allowed, shape, generator=generator)
    # the k-th special id (sorted) has s_k - k allowed ids below it: skip it when that is <= rank
    picks = rank + torch.searchsorted(skipped - torch.arange(len(skipped)), rank, right=True)
    inputs = torch.where(to_random, picks.to(input_ids.device, input_ids.dtype), inputs)
    return inputs, labels
