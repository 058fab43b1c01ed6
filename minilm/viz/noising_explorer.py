"""NoisingExplorer: pick a noising function, the ratio and the seed; see what BART's encoder reads.

Core ipywidgets only (Dropdown, sliders, HTML), so it renders in JupyterLab, VS Code and
Colab without custom JavaScript or a CDN. The picture is ``picture_to_svg`` of
``minilm.viz.noising.noising_picture`` inside an ``HTML`` widget, and every corruption is
made by ``minilm.objectives.denoising`` (through ``noise_with_info``), so what the learner
sees is exactly what the model trains on. ``static_figure()`` is the matplotlib fallback
(GitHub, nbviewer, PDF, CI).
"""

from __future__ import annotations

import difflib
import html
import math

import torch

from minilm import lang
from minilm.viz.noising import (
    EDGE,
    INK,
    KINDS,
    MASKED,
    ROW_PITCH,
    TITLES,
    Picture,
    box_positions,
    noise_with_info,
    noising_picture,
    plot_noising,
    x_at,
)
from minilm.viz.widgets import widget_bundle

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_RATIO_KINDS = ("token_masking", "token_deletion", "text_infilling")


def wrap_points(picture: Picture, geometry, max_units: float) -> list[tuple[int, int]]:
    """Where a two-row picture may wrap into bands no wider than ``max_units``.

    A band shows original boxes ``[i0, i)`` above noised boxes ``[j0, j)``; a cut ``(i, j)`` is
    allowed only where no link crosses it (every line stays inside its band), no kept token
    is parted from its copy and no masked span is split. Returns the band ends, the last
    being ``(len(row 0), len(row 1))``. Where no allowed cut keeps a band narrow enough the
    band is wider and the SVG's viewBox scales it down.
    """
    (_, top), (_, bottom) = picture.rows
    n, m = len(top), len(bottom)

    # What must stay in one band: the linked pairs, and the kept tokens (equal text, in order,
    # found by difflib), so the rows do not drift apart between two links.
    pairs = [(pa, pb) for _, pa, _, pb, _ in picture.links]
    same = difflib.SequenceMatcher(None, [b.token for b in top], [b.token for b in bottom], autojunk=False)
    pairs += [(a + k, b + k) for a, b, size in same.get_matching_blocks() for k in range(size)]

    def partners(i: int) -> range:
        """The j that may pair with a cut before original box i: every pair on one side."""
        if 0 < i < n and top[i - 1].fill == top[i].fill == MASKED:
            return range(0)
        before = [pb for pa, pb in pairs if pa < i - 0.5 + 1e-9]
        after = [pb for pa, pb in pairs if pa >= i - 0.5 + 1e-9]
        lowest = math.floor(max(before, default=-1) + 0.5 - 1e-9) + 1
        highest = math.floor(min(after, default=m) + 0.5 - 1e-9)
        return range(max(lowest, 0), min(highest, m) + 1)

    allowed = [(i, j) for i in range(n + 1) for j in partners(i)]

    def span(xs, a: int, b: int) -> float:
        return xs[b - 1][0] + xs[b - 1][1] - xs[a][0] if b > a else 0.0

    ends, i0, j0 = [], 0, 0
    while (i0, j0) != (n, m):
        cuts = [(i, j) for i, j in allowed if i > i0 and j > j0 and (i, j) != (n, m)]
        fitting = [c for c in cuts
                   if max(span(geometry[0], i0, c[0]), span(geometry[1], j0, c[1])) <= max_units]
        if max(span(geometry[0], i0, n), span(geometry[1], j0, m)) <= max_units:
            cut = (n, m)
        elif fitting:
            cut = max(fitting, key=lambda c: c[0] + c[1])  # as many boxes as fit
        else:
            cut = min(cuts, key=lambda c: c[0] + c[1], default=(n, m))
        ends.append(cut)
        i0, j0 = cut
    return ends


def keeps_order(picture: Picture) -> bool:
    """True if the links never cross (masking, deletion, infilling), so the rows can wrap
    together; a permuted or rotated document moves tokens across the whole picture."""
    ends = [pb for _, _, _, pb, _ in sorted(picture.links, key=lambda link: link[1])]
    return ends == sorted(ends)


def stacked(picture: Picture, max_units: float) -> Picture:
    """Each row wrapped on its own (the original's lines, then the noised ones), without the
    links: for a permuted or rotated document, whose colours say where each part went."""
    rows = []
    for label, boxes in picture.rows:
        line, line_start = [], 0.0
        for box, (x, w) in zip(boxes, box_positions(boxes), strict=True):
            if line and x + w - line_start > max_units:
                rows.append((label, line))
                line, line_start, label = [], x, ""  # the label names a row's first line only
            line.append(box)
        rows.append((label, line))
    return Picture(picture.title, rows, caption=picture.caption)


