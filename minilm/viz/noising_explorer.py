"""NoisingExplorer: pick a noising function, the ratio and the seed; see what BART's encoder reads.

Core ipywidgets only (Dropdown, sliders, HTML), so it renders in JupyterLab, VS Code and
Colab without custom JavaScript or a CDN. The picture is ``picture_to_svg`` of
``minilm.viz.noising.noising_picture`` inside an ``HTML`` widget, and every corruption is
made by ``minilm.objectives.denoising`` (through ``noise_with_info``), so what the learner
sees is exactly what the model trains on. ``static_figure()`` is the matplotlib fallback
(GitHub, nbviewer, PDF, CI).
"""

from __future__ import annotations

import html
import textwrap

import torch

from minilm.viz.noising import (
    EDGE,
    INK,
    KINDS,
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


def picture_to_svg(picture: Picture, *, scale: float = 8.0) -> str:
    """The same picture as a self-contained SVG string (no JavaScript, works offline);
    hover a box for what happened to it.

    ``width`` and ``height`` are the natural size; the ``viewBox`` and ``max-width: 100%``
    let a narrower cell scale the whole picture down instead of cutting its right half off."""
    e = html.escape
    geometry = [box_positions(boxes) for _, boxes in picture.rows]
    label_w = (max(len(label) for label, _ in picture.rows) + 2) * scale
    width = max([xs[-1][0] + xs[-1][1] for xs in geometry if xs] + [10]) * scale + label_w + 20
    box_h, pitch, top = 22, ROW_PITCH * 22, 34
    lines = textwrap.wrap(picture.caption, max(40, int(width / 6.6))) if picture.caption else []
    height = top + (len(picture.rows) - 1) * pitch + box_h + 14 + 16 * len(lines)
    X = lambda x: label_w + x * scale  # noqa: E731
    Y = lambda r: top + r * pitch  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" style="max-width: 100%; height: auto" '
           f'font-family="{FONT}" class="minilm-noising">',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
           f'<text x="8" y="20" font-size="14" font-weight="bold" fill="{INK}">{e(picture.title)}</text>']
    for ra, pa, rb, pb, colour in picture.links:
        xa, xb = X(x_at(geometry[ra], pa)), X(x_at(geometry[rb], pb))
        out.append(f'<line x1="{xa:.1f}" y1="{Y(ra) + box_h + 1:.1f}" x2="{xb:.1f}" y2="{Y(rb) - 3:.1f}" '
                   f'stroke="{colour}" stroke-width="1.3"/>')
        out.append(f'<circle cx="{xb:.1f}" cy="{Y(rb) - 3:.1f}" r="2.2" fill="{colour}"/>')
    for r, ((label, boxes), xs) in enumerate(zip(picture.rows, geometry, strict=True)):
        out.append(f'<text x="{label_w - 8:.0f}" y="{Y(r) + 15:.0f}" font-size="12" text-anchor="end" '
                   f'fill="#52606d">{e(label)}</text>')
        for i, (box, (x, w)) in enumerate(zip(boxes, xs, strict=True)):
            stroke = 2 if box.edge != EDGE else 0.8
            out.append(f'<g class="token" data-row="{r}" data-i="{i}">'
                       f'<title>{e(box.token)}: {e(box.note)}</title>'
                       f'<rect x="{X(x):.1f}" y="{Y(r)}" width="{w * scale:.1f}" height="{box_h}" rx="4" '
                       f'fill="{box.fill}" stroke="{box.edge}" stroke-width="{stroke}"/>'
                       f'<text x="{X(x + w / 2):.1f}" y="{Y(r) + 15}" font-size="12" text-anchor="middle" '
                       f'fill="{INK}">{e(box.token)}</text>')
            if box.strike:
                out.append(f'<line x1="{X(x) + 3:.1f}" y1="{Y(r) + 11}" x2="{X(x + w) - 3:.1f}" '
                           f'y2="{Y(r) + 11}" stroke="#b3261e" stroke-width="1.5"/>')
            out.append("</g>")
    for r, pos, colour in picture.markers:
        x = X(x_at(geometry[r], pos))
        out.append(f'<path d="M {x - 5:.1f} {Y(r) - 10} L {x + 5:.1f} {Y(r) - 10} L {x:.1f} {Y(r) - 1} Z" '
                   f'fill="{colour}"/>')
    y = Y(len(picture.rows) - 1) + box_h + 22
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
        self.kind_dropdown = w.Dropdown(options=[(TITLES[k], k) for k in KINDS], value=kind,
                                        description="noising", style=wide)
        self.ratio_slider = w.FloatSlider(value=ratio, min=0.0, max=0.6, step=0.05, description="ratio",
                                          readout_format=".0%", style=wide, continuous_update=False)
        self.lambda_slider = w.FloatSlider(value=poisson_lambda, min=0.5, max=6.0, step=0.5,
                                           description="Poisson λ", style=wide, continuous_update=False)
        self.seed_slider = w.IntSlider(value=seed, min=0, max=99, description="seed", style=wide)
        self.document_dropdown = w.Dropdown(
            options=[(f"{i}: {d[:50]}…" if len(d) > 50 else f"{i}: {d}", i) for i, d in enumerate(documents)],
            value=0, description="document", style=wide, layout=w.Layout(width="460px"))
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
