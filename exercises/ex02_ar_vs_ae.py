"""Exercise 02 · Autoregressive vs autoencoding: labels and masks.

Notebook 02_ar_vs_ae shows that a causal LM (GPT), a masked LM (BERT), a prefix LM
(UniLM) and an encoder-decoder differ only in two things: what the labels are, and which
attention mask the same Transformer runs under. Here you build both yourself: the labels
of a left-to-right and a right-to-left LM, ELMo's way of combining the two directions,
and the causal, prefix-LM and encoder-decoder masks.

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


def r2l_labels(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Labels for a right-to-left LM, kept in the ORIGINAL order of the tokens.

    A right-to-left LM predicts each token from the tokens AFTER it:
    p(x) = prod_t p(x_t | x_{t+1}, ..., x_T). Reading from the right, the prediction made
    at position t is the token just before it, so ``labels[..., t] = input_ids[..., t - 1]``.
    Position 0 gets -100 (nothing comes before it), and so does every padding position
    (attention_mask 0; padding is on the right, so a real position's label, the token to its
    left, is never padding).
    Example::

        input_ids      = [   5,  8,  9,  3,    0]
        attention_mask = [   1,  1,  1,  1,    0]
        labels         = [-100,  5,  8,  9, -100]

    Args:
        input_ids: token ids [T] or [B, T].
        attention_mask: None, or shaped like ``input_ids``, 1 = real token, 0 = padding.

    Returns:
        ``labels`` shaped like ``input_ids``. (It equals reversing each row's real tokens,
        taking ``clm_labels``, and reversing back.)

    Hint: the mirror image of ``clm_labels``: copy ``input_ids[..., :-1]`` into
    ``labels[..., 1:]``, then ``masked_fill`` the padding positions.
    """
    raise NotImplementedError("shift the ids RIGHT by one, -100 at position 0 and on padding")


def combine_directions(l2r_log_probs: torch.Tensor, r2l_log_probs: torch.Tensor) -> torch.Tensor:
    """Fill a blank from both sides, ELMo-style: a product of the two directions' experts.

    A left-to-right LM gives log p(x_t | x_<t), a right-to-left LM log p(x_t | x_>t); each
    sees one side only. Adding the log-probabilities multiplies the two distributions, and
    renormalising over the vocabulary makes the product a distribution again::

        log p(x_t = v | both sides) = a_v + b_v - log sum_w exp(a_w + b_w)

    Args:
        l2r_log_probs, r2l_log_probs: float [..., V], log-probabilities over the V tokens
            of the vocabulary (the last dimension), the same shape.

    Returns:
        float [..., V]: log-probabilities (``exp`` of each row sums to 1). A shape mismatch
        raises ``ValueError``. Example with V = 2: a = log [0.5, 0.5], b = log [0.8, 0.2]
        gives log [0.8, 0.2]; a = b = log [0.75, 0.25] gives log [0.9, 0.1].

    Hint: ``(a + b).log_softmax(dim=-1)``.
    """
    raise NotImplementedError("add the two log-probabilities, then log_softmax over the vocabulary")


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


def encoder_decoder_masks(src_attention_mask: torch.Tensor,
                          tgt_attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """The three masks of an encoder-decoder (BART, T5), for a padded batch.

    Args:
        src_attention_mask: [B, S], 1 = real source token, 0 = padding (on the right).
        tgt_attention_mask: [B, T], 1 = real target token, 0 = padding (on the right).

    Returns:
        ``{"encoder": [B, S, S], "decoder": [B, T, T], "cross": [B, T, S]}``, all bool:

        * encoder self-attention: every query sees every REAL source key (padded queries
          too: their outputs are never used, and a row of all False would give NaN);
        * decoder self-attention: causal AND the key is real; every query also keeps its
          own position (so a padded query still has one key);
        * cross-attention: every decoder query sees every REAL source key.

        Example, B = 1, source [a, b, PAD], target [x, y, PAD] (1 = True)::

            encoder  [[1, 1, 0],      decoder  [[1, 0, 0],      cross  [[1, 1, 0],
                      [1, 1, 0],                [1, 1, 0],              [1, 1, 0],
                      [1, 1, 0]]                [1, 1, 1]]              [1, 1, 0]]

    Hint: ``src_attention_mask.bool()[:, None, :]`` is "the key is real", broadcast over
    the queries; ``.expand(B, rows, S)`` gives it the right number of rows.
    """
    raise NotImplementedError("encoder: real keys; decoder: causal and (real or itself); cross: real keys")