def picture_to_svg(picture: Picture, *, scale: float = 8.0, max_width: float = 840) -> str:
    """The same picture as a self-contained SVG string (no JavaScript, works offline);
    hover a box for what happened to it.

    A two-row picture wider than ``max_width`` pixels wraps into bands (``wrap_points``) so
    its text keeps its size in a notebook cell; whatever is still wider scales down as one
    picture (a ``viewBox`` with ``max-width: 100%``) instead of losing its right half."""
    e = html.escape
    geometry = [box_positions(boxes) for _, boxes in picture.rows]
    label_w = (max(len(label) for label, _ in picture.rows) + 2) * scale
    max_units = (max_width - label_w - 20) / scale
    if len(picture.rows) == 2 and not keeps_order(picture):
        natural = max(xs[-1][0] + xs[-1][1] for xs in geometry if xs) if any(geometry) else 0
        if natural > max_units:
            picture = stacked(picture, max_units)
            geometry = [box_positions(boxes) for _, boxes in picture.rows]
    if len(picture.rows) == 2:
        ends = wrap_points(picture, geometry, max_units)
    else:
        ends = [tuple(len(boxes) for _, boxes in picture.rows)]
    starts = [(0,) * len(picture.rows), *ends[:-1]]
    bands = list(zip(starts, ends, strict=True))

    def left(r: int, band: int) -> float:  # x of the band's first box in row r
        a = bands[band][0][r]
        return geometry[r][a][0] if a < len(geometry[r]) else 0.0

    def band_of(r: int, pos: float) -> int:  # the band that holds box (or gap before box) pos
        k = math.ceil(pos)
        return next((b for b, (a, z) in enumerate(bands) if k < z[r]), len(bands) - 1)

    band_w = [max(geometry[r][z[r] - 1][0] + geometry[r][z[r] - 1][1] - left(r, b)
                  for r in range(len(picture.rows)) if z[r] > a[r]) if any(z) else 10
              for b, (a, z) in enumerate(bands)]
    width = max(band_w + [10]) * scale + label_w + 20
    box_h, pitch, top = 22, ROW_PITCH * 22, 34
    band_pitch = (len(picture.rows) - 1) * pitch + box_h + 24
    lines = lang.wrap(picture.caption, max(40, int(width / 6.6))) if picture.caption else []
    height = top + len(bands) * band_pitch - 10 + 16 * len(lines)
    X = lambda r, b, x: label_w + (x - left(r, b)) * scale  # noqa: E731
    Y = lambda r, b: top + b * band_pitch + r * pitch  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" style="max-width: 100%; height: auto" '
           f'font-family="{FONT}" class="minilm-noising">',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
           f'<text x="8" y="20" font-size="14" font-weight="bold" fill="{INK}">{e(picture.title)}</text>']
    for ra, pa, rb, pb, colour in picture.links:
        b = band_of(ra, pa)
        xa, xb = X(ra, b, x_at(geometry[ra], pa)), X(rb, b, x_at(geometry[rb], pb))
        out.append(f'<line x1="{xa:.1f}" y1="{Y(ra, b) + box_h + 1:.1f}" x2="{xb:.1f}" '
                   f'y2="{Y(rb, b) - 3:.1f}" stroke="{colour}" stroke-width="1.3"/>')
        out.append(f'<circle cx="{xb:.1f}" cy="{Y(rb, b) - 3:.1f}" r="2.2" fill="{colour}"/>')
    for b, (first, last) in enumerate(bands):
        for r, ((label, boxes), xs) in enumerate(zip(picture.rows, geometry, strict=True)):
            out.append(f'<text x="{label_w - 8:.0f}" y="{Y(r, b) + 15:.0f}" font-size="12" text-anchor="end" '
                       f'fill="#52606d">{e(label)}</text>')
            for i in range(first[r], last[r]):
                box, (x, w) = boxes[i], xs[i]
                x0, y = X(r, b, x), Y(r, b)
                stroke = 2 if box.edge != EDGE else 0.8
                out.append(f'<g class="token" data-row="{r}" data-i="{i}">'
                           f'<title>{e(box.token)}: {e(box.note)}</title>'
                           f'<rect x="{x0:.1f}" y="{y}" width="{w * scale:.1f}" height="{box_h}" rx="4" '
                           f'fill="{box.fill}" stroke="{box.edge}" stroke-width="{stroke}"/>'
                           f'<text x="{x0 + w * scale / 2:.1f}" y="{y + 15}" font-size="12" '
                           f'text-anchor="middle" fill="{INK}">{e(box.token)}</text>')
                if box.strike:
                    out.append(f'<line x1="{x0 + 3:.1f}" y1="{y + 11}" x2="{x0 + w * scale - 3:.1f}" '
                               f'y2="{y + 11}" stroke="#b3261e" stroke-width="1.5"/>')
                out.append("</g>")
    for r, pos, colour in picture.markers:
        b = band_of(r, pos)
        x, y = X(r, b, x_at(geometry[r], pos)), Y(r, b)
        out.append(f'<path d="M {x - 5:.1f} {y - 10} L {x + 5:.1f} {y - 10} L {x:.1f} {y - 1} Z" '
                   f'fill="{colour}"/>')
    y = Y(len(picture.rows) - 1, len(bands) - 1) + box_h + 22
    for line in lines:
        out.append(f'<text x="8" y="{y}" font-size="12" fill="#3e4c59">{e(line)}</text>')
        y += 16
    out.append("</svg>")
    return "\n".join(out)


