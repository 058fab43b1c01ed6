"""Pictures and widgets of the course: masks, attention weights, exports for slides.

``plot_mask`` / ``plot_masks`` / ``plot_attention`` (matplotlib, return a Figure),
``mask_to_svg`` (a pure SVG string, offline), ``figure_to_png`` / ``save_figure``
(slides) and ``MaskExplorer`` (ipywidgets). Every mask drawn here is built by
``minilm.masks``, the same code the models run.
"""

from minilm.viz.export import figure_to_png, mask_to_svg, save_figure
from minilm.viz.plots import plot_attention, plot_mask, plot_masks


def __getattr__(name):
    # ipywidgets is only imported when the explorer is asked for (scripts don't need it).
    if name == "MaskExplorer":
        from minilm.viz.widgets import MaskExplorer

        return MaskExplorer
    raise AttributeError(f"module 'minilm.viz' has no attribute {name!r}")


__all__ = ["plot_mask", "plot_masks", "plot_attention", "mask_to_svg", "figure_to_png", "save_figure",
           "MaskExplorer"]
