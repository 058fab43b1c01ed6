"""Pictures of BERT's inputs (Devlin et al., 2019, Figure 2) and of one masked batch.

* ``plot_bert_input`` draws the three embeddings that are summed for every position:
  the token, its segment (A or B, coloured) and its position number.
* ``plot_mlm_batch`` draws a batch after 80/10/10 masking, one row per sequence, each
  cell coloured by what happened to its token: not chosen, [MASK], random, kept.

Both are pure functions that validate their input and return a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from minilm.checks import check_tensor
from minilm.viz.plots import ACCENT, BLOCKED, MAY

SEGMENT_COLOURS = ("#cfe0f3", "#fde2c4")  # sentence A (blue), sentence B (orange)
MLM_COLOURS = {"not chosen": "#ffffff", "[MASK] (80 %)": MAY, "random (10 %)": ACCENT,
               "kept (10 %)": "#3a9d5d"}


def _box(ax, x, y, text, *, colour, width=0.92, height=0.8, text_colour="black", size=9):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=colour, edgecolor="#7a8591", linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=text_colour)


def plot_bert_input(tokens: Sequence[str], token_type_ids: Sequence[int] | torch.Tensor, *,
                    title: str | None = None):
    """BERT's input representation: token + segment + position embedding, per position.

    ``tokens`` are the strings of ``[CLS] A [SEP] B [SEP]``; ``token_type_ids`` their
    segments (0 = A, 1 = B). Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(tokens, str) or not isinstance(tokens, Sequence) or not tokens:
        raise TypeError("tokens must be a non-empty list of token strings")
    if isinstance(token_type_ids, torch.Tensor):
        check_tensor(token_type_ids, "token_type_ids", ndim=1, integer=True)
        token_type_ids = token_type_ids.tolist()
    segments = list(token_type_ids)
    if len(segments) != len(tokens):
        raise ValueError(f"token_type_ids has {len(segments)} entries but tokens has {len(tokens)}")
    if any(s not in (0, 1) for s in segments):
        raise ValueError("token_type_ids must hold 0 (sentence A) or 1 (sentence B)")

    T = len(tokens)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * T + 1.8), 3.3), layout="constrained")
    rows = [("input", 4), ("token\nembeddings", 3), ("segment\nembeddings", 2), ("position\nembeddings", 1)]
    for t, (token, segment) in enumerate(zip(tokens, segments, strict=True)):
        colour = SEGMENT_COLOURS[segment]
        _box(ax, t, 4, token, colour=colour, size=10)
        _box(ax, t, 3, f"E$_{{{_tex(token)}}}$", colour="#f4f5f7", size=8)
        _box(ax, t, 2, "E$_A$" if segment == 0 else "E$_B$", colour=colour)
        _box(ax, t, 1, f"E$_{{{t}}}$", colour=BLOCKED)
        for y in (2.5, 1.5):
            ax.text(t, y, "+", ha="center", va="center", fontsize=11, color="#444")
    for name, y in rows:
        ax.text(-0.75, y, name, ha="right", va="center", fontsize=9)
    ax.set_xlim(-2.6, T - 0.4)
    ax.set_ylim(0.4, 4.6)
    ax.axis("off")
    ax.set_title(title or "BERT input = token + segment + position embeddings", fontweight="bold")
    return fig


def _tex(token: str) -> str:
    """A token as a matplotlib mathtext subscript ([CLS] -> CLS, 'anna' stays)."""
    plain = token.strip("[]<>") or token
    return "".join(c if c.isalnum() else "\\" + c if c in "$_{}%#&" else c for c in plain) or "?"


def plot_mlm_batch(input_ids: torch.Tensor, inputs: torch.Tensor, labels: torch.Tensor, tokenizer, *,
                   max_rows: int = 8, title: str | None = None):
    """A masked batch: the input tokens as the model sees them, coloured by what masking did.

    ``input_ids`` are the clean ids [B, T], ``inputs`` and ``labels`` what
    ``minilm.objectives.mlm.mask_tokens`` returned. A replaced cell shows the original
    underneath ("was ..."). Padding is left blank. Returns the Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    for name, x in (("input_ids", input_ids), ("inputs", inputs), ("labels", labels)):
        check_tensor(x, name, ndim=2, integer=True)
        if x.shape != input_ids.shape:
            raise ValueError(f"{name} must have the shape of input_ids {tuple(input_ids.shape)}, "
                             f"got {tuple(x.shape)}")
    rows = min(max_rows, input_ids.shape[0])
    pad = tokenizer.pad_token_id
    width = int((input_ids[:rows] != pad).sum(dim=1).max())
    fig, ax = plt.subplots(figsize=(max(6.0, 0.95 * width + 0.6), 0.62 * rows + 1.2), layout="constrained")
    for r in range(rows):
        for t in range(width):
            clean, seen = int(input_ids[r, t]), int(inputs[r, t])
            if clean == pad:
                continue
            chosen = int(labels[r, t]) != -100
            kind = ("not chosen" if not chosen else "[MASK] (80 %)" if seen == tokenizer.mask_token_id
                    else "kept (10 %)" if seen == clean else "random (10 %)")
            colour = MLM_COLOURS[kind]
            text = tokenizer.convert_ids_to_tokens(seen)
            if chosen and seen != clean:
                text += f"\nwas {tokenizer.convert_ids_to_tokens(clean)}"
            dark = kind in ("[MASK] (80 %)", "kept (10 %)", "random (10 %)")
            _box(ax, t, rows - 1 - r, text, colour=colour, text_colour="white" if dark else "black",
                 size=7 if "\n" in text else 8, height=0.86)
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.axis("off")
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#7a8591", label=k) for k, c in MLM_COLOURS.items()],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False, fontsize="small")
    ax.set_title(title or "one masked batch: what the model sees", fontweight="bold")
    return fig
