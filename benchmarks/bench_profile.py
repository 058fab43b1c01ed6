"""Where a training step's time goes: torch.profiler, grouped into a few kinds of work.

The training table says how fast each model trains; this one says why. Each candidate of
``bench_training`` runs a few steps under ``torch.profiler``; every ATen operator's *self*
time (excluding the operators it calls) is put into one group by its name, and the table
shows each group's share of the step. GEMMs are what the matmul ceiling measures; all
the rest is time a step spends below that ceiling.
"""

from __future__ import annotations

from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.bench_matmul import TINY, ModelShape
from benchmarks.bench_training import BASELINE, CANDIDATES
from benchmarks.common import Table, median, set_threads, threads_label
from minilm.train import make_optimizer, train

# (group, substrings of ATen operator names); the first match wins, so the order matters
GROUPS = [
    ("GEMMs (linear layers, LM head)", ("aten::mm", "aten::addmm", "aten::bmm", "aten::linear")),
    ("attention kernel (fused SDPA)", ("scaled_dot_product", "_flash_attention")),
    ("GELU", ("gelu",)),
    ("LayerNorm", ("layer_norm",)),
    ("cross-entropy", ("log_softmax", "nll_loss", "cross_entropy")),
    ("attention softmax (explicit path)", ("aten::_softmax", "aten::_softmax_backward")),
    ("AdamW + gradient clipping", ("_fused_adam", "_foreach", "linalg_vector_norm", "addcdiv", "addcmul",
                                   "lerp", "aten::sqrt", "clamp")),
    ("copies, residual adds, bias gradients", ("copy_", "aten::add", "aten::sum", "aten::cat", "fill_",
                                               "zero_", "aten::mul", "aten::div", "aten::clone",
                                               "contiguous", "aten::where")),
    ("embedding lookup and its gradient", ("embedding", "index", "aten::gather", "scatter")),
]
OTHER = "everything else (Python, autograd bookkeeping, small ops)"


def group_of(op: str) -> str:
    for group, needles in GROUPS:
        if any(needle in op for needle in needles):
            return group
    return OTHER


def profile_step(name: str, shape: ModelShape, *, steps: int = 3) -> dict[str, float]:
    """Self time (seconds per step) of each group for one candidate's training step."""
    torch.manual_seed(0)
    model, batch = CANDIDATES[name].build(shape, torch.Generator().manual_seed(0))
    optimizer = make_optimizer(model, lr=1e-4)

    def step():
        train(model, batch, steps=1, optimizer=optimizer, schedule="constant", progress=False)

    step()  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    seconds: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        if event.key.startswith("aten::"):
            seconds[group_of(event.key)] += event.self_cpu_time_total / 1e6 / steps
        elif not event.key.startswith(("autograd::", "Optimizer.", "ProfilerStep")):
            seconds[OTHER] += event.self_cpu_time_total / 1e6 / steps
    return dict(seconds)


def run(*, quick: bool = False, tiny: bool = False, threads: int | None = None,
        previous: dict | None = None, names: tuple[str, ...] = ("gpt", BASELINE)) -> Table:
    threads = set_threads(threads)
    shape = TINY if tiny else ModelShape()
    # A single profile can catch a burst of background load in one operator; profiling the
    # candidates in turns and keeping each group's median keeps that out of the table.
    rounds: dict[str, list[dict[str, float]]] = {}
    skipped: dict[str, str] = {}
    n_rounds = 1 if tiny else 3
    for _ in range(n_rounds):
        for name in names:
            if name in skipped:
                continue
            try:
                seconds = profile_step(name, shape, steps=1 if tiny else 2)
            except ImportError as error:
                skipped[name] = f"{CANDIDATES[name].label}: skipped ({error})"
                continue
            rounds.setdefault(name, []).append(seconds)
    profiles = {name: {group: median([r.get(group, 0.0) for r in runs])
                       for group in {g for r in runs for g in r}}
                for name, runs in rounds.items()}
    labels = [CANDIDATES[name].label.split(" (")[0] for name in profiles]
    table = Table("profile", "Where a training step's time goes (torch.profiler, self time)",
                  ["kind of work"] + [f"{label} ms" for label in labels] + [f"{label} %" for label in labels])
    totals = {name: sum(p.values()) for name, p in profiles.items()}
    for group in [g for g, _ in GROUPS] + [OTHER]:
        ms = [1e3 * profiles[n].get(group, 0.0) for n in profiles]
        if any(ms):
            shares = [f"{100 * profiles[n].get(group, 0.0) / totals[n]:.1f} %" for n in profiles]
            table.add(group, *ms, *shares)
    table.add("**total (profiled)**", *[1e3 * totals[n] for n in profiles], *["100 %" for _ in profiles])
    table.notes += list(skipped.values()) + [
        f"{threads_label(threads)}; the training benchmark's configuration; operator self times "
        f"summed per step, median of {n_rounds} profiles taken in turns (the profiler adds some overhead, "
        "so totals exceed the training table's ms/step).",
        "GEMMs run at the matmul ceiling; everything below that row is why a step runs below it.",
    ]
    table.data = {"threads": threads, "seconds_per_step": profiles}
    return table


if __name__ == "__main__":
    print(run().markdown())
