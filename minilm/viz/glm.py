"""GLM's Fig. 2 for any sample: the token rows, both position rows and the Part A/B mask.

Du et al. (2022), Fig. 2, draws one training example of autoregressive blank infilling:
the text with its spans, the input ``[Part A ; Part B]`` with the targets above it,
"Position 1" (where a token sits in Part A; a span's tokens take their [MASK]'s) and
"Position 2" (where it sits inside its span; 0 in Part A), and the self-attention mask.
``plot_glm_sample`` draws exactly that from a ``minilm.objectives.blank_infilling.glm_sample``
dict, so the picture is the package's data, not a drawing of it:

    sample = glm_sample(ids, [(2, 3), (4, 6)], mask_id=..., start_id=..., end_id=..., order=[1, 0])
    plot_glm_sample(sample, tokens, text_tokens=["x1", ..., "x6"])

Each span has one colour, in the text, on its [MASK], on its Part B tokens and on the
mask's labels. Pure function: it validates its input and returns the Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from minilm.masks import glm_mask
from minilm.viz.plots import BOUNDARY, check_labels, plot_mask

PART_A = "#dfe6ee"   # a Part A token that is kept text
SPAN_COLOURS = ("#7cc47f", "#f2c14e", "#8fb3f0", "#f08f8f", "#c39be0", "#7fd1d1", "#e0b07f")
ROWS = ("target", "input", "Position 1", "Position 2")


def span_colour(k: int) -> str:
    """The colour of the k-th span (in reading order of the text)."""
    return SPAN_COLOURS[k % len(SPAN_COLOURS)]


def check_glm_sample(sample) -> tuple[list[int], list[int], int]:
    """``(position 1, position 2, sep)`` of a ``glm_sample`` dict, or a clear error."""
    if not isinstance(sample, Mapping):
        raise TypeError(f"sample must be a dict from glm_sample, got {type(sample).__name__}")
    missing = {"input_ids", "position_ids", "sep"} - set(sample)
    if missing:
        raise ValueError(f"sample lacks {sorted(missing)}; build it with "
                         "minilm.objectives.blank_infilling.glm_sample")
    ids, positions = sample["input_ids"], sample["position_ids"]
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1:
        raise ValueError("sample['input_ids'] must be a 1-D tensor [T]; for a batch pick one row")
    T = len(ids)
    if not isinstance(positions, torch.Tensor) or tuple(positions.shape) != (2, T):
        raise ValueError(f"sample['position_ids'] must have shape [2, T] = [2, {T}], got "
                         f"{tuple(getattr(positions, 'shape', ()))}")
    sep = int(sample["sep"])
    if not 0 < sep <= T:
        raise ValueError(f"sample['sep'] must be the length of Part A, in [1, {T}], got {sep}")
    return positions[0].tolist(), positions[1].tolist(), sep


def glm_targets(tokens: Sequence[str], position_2: Sequence[int], sep: int) -> list[str]:
    """What each Part B input predicts: the next token of its span, or [E] after the last.

    Read from the layout alone: input i's target is input i + 1 when that one continues
    the same span (its position 2 is > 1), else [E]. Part A predicts nothing ("").
    """
    T = len(tokens)
    return ["" if i < sep else (tokens[i + 1] if i + 1 < T and position_2[i + 1] > 1 else "[E]")
            for i in range(T)]


def _cell(ax, x: float, y: float, text: str, colour: str, *, bold: bool = False) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - 0.44, y - 0.34), 0.88, 0.68,
                                boxstyle="round,pad=0.02,rounding_size=0.12", facecolor=colour,
                                edgecolor="#5b6470" if colour != "none" else "none", linewidth=0.8))
    size = 9 if len(text) <= 4 else 7.5
    ax.text(x, y, text, ha="center", va="center", fontsize=size, fontweight="bold" if bold else "normal")


def plot_glm_sample(sample: Mapping, tokens: Sequence[str], *, text_tokens: Sequence[str] | None = None,
                    paper_numbering: bool = False, title: str | None = None):
    """Draw one GLM example as the paper's Fig. 2 (b)-(d), and (a) when ``text_tokens`` is given.

    ``sample``: a dict from ``glm_sample`` (``input_ids`` [T], ``position_ids`` [2, T],
    ``sep``; ``spans`` when ``text_tokens`` is given). ``tokens``: the T input tokens as
    strings (``tokenizer.convert_ids_to_tokens(sample["input_ids"])``). ``text_tokens``:
    the original text x, drawn on top with its spans coloured. ``paper_numbering=True``
    counts Position 1 from 1 as the paper does (minilm counts from 0: it indexes a table).
    Returns the Figure: the rows on the left, the attention mask on the right.
    """
    import matplotlib.pyplot as plt

    position_1, position_2, sep = check_glm_sample(sample)
    T = len(position_1)
    tokens = check_labels(tokens, T, "tokens", "inputs (sample['input_ids'])")
    # One colour per span, numbered in the order of their [MASK]s in Part A.
    mask_slots = sorted(set(position_1[sep:]))
    colour_of = {p: span_colour(k) for k, p in enumerate(mask_slots)}
    colours = [colour_of.get(position_1[i], PART_A) if i >= sep or i in colour_of else PART_A
               for i in range(T)]
    targets = glm_targets(tokens, position_2, sep)
    shown_1 = [p + 1 for p in position_1] if paper_numbering else position_1

    rows = list(ROWS)
    if text_tokens is not None:
        if "spans" not in sample:
            raise ValueError("text_tokens needs sample['spans'] (glm_sample returns them)")
        n_text = sep - len(sample["spans"]) + sum(e - s for s, e in sample["spans"])
        text_tokens = check_labels(text_tokens, n_text, "text_tokens", "tokens in the text x")
        rows = ["text x", ""] + rows
    width = max(T, len(text_tokens or ())) + 2.2
    fig = plt.figure(figsize=(0.62 * width + 0.42 * T + 2.2, max(3.4, 0.42 * T + 1.6)), layout="constrained")
    grid = fig.add_gridspec(1, 2, width_ratios=[0.62 * width, 0.42 * T + 1.2])
    ax, mask_ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])

    y_of = {name: -r for r, name in enumerate(rows)}
    for name in rows:
        if name:
            ax.text(-0.7, y_of[name], name, ha="right", va="center", fontsize=9, fontweight="bold")
    if text_tokens is not None:
        span_of = {}
        for k, (start, end) in enumerate(sorted(sample["spans"])):
            for j in range(start, end):
                span_of[j] = k
        for j, tok in enumerate(text_tokens):
            _cell(ax, j, y_of["text x"], tok, span_colour(span_of[j]) if j in span_of else PART_A)
    for i in range(T):
        bold = tokens[i] in ("[MASK]", "[S]")
        _cell(ax, i, y_of["input"], tokens[i], colours[i], bold=bold)
        _cell(ax, i, y_of["Position 1"], str(shown_1[i]), "none")
        _cell(ax, i, y_of["Position 2"], str(position_2[i]), "none")
        if targets[i]:
            _cell(ax, i, y_of["target"], targets[i], colours[i], bold=targets[i] == "[E]")
            ax.annotate("", xy=(i, y_of["target"] - 0.36), xytext=(i, y_of["input"] + 0.36),
                        arrowprops=dict(arrowstyle="->", color="#5b6470", lw=0.8))
    # Part A | Part B: a line between them, labels underneath.
    low, high = y_of["Position 2"] - 0.6, y_of["target"] + 0.5
    ax.plot([sep - 0.5, sep - 0.5], [low, high], color=BOUNDARY, linewidth=2)
    ax.text((sep - 1) / 2, low - 0.25, "Part A", ha="center", va="top", color=BOUNDARY, fontweight="bold")
    if sep < T:
        ax.text((sep + T - 1) / 2, low - 0.25, "Part B", ha="center", va="top", color=BOUNDARY,
                fontweight="bold")
    ax.set_xlim(-3.2, width - 2.2)
    ax.set_ylim(low - 0.9, 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("(a) text, (b) Part A / Part B, (c) inputs, targets and 2D positions"
                 if text_tokens is not None else "inputs, targets and 2D positions", fontsize=10)

    plot_mask(glm_mask(T, sep), tokens, ax=mask_ax, boundaries=sep, legend=False,
              title="(d) self-attention mask")
    for axis_labels in (mask_ax.get_xticklabels(), mask_ax.get_yticklabels()):
        for i, label in enumerate(axis_labels):
            label.set_backgroundcolor(colours[i])
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig
