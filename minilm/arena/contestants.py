"""The arena's models at one size, their cost, and one way to read each of them.

Equal size: every contestant gets the same number of **non-embedding** parameters (the
token and position tables are excluded, as in Kaplan et al., 2020). A decoder-only model
or an encoder has ``n_layers`` blocks; an encoder-decoder splits them (``n_layers / 2``
encoder + ``n_layers / 2`` decoder blocks), and since each decoder block also carries a
cross-attention, its MLP width ``d_ff`` is lowered until the counts match
(``matched_d_ff``).

Cost: the FLOPs of a training step are estimated as ``6 N D + 6 d L_q L_k`` (Kaplan et al.,
2020, Sec. 2.1): N non-embedding parameters, D tokens that pass through them (encoder
plus decoder tokens for an encoder-decoder), and the attention scores, every query
against every key of its row in each layer (masked pairs are counted too: a dense kernel
computes them). The LM head (d x vocab per predicted token) is left out, as there.

Reading a model: ``Reader`` gives every metric the same few questions to ask, whatever
the architecture: "logits of the next token of a blank between ``left`` and ``right``",
"log-probabilities of this span in that blank", "one vector for this text".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from minilm.arena.objectives import pad_rows
from minilm.constants import IGNORE_INDEX
from minilm.device import model_device
from minilm.masks import prefix_lm_mask
from minilm.models import (
    GLM,
    GPT,
    Bart,
    BartConfig,
    EncoderConfig,
    EncoderLM,
    GLMConfig,
    GPTConfig,
    Seq2Seq,
    Seq2SeqConfig,
    count_parameters,
)
from minilm.objectives.blank_infilling import glm_collate, part_b_inputs


@dataclass(frozen=True)
class Sizes:
    """One size for every contestant (the defaults train a cell in seconds on one core)."""

    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2    # decoder-only / encoder / GLM; an encoder-decoder gets n/2 + n/2
    max_len: int = 128   # Part A + Part B of the longest story fits


def non_embedding_parameters(model: nn.Module) -> int:
    """Trainable parameters outside the token / position embedding tables (tied ones once)."""
    tables = {id(m.weight): m.weight.numel() for m in model.modules() if isinstance(m, nn.Embedding)}
    return count_parameters(model) - sum(tables.values())


def _config(kind: str, vocab_size: int, sizes: Sizes, d_ff: int | None = None):
    common = {"vocab_size": vocab_size, "max_len": sizes.max_len, "d_model": sizes.d_model,
              "n_heads": sizes.n_heads, "n_layers": sizes.n_layers}
    if kind == "decoder":
        return GPTConfig(**common)
    if kind in ("encoder", "prefix_lm"):
        return EncoderConfig(**common)
    if kind == "glm":
        return GLMConfig(**common)
    if sizes.n_layers % 2:
        raise ValueError(f"n_layers must be even to split an encoder-decoder, got {sizes.n_layers}")
    # Pre-LN in both encoder-decoders, as in every other contestant: only the objective differs.
    split = {**common, "n_layers": sizes.n_layers // 2, "d_ff": d_ff, "norm_first": True}
    return BartConfig(**split) if kind == "bart" else Seq2SeqConfig(**split)


_CLASSES = {"decoder": GPT, "encoder": EncoderLM, "prefix_lm": EncoderLM, "glm": GLM, "bart": Bart,
            "t5": Seq2Seq}


def matched_d_ff(kind: str, vocab_size: int, sizes: Sizes) -> int:
    """The encoder-decoder MLP width whose non-embedding count is closest to the decoder's.

    The count is linear in d_ff, so two probe widths give the line to solve.
    """
    target = non_embedding_parameters(GPT(_config("decoder", vocab_size, sizes)))
    d = sizes.d_model
    n1, n2 = (non_embedding_parameters(_CLASSES[kind](_config(kind, vocab_size, sizes, f)))
              for f in (d, 2 * d))
    return max(1, round(d + (target - n1) * d / (n2 - n1)))


def build_model(kind: str, vocab_size: int, sizes: Sizes = Sizes()) -> nn.Module:
    """A fresh model of ``kind`` (a key of ``minilm.arena.objectives.MODELS``) at ``sizes``."""
    if kind not in _CLASSES:
        raise ValueError(f"kind must be one of {sorted(_CLASSES)}, got {kind!r}")
    d_ff = matched_d_ff(kind, vocab_size, sizes) if kind in ("bart", "t5") else None
    return _CLASSES[kind](_config(kind, vocab_size, sizes, d_ff))


def batch_cost(batch: dict, kind: str, sizes: Sizes, n_params: int, pad_id: int) -> dict[str, int]:
    """Tokens through the model and the estimated training FLOPs of one batch (module doc)."""
    per_stack = sizes.n_layers // 2 if kind in ("bart", "t5") else sizes.n_layers
    src = (batch["input_ids"] != pad_id).sum(1)
    if kind in ("bart", "t5"):
        tgt = (batch["labels"] != IGNORE_INDEX).sum(1)
        tokens = int(src.sum() + tgt.sum())
        # encoder self-attention S x S, decoder self T x T and cross T x S
        pairs = per_stack * int((src * src + tgt * tgt + tgt * src).sum())
    else:
        tokens = int(src.sum())
        pairs = per_stack * int((src * src).sum())
    return {"tokens": tokens, "flops": 6 * n_params * tokens + 6 * sizes.d_model * pairs}


# ------------------------------------------------------------------------- readers
class Reader:
    """Asks a pretrained model the questions the metrics need, in token ids.

    Every probe is a blank between ``left`` (starts with <s>) and ``right`` (ends with
    <e>; may be just [<e>]). ``written`` is what has been filled in so far.
    ``can_score`` is False when the model defines no probability of a span (the MLM).
    """

    can_score = True
    stop_ids: tuple[int, ...] = ()

    def __init__(self, model: nn.Module, tokenizer):
        self.model, self.tok = model, tokenizer
        self.pad = tokenizer.pad_token_id

    def tensor(self, data) -> torch.Tensor:
        """``data`` as a tensor on the model's device (where the model can read it)."""
        return torch.tensor(data, device=model_device(self.model))

    def padded(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows padded to one length, and their padding mask, on the model's device."""
        return pad_rows([self.tensor(r) for r in rows], self.pad)

    def next_logits(self, left: list[int], right: list[int], written: list[int],
                    remaining: int = 1) -> torch.Tensor:
        """Logits [V] of the blank's next token. ``remaining`` (tokens still to write, this
        one included) is used only by a model that must be told the blank's length."""
        raise NotImplementedError

    def span_logprobs(self, left: list[int], right: list[int], span: list[int]) -> torch.Tensor:
        """log p(span_j | left, right, span_<j) for every j: [len(span)]."""
        raise NotImplementedError(f"{type(self).__name__} cannot score a span")

    def features(self, rows: list[list[int]]) -> torch.Tensor:
        """One vector per text (``rows`` are ``<s> text <e>``): [B, d], with gradients."""
        raise NotImplementedError


def _gather(logits: torch.Tensor, span: list[int]) -> torch.Tensor:
    rows = torch.arange(len(span), device=logits.device)
    return logits.log_softmax(-1)[rows, torch.tensor(span, device=logits.device)]


def _last(hidden: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``hidden[b, index[b]]`` for every row b: one state per text."""
    return hidden[torch.arange(len(hidden), device=hidden.device), index]


class CausalReader(Reader):
    """GPT (``prefix=False``) or the prefix LM: reads left to right after its prefix.

    Neither sees ``right``: a blank is continued from the left context only. The prefix LM
    reads ``left`` bidirectionally (its prefix), GPT causally.
    """

    def __init__(self, model, tokenizer, *, prefix: bool):
        super().__init__(model, tokenizer)
        self.prefix = prefix
        self.stop_ids = (tokenizer.eos_token_id,)

    def _logits(self, ids: list[int], prefix_len: int) -> torch.Tensor:
        x = self.tensor([ids])
        if self.prefix:
            mask = prefix_lm_mask(len(ids), prefix_len, device=x.device)
            return self.model(x, attention_matrix=mask).logits[0]
        return self.model(x).logits[0]

    def next_logits(self, left, right, written, remaining=1):
        return self._logits(left + written, len(left))[-1]

    def span_logprobs(self, left, right, span):
        logits = self._logits(left + span, len(left))
        return _gather(logits[len(left) - 1: len(left) - 1 + len(span)], span)

    def features(self, rows):
        input_ids, attention_mask = self.padded(rows)
        hidden = self.model(input_ids, attention_mask=attention_mask).hidden_states
        if self.prefix:  # the whole text is the prefix: read it like an encoder
            return _mean(hidden, attention_mask)
        last = attention_mask.sum(1) - 1  # GPT reads the last real token (<e>), GPT-3
        return _last(hidden, last)


def _mean(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1)


class MaskedReader(Reader):
    """The MLM: a blank of known length is a row of [MASK]s, filled one at a time from
    the left; it defines no probability of a span, so it cannot score one."""

    can_score = False

    def next_logits(self, left, right, written, remaining=1):
        masks = [self.tok.mask_token_id] * max(1, remaining)
        logits = self.model(self.tensor([left + written + masks + right])).logits[0]
        return logits[len(left) + len(written)]

    def features(self, rows):
        input_ids, attention_mask = self.padded(rows)
        return _mean(self.model(input_ids, attention_mask=attention_mask).hidden_states, attention_mask)


class Seq2SeqReader(Reader):
    """BART (blank = [MASK], the decoder rewrites the whole text) or T5 (blank = sentinel 0,
    the decoder writes only the span after it, then sentinel 1)."""

    def __init__(self, model, tokenizer, *, sentinel: bool):
        super().__init__(model, tokenizer)
        self.sentinel = sentinel
        self.blank = tokenizer.token_to_id("<extra_id_0>") if sentinel else tokenizer.mask_token_id
        next_sentinel = (tokenizer.token_to_id("<extra_id_1>"),) if sentinel else ()
        self.stop_ids = (tokenizer.eos_token_id, *next_sentinel)

    def _run(self, left, right, written) -> torch.Tensor:
        source = left[1:] + [self.blank] + right  # training sources carry no <s>
        start = [self.tok.bos_token_id, self.blank] if self.sentinel else left  # left starts with <s>
        out = self.model(self.tensor([source]), decoder_input_ids=self.tensor([start + written]))
        return out.logits[0], len(start)

    def next_logits(self, left, right, written, remaining=1):
        return self._run(left, right, written)[0][-1]

    def span_logprobs(self, left, right, span):
        logits, start = self._run(left, right, span)
        return _gather(logits[start - 1: start - 1 + len(span)], span)

    def features(self, rows):
        # BART-3: the same text in encoder and decoder, the last decoder state (at <e>).
        input_ids, attention_mask = self.padded([r[1:] for r in rows])
        decoder_ids, decoder_mask = self.padded(rows)
        hidden = self.model(input_ids, attention_mask=attention_mask, decoder_input_ids=decoder_ids,
                            decoder_attention_mask=decoder_mask).hidden_states
        return _last(hidden, decoder_mask.sum(1) - 1)


class GLMReader(Reader):
    """GLM: Part A = left [MASK] right, Part B = [S] + what is written, at the blank's
    position (2D positions, ``part_b_inputs``)."""

    def __init__(self, model, tokenizer):
        super().__init__(model, tokenizer)
        self.stop_ids = (tokenizer.span_end_token_id,)

    def _sample(self, left, right, written) -> dict:
        part_a = left + [self.tok.mask_token_id] + right
        n = len(part_a)
        inputs, pos1, pos2 = part_b_inputs([len(left)], [written], self.tok.span_start_token_id)
        return {"input_ids": self.tensor(part_a + inputs),
                "position_ids": self.tensor([list(range(n)) + pos1, [0] * n + pos2]),
                "labels": torch.full((n + len(inputs),), IGNORE_INDEX, device=model_device(self.model)),
                "sep": n}

    def _logits(self, left, right, written) -> tuple[torch.Tensor, int]:
        s = self._sample(left, right, written)
        out = self.model(s["input_ids"][None], s["position_ids"][None], s["sep"])
        return out.logits[0], s["sep"]

    def next_logits(self, left, right, written, remaining=1):
        return self._logits(left, right, written)[0][-1]

    def span_logprobs(self, left, right, span):
        logits, sep = self._logits(left, right, span)
        return _gather(logits[sep: sep + len(span)], span)

    def features(self, rows):
        # The state at [S] of a blank after the text: where GLM starts to write (and
        # where its cloze classifier reads the label word).
        batch = glm_collate([self._sample(r[:-1], r[-1:], []) for r in rows], self.pad)
        hidden = self.model(batch["input_ids"], batch["position_ids"], batch["sep"],
                            attention_mask=batch["attention_mask"]).hidden_states
        return _last(hidden, batch["sep"])


def reader_for(kind: str, model: nn.Module, tokenizer) -> Reader:
    """The ``Reader`` that fits a model of ``kind``."""
    if kind in ("decoder", "prefix_lm"):
        return CausalReader(model, tokenizer, prefix=kind == "prefix_lm")
    if kind == "encoder":
        return MaskedReader(model, tokenizer)
    if kind in ("bart", "t5"):
        return Seq2SeqReader(model, tokenizer, sentinel=kind == "t5")
    if kind == "glm":
        return GLMReader(model, tokenizer)
    raise ValueError(f"kind must be one of {sorted(_CLASSES)}, got {kind!r}")
