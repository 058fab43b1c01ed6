"""The presenter's building blocks: every picture of the course as a widget that follows one
light/dark switch (``notebooks/presenter.ipynb``, as slides or as a Voila app).

Built from core ipywidgets (``ToggleButtons``, ``Dropdown``, ``Image``, ``HTML``), as the
course's explorers are, so it runs in JupyterLab, in a RISE slideshow and in Voila with no
custom JavaScript and no network. Pictures come from ``minilm.viz.slides``: the same
functions ``python -m minilm viz export`` writes to files.
"""

from __future__ import annotations

import ipywidgets as widgets

from minilm.lang import t
from minilm.viz.slides import ANIMATIONS, FIGURES, frames_to_gif
from minilm.viz.theme import THEMES, check_theme, svg_theme_css, use_theme

SLIDE_WIDTH = "100%"  # pictures fill the slide (and never overflow a notebook cell)


class Presenter:
    """One theme switch and the pictures that follow it.

    >>> deck = Presenter()                          # doctest: +SKIP
    >>> deck.switch()                               # the light / dark buttons
    >>> deck.figure("glm_fig2")                     # a picture that re-renders on a switch
    >>> deck.choice(["bart_text_infilling", "bart_token_deletion"])   # a menu of pictures
    """

    def __init__(self, theme: str = "light", *, attention_steps: int = 300):
        self.theme = widgets.ToggleButtons(options=list(THEMES), value=check_theme(theme),
                                           description=t("presenter.theme"), style={"button_width": "90px"})
        self.attention_steps = attention_steps
        # CSS for the SVG mask pictures (MaskExplorer): one <style> that every slide shares.
        self._css = widgets.HTML()
        self.theme.observe(lambda _: self._restyle(), names="value")
        self._restyle()

    def _restyle(self) -> None:
        self._css.value = f"<style>{svg_theme_css(self.theme.value)}</style>"

    def switch(self) -> widgets.Widget:
        """The light / dark switch (show it on the first slide)."""
        return widgets.VBox([self.theme, self._css])

    def _png(self, name: str) -> bytes:
        from minilm.viz.export import figure_to_png

        with use_theme(self.theme.value):
            draw = FIGURES[name]
            fig = draw(steps=self.attention_steps) if name == "attention_heads" else draw()
            data = figure_to_png(fig, dpi=150)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return data

    def _gif(self, name: str) -> bytes:
        import tempfile
        from pathlib import Path

        with use_theme(self.theme.value), tempfile.TemporaryDirectory() as folder:
            path = frames_to_gif(ANIMATIONS[name](), Path(folder) / f"{name}.gif",
                                 background=THEMES[self.theme.value]["background"])
            return path.read_bytes()

    def figure(self, name: str) -> widgets.Image:
        """A still picture or an animation (by its name in ``FIGURES`` / ``ANIMATIONS``)."""
        if name not in FIGURES and name not in ANIMATIONS:
            raise ValueError(f"name must be one of {[*FIGURES, *ANIMATIONS]}, got {name!r}")
        image = widgets.Image(format="gif" if name in ANIMATIONS else "png",
                              layout=widgets.Layout(width=SLIDE_WIDTH, height="auto"))

        def render(_=None):
            image.value = self._gif(name) if name in ANIMATIONS else self._png(name)

        render()
        self.theme.observe(render, names="value")
        return image

    def choice(self, names: list[str], *, description: str | None = None) -> widgets.Widget:
        """A menu of pictures (by their names); the one picked is drawn below it."""
        menu = widgets.Dropdown(options=[(n.replace("_", " "), n) for n in names],
                                description=description or t("presenter.show"))
        image = widgets.Image(format="png", layout=widgets.Layout(width=SLIDE_WIDTH, height="auto"))

        def render(_=None):
            image.format = "gif" if menu.value in ANIMATIONS else "png"
            image.value = self._gif(menu.value) if menu.value in ANIMATIONS else self._png(menu.value)

        render()
        menu.observe(render, names="value")
        self.theme.observe(render, names="value")
        return widgets.VBox([menu, image])
