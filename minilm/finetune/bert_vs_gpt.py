"""BERT vs GPT vs ELMo, measured: who sees which context when filling in one blank.

Devlin et al. (2019, Sec. 3 and Figure 3) contrast three ways to pretrain context:

* **GPT** - a left-to-right Transformer: position t sees tokens < t only (``causal_mask``);
* **ELMo** - two *separate* LMs, one left-to-right and one right-to-left, whose features
  are concatenated: each side sees one direction, they meet only at the very end
  ("shallow" bidirectionality);
* **BERT** - one Transformer in which every layer sees both sides (``bidirectional_mask``),
  trained with MLM so that a token cannot simply see itself ("deep" bidirectionality).

The contrast made measurable: hide one token of a held-out ``[CLS] A [SEP] B [SEP]`` and
ask each model for it. BERT reads the whole row with [MASK] at the blank; the
left-to-right GPT predicts it from the tokens before it; the right-to-left one from the
tokens after it (trained on reversed rows); the ELMo-style guess adds the two
directions' log-probabilities - both sides, but combined only at the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from minilm.device import model_device, move_to
from minilm.modes import evaluating
from minilm.objectives.clm import clm_labels
from minilm.objectives.directions import reverse_tokens


def causal_lm_batch(batch: dict, *, reverse: bool = False) -> dict[str, torch.Tensor]:
    """A GPT batch (next-token labels) from a clean packed batch; ``reverse`` for right-to-left
    (each row's real tokens reversed, padding kept on the right: ``reverse_tokens``)."""
    ids, mask = batch["input_ids"], batch["attention_mask"]
    if reverse:
        ids = reverse_tokens(ids, mask)
    return {"input_ids": ids, "attention_mask": mask, "labels": clm_labels(ids, mask)}


NAMES = {"bert": "BERT (both sides, every layer)", "ltr": "GPT (left context)",
         "rtl": "right-to-left LM (right context)", "elmo": "ELMo-style (both LMs, joined at the output)"}


@dataclass
class BlankFilling:
    """What ``fill_one_blank`` measured: one entry per blank."""

    correct: dict[str, torch.Tensor]  # model name -> bool [N]: top-1 guess right?
    position: torch.Tensor            # float [N]: where the blank is, 0 = first word, 1 = last

    @property
    def accuracy(self) -> dict[str, float]:
        return {name: float(c.float().mean()) for name, c in self.correct.items()}

    def by_position(self, n_bins: int = 5) -> dict[str, list[float]]:
        """Accuracy per bin of relative position (how much context lies left vs right)."""
        bins = (self.position * n_bins).long().clamp(max=n_bins - 1)
        return {name: [float(c[bins == b].float().mean()) if (bins == b).any() else float("nan")
                       for b in range(n_bins)] for name, c in self.correct.items()}


@torch.no_grad()
def fill_one_blank(bert, left_to_right, right_to_left, batches: Iterable[dict], *, mask_id: int,
                   special_ids: Iterable[int], chunk: int = 512) -> BlankFilling:
    """Top-1 guesses of each kind of context at every real, non-special position.

    ``batches`` are clean packed batches (``input_ids``, ``token_type_ids``,
    ``attention_mask``). BERT gets one copy of the row per blank, with [MASK] there; the
    two LMs read the clean row in their direction. The ELMo-style guess adds the two LMs'
    log-probabilities. The batches are moved to BERT's device (the three models share one);
    the result lies on the CPU.
    """
    device = model_device(bert)
    special = torch.tensor(sorted(set(special_ids)), device=device)
    correct = {name: [] for name in NAMES.values()}
    positions = []
    with evaluating(bert, left_to_right, right_to_left):
        for batch in batches:
            batch = move_to(batch, device)
            ids, types, mask = batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]
            blanks = mask.bool() & ~torch.isin(ids, special)  # [B, T]
            rows, cols = blanks.nonzero(as_tuple=True)        # one entry per blank
            targets = ids[rows, cols]
            lengths = mask.long().sum(dim=1)
            words = (lengths[rows] - 3).clamp(min=1)  # real tokens between [CLS] and the last [SEP]
            positions.append(((cols - 1).float() / words).cpu())
            # Left-to-right: the prediction at t - 1 is the guess for token t (t >= 1: [CLS] is first).
            ltr = left_to_right(ids, attention_mask=mask).logits.log_softmax(-1)[rows, cols - 1]
            # Right-to-left: token t sits at L - 1 - t in the reversed row; its guess comes one earlier.
            rtl = right_to_left(reverse_tokens(ids, mask), attention_mask=mask).logits.log_softmax(-1)
            rtl = rtl[rows, lengths[rows] - 2 - cols]
            # BERT: one copy of the row per blank, [MASK] at the blank.
            bert_lp = []
            for lo in range(0, len(rows), chunk):
                r, c = rows[lo: lo + chunk], cols[lo: lo + chunk]
                masked = ids[r].clone()
                masked[torch.arange(len(r), device=device), c] = mask_id
                logits = bert(masked, token_type_ids=types[r], attention_mask=mask[r]).logits
                bert_lp.append(logits[torch.arange(len(r), device=device), c])
            guesses = {"bert": torch.cat(bert_lp), "ltr": ltr, "rtl": rtl, "elmo": ltr + rtl}
            for key, scores in guesses.items():
                correct[NAMES[key]].append((scores.argmax(-1) == targets).cpu())
    if not positions or not sum(len(p) for p in positions):
        raise ValueError("batches hold no blanks to fill (no real, non-special tokens)")
    return BlankFilling({name: torch.cat(c) for name, c in correct.items()},
                        torch.cat(positions).clamp(0, 1))
