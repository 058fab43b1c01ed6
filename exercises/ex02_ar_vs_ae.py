"""Exercise 02 · Autoregressive vs autoencoding: labels and masks.

Notebook 02_ar_vs_ae shows that a causal LM (GPT), a masked LM (BERT) and a prefix LM
(UniLM) differ only in two things: what the labels are, and which attention mask the
same Transformer runs under. Here you build both yourself.

Conventions (the same as ``minilm``):
* labels are ALIGNED with the model's outputs: the label at position t is what the
  prediction at position t should be; -100 means "no prediction here";
* masks are bool, ``mask[i, j] == True`` means query i MAY attend to key j.

Fill in the functions below (replace each ``raise NotImplementedError``), then run the
"check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex02
"""

from __future__ import annotations

import torch


def clm_labels(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Labels for causal (next-token) language modelling.

    Args:
        input_ids: token ids [T] or [B, T].
        attention_mask: None, or [B, T] / [T] with 1 = real token, 0 = padding.

    Returns:
        ``labels`` shaped like ``input_ids``: ``labels[..., t] = input_ids[..., t + 1]``;
        the last position gets -100 (nothing comes next), and so does every position whose
        *next* token is padding. Example::

            input_ids      = [ 5,  8,  9,  3,    0  ]
            attention_mask = [ 1,  1,  1,  1,    0  ]
            labels         = [ 8,  9,  3, -100, -100]

    Hint: ``torch.full_like(input_ids, -100)`` then assign ``input_ids[..., 1:]`` into
    ``labels[..., :-1]``; with a mask, ``masked_fill`` the positions whose next token is padding.
    """
    raise NotImplementedError("shift the ids left by one, -100 where nothing real comes next")


def causal_mask(T: int) -> torch.Tensor:
    """GPT's mask: query i may attend to keys 0 .. i.

    Returns:
        bool [T, T], True on and below the diagonal.

    Hint: ``torch.tril(torch.ones(T, T, dtype=torch.bool))``.
    """
    raise NotImplementedError("the lower triangle, as bools")


def prefix_lm_mask(T: int, prefix_len: int) -> torch.Tensor:
    """A prefix LM's mask (UniLM; T5's prefix-LM variant).

    The first ``prefix_len`` tokens (the prefix) see each other in both directions; every
    later token sees the whole prefix and the tokens up to itself. For T = 4,
    prefix_len = 2 (1 = True)::

        [[1, 1, 0, 0],
         [1, 1, 0, 0],
         [1, 1, 1, 0],
         [1, 1, 1, 1]]

    ``prefix_len = 0`` gives the causal mask, ``prefix_len = T`` the all-True
    (bidirectional) mask.

    Returns:
        bool [T, T].

    Hint: start from the causal mask, then OR in "the key is in the prefix"
    (``torch.arange(T) < prefix_len``, broadcast over the rows).
    """
    raise NotImplementedError("causal mask OR key-in-prefix")


def mlm_batch(input_ids: torch.Tensor, attention_mask: torch.Tensor, *, mask_id: int, vocab_size: int,
              special_ids: tuple[int, ...], mlm_probability: float = 0.15,
              generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """A masked-LM batch with BERT's 80/10/10 rule.

    Args:
        input_ids: [B, T] token ids; attention_mask: [B, T], 1 = real token, 0 = padding.
        mask_id: the [MASK] id. vocab_size: ids lie in [0, vocab_size).
        special_ids: ids that are never chosen ([PAD], [CLS], [SEP], [MASK], ...).
        mlm_probability: each real, non-special token is chosen with this probability.
        generator: all randomness comes from it.

    Returns:
        ``{"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}`` where
        * labels = the original id at chosen positions, -100 everywhere else;
        * a chosen position's input becomes ``mask_id`` with probability 0.8, a random id
          drawn uniformly from the NON-special ids with probability 0.1, and stays as it is
          with probability 0.1;
        * unchosen positions are unchanged; padding (attention_mask 0) is never chosen.

    Hint: ``torch.rand(shape, generator=generator) < mlm_probability`` chooses; a second
    uniform number u per position decides: u < 0.8 -> [MASK], 0.8 <= u < 0.9 -> random.
    ``torch.isin(input_ids, torch.tensor(special_ids))`` finds the special tokens.
    """
    raise NotImplementedError("choose, then [MASK] / random / keep, and build the labels")
