"""Exercise 03 · GPT: the tied output layer, the causal LM loss, top-k sampling.

Notebook 03_gpt_pretraining builds GPT-1's language model (Radford et al., 2018):

    h_0 = U W_e + W_p,    h_l = transformer_block(h_{l-1}),    P(u) = softmax(h_L W_e^T)
    L_1(U) = sum_i log P(u_i | u_{i-k}, ..., u_{i-1})

Here you write three of its pieces yourself; the graded tests compare them with
``minilm`` on random inputs.

Fill in the functions below (replace each ``raise NotImplementedError``), then run the
"check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex03
"""

from __future__ import annotations

import torch


def tied_logits(hidden_states: torch.Tensor, token_embedding: torch.Tensor) -> torch.Tensor:
    """GPT's output layer with tied embeddings: logits = h_L W_e^T.

    Args:
        hidden_states: the top-layer states h_L, float [B, T, d].
        token_embedding: the token embedding matrix W_e, float [V, d] (row v is the
            input vector of token v - the same matrix the model reads its input with).

    Returns:
        ``logits`` [B, T, V]: ``logits[b, t, v]`` is the dot product of ``h_L[b, t]`` with
        row v of W_e. softmax over the last dimension gives P(next token).

    Hint: one matrix product with the transpose of W_e; no new parameters.
    """
    raise NotImplementedError("multiply the hidden states by the transposed embedding matrix")


def clm_loss(logits: torch.Tensor, input_ids: torch.Tensor,
             attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """The causal LM loss: mean cross-entropy of predicting every NEXT token.

    Args:
        logits: float [B, T, V], the model's output at every position.
        input_ids: long [B, T], the tokens the model read.
        attention_mask: None, or long [B, T] with 1 = real token, 0 = padding.

    Returns:
        A scalar tensor: the mean over all predicted positions of
        ``-log softmax(logits[b, t])[input_ids[b, t + 1]]``. Position t predicts the token at
        position t + 1, so the last position predicts nothing, and neither does a position whose
        next token is padding. Example with T = 4 and mask [1, 1, 1, 0]: positions 0 and
        1 are scored (targets input_ids[1] and input_ids[2]); 2 and 3 are not.

    Hint: drop the last position of ``logits`` and the first of ``input_ids`` so they
    line up, then ``torch.nn.functional.cross_entropy`` on the flattened [N, V] / [N]
    tensors; give the positions to skip the target -100 (its ``ignore_index``).
    """
    raise NotImplementedError("shift by one, ignore padded targets, take the cross-entropy")


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Top-k filtering for sampling: keep each row's k largest logits, the rest -> -inf.

    Args:
        logits: float [..., V] next-token logits (any number of leading dimensions).
        k: how many tokens to keep, 1 <= k; a k larger than V keeps everything.

    Returns:
        A tensor shaped like ``logits``: the k largest entries of every row unchanged,
        every other entry ``float("-inf")`` (so softmax gives it probability 0). Example::

            logits = [2.0, -1.0, 0.5, 3.0],  k = 2  ->  [2.0, -inf, -inf, 3.0]

    Hint: ``logits.topk(k, dim=-1).values[..., -1:]`` is each row's k-th largest value;
    ``masked_fill`` everything below it.
    """
    raise NotImplementedError("keep the k largest logits of each row, set the rest to -inf")
