"""MaskExplorer: pick a mask kind, type a sentence, move a slider, see who may attend to whom.

Built from core ipywidgets only (Dropdown, Text, IntSlider, SelectMultiple, HTML), so it
runs in JupyterLab 4, VS Code and Colab without custom JavaScript or a CDN. The picture is
``minilm.viz.export.mask_to_svg`` inside an ``HTML`` widget; every mask comes from
``minilm.masks`` (GLM's Part A/B layout from ``minilm.objectives.blank_infilling``), so
what the learner sees is exactly what the models use. Hover a cell for its verdict; pick
a query to light up the keys it may read. ``static_figure()`` is the matplotlib fallback
for places without widgets (GitHub, nbviewer, PDF, CI).
"""

from __future__ import annotations

import html
import re

import torch

from minilm import lang, masks
from minilm.viz.export import mask_to_svg
from minilm.viz.plots import plot_mask

DEFAULT_TEXT = "the cat sat on the mat ."
_WORD = re.compile(r"\w+|[^\w\s]")  # words and single punctuation marks, as the word tokenizer

# kind -> (menu label, what the slider means, one-line explanation under the picture)
KINDS = {
    "causal": ("causal (GPT)", "[PAD]s",
               "Each token reads itself and the tokens before it: a left-to-right LM."),
    "bidirectional": ("bidirectional + padding (BERT)", "[PAD]s",
                      "Every token reads every real token; [PAD] keys are hidden from everyone."),
    "prefix": ("prefix-LM (UniLM)", "prefix",
               "The prefix reads itself in both directions; later tokens read the prefix and "
               "what came before them."),
    "encoder": ("encoder self-attention", "[PAD]s",
                "The encoder reads the source in both directions (BART, T5)."),
    "decoder": ("decoder self-attention", "[PAD]s",
                "The decoder reads the target left to right, like GPT."),
    "cross": ("cross-attention (decoder → encoder)", "[PAD]s",
              "Each target token reads every real source token."),
    "glm": ("GLM Part A / Part B", "",
            "Part A (the text with each span as one [MASK]) reads all of Part A; Part B (the "
            "spans, each opened by [S]) reads Part A and the Part B tokens before it."),
}
MAX_PADS = 4
_PARTS = ("label", "slider", "caption")


def kind_text(kind: str, part: str, language: str | None = None) -> str:
    """``KINDS[kind]``'s "label", "slider" or "caption" in the course's language (``minilm.lang``)."""
    english = KINDS[kind][_PARTS.index(part)]
    return lang.t(f"mask.{kind}.{part}", english, lang=language) if english else english


def tokenize(text: str, tokenizer=None) -> list[str]:
    """Tokens for the picture: ``tokenizer.tokenize`` if given, else words and punctuation."""
    tokens = tokenizer.tokenize(text) if tokenizer is not None else _WORD.findall(text)
    return list(tokens) or ["(empty)"]


def positions_to_spans(positions) -> list[tuple[int, int]]:
    """Selected token positions -> sorted half-open spans: {1, 3, 4} -> [(1, 2), (3, 5)]."""
    spans: list[tuple[int, int]] = []
    for p in sorted(set(positions)):
        if spans and spans[-1][1] == p:
            spans[-1] = (spans[-1][0], p + 1)
        else:
            spans.append((p, p + 1))
    return spans


def glm_layout(tokens: list[str], spans: list[tuple[int, int]]) -> tuple[list[str], int]:
    """GLM's input tokens ``[Part A ; Part B]`` and ``sep = len(Part A)``, spans in order.

    Uses ``minilm.objectives.blank_infilling.glm_sample`` on a throwaway vocabulary, so the
    layout is the package's: each span -> one [MASK] in Part A, ``[S] span`` in Part B.
    """
    from minilm.objectives.blank_infilling import glm_sample

    vocab = ["[MASK]", "[S]", "[E]", *dict.fromkeys(tokens)]
    index = {t: i for i, t in enumerate(vocab)}
    ids = torch.tensor([index[t] for t in tokens], dtype=torch.long)
    sample = glm_sample(ids, spans, mask_id=0, start_id=1, end_id=2, order=list(range(len(spans))))
    return [vocab[i] for i in sample["input_ids"].tolist()], sample["sep"]


