"""Exports for slides and offline views: PNG/SVG files, PNG bytes, and a pure-SVG mask.

``mask_to_svg`` writes the mask picture as plain SVG text — no matplotlib, no JavaScript,
no CDN — so it renders inside an ipywidgets ``HTML`` widget, a static HTML page, GitHub
and a projector in a room without internet alike. Each cell is one ``<rect
class="cell">`` with ``data-q``/``data-k`` (query/key index) and a ``<title>`` that the
browser shows on hover ("cat → the: may attend").
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path

import torch

from minilm.constants import MAX_SVG_TOKENS
from minilm.viz.plots import (
    ACCENT,
    BLOCKED,
    BOUNDARY,
    MAY,
    check_mask_view,
)

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def figure_to_png(fig, *, dpi: int = 150) -> bytes:
    """The figure as PNG bytes (for an ``ipywidgets.Image`` or an HTML ``<img>``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(fig, path, *, dpi: int = 200) -> Path:
    """Save a figure for slides: ``.png``, ``.svg`` or ``.pdf`` (chosen by the suffix)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"path must end in .png, .svg or .pdf, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _text_width(label: str, size: float) -> float:
    return 0.62 * size * len(label)  # a sans-serif average; only used for margins


def mask_to_svg(mask: torch.Tensor, tokens: Sequence[str] | None = None, *,
                query_tokens: Sequence[str] | None = None, highlight_query: int | None = None,
                boundaries: int | Sequence[int] | None = None, title: str | None = None,
                cell: int = 26) -> str:
    """The mask ``[T, S]`` as a self-contained SVG string (same layout as ``plot_mask``).

    Rows are queries, columns keys; a cell is blue when the query may attend to the key,
    grey when it is blocked, orange for the keys ``highlight_query`` may attend to.
    At most ``minilm.constants.MAX_SVG_TOKENS`` (256) queries and keys: the string grows
    by about 170 bytes per cell.
    """
    mask, keys, queries, q, lines = check_mask_view(mask, tokens, query_tokens, highlight_query, boundaries)
    T, S = mask.shape
    if max(T, S) > MAX_SVG_TOKENS:  # one <rect> of ~170 bytes per cell: 2048 tokens would be ~700 MB
        raise ValueError(f"mask has shape [{T}, {S}]; an SVG picture shows at most {MAX_SVG_TOKENS} "
                         f"queries and keys (minilm.constants.MAX_SVG_TOKENS): draw a slice such as "
                         f"mask[:64, :64], or use plot_mask")
    fs = 13  # font size of the token labels
    left = 30 + max(_text_width(t, fs) for t in queries)
    title_h = 30 if title else 8
    top = title_h + 26 + max(_text_width(t, fs) for t in keys) * 0.75  # key labels at -50 degrees
    legend = [(MAY, "may attend"), (BLOCKED, "blocked")]
    if q is not None:
        legend.append((ACCENT, f"“{queries[q]}” may attend"))
    legend_w = sum(34 + _text_width(label, 12) for _, label in legend)
    width = max(left + S * cell + 40, left + legend_w)
    legend_y = top + T * cell + 16
    height = legend_y + 30
    visible = set(torch.nonzero(mask[q]).flatten().tolist()) if q is not None else set()
    e = html.escape

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" class="minilm-mask" '
           f'data-rows="{T}" data-cols="{S}">',
           f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>']
    if title:
        out.append(f'<text x="{left:.0f}" y="22" font-size="15" font-weight="bold" fill="#1f2933">'
                   f'{e(title)}</text>')
    out.append(f'<text x="{left:.0f}" y="{title_h + 12}" font-size="11" fill="#52606d">'
               f'keys: what is read →</text>')
    out.append(f'<text x="12" y="{top + T * cell / 2:.0f}" font-size="11" fill="#52606d" '
               f'transform="rotate(-90 12 {top + T * cell / 2:.0f})" text-anchor="middle">'
               f'queries: who reads ↓</text>')
    for j, label in enumerate(keys):
        x, y = left + (j + 0.5) * cell + 4, top - 6
        style = f'fill="{ACCENT}" font-weight="bold"' if j in visible else 'fill="#1f2933"'
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{fs}" {style} '
                   f'transform="rotate(-50 {x:.1f} {y:.1f})" class="key-label">{e(label)}</text>')
    for i, label in enumerate(queries):
        y = top + (i + 0.5) * cell + fs * 0.35
        style = f'fill="{ACCENT}" font-weight="bold"' if i == q else 'fill="#1f2933"'
        out.append(f'<text x="{left - 8:.1f}" y="{y:.1f}" font-size="{fs}" text-anchor="end" {style} '
                   f'class="query-label">{e(label)}</text>')
    for i in range(T):
        for j in range(S):
            allowed = bool(mask[i, j])
            fill = (ACCENT if i == q else MAY) if allowed else BLOCKED
            verdict = "may attend" if allowed else "blocked"
            out.append(f'<rect class="cell" data-q="{i}" data-k="{j}" x="{left + j * cell:.1f}" '
                       f'y="{top + i * cell:.1f}" width="{cell - 2}" height="{cell - 2}" rx="3" '
                       f'fill="{fill}"><title>{e(queries[i])} → {e(keys[j])}: {verdict}</title></rect>')
    if q is not None:
        out.append(f'<rect class="highlight" x="{left - 2:.1f}" y="{top + q * cell - 2:.1f}" '
                   f'width="{S * cell + 2}" height="{cell + 2}" rx="4" fill="none" '
                   f'stroke="{ACCENT}" stroke-width="2"/>')
    for b in lines:
        x, y = left + b * cell - 1, top + b * cell - 1
        out.append(f'<line class="boundary" x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" '
                   f'y2="{top + T * cell + 2:.1f}" stroke="{BOUNDARY}" stroke-width="2"/>')
        out.append(f'<line class="boundary" x1="{left - 4:.1f}" y1="{y:.1f}" x2="{left + S * cell + 2:.1f}" '
                   f'y2="{y:.1f}" stroke="{BOUNDARY}" stroke-width="2"/>')
    x = left
    for colour, label in legend:
        out.append(f'<rect class="legend" x="{x:.0f}" y="{legend_y:.0f}" width="14" height="14" rx="2" '
                   f'fill="{colour}" stroke="#b8bec6" stroke-width="0.5"/>')
        out.append(f'<text x="{x + 20:.0f}" y="{legend_y + 11:.0f}" font-size="12" fill="#1f2933">'
                   f'{e(label)}</text>')
        x += 34 + _text_width(label, 12)
    out.append("</svg>")
    return "\n".join(out)
