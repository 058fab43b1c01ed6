"""Pictures of BART's five noising functions (Lewis et al., 2020, Fig. 2), one per function.

A row of token boxes for the original document on top, the noised document below, and
lines that say what happened: masked tokens (amber) point at their [MASK]; deleted tokens
are struck through in red and simply gone; each infilled span points at its ONE [MASK]
(a length-0 span is a green caret that *inserts* a [MASK]); permuted sentences and the two
parts of a rotated document keep their colour, so you can follow them.

``noising_picture`` computes that layout (pure data, easy to test); ``plot_noising`` draws
it with matplotlib, ``minilm.viz.noising_explorer.picture_to_svg`` as offline SVG (for the
widget). ``noise_with_info`` runs the package's noising function
and returns what it did, ready for the picture. ``plot_token_rows`` draws plain rows of
boxes (e.g. BART's and T5's inputs and targets side by side).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from minilm import lang
from minilm.objectives import denoising

KINDS = ("token_masking", "token_deletion", "text_infilling", "sentence_permutation", "document_rotation")
TITLES = {"token_masking": "Token masking", "token_deletion": "Token deletion",
          "text_infilling": "Text infilling", "sentence_permutation": "Sentence permutation",
          "document_rotation": "Document rotation"}
KEPT, EDGE, INK = "#eef1f4", "#9aa5b1", "#1f2933"
MASKED, MASK = "#fde7b0", "#f6ae2d"          # a masked original token, and the [MASK] itself
DELETED, INSERTED, LINK = "#f4a6a6", "#7cc6a4", "#7b8794"
GROUPS = ("#a8c5f0", "#f7c59f", "#b5e0b5", "#e3b5e8", "#f5e28c", "#9ed9d9", "#f0b3b3", "#c9c9f2")
START = "#e8710a"  # the token a rotated document now starts with


@dataclass
class Box:
    token: str
    fill: str = KEPT
    note: str = ""            # hover text: what happened to this token
    strike: bool = False      # deleted
    edge: str = EDGE


@dataclass
class Picture:
    """Rows of boxes plus links ``(row_a, pos_a, row_b, pos_b, colour)`` between them; a
    position is a box index, or ``k - 0.5`` for the gap before box k. ``markers`` are
    ``(row, pos, colour)`` carets in gaps (a length-0 span)."""

    title: str
    rows: list[tuple[str, list[Box]]]
    links: list[tuple[int, float, int, float, str]] = field(default_factory=list)
    markers: list[tuple[int, float, str]] = field(default_factory=list)
    caption: str = ""


# ------------------------------------------------------------------------- checks
def _tokens(tokens, name: str) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} must be a list of token strings, got {type(tokens).__name__}")
    return [str(t) for t in tokens]


def _positions(info, n: int) -> list[int]:
    if isinstance(info, torch.Tensor) and info.dtype == torch.bool:
        if info.shape != (n,):
            raise ValueError(f"info must be a bool mask of shape ({n},), got {tuple(info.shape)}")
        return info.nonzero().flatten().tolist()
    values = info.flatten().tolist() if isinstance(info, torch.Tensor) else list(info)
    if any(isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n for p in values):
        raise ValueError(f"info must hold token positions in [0, {n}), got {values}")
    return sorted(set(values))


def _spans(info, n: int) -> list[tuple[int, int]]:
    spans = [tuple(s) for s in info]
    previous = 0
    for s in spans:
        if len(s) != 2 or not previous <= s[0] <= s[1] <= n:
            raise ValueError(f"info must be sorted, non-overlapping (start, end) spans within [0, {n}], "
                             f"got {info}")
        previous = s[1]
    return spans


def _check_length(noised: list[str], expected: int, kind: str) -> None:
    if len(noised) != expected:
        raise ValueError(f"noised_tokens has {len(noised)} tokens but {kind} with this info gives "
                         f"{expected}: pass the output of the same call that produced info")


# ------------------------------------------------------------------------- layout
def noising_picture(original_tokens, noised_tokens, kind: str, info, *,
                    poisson_lambda: float = 3.0, language: str | None = None) -> Picture:
    """The picture of one noising step (see ``plot_noising`` for ``info``); ``poisson_lambda``
    is the mean span length text infilling drew with, named in the caption. Title, row
    labels and caption are in ``language`` (default: ``minilm.lang.language()``)."""
    top, bottom = _tokens(original_tokens, "original_tokens"), _tokens(noised_tokens, "noised_tokens")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    n = len(top)
    up = [Box(t, note="kept") for t in top]
    down = [Box(t, note="kept") for t in bottom]
    links, markers = [], []
    if kind in ("token_masking", "token_deletion"):
        chosen = _positions(info, n)
        if kind == "token_masking":
            _check_length(bottom, n, kind)
            for i in chosen:
                up[i] = Box(top[i], MASKED, "masked")
                down[i] = Box(bottom[i], MASK, f"[MASK] in place of “{top[i]}”")
                links.append((0, i, 1, i, MASK))
            caption = (f"{len(chosen)} of {n} tokens ({len(chosen) / max(n, 1):.0%}) replaced by [MASK]. The "
                       "length is unchanged, so the model knows where something is missing.")
            values = {"count": len(chosen), "n": n, "share": len(chosen) / max(n, 1)}
        else:
            _check_length(bottom, n - len(chosen), kind)
            kept = [i for i in range(n) if i not in set(chosen)]
            for i in chosen:
                up[i] = Box(top[i], DELETED, "deleted", strike=True)
            links = [(0, i, 1, j, LINK) for j, i in enumerate(kept)]
            caption = (f"{len(chosen)} of {n} tokens ({len(chosen) / max(n, 1):.0%}) deleted. Nothing "
                       "marks the gaps: the model must find where tokens are missing.")
            values = {"count": len(chosen), "n": n, "share": len(chosen) / max(n, 1)}
    elif kind == "text_infilling":
        spans = _spans(info, n)
        _check_length(bottom, n - sum(e - s for s, e in spans) + len(spans), kind)
        shift = 0  # shift: how much shorter the noised prefix is than the original one
        for k, (s, e) in enumerate(spans):
            j = s - shift  # where this span's [MASK] lands in the noised row
            if e > s:
                for i in range(s, e):
                    up[i] = Box(top[i], MASKED, f"span {k + 1}, length {e - s}")
                down[j] = Box(bottom[j], MASK, f"ONE [MASK] for {e - s} token{'s' * (e - s > 1)}")
                links.append((0, (s + e - 1) / 2, 1, j, MASK))
            else:
                down[j] = Box(bottom[j], INSERTED, "inserted [MASK]: a span of length 0")
                markers.append((0, s - 0.5, INSERTED))
                links.append((0, s - 0.5, 1, j, INSERTED))
            shift += (e - s) - 1
        lengths = [e - s for s, e in spans]
        covered = sum(lengths)
        caption = (f"{len(spans)} span{'s' * (len(spans) != 1)} of lengths {lengths} "
                   f"(Poisson, λ = {poisson_lambda:g}) "
                   f"cover {covered} of {n} tokens ({covered / max(n, 1):.0%}); each span became ONE [MASK], "
                   "so the model must also work out how many tokens are missing.")
        values = {"count": len(spans), "lengths": lengths, "poisson_lambda": poisson_lambda,
                  "covered": covered, "n": n, "share": covered / max(n, 1)}
    elif kind == "sentence_permutation":
        spans, order = (info["spans"], info["order"]) if isinstance(info, dict) else info
        spans = _spans(spans, n)
        if sorted(order) != list(range(len(spans))):
            raise ValueError(f"info's order must be a permutation of range({len(spans)}), got {order}")
        _check_length(bottom, n, kind)
        j = spans[0][0] if spans else 0
        for k, (s, e) in enumerate(spans):
            for i in range(s, e):
                up[i] = Box(top[i], GROUPS[k % len(GROUPS)], f"sentence {k + 1}")
        for rank, k in enumerate(order):
            s, e = spans[k]
            for i in range(e - s):
                down[j + i] = Box(bottom[j + i], GROUPS[k % len(GROUPS)], f"sentence {k + 1}, now {rank + 1}")
            links.append((0, (s + e - 1) / 2, 1, j + (e - s - 1) / 2, LINK))
            j += e - s
        caption = (f"{len(spans)} sentences (split after full stops) in the new order "
                   f"{[k + 1 for k in order]}.")
        values = {"count": len(spans), "order": [k + 1 for k in order]}
    else:  # document_rotation
        if isinstance(info, bool) or not isinstance(info, int) or not 0 <= info < max(n, 1):
            raise ValueError(f"info must be the start position, an int in [0, {n}), got {info!r}")
        _check_length(bottom, n, kind)
        start = info
        for i in range(n):
            first = i < start
            up[i] = Box(top[i], GROUPS[0] if first else GROUPS[1], "first part" if first else "second part")
        for j in range(n):
            i = (start + j) % n
            down[j] = Box(bottom[j], up[i].fill, up[i].note)
        up[start].edge = down[0].edge = START
        links = [(0, (start + n - 1) / 2, 1, (n - start - 1) / 2, LINK)]
        if start > 0:
            links.append((0, (start - 1) / 2, 1, n - start + (start - 1) / 2, LINK))
        caption = (f"Rotated to start at token {start} (“{top[start]}”), drawn uniformly; the model must "
                   "find where the document really begins.")
        values = {"start": start, "token": top[start]}
    title = lang.t(f"noising.title.{kind}", TITLES[kind], lang=language)
    caption = lang.t(f"noising.caption.{kind}", caption, lang=language, **values)
    rows = [(lang.t("noising.row.original", lang=language), up),
            (lang.t("noising.row.noised", lang=language), down)]
    return Picture(title, rows, links, markers, caption)


# ------------------------------------------------------------------------ geometry
_GAP, _PAD = 0.6, 1.6  # in character widths: between boxes, inside a box around its text
ROW_PITCH = 2.6  # row pitch in box heights


def box_positions(boxes: list[Box]) -> list[tuple[float, float]]:
    out, x = [], 0.0
    for b in boxes:
        w = max(len(b.token), 1) + _PAD
        out.append((x, w))
        x += w + _GAP
    return out


def x_at(xs: list[tuple[float, float]], pos: float) -> float:
    """x of box ``pos``'s centre (an integer) or of the gap before box ``ceil(pos)`` (a half)."""
    if not xs:
        return 0.0
    if float(pos).is_integer():
        x, w = xs[min(max(int(pos), 0), len(xs) - 1)]
        return x + w / 2
    k = math.ceil(pos)
    if k <= 0:
        return xs[0][0] - _GAP / 2
    if k >= len(xs):
        return xs[-1][0] + xs[-1][1] + _GAP / 2
    return xs[k][0] - _GAP / 2