def build_mask(kind: str, tokens: list[str], *, length: int = 0, spans=()) -> dict:
    """The mask for ``kind`` and its labels: dict(mask, tokens, query_tokens, boundary).

    ``length`` is the prefix length for "prefix" and the number of [PAD]s otherwise;
    ``spans`` are the GLM spans. Every mask is built by ``minilm.masks``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    n = len(tokens)
    pads = ["[PAD]"] * length
    real = torch.tensor([[1] * n + [0] * length])  # attention_mask [1, T], 1 = real token
    if kind == "causal":
        return dict(mask=masks.causal_padding_mask(real)[0], tokens=tokens + pads, query_tokens=None,
                    boundary=None)
    if kind == "bidirectional":
        return dict(mask=masks.bidirectional_mask(attention_mask=real)[0], tokens=tokens + pads,
                    query_tokens=None, boundary=None)
    if kind == "prefix":
        return dict(mask=masks.prefix_lm_mask(n, min(length, n)), tokens=tokens, query_tokens=None,
                    boundary=min(length, n))
    if kind == "glm":
        layout, sep = glm_layout(tokens, list(spans))
        return dict(mask=masks.glm_mask(len(layout), sep), tokens=layout, query_tokens=None, boundary=sep)
    # Encoder-decoder: the source is the sentence (padded for "encoder" and "cross"), the
    # target is what the decoder reads while it rebuilds the sentence: <s> then the tokens.
    target = ["<s>", *tokens[:-1]]
    src_pads = 0 if kind == "decoder" else length
    tgt_pads = length if kind == "decoder" else 0
    src = torch.tensor([[1] * n + [0] * src_pads])
    tgt = torch.tensor([[1] * len(target) + [0] * tgt_pads])
    three = masks.encoder_decoder_masks(src, tgt)
    source_tokens, target_tokens = tokens + ["[PAD]"] * src_pads, target + ["[PAD]"] * tgt_pads
    if kind == "encoder":
        return dict(mask=three["encoder"][0], tokens=source_tokens, query_tokens=None, boundary=None)
    if kind == "decoder":
        return dict(mask=three["decoder"][0], tokens=target_tokens, query_tokens=None, boundary=None)
    return dict(mask=three["cross"][0], tokens=source_tokens, query_tokens=target_tokens, boundary=None)


def widget_bundle(widget, fallback_html: str, **kwargs) -> dict:
    """``widget``'s MIME bundle plus ``fallback_html``, which front-ends that cannot render
    widgets (GitHub, nbviewer, a PDF export) show instead."""
    bundle = widget._repr_mimebundle_(**kwargs)
    data = dict((bundle[0] if isinstance(bundle, tuple) else bundle) or {})
    data.setdefault("text/html", fallback_html)
    return data


class MaskExplorer:
    """An interactive view of every attention mask of the course.

    >>> explorer = MaskExplorer("the cat sat on the mat", kind="prefix", length=3)
    >>> explorer            # in a notebook: the widget
    >>> explorer.mask       # the current bool tensor [T, S], straight from minilm.masks
    >>> explorer.static_figure()   # the same picture as a matplotlib Figure

    Controls (attributes, so code and tests can drive them): ``kind_dropdown``,
    ``text_box``, ``length_slider`` (prefix length or number of [PAD]s), ``span_select``
    (GLM: the token positions to blank out; neighbours form one span) and
    ``query_dropdown`` (the query whose row and visible keys are highlighted).
    """

    def __init__(self, text: str | None = None, tokenizer=None, *, kind: str = "causal",
                 length: int = 0, spans=None, query: int | None = None) -> None:
        import ipywidgets as w

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
        self.tokenizer = tokenizer
        self._busy = False
        wide = {"description_width": "70px"}
        self.kind_dropdown = w.Dropdown(options=[(kind_text(k, "label"), k) for k in KINDS], value=kind,
                                        description=lang.t("mask.control.kind"), style=wide,
                                        layout=w.Layout(width="340px"))
        self.text_box = w.Text(value=text if text is not None else DEFAULT_TEXT,
                               description=lang.t("mask.control.sentence"),
                               continuous_update=False, style=wide, layout=w.Layout(width="420px"))
        self.length_slider = w.IntSlider(value=0, min=0, max=MAX_PADS, description="", style=wide,
                                         layout=w.Layout(width="340px"))
        # "initial": the label takes the width it needs (a fixed 70px cut "GLM spans" short).
        self.span_select = w.SelectMultiple(options=[], rows=4, description=lang.t("mask.control.spans"),
                                            style={"description_width": "initial"},
                                            layout=w.Layout(width="260px"))
        self.query_dropdown = w.Dropdown(options=[(lang.t("mask.query.none"), -1)], value=-1,
                                         description=lang.t("mask.control.query"),
                                         style=wide, layout=w.Layout(width="240px"))
        self.view = w.HTML(layout=w.Layout(overflow="auto"))
        self.caption = w.HTML()
        self.widget = w.VBox([w.HBox([self.kind_dropdown, self.text_box]),
                              w.HBox([self.length_slider, self.query_dropdown]),
                              self.span_select, self.view, self.caption])
        self.widget.add_class("minilm-mask-explorer")
        n = len(self.sentence_tokens)
        if spans is None:
            positions = {n // 2} if n > 1 else set()  # a first span to look at
        else:
            positions = {p for start, end in spans for p in range(start, end)}
        self._sync_controls(length=length, positions=positions)
        if query is not None:
            self.query_dropdown.value = query
        for control in (self.kind_dropdown, self.text_box, self.length_slider, self.span_select,
                        self.query_dropdown):
            control.observe(self._on_change, names="value")
        self._render()

    # --- state -------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.kind_dropdown.value

    @property
    def sentence_tokens(self) -> list[str]:
        return tokenize(self.text_box.value, self.tokenizer)

    @property
    def spans(self) -> list[tuple[int, int]]:
        return positions_to_spans(self.span_select.value)

    @property
    def highlight_query(self) -> int | None:
        q = self.query_dropdown.value
        return None if q is None or q < 0 else q

    def _sync_controls(self, length: int | None = None, positions=None, keep_query: bool = True) -> None:
        """Fit the slider, span list and query menu to the current kind and sentence.

        ``keep_query=False`` resets the query to "none": after a change of mask kind the
        same row number names another token (cross-attention rows are the target, GLM's
        are Part A and Part B), so keeping it would light up a query nobody picked."""
        self._busy = True
        try:
            kind, tokens = self.kind, self.sentence_tokens
            n = len(tokens)
            self.length_slider.max = n if kind == "prefix" else MAX_PADS
            if length is not None:
                self.length_slider.value = min(length, self.length_slider.max)
            self.length_slider.description = kind_text(kind, "slider") or "—"
            self.length_slider.disabled = kind == "glm"
            self.length_slider.layout.visibility = "hidden" if kind == "glm" else "visible"
            old = set(self.span_select.value if positions is None else positions)
            self.span_select.options = [(f"{i}: {t}", i) for i, t in enumerate(tokens)]
            self.span_select.value = tuple(p for p in sorted(old) if p < n)
            self.span_select.layout.display = "flex" if kind == "glm" else "none"
            built = self._build()
            rows = built["query_tokens"] or built["tokens"]
            previous = self.query_dropdown.value if keep_query else -1
            queries = [(f"{i}: {token}", i) for i, token in enumerate(rows)]
            self.query_dropdown.options = [(lang.t("mask.query.none"), -1), *queries]
            self.query_dropdown.value = previous if previous is not None and previous < len(rows) else -1
        finally:
            self._busy = False

    def _build(self) -> dict:
        return build_mask(self.kind, self.sentence_tokens, length=self.length_slider.value,
                          spans=self.spans)

    def _on_change(self, change) -> None:
        if self._busy:
            return
        if change["owner"] is self.kind_dropdown:  # a new kind: start its slider from a sensible value
            n = len(self.sentence_tokens)
            self._sync_controls(length=n // 2 if self.kind == "prefix" else 0, keep_query=False)
        elif change["owner"] in (self.text_box, self.span_select, self.length_slider):
            self._sync_controls()
        self._render()

    def _render(self) -> None:
        built = self._build()
        self.mask, self.tokens, self.query_tokens = built["mask"], built["tokens"], built["query_tokens"]
        self.boundary = built["boundary"]
        self.svg = mask_to_svg(self.mask, self.tokens, query_tokens=self.query_tokens,
                               highlight_query=self.highlight_query, boundaries=self.boundary,
                               title=kind_text(self.kind, "label"))
        self.view.value = self.svg
        self.caption.value = self._caption()

    def _caption(self) -> str:
        text = html.escape(kind_text(self.kind, "caption"))
        q = self.highlight_query
        if q is not None:
            rows = self.query_tokens or self.tokens
            seen = [self.tokens[j] for j in torch.nonzero(self.mask[q]).flatten().tolist()]
            reads = lang.t("mask.query.reads", q=q, count=len(seen), s="s" * (len(seen) != 1),
                           keys=" ".join(seen))
            text += f"<br><b style='color:#e8710a'>{html.escape(rows[q])}</b> {html.escape(reads)}"
        return f"<div style='font-size:13px;max-width:720px'>{text}</div>"

    # --- display -------------------------------------------------------------------------
    def static_figure(self):
        """The current view as a matplotlib Figure (the fallback where widgets don't render)."""
        title = kind_text(self.kind, "label", lang.figure_lang())
        return plot_mask(self.mask, self.tokens, query_tokens=self.query_tokens, title=title,
                         highlight_query=self.highlight_query, boundaries=self.boundary)

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.widget, self.svg, **kwargs)  # without widgets: the picture

    def __repr__(self) -> str:
        T, S = self.mask.shape
        return f"MaskExplorer(kind={self.kind!r}, tokens={self.tokens!r}, mask=[{T}, {S}])"
