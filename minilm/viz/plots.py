"""Pictures of attention masks and attention weights (matplotlib, pure functions).

A mask is the whole difference between GPT, BERT, an encoder-decoder, a prefix LM and
GLM (see ``minilm.masks``), so the course draws it a lot. ``plot_mask`` draws one boolean
mask with the tokens along both axes: rows are QUERIES (the position being computed),
columns are KEYS (the positions it may read); ``mask[i, j] == True`` is a filled cell.
Every function validates its input, returns the ``Figure`` and never calls ``plt.show()``,
so the same call works in a notebook, a script and a slide export (``minilm.viz.export``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

# One colour scheme for every picture of the course (matplotlib and SVG alike).
MAY = "#2563a8"        # may attend: a strong blue
BLOCKED = "#e8ebef"    # blocked: a pale grey that prints well
ACCENT = "#e8710a"     # the highlighted query and the keys it may attend to
BOUNDARY = "#c0162c"   # a part boundary (prefix / GLM Part A | Part B)
GRID = "#ffffff"


def check_mask(mask, name: str = "mask") -> torch.Tensor:
    """A 2-D bool tensor, or a clear error saying what to pass instead."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (bool, [T, S]), got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(f"{name} must be a bool tensor (True = may attend), got {mask.dtype}; "
                        "build it with minilm.masks or compare, e.g. mask > 0")
    if mask.dim() != 2:
        hint = "; for a batch pick one sequence, e.g. mask[0]" if mask.dim() > 2 else ""
        raise ValueError(f"{name} must be 2-D [T queries, S keys], got shape {tuple(mask.shape)}{hint}")
    if mask.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(mask.shape)}")
    return mask.detach().cpu()


def check_labels(labels, n: int, name: str, axis: str) -> list[str]:
    """``n`` labels as strings (default: the positions 0..n-1); wrong counts are an error."""
    if labels is None:
        return [str(i) for i in range(n)]
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"{name} must be a list of strings (one per {axis}), got {type(labels).__name__}")
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels but the mask has {n} {axis}")
    return [str(t) for t in labels]


def check_boundaries(boundaries, n: int) -> list[int]:
    """Part boundaries: an int or a list of ints in [0, n] (a line drawn before that index)."""
    if boundaries is None:
        return []
    values = [boundaries] if isinstance(boundaries, int) else list(boundaries)
    for b in values:
        if isinstance(b, bool) or not isinstance(b, int) or not 0 <= b <= n:
            raise ValueError(f"boundaries must be ints in [0, {n}], got {boundaries!r}")
    return [b for b in values if 0 < b < n]  # a line at either edge would draw nothing new


def check_query(highlight_query, T: int) -> int | None:
    if highlight_query is None:
        return None
    if isinstance(highlight_query, bool) or not isinstance(highlight_query, int):
        raise TypeError(f"highlight_query must be an int (a query row) or None, got {highlight_query!r}")
    if not -T <= highlight_query < T:
        raise ValueError(f"highlight_query must be a row index in [0, {T}), got {highlight_query}")
    return highlight_query % T


def check_mask_view(mask, tokens, query_tokens, highlight_query, boundaries):
    """Everything a mask picture (``plot_mask``, ``mask_to_svg``) is drawn from, checked:
    ``(mask, key labels, query labels, highlighted row or None, boundary positions)``.
    Query labels default to the key labels when the mask is square."""
    mask = check_mask(mask)
    T, S = mask.shape
    keys = check_labels(tokens, S, "tokens", "keys (columns)")
    if query_tokens is None and tokens is not None and T == S:
        query_tokens = tokens
    queries = check_labels(query_tokens, T, "query_tokens", "queries (rows)")
    return mask, keys, queries, check_query(highlight_query, T), check_boundaries(boundaries, min(T, S))