class NoisingExplorer:
    """An interactive view of BART's five noising functions on your documents.

    >>> explorer = NoisingExplorer(["Anna lives in Paris. She likes soup."], tokenizer)
    >>> explorer                     # in a notebook: the widget
    >>> explorer.noised, explorer.info   # the current corruption, straight from minilm
    >>> explorer.static_figure()     # the same picture as a matplotlib Figure

    Controls (attributes, so code and tests can drive them): ``kind_dropdown``,
    ``ratio_slider`` (share of tokens masked / deleted / infilled), ``lambda_slider``
    (mean span length of text infilling), ``seed_slider`` and ``document_dropdown``.
    """

    def __init__(self, documents, tokenizer, *, kind: str = "text_infilling", ratio: float = 0.3,
                 poisson_lambda: float = 3.0, seed: int = 0) -> None:
        import ipywidgets as w

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        documents = [documents] if isinstance(documents, str) else list(documents)
        if not documents or not all(isinstance(d, str) and d.strip() for d in documents):
            raise ValueError("documents must be a non-empty str or list of non-empty str")
        self.documents, self.tokenizer = documents, tokenizer
        wide = {"description_width": "80px"}
        say = lang.t
        self.kind_dropdown = w.Dropdown(options=[(say(f"noising.title.{k}", TITLES[k]), k) for k in KINDS],
                                        value=kind, description=say("noising.control.kind"), style=wide)
        self.ratio_slider = w.FloatSlider(value=ratio, min=0.0, max=0.6, step=0.05,
                                          description=say("noising.control.ratio"),
                                          readout_format=".0%", style=wide, continuous_update=False)
        self.lambda_slider = w.FloatSlider(value=poisson_lambda, min=0.5, max=6.0, step=0.5,
                                           description="Poisson λ", style=wide, continuous_update=False)
        self.seed_slider = w.IntSlider(value=seed, min=0, max=99, description=say("noising.control.seed"),
                                       style=wide)
        self.document_dropdown = w.Dropdown(
            options=[(f"{i}: {d[:50]}…" if len(d) > 50 else f"{i}: {d}", i) for i, d in enumerate(documents)],
            value=0, description=say("noising.control.document"), style=wide,
            layout=w.Layout(width="460px"))
        self.view = w.HTML(layout=w.Layout(overflow="auto"))
        self.widget = w.VBox([w.HBox([self.kind_dropdown, self.document_dropdown]),
                              w.HBox([self.ratio_slider, self.lambda_slider, self.seed_slider]), self.view])
        self.widget.add_class("minilm-noising-explorer")
        for control in (self.kind_dropdown, self.ratio_slider, self.lambda_slider, self.seed_slider,
                        self.document_dropdown):
            control.observe(lambda _: self._render(), names="value")
        self._render()

    @property
    def kind(self) -> str:
        return self.kind_dropdown.value

    def _render(self) -> None:
        tok = self.tokenizer
        self.ids = torch.tensor(tok.encode(self.documents[self.document_dropdown.value]), dtype=torch.long)
        if len(self.ids) == 0:
            raise ValueError("the document has no tokens")
        gen = torch.Generator().manual_seed(self.seed_slider.value)
        self.noised, self.info = noise_with_info(
            self.ids, self.kind, mask_id=tok.mask_token_id, full_stop_id=tok.token_to_id("."),
            ratio=self.ratio_slider.value, poisson_lambda=self.lambda_slider.value, generator=gen)
        self.tokens = tok.convert_ids_to_tokens(self.ids)
        self.noised_tokens = tok.convert_ids_to_tokens(self.noised)
        uses_ratio = self.kind in _RATIO_KINDS
        self.ratio_slider.disabled = not uses_ratio
        self.lambda_slider.disabled = self.kind != "text_infilling"
        self.picture = noising_picture(self.tokens, self.noised_tokens, self.kind, self.info,
                                       poisson_lambda=self.lambda_slider.value)
        self.svg = picture_to_svg(self.picture)
        self.view.value = self.svg

    def static_figure(self):
        """The current view as a matplotlib Figure (the fallback where widgets don't render)."""
        return plot_noising(self.tokens, self.noised_tokens, self.kind, self.info,
                            poisson_lambda=self.lambda_slider.value)

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.widget, self.svg, **kwargs)  # without widgets: the picture

    def __repr__(self) -> str:
        return (f"NoisingExplorer(kind={self.kind!r}, ratio={self.ratio_slider.value}, "
                f"seed={self.seed_slider.value}, tokens={len(self.tokens)} -> {len(self.noised_tokens)})")
