"""Shared timing and reporting for the benchmarks: fair, noise-aware, printable.

Timing on a small shared CPU is noisy: another process can steal a core for a second.
Three habits keep the comparisons honest:

* **warm-up** calls first (allocator, oneDNN kernel selection, lazy imports) that are
  never counted;
* **interleaving**: the candidates run A, B, A, B, ... so a burst of background load
  hits all of them, not only whichever happened to run during it;
* **medians** over several repeats, which ignore the odd slow repeat that a mean would
  average in.

Every benchmark returns a ``Table``: a title, column names, rows, notes and raw numbers.
``Table.markdown()`` prints it; ``Table.as_dict()`` is what ``run.py --json`` writes.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch


def set_threads(threads: int | None = None) -> int:
    """Pin torch's intra-op threads (default: every core this process may use) and return it.

    Every benchmark pins the count explicitly, so two libraries are always compared on the
    same number of threads and a table says which count it was measured with.
    """
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(int(threads))
    return torch.get_num_threads()


def threads_label(threads: int) -> str:
    return f"{threads} thread" + ("" if threads == 1 else "s")


def measure(candidates: dict[str, Callable[[], object]], *, repeats: int = 5, warmup: int = 1,
            inner: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each candidate, interleaved: ``{name: [repeat_1, repeat_2, ...]}``.

    Each repeat times ``inner`` back-to-back calls and divides by ``inner`` (so very short
    calls are not dominated by the clock's resolution). The candidates take turns inside
    every repeat, and the starting candidate rotates from one repeat to the next, so none
    always runs first, right after the others have warmed (or polluted) the caches.
    """
    names = list(candidates)
    for name in names:
        for _ in range(warmup):
            candidates[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = candidates[name]
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - start) / inner)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Median of the pairwise ratios of two interleaved series (repeat r with repeat r).

    Two candidates timed in the same round saw the same machine; their ratio stays put
    when the machine as a whole speeds up or slows down between rounds."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def spread(values: list[float]) -> float:
    """Relative spread of the repeats, (max - min) / median: a quick noise indicator."""
    m = statistics.median(values)
    return (max(values) - min(values)) / m if m else 0.0


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none); above the core count means
    other processes competed for the CPU while the numbers were taken."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, object]:
    """What the numbers were measured on: they mean little without it."""
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "load_average_1min": load_average()}


def fmt(value, digits: int = 3) -> str:
    """A number with ``digits`` significant figures, thousands grouped; strings pass through."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or abs(value) >= 10 ** digits:
        return f"{round(value):,}"
    return f"{value:.{digits}g}"


@dataclass
class Table:
    """One benchmark's result: printable as Markdown, savable as JSON."""

    name: str                       # short id, the key in run.py's registry
    title: str                      # the heading printed above the table
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how to read it, what was skipped and why
    data: dict = field(default_factory=dict)        # raw numbers (all repeats) for the JSON file

    def add(self, *cells) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"row has {len(cells)} cells, table {self.name!r} has "
                             f"{len(self.columns)} columns")
        self.rows.append(list(cells))

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        if self.rows:
            lines.append("| " + " | ".join(self.columns) + " |")
            aligns = ["---:" if self._numeric(i) else "---" for i in range(len(self.columns))]
            lines.append("|" + "|".join(aligns) + "|")
            lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in self.rows]
            lines.append("")
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def _numeric(self, column: int) -> bool:
        """Right-align a column of numbers (and ratios such as "1.2x" or "5 %")."""
        cells = [row[column] for row in self.rows if row[column] not in (None, "")]
        return bool(cells) and all(not isinstance(c, str) or c.strip("*±x% ").replace(".", "").isdigit()
                                   for c in cells)

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "columns": self.columns, "rows": self.rows,
                "notes": self.notes, "data": self.data}