def _new_axes(T: int, S: int, ax):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    side = lambda n: min(9.0, max(2.6, 0.36 * n + 1.4))  # noqa: E731  (inches for n cells)
    fig, ax = plt.subplots(figsize=(side(S), side(T) + 0.5), layout="constrained")
    return fig, ax


def _label_keys_and_queries(ax, keys: list[str], queries: list[str], *, xlabel: str, ylabel: str) -> None:
    """Keys along the top (read like text), queries down the left, no tick marks or frame."""
    ax.set_xticks(range(len(keys)), keys, rotation=90 if max(map(len, keys)) > 2 else 0)
    ax.set_yticks(range(len(queries)), queries)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(xlabel, labelpad=8)  # clear of the key labels, which may stand in boxes
    ax.set_ylabel(ylabel, labelpad=8)
    ax.tick_params(which="both", length=0)
    for side in ax.spines.values():
        side.set_visible(False)


def legend_handles(highlight: bool = False) -> list:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=MAY, label="may attend"),
               Patch(facecolor=BLOCKED, edgecolor="#b8bec6", label="blocked")]
    if highlight:
        handles.append(Patch(facecolor=ACCENT, label="highlighted query sees"))
    return handles


def plot_mask(mask: torch.Tensor, tokens: Sequence[str] | None = None, *,
              query_tokens: Sequence[str] | None = None, ax=None, title: str | None = None,
              highlight_query: int | None = None, boundaries: int | Sequence[int] | None = None,
              legend: bool = True):
    """Draw a bool mask ``[T, S]``: rows = queries, columns = keys, filled = may attend.

    ``tokens`` label the keys (and the queries too when ``query_tokens`` is None and the
    mask is square); ``query_tokens`` label the rows of a cross-attention mask.
    ``highlight_query`` colours one row's visible keys; ``boundaries`` draws part lines
    (e.g. ``boundaries=sep`` for GLM's Part A | Part B, or the prefix length).
    Returns the Figure.

    >>> from minilm.masks import causal_mask
    >>> fig = plot_mask(causal_mask(3), ["the", "cat", "sat"], title="causal")
    """
    mask, keys, queries, q, lines = check_mask_view(mask, tokens, query_tokens, highlight_query, boundaries)
    T, S = mask.shape
    fig, ax = _new_axes(T, S, ax)

    from matplotlib.colors import ListedColormap

    image = mask.to(torch.int64).numpy()
    if q is not None:
        image[q] = image[q] * 2  # 2 = a key the highlighted query may attend to
    ax.imshow(image, cmap=ListedColormap([BLOCKED, MAY, ACCENT]), vmin=0, vmax=2,
              interpolation="nearest", aspect="equal")
    _label_keys_and_queries(ax, keys, queries, xlabel="keys: what is read", ylabel="queries: who reads")
    # White lines between cells, so single cells can be counted.
    ax.set_xticks([x - 0.5 for x in range(1, S)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, T)], minor=True)
    ax.grid(which="minor", color=GRID, linewidth=1.5)
    for b in lines:  # in data coordinates, so the lines end where the matrix ends
        ax.plot([b - 0.5, b - 0.5], [-0.5, T - 0.5], color=BOUNDARY, linewidth=2)
        ax.plot([-0.5, S - 0.5], [b - 0.5, b - 0.5], color=BOUNDARY, linewidth=2)
    ax.set_xlim(-0.5, S - 0.5)
    ax.set_ylim(T - 0.5, -0.5)
    if q is not None:
        ax.get_yticklabels()[q].set(color=ACCENT, fontweight="bold")
        for j in torch.nonzero(mask[q]).flatten().tolist():
            ax.get_xticklabels()[j].set(color=ACCENT, fontweight="bold")
    if title:
        ax.set_title(title, fontweight="bold")
    if legend:
        fitting_legend(ax, legend_handles(q is not None))
    return fig


