"""BERT: a bidirectional Transformer encoder pretrained with MLM + NSP (Devlin et al., 2019).

Read top to bottom, as the paper's Figure 1 and Sec. 3.1 describe it:

    h_0 = LayerNorm(token emb. + segment emb. + position emb.)   the input, Figure 2
    h_l = block(h_{l-1})   every position attends to every real one (a padding mask only)
    C   = h_L[:, 0]        the final hidden state of [CLS]: "the aggregate sequence
                           representation for classification tasks"

and two heads on top, one per pretraining task:

* **masked LM** (Task #1): each final state T_i goes through a transform (dense, GELU,
  LayerNorm) and a decoder whose weight *is* the token-embedding matrix (tied, as in the
  released code) plus a bias: P(x_i | masked input) = softmax(transform(T_i) W_e^T + b).
  The loss is read only at the 15 % chosen positions (labels != -100,
  ``minilm.objectives.mlm.mask_tokens``).
* **next sentence prediction** (Task #2): the released code first "pools" C with a dense
  layer and tanh; a 2-way classifier reads that. Label 0 = IsNext, 1 = NotNext
  (``minilm.objectives.nsp``).

The pretraining loss is the sum, L = L_MLM + L_NSP. BERT is post-LN (``norm_first=False``):
each block is LN(x + f(x)), like the original Transformer. The fine-tuning heads (Sec. 3.2,
Figure 4) reuse ``BertEncoder`` and live in ``minilm.finetune.bert``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minilm.checks import check_tensor
from minilm.models.common import ModelOutput
from minilm.models.encoder import encoder_mask
from minilm.modes import evaluating
from minilm.nn import ACTIVATIONS, Embeddings, TransformerConfig, TransformerStack, init_weights
from minilm.objectives.loss import token_cross_entropy

N_NSP_CLASSES = 2  # IsNext, NotNext


@dataclass
class BertConfig(TransformerConfig):
    """BERT's switches on top of ``TransformerConfig``: post-LN, GELU, learned positions,
    two segments (sentence A / sentence B). BERT-Base is d_model=768, 12 layers, 12 heads,
    max_len=512; the defaults here train on the course corpus in seconds."""

    norm_first: bool = False  # post-LN, as in the paper (and the Transformer)
    n_segments: int = 2       # token_type_ids 0 (A) and 1 (B)


@dataclass
class BertOutput(ModelOutput):
    """``logits`` [B, T, vocab] (MLM), ``nsp_logits`` [B, 2]; ``loss`` = ``mlm_loss`` +
    ``nsp_loss`` (whichever labels were given)."""

    pooler_output: torch.Tensor | None = None  # [B, d]: tanh(W C + b), what NSP reads
    nsp_logits: torch.Tensor | None = None     # [B, 2]: IsNext, NotNext
    mlm_loss: torch.Tensor | None = None
    nsp_loss: torch.Tensor | None = None


class BertEncoder(nn.Module):
    """The body every BERT model shares: embeddings, the bidirectional stack, the pooler."""

    def __init__(self, config: BertConfig):
        super().__init__()
        if not isinstance(config, TransformerConfig):
            raise TypeError(f"config must be a BertConfig, got {type(config).__name__}")
        if config.n_segments < 2:
            raise ValueError(f"BERT needs n_segments >= 2 (sentence A and B), got {config.n_segments}")
        self.config = config
        d = config.d_model
        self.embed = Embeddings(config)  # token + position + segment
        # post-LN blocks expect normalised inputs
        self.embed_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.transformer = TransformerStack(config)
        self.pooler = nn.Linear(d, d)
        init_weights(self, config.n_layers)

    def forward(self, input_ids: torch.Tensor, *, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                output_attentions: bool = False) -> BertOutput:
        """``input_ids`` [B, T] -> ``hidden_states`` [B, T, d] and ``pooler_output`` [B, d];
        ``attention_mask`` [B, T]: 1 = real token, 0 = padding."""
        if token_type_ids is not None:
            check_tensor(token_type_ids, "token_type_ids", integer=True)
            if token_type_ids.shape != input_ids.shape:
                raise ValueError(f"token_type_ids must have the shape of input_ids "
                                 f"{tuple(input_ids.shape)}, got {tuple(token_type_ids.shape)}")
        h = self.embed(input_ids, position_ids=position_ids, token_type_ids=token_type_ids)
        h = self.embed_norm(h)
        mask = encoder_mask(input_ids, attention_mask)  # bidirectional, padding hidden
        out = self.transformer(h, mask=mask, output_attentions=output_attentions)
        C = out.hidden_states[:, 0]  # [B, d]: the final hidden state of [CLS]
        pooled = torch.tanh(self.pooler(C))
        return BertOutput(hidden_states=out.hidden_states, attentions=out.attentions,
                          pooler_output=pooled)


class Bert(nn.Module):
    """BERT for pretraining: ``BertEncoder`` + the masked-LM head + the NSP head."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        d = config.d_model
        self.encoder = BertEncoder(config)
        # MLM head: transform each T_i, then score every vocabulary entry.
        self.mlm_transform = nn.Sequential(nn.Linear(d, d), ACTIVATIONS[config.activation](),
                                           nn.LayerNorm(d, eps=config.layer_norm_eps))
        self.mlm_decoder = nn.Linear(d, config.vocab_size)  # bias b: one per vocabulary entry
        self.nsp_head = nn.Linear(d, N_NSP_CLASSES)
        for head in (self.mlm_transform, self.mlm_decoder, self.nsp_head):  # the body did its own
            init_weights(head, config.n_layers)
        if config.tie_embeddings:  # the decoder reuses W_e: one matrix for input and output
            self.mlm_decoder.weight = self.encoder.embed.token.weight

    def forward(self, input_ids: torch.Tensor, *, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                next_sentence_label: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None,
                output_attentions: bool = False) -> BertOutput:
        """``input_ids`` [B, T] -> MLM ``logits`` [B, T, vocab] and ``nsp_logits`` [B, 2].

        ``labels`` [B, T]: original ids at masked positions, -100 elsewhere (MLM loss).
        ``next_sentence_label`` [B]: 0 = B follows A, 1 = B is random (NSP loss).
        """
        out = self.encoder(input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                           position_ids=position_ids, output_attentions=output_attentions)
        out.logits = self.mlm_decoder(self.mlm_transform(out.hidden_states))  # [B, T, vocab]
        out.nsp_logits = self.nsp_head(out.pooler_output)                      # [B, 2]
        if labels is not None:
            out.mlm_loss = token_cross_entropy(out.logits, labels)
        if next_sentence_label is not None:
            out.nsp_loss = nsp_loss(out.nsp_logits, next_sentence_label)
        losses = [x for x in (out.mlm_loss, out.nsp_loss) if x is not None]
        out.loss = sum(losses) if losses else None  # L = L_MLM + L_NSP
        return out


