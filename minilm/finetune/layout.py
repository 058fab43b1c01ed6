"""What each GPT input format looks like, token by token (Radford et al., 2018, Fig. 1, right).

``token_layout`` returns the tokens of a formatted input together with the role of each
one (start, delimiter, extract, premise, ...), built from the same ``*_ids`` functions
the model is fed with; ``plot_token_layouts`` draws them as rows of coloured boxes, one
row per sequence the model reads, with what the head does with the ``<e>`` states.
"""

from __future__ import annotations

from dataclasses import dataclass

from minilm.finetune.formats import (
    SpecialIds,
    classification_ids,
    entailment_ids,
    multiple_choice_ids,
    similarity_ids,
)

ROLE_COLOURS = {  # special tokens dark, text segments light
    "start": "#33415c", "delim": "#7b2cbf", "extract": "#d62828",
    "text": "#bde0fe", "premise": "#bde0fe", "hypothesis": "#ffd6a5",
    "text 1": "#bde0fe", "text 2": "#ffd6a5",
    "context": "#bde0fe", "question": "#caffbf", "answer": "#ffd6a5",
}
LEGEND_NAMES = {"start": "<s> start", "delim": "$ delimiter", "extract": "<e> extract"}
FORMATS = ("classification", "entailment", "similarity", "multiple_choice")
HEAD_NOTE = {
    "classification": "softmax(h(<e>) W_y)",
    "entailment": "softmax(h(<e>) W_y)",
    "similarity": "softmax((h1 + h2) W_y)",
    "multiple_choice": "score_k = h_k w, softmax over k",
}


@dataclass
class TokenLayout:
    """One sequence the model reads: ids, token strings and each token's role."""

    ids: list[int]
    tokens: list[str]
    roles: list[str]


def _segments_to_layout(tokenizer, segments) -> TokenLayout:
    ids, roles = [], []
    for role, seg in segments:
        ids += seg
        roles += [role] * len(seg)
    return TokenLayout(ids, list(tokenizer.convert_ids_to_tokens(ids)), roles)


def token_layout(tokenizer, kind: str, *texts) -> list[TokenLayout]:
    """Layouts of the sequence(s) of one input in format ``kind``.

    ``kind`` and ``texts``: "classification" (text), "entailment" (premise, hypothesis),
    "similarity" (a, b) -> two layouts, "multiple_choice" (context, question, option_1,
    ..., option_N) -> N layouts. The ids are exactly what the ``*_input`` builders return.
    """
    if kind not in FORMATS:
        raise ValueError(f"kind must be one of {FORMATS}, got {kind!r}")
    need = {"classification": 1, "entailment": 2, "similarity": 2}.get(kind)
    if need is not None and len(texts) != need:
        raise ValueError(f"format {kind!r} takes {need} text(s), got {len(texts)}")
    if kind == "multiple_choice" and len(texts) < 4:
        raise ValueError("format 'multiple_choice' takes a context, a question and at least 2 options")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(t).__name__}")
    s = SpecialIds.from_tokenizer(tokenizer)
    enc = [tokenizer.encode(t) for t in texts]
    start, delim, extract = ("start", [s.start]), ("delim", [s.delim]), ("extract", [s.extract])
    if kind == "classification":
        rows = [[start, ("text", enc[0]), extract]]
        built = [classification_ids(enc[0], s)]
    elif kind == "entailment":
        rows = [[start, ("premise", enc[0]), delim, ("hypothesis", enc[1]), extract]]
        built = [entailment_ids(enc[0], enc[1], s)]
    elif kind == "similarity":
        rows = [[start, ("text 1", enc[0]), delim, ("text 2", enc[1]), extract],
                [start, ("text 2", enc[1]), delim, ("text 1", enc[0]), extract]]
        built = list(similarity_ids(enc[0], enc[1], s))
    else:
        context, question, options = enc[0], enc[1], enc[2:]
        rows = [[start, ("context", context), delim, ("question", question), delim,
                 ("answer", option), extract] for option in options]
        built = multiple_choice_ids(context, question, options, s)
    layouts = [_segments_to_layout(tokenizer, row) for row in rows]
    assert [lay.ids for lay in layouts] == built  # the picture is what the model reads
    return layouts


