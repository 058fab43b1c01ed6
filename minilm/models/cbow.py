"""Continuous bag-of-words, word2vec's CBOW (Mikolov et al., 2013, Sec. 3.1).

Predict a word from the words around it, ignoring their order::

    v_ctx = (1 / 2c) * sum_{-c <= j <= c, j != 0} E[w_{t+j}]     average of context embeddings
    P(w_t | context) = softmax(U v_ctx + b)

with window c, input embeddings E [V, d] and output weights U [V, d]. This is a masked
language model in miniature: the middle word is "masked" (left out), the context on
*both* sides predicts it, and no labels are needed. Words used in the same contexts end
up with similar rows of E, so a word's nearest neighbours are words of the same kind.

(The paper's hierarchical softmax serves a huge vocabulary; a full softmax is exact here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minilm.checks import check_attention_mask, check_class_labels, check_positive_int, check_token_ids
from minilm.models.common import ModelOutput


@dataclass
class CBOWConfig:
    vocab_size: int = 512   # V
    d_embed: int = 32       # d: size of a word vector
    window: int = 2         # c: words on each side of the target
    pad_id: int = 0         # the id of an empty context slot ([PAD])

    def __post_init__(self):
        for name in ("vocab_size", "d_embed", "window"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.pad_id, "pad_id", allow_zero=True)


def cbow_examples(input_ids: torch.Tensor, *, window: int, pad_id: int,
                  attention_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context, target) pair of a batch of sequences.

    ``input_ids`` [B, T] -> ``context`` [N, 2 * window] and ``target`` [N], one row per real
    token. Context slots that fall outside the sequence hold ``pad_id`` (the model ignores
    them). Example, window 1, ``[anna, lives, in, paris]``::

        context [PAD, lives] -> anna;  [anna, in] -> lives;  ...;  [in, PAD] -> paris
    """
    check_token_ids(input_ids, "input_ids", ndim=2)
    check_positive_int(window, "window")
    check_positive_int(pad_id, "pad_id", allow_zero=True)
    real = input_ids != pad_id if attention_mask is None else check_attention_mask(attention_mask, input_ids)
    ids = input_ids.masked_fill(~real, pad_id)
    padded = F.pad(ids, (window, window), value=pad_id)                    # (B, T + 2c)
    T = ids.shape[1]
    offsets = [j for j in range(-window, window + 1) if j != 0]
    context = torch.stack([padded[:, window + j: window + j + T] for j in offsets], dim=-1)  # (B, T, 2c)
    return context[real], ids[real]


class CBOW(nn.Module):
    """Average the context's embeddings, then a softmax over the vocabulary."""

    def __init__(self, config: CBOWConfig):
        super().__init__()
        self.config, self.pad_id = config, config.pad_id
        self.embed = nn.Embedding(config.vocab_size, config.d_embed)   # E: the word vectors
        self.out = nn.Linear(config.d_embed, config.vocab_size)        # U, b
        nn.init.normal_(self.embed.weight, std=0.1)

    def forward(self, context: torch.Tensor, labels: torch.Tensor | None = None) -> ModelOutput:
        """``context`` [N, 2c] word ids (``pad_id`` = empty slot) -> ``logits`` [N, V]."""
        check_token_ids(context, "context", self.config.vocab_size, ndim=2)
        present = (context != self.pad_id).unsqueeze(-1).float()            # (N, 2c, 1)
        summed = (self.embed(context) * present).sum(dim=1)                 # (N, d)
        v_ctx = summed / present.sum(dim=1).clamp(min=1)                    # mean over real slots
        logits = self.out(v_ctx)
        loss = None if labels is None else F.cross_entropy(
            logits, check_class_labels(labels, len(context), self.config.vocab_size, per="context"))
        return ModelOutput(loss=loss, logits=logits, hidden_states=v_ctx)

    @torch.no_grad()
    def nearest(self, token_id: int, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` ids whose word vectors have the highest cosine similarity to ``token_id``'s."""
        check_positive_int(k, "k")
        check_token_ids(torch.tensor([token_id]), "token_id", self.config.vocab_size)
        E = F.normalize(self.embed.weight, dim=-1)
        sims = E @ E[token_id]
        sims[[token_id, self.pad_id]] = -float("inf")  # a word is trivially its own neighbour; [PAD] none
        top = sims.topk(min(k, len(sims) - 2))
        return [(int(i), float(s)) for s, i in zip(top.values, top.indices, strict=True)]