def fitting_legend(ax, handles: list) -> None:
    """The legend under ``ax`` in as many columns as fit the figure's width.

    A legend wider than its figure makes the constrained layout shrink the matrix to leave
    room for it (a 6-token mask with three legend entries became a 50-pixel grid with
    overlapping labels), so fall back to fewer columns until the legend fits.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    for ncol in range(len(handles), 0, -1):
        legend = ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=ncol,
                           frameon=False, fontsize="small")
        if legend.get_window_extent(renderer).width <= 0.95 * fig.bbox.width:
            return


def plot_masks(masks: Mapping[str, torch.Tensor], tokens=None, *, ncols: int | None = None,
               boundaries: Mapping[str, int] | None = None, title: str | None = None):
    """A grid of masks, one panel per ``name -> mask``, with one shared legend.

    ``tokens`` is one list for every panel, or a dict ``name -> tokens`` (or
    ``name -> (query_tokens, tokens)`` for a cross-attention panel). Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if not isinstance(masks, Mapping) or not masks:
        raise TypeError("masks must be a non-empty dict {name: bool mask [T, S]}")
    n = len(masks)
    ncols = ncols or min(n, 3)
    nrows = -(-n // ncols)
    size = max(check_mask(m, f"masks[{k!r}]").shape[-1] for k, m in masks.items())
    cell = min(4.2, max(2.4, 0.3 * size + 1.2))
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols, cell * nrows + 0.6),
                             layout="constrained", squeeze=False)
    for ax, (name, mask) in zip(axes.flat, masks.items(), strict=False):
        toks = tokens.get(name) if isinstance(tokens, Mapping) else tokens
        query_toks = None
        if isinstance(toks, tuple) and len(toks) == 2 and not isinstance(toks[0], str):
            query_toks, toks = toks
        plot_mask(mask, toks, query_tokens=query_toks, ax=ax, title=name, legend=False,
                  boundaries=(boundaries or {}).get(name))
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    fig.legend(handles=legend_handles(), loc="outside lower center", ncol=2, frameon=False)
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


def plot_attention(weights: torch.Tensor, tokens: Sequence[str] | None = None, *,
                   query_tokens: Sequence[str] | None = None, ax=None, title: str | None = None,
                   cmap: str = "Blues"):
    """Heatmap of attention weights ``[T, S]`` (each row a softmax over the keys).

    For a model's output pick one layer, sequence and head first, e.g.
    ``out.attentions[layer][0, head]`` (run the model with ``output_attentions=True``).
    """
    if not isinstance(weights, torch.Tensor):
        raise TypeError(f"weights must be a torch.Tensor [T, S], got {type(weights).__name__}")
    if weights.dim() != 2:
        raise ValueError(f"weights must be 2-D [T, S], got shape {tuple(weights.shape)}; pick one layer, "
                         "sequence and head, e.g. out.attentions[layer][0, head]")
    if not weights.is_floating_point():
        raise TypeError(f"weights must be a float tensor, got {weights.dtype}")
    w = weights.detach().float().cpu()
    if not bool(torch.isfinite(w).all()) or bool((w < 0).any()):
        bad = w[~torch.isfinite(w) | (w < 0)][0].item()
        raise ValueError(f"weights must be attention probabilities (finite and >= 0), got {bad}")
    T, S = w.shape
    keys = check_labels(tokens, S, "tokens", "keys (columns)")
    if query_tokens is None and tokens is not None and T == S:
        query_tokens = tokens
    queries = check_labels(query_tokens, T, "query_tokens", "queries (rows)")
    fig, ax = _new_axes(T, S, ax)
    image = ax.imshow(w.numpy(), cmap=cmap, vmin=0.0, vmax=max(1e-9, float(w.max())),
                      interpolation="nearest", aspect="equal")
    _label_keys_and_queries(ax, keys, queries, xlabel="keys", ylabel="queries")
    fig.colorbar(image, ax=ax, shrink=0.7, label="attention weight")
    if title:
        ax.set_title(title, fontweight="bold")
    return fig