def plot_token_layouts(layouts: dict[str, list[TokenLayout]], *, max_tokens: int = 30):
    """Draw ``{title: token_layout(...)}`` as rows of coloured token boxes; returns the Figure.

    Long texts are shortened in the middle ("…") to ``max_tokens`` boxes per row (the
    beginning and end of the longest segment stay, and so do the special tokens).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Patch

    if not isinstance(layouts, dict) or not layouts:
        raise ValueError("layouts must be a non-empty dict {title: list of TokenLayout}")
    rows_by_title = {title: [_shorten(row, max_tokens) for row in rows] for title, rows in layouts.items()}
    width_of = lambda token: 0.12 + 0.075 * max(len(token), 2)  # noqa: E731  box width, data units
    longest = max(sum(width_of(t) + 0.04 for t in tokens) for rows in rows_by_title.values()
                  for tokens, _ in rows)
    n_rows = sum(len(rows) + 1 for rows in layouts.values())
    x_max = longest + 4.2  # room for the note on what the head does
    fig, ax = plt.subplots(figsize=(0.83 * x_max, 0.42 * n_rows + 0.7))
    y, used = 0.0, set()
    for title, rows in rows_by_title.items():
        ax.text(0, y, title, fontsize=10, fontweight="bold", va="center")
        y -= 1
        for tokens, roles in rows:
            x = 0.0
            for token, role in zip(tokens, roles, strict=True):
                dark = role in ("start", "delim", "extract")
                ax.add_patch(FancyBboxPatch((x, y - 0.33), width_of(token), 0.66, boxstyle="round,pad=0.02",
                                            fc=ROLE_COLOURS.get(role, "#eeeeee"), ec="white"))
                ax.text(x + width_of(token) / 2, y, token, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
                x += width_of(token) + 0.04
                used.add(role)
            y -= 1
        ax.text(x + 0.3, y + 1 + (len(rows) - 1) / 2, "→ " + HEAD_NOTE[_kind_of(layouts[title])],
                fontsize=9, va="center", color="#d62828")
    by_colour: dict[str, list[str]] = {}  # one legend entry per colour: "premise / text 1 / ..."
    for role in ROLE_COLOURS:
        if role in used:
            by_colour.setdefault(ROLE_COLOURS[role], []).append(LEGEND_NAMES.get(role, role))
    ax.legend(handles=[Patch(color=c, label=" / ".join(names)) for c, names in by_colour.items()],
              loc="upper left", ncol=len(by_colour), fontsize=8, frameon=False, bbox_to_anchor=(0, 1.1))
    ax.set_xlim(-0.1, x_max)
    ax.set_ylim(y + 0.3, 0.7)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _kind_of(rows: list[TokenLayout]) -> str:
    roles = set(rows[0].roles)
    if "answer" in roles:
        return "multiple_choice"
    if "text 1" in roles:
        return "similarity"
    return "entailment" if "premise" in roles else "classification"


def _shorten(layout: TokenLayout, max_tokens: int) -> tuple[list[str], list[str]]:
    tokens, roles = layout.tokens, layout.roles
    if len(tokens) <= max_tokens:
        return tokens, roles
    # Cut from the longest text segment (context, usually), keeping its ends.
    excess = len(tokens) - max_tokens + 1
    runs, start = [], 0
    for i in range(1, len(roles) + 1):
        if i == len(roles) or roles[i] != roles[start]:
            runs.append((i - start, start, i))
            start = i
    _, a, b = max(runs)
    keep = max(2, (b - a) - excess)
    head, tail = keep // 2, keep - keep // 2
    cut_from, cut_to = a + head, b - tail
    return (tokens[:cut_from] + ["…"] + tokens[cut_to:],
            roles[:cut_from] + [roles[a]] + roles[cut_to:])