def nsp_loss(nsp_logits: torch.Tensor, next_sentence_label: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the IsNext (0) / NotNext (1) labels; ``nsp_logits`` [B, 2]."""
    check_tensor(next_sentence_label, "next_sentence_label", ndim=1, integer=True)
    if next_sentence_label.shape[0] != nsp_logits.shape[0]:
        raise ValueError(f"next_sentence_label must have one label per sequence "
                         f"({nsp_logits.shape[0]}), got shape {tuple(next_sentence_label.shape)}")
    if int(next_sentence_label.min()) < 0 or int(next_sentence_label.max()) >= N_NSP_CLASSES:
        raise ValueError("next_sentence_label must hold 0 (IsNext) or 1 (NotNext), got values in "
                         f"[{int(next_sentence_label.min())}, {int(next_sentence_label.max())}]")
    return F.cross_entropy(nsp_logits.float(), next_sentence_label)


@torch.no_grad()
def pretraining_metrics(model: Bert, batches) -> dict[str, float]:
    """MLM and NSP loss and accuracy of ``model`` over ``batches`` (dropout off).

    ``mlm_accuracy`` is the share of masked positions whose top-1 prediction is the
    original token; ``nsp_accuracy`` the share of pairs classified right.
    """
    totals = dict.fromkeys(("mlm_loss", "nsp_loss", "mlm_correct", "mlm_n", "nsp_correct", "nsp_n"), 0.0)
    with evaluating(model):
        for batch in batches:
            out = model(**batch)
            chosen = batch["labels"] != -100
            n_chosen = int(chosen.sum())
            totals["mlm_loss"] += float(out.mlm_loss) * n_chosen  # 0 for a batch with nothing masked
            totals["mlm_correct"] += int((out.logits.argmax(-1) == batch["labels"])[chosen].sum())
            totals["mlm_n"] += n_chosen
            n_pairs = len(batch["next_sentence_label"])
            totals["nsp_loss"] += float(out.nsp_loss) * n_pairs
            totals["nsp_correct"] += int((out.nsp_logits.argmax(-1) == batch["next_sentence_label"]).sum())
            totals["nsp_n"] += n_pairs
    if not totals["nsp_n"]:
        raise ValueError("batches is empty")
    return {"mlm_loss": totals["mlm_loss"] / max(1, totals["mlm_n"]),
            "mlm_accuracy": totals["mlm_correct"] / max(1, totals["mlm_n"]),
            "nsp_loss": totals["nsp_loss"] / totals["nsp_n"],
            "nsp_accuracy": totals["nsp_correct"] / totals["nsp_n"]}
