"""Reading arena results: per-metric summaries, a Markdown table, a plot, and verdicts
that call a difference inside the spread across seeds a tie."""

from __future__ import annotations

import statistics

from minilm.arena.metrics import METRICS

CHANCE = {"sentiment": 0.5, "entailment": 0.5, "cloze": 0.5}  # balanced binary tasks


def values(results: dict, objective: str, metric: str) -> list[float]:
    """The metric's value for every seed of ``objective`` (cells without it are skipped)."""
    cells = results["cells"].get(objective, {})
    return [c[metric] for c in cells.values() if c.get(metric) is not None]


def summary(results: dict, objective: str, metric: str) -> dict | None:
    """mean, min, max and n of a metric across seeds; None if the model cannot be measured."""
    v = values(results, objective, metric)
    if not v:
        return None
    return {"mean": statistics.fmean(v), "min": min(v), "max": max(v), "n": len(v)}


def verdict(results: dict, metric: str, a: str, b: str) -> str:
    """"better", "worse" or "tie" for ``a`` against ``b`` on ``metric``.

    A tie unless the seeds' ranges [min, max] do not overlap, so "better" means every seed
    of ``a`` beat every seed of ``b``. With a single seed there is no spread to judge by,
    and every comparison is a tie. "n/a" when either cannot be measured.
    """
    sa, sb = summary(results, a, metric), summary(results, b, metric)
    if sa is None or sb is None:
        return "n/a"
    if min(sa["n"], sb["n"]) < 2:
        return "tie"
    higher_is_better = METRICS[metric][1]
    if sa["min"] > sb["max"]:
        return "better" if higher_is_better else "worse"
    if sa["max"] < sb["min"]:
        return "worse" if higher_is_better else "better"
    return "tie"


def leaders(results: dict, metric: str) -> list[str]:
    """The objectives that no other objective beats on ``metric`` (ties included)."""
    names = [n for n in results["cells"] if summary(results, n, metric) is not None]
    return [a for a in names if not any(verdict(results, metric, b, a) == "better" for b in names if b != a)]


def uninformative(results: dict, metric: str) -> str | None:
    """Why ``metric`` cannot rank the objectives in ``results``, or None when it can: every
    run scored the same (0 facts from every objective in a short run), or, for a balanced
    classification task, no objective beats chance with every seed."""
    summaries = [s for s in (summary(results, n, metric) for n in results["cells"]) if s is not None]
    if not summaries:
        return "no objective can be measured on it"
    if max(s["max"] for s in summaries) == min(s["min"] for s in summaries):
        return "every run scores the same"
    if metric in CHANCE and not any(s["min"] > CHANCE[metric] for s in summaries):
        return "no objective beats chance with every seed"
    return None


def _cell(s: dict | None, metric: str) -> str:
    if s is None:
        return "n/a"
    digits = 2 if metric == "nll" else 3
    spread = f" ({s['min']:.{digits}f}–{s['max']:.{digits}f})" if s["n"] > 1 else ""
    return f"{s['mean']:.{digits}f}{spread}"


def markdown_table(results: dict) -> str:
    """Two tables, narrow enough for a notebook cell: one row per objective with the mean of
    each metric (min–max across seeds), then each objective's budget (non-embedding
    parameters, steps, tokens through the model, FLOPs)."""
    quality = [["objective", "model"] + [METRICS[m][0] for m in METRICS]]
    budget = [["objective", "non-emb. params", "steps", "corpus tokens", "tokens through model",
               "FLOPs (est.)"]]
    for name, cells in results["cells"].items():
        if not cells:
            continue
        first = next(iter(cells.values()))
        mean = {k: statistics.fmean(c[k] for c in cells.values())
                for k in ("steps", "corpus_tokens", "tokens", "flops")}
        quality.append([name, results["objectives"][name]["model"]]
                       + [_cell(summary(results, name, m), m) for m in METRICS])
        budget.append([name, f"{first['non_embedding_parameters']:,}", f"{mean['steps']:.0f}",
                       f"{mean['corpus_tokens']:,.0f}", f"{mean['tokens']:,.0f}", f"{mean['flops']:.2e}"])
    n_seeds = len(results["config"]["seeds"])
    return "\n".join([
        *_markdown_rows(quality), "",
        f"Mean over {n_seeds} seed(s), (min–max) across seeds. n/a: the model defines no probability "
        "of a continuation. Pretraining losses are not compared: each objective scores different tokens.",
        "", *_markdown_rows(budget), "",
        f"Budget: the same {results['config']['budget']} for every objective."])


def _markdown_rows(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(row) + " |" for row in body]


def plot_results(results: dict, *, metrics=None, ncols: int = 3):
    """One panel per metric: a dot per seed, a bar at the mean. Returns the Figure."""
    import matplotlib.pyplot as plt

    metrics = list(metrics or METRICS)
    names = [n for n in results["cells"] if results["cells"][n]]
    nrows = -(-len(metrics) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.9 * nrows), layout="constrained",
                             squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        label, higher = METRICS[metric]
        for x, name in enumerate(names):
            v = values(results, name, metric)
            if not v:
                ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=8, color="0.4")
                continue
            ax.bar(x, statistics.fmean(v), color=f"C{x}", alpha=0.35)
            ax.plot([x] * len(v), v, "o", color=f"C{x}", ms=4)
        if metric in CHANCE:
            ax.axhline(CHANCE[metric], color="0.5", ls=":", lw=1, label="chance")
        if metric != "nll":  # a fraction
            ax.set_ylim(0, 1.05)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_title(f"{label} {'↑' if higher else '↓'}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    return fig