def plot_noising(original_tokens, noised_tokens, kind: str, info, *, ax=None, title: str | None = None,
                 poisson_lambda: float = 3.0):
    """One noising step as a Figure: original on top, noised below, what happened in colour.

    ``info`` says what the noising function did (``noise_with_info`` returns it):
    token_masking / token_deletion: the chosen positions (list of ints or a bool mask);
    text_infilling: the spans ``[(start, end), ...]``; sentence_permutation:
    ``{"spans": sentence spans, "order": order}``; document_rotation: the start index.
    """
    picture = noising_picture(original_tokens, noised_tokens, kind, info, poisson_lambda=poisson_lambda,
                              language=lang.figure_lang())
    return draw_picture(picture, ax=ax, title=title)


def plot_token_rows(rows, *, title: str = "", caption: str = "", ax=None):
    """Rows of token boxes: ``rows`` is a list of ``(label, tokens)`` or ``(label, tokens,
    fills)`` with one colour per token (None = plain)."""
    boxes = []
    for row in rows:
        label, tokens, fills = (*row, None) if len(row) == 2 else row
        tokens = _tokens(tokens, f"tokens of row {label!r}")
        fills = fills or [None] * len(tokens)
        if len(fills) != len(tokens):
            raise ValueError(f"row {label!r} has {len(tokens)} tokens but {len(fills)} fills")
        boxes.append((str(label), [Box(t, f or KEPT) for t, f in zip(tokens, fills, strict=True)]))
    return draw_picture(Picture(title, boxes, caption=caption), ax=ax)


