"""Slide themes: large type and a light or dark background for pictures shown in a lecture hall.

The cell colours of every mask picture stay the course's (``minilm.viz.plots``): a strong
blue for "may attend", a pale grey for "blocked", orange for a highlighted query. Blue and
orange are the pair that stays apart for the common colour-vision deficiencies (deutan,
protan and tritan alike), and the grey differs from both in lightness, so the pictures also
read in greyscale print. A theme changes what is around the cells: background, text, font
sizes, so that a label is readable from the back of a room.

    >>> with use_theme("dark"):              # doctest: +SKIP
    ...     fig = plot_mask(causal_mask(6))  # drawn for a dark slide
"""

from __future__ import annotations

import contextlib

THEMES = {
    "light": {"background": "#ffffff", "text": "#1f2933", "muted": "#52606d", "blocked": "#e8ebef"},
    "dark": {"background": "#15191e", "text": "#f2f4f7", "muted": "#b6c0cc", "blocked": "#3a4350"},
}
SLIDE_FONT_SIZE = 16  # points; at the 200-dpi export a capital letter is about 30 px tall


def check_theme(theme) -> str:
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {sorted(THEMES)}, got {theme!r}")
    return theme


def theme_rc(theme: str = "light", *, font_size: float = SLIDE_FONT_SIZE) -> dict:
    """matplotlib settings for ``theme``: background, text and axis colours, font sizes."""
    colours = THEMES[check_theme(theme)]
    return {
        "figure.facecolor": colours["background"], "savefig.facecolor": colours["background"],
        "axes.facecolor": colours["background"], "axes.edgecolor": colours["muted"],
        "text.color": colours["text"], "axes.labelcolor": colours["text"],
        "axes.titlecolor": colours["text"], "xtick.color": colours["text"],
        "ytick.color": colours["text"], "legend.facecolor": colours["background"],
        "legend.edgecolor": colours["muted"], "legend.labelcolor": colours["text"],
        "font.size": font_size, "axes.titlesize": font_size + 2, "axes.labelsize": font_size,
        "xtick.labelsize": font_size, "ytick.labelsize": font_size,
        "legend.fontsize": font_size - 2, "axes.spines.top": False, "axes.spines.right": False,
    }


@contextlib.contextmanager
def use_theme(theme: str = "light", *, font_size: float = SLIDE_FONT_SIZE):
    """Draw every figure made inside the ``with`` block in ``theme``."""
    import matplotlib.pyplot as plt

    with plt.rc_context(theme_rc(theme, font_size=font_size)):
        yield THEMES[theme]


def svg_theme_css(theme: str, scope: str = "") -> str:
    """CSS that recolours the course's SVG mask pictures (``mask_to_svg``) for ``theme``:
    SVG presentation attributes give way to any CSS rule, so no SVG has to be redrawn."""
    c = THEMES[check_theme(theme)]
    if theme == "light":
        return ""
    s = f"{scope} " if scope else ""
    return (f"{s}svg.minilm-mask > rect:first-of-type {{ fill: {c['background']}; }}\n"
            f"{s}svg.minilm-mask text {{ fill: {c['text']}; }}\n"
            f"{s}svg.minilm-mask rect.cell[fill='#e8ebef'] {{ fill: {c['blocked']}; }}\n")
