"""Pictures and widgets of the course: masks, attention weights, exports for slides.

``plot_mask`` / ``plot_masks`` / ``plot_attention`` (matplotlib, return a Figure),
``mask_to_svg`` (a pure SVG string, offline), ``figure_to_png`` / ``save_figure``
(slides) and ``MaskExplorer`` (ipywidgets); ``plot_noising`` / ``NoisingExplorer`` draw
BART's five noising functions; ``plot_glm_sample`` draws GLM's Fig. 2 for any sample.
Every mask drawn here is built by ``minilm.masks``, the same code the models run.
"""

from minilm.viz.export import figure_to_png, mask_to_svg, save_figure
from minilm.viz.glm import plot_glm_sample
from minilm.viz.noising import noise_with_info, plot_noising, plot_token_rows
from minilm.viz.plots import plot_attention, plot_mask, plot_masks


def __getattr__(name):
    # ipywidgets is only imported when the explorer is asked for (scripts don't need it).
    if name == "MaskExplorer":
        from minilm.viz.widgets import MaskExplorer

        return MaskExplorer
    if name == "NoisingExplorer":
        from minilm.viz.noising_explorer import NoisingExplorer

        return NoisingExplorer
    raise AttributeError(f"module 'minilm.viz' has no attribute {name!r}")


__all__ = ["plot_mask", "plot_masks", "plot_attention", "mask_to_svg", "figure_to_png", "save_figure",
           "MaskExplorer", "plot_glm_sample"]
__all__ += ["plot_noising", "plot_token_rows", "noise_with_info", "NoisingExplorer"]