def draw_picture(picture: Picture, *, ax=None, title: str | None = None):
    """Render a ``Picture`` with matplotlib; returns the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    geometry = [box_positions(boxes) for _, boxes in picture.rows]
    width = max([xs[-1][0] + xs[-1][1] for xs in geometry if xs] + [10])
    label_w = max(len(label) for label, _ in picture.rows) + 2
    n_rows = len(picture.rows)
    inch = 0.085  # inches per character width at font size 9
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(22, (width + label_w) * inch + 0.4), 0.95 * n_rows + 0.9))
    fig = ax.figure
    for r, ((label, boxes), xs) in enumerate(zip(picture.rows, geometry, strict=True)):
        y = -r * ROW_PITCH
        ax.text(-1.0, y + 0.5, label, ha="right", va="center", fontsize=9, color="#52606d")
        for box, (x, w) in zip(boxes, xs, strict=True):
            ax.add_patch(FancyBboxPatch((x, y), w, 1, boxstyle="round,pad=0,rounding_size=0.25",
                                        facecolor=box.fill, edgecolor=box.edge,
                                        linewidth=2 if box.edge != EDGE else 0.8))
            ax.text(x + w / 2, y + 0.5, box.token, ha="center", va="center", fontsize=9, color=INK)
            if box.strike:
                ax.plot([x + 0.3, x + w - 0.3], [y + 0.5, y + 0.5], color="#b3261e", linewidth=1.4)
    for ra, pa, rb, pb, colour in picture.links:
        xa, xb = x_at(geometry[ra], pa), x_at(geometry[rb], pb)
        ax.add_patch(FancyArrowPatch((xa, -ra * ROW_PITCH - 0.05), (xb, -rb * ROW_PITCH + 1.05),
                                     arrowstyle="-|>", mutation_scale=8, color=colour, linewidth=1.1,
                                     alpha=0.9))
    for r, pos, colour in picture.markers:
        x = x_at(geometry[r], pos)
        ax.plot([x], [-r * ROW_PITCH + 1.25], marker="v", markersize=8, color=colour)  # above the gap
    bottom = -(n_rows - 1) * ROW_PITCH
    if picture.caption:
        ax.text(-label_w, bottom - 0.7, textwrap.fill(picture.caption, int((width + label_w) * 0.95)),
                ha="left", va="top", fontsize=8.5, color="#3e4c59")
    ax.set_xlim(-label_w, width + 0.5)
    ax.set_ylim(bottom - (1.9 if picture.caption else 0.4), 1.6)
    ax.set_axis_off()
    if title or picture.title:
        ax.set_title(title or picture.title, loc="left", fontsize=11, fontweight="bold")
    return fig


# ------------------------------------------------------------------------ noising
def noise_with_info(ids: torch.Tensor, kind: str, *, mask_id: int, full_stop_id: int, ratio: float = 0.3,
                    poisson_lambda: float = 3.0, special_ids=(),
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, object]:
    """Run ``minilm.objectives.denoising``'s ``kind`` on ``ids``; return ``(noised, info)``
    for ``plot_noising``. ``ratio`` is the share of tokens masked/deleted/infilled."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind in ("token_masking", "token_deletion"):
        # select_tokens is the choice both functions make: same generator state, same tokens.
        chosen = denoising.select_tokens(ids, ratio=ratio, special_ids=special_ids, generator=generator)
        noised = ids.masked_fill(chosen, mask_id) if kind == "token_masking" else ids[~chosen]
        return noised, chosen.nonzero().flatten().tolist()
    if kind == "text_infilling":
        return denoising.text_infilling_spans(ids, mask_id=mask_id, mask_ratio=ratio,
                                              poisson_lambda=poisson_lambda, special_ids=special_ids,
                                              generator=generator)
    if kind == "sentence_permutation":
        noised, order = denoising.sentence_permutation_order(ids, full_stop_id=full_stop_id,
                                                             special_ids=special_ids, generator=generator)
        spans = denoising.sentence_spans(ids, full_stop_id=full_stop_id, special_ids=special_ids)
        return noised, {"spans": spans, "order": order}
    return denoising.document_rotation_start(ids, special_ids=special_ids, generator=generator)
