"""Sentences computed from results: mean ± spread over seeds, and verdicts that call a
difference inside the spread a tie.

A notebook that writes "pretraining helps" in Markdown keeps saying it after a change, on
another CPU, or in ``MINILM_FAST`` mode, when the numbers above it say otherwise. Print the
sentence from the numbers instead:

    >>> print(verdict("pretrained", [0.91, 0.88, 0.93], "scratch", [0.52, 0.49, 0.55]))
    pretrained beats scratch: 0.907 ± 0.025 vs 0.520 ± 0.030 (3 seeds each)
    >>> print(verdict("λ = 0.5", [0.61, 0.66, 0.58], "λ = 0", [0.60, 0.63, 0.62]))
    λ = 0.5 and λ = 0 tie within the spread: 0.617 ± 0.040 vs 0.617 ± 0.015 (3 seeds each)

The spread is half the range across seeds (max - min) / 2: with 3 to 5 seeds it is a
plainer and more cautious band than a standard error. Two results differ only when their
bands do not overlap; with paired seeds (the same seed gives both runs the same data and
initialisation) ``paired=True`` asks instead that every seed's difference has the same sign.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def _values(values, name: str) -> list[float]:
    if isinstance(values, (int, float)):
        values = [values]
    if isinstance(values, (str, bytes)):  # "0.61" would read as the digits 0, 6 and 1
        raise TypeError(f"{name} must be a number or a list of numbers, got {type(values).__name__}")
    out = [float(v) for v in values]
    if not out or any(math.isnan(v) for v in out):
        raise ValueError(f"{name} must be a non-empty list of numbers without NaN, got {values!r}")
    return out


@dataclass(frozen=True)
class Spread:
    """Mean and half-range of one result measured over several seeds."""

    mean: float
    spread: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float], name: str = "values") -> Spread:
        v = _values(values, name)
        return cls(sum(v) / len(v), (max(v) - min(v)) / 2, len(v))

    @property
    def low(self) -> float:
        return self.mean - self.spread

    @property
    def high(self) -> float:
        return self.mean + self.spread

    def format(self, digits: int = 3, *, percent: bool = False) -> str:
        if percent:
            return f"{100 * self.mean:.{max(0, digits - 2)}f} ± {100 * self.spread:.{max(0, digits - 2)}f} %"
        return f"{self.mean:.{digits}f} ± {self.spread:.{digits}f}"

    def __str__(self) -> str:
        return self.format()


def compare(a: Sequence[float], b: Sequence[float], *, paired: bool = False,
            higher_is_better: bool = True) -> int:
    """+1 if ``a`` is better than ``b`` beyond the spread, -1 if worse, 0 for a tie.

    Unpaired: the bands mean ± spread must not overlap. Paired (``a[i]`` and ``b[i]`` share
    seed i): every per-seed difference must have the same sign, and not be zero.
    """
    a, b = _values(a, "a"), _values(b, "b")
    sign = 1 if higher_is_better else -1
    if paired:
        if len(a) != len(b):
            raise ValueError(f"paired results need as many values in a as in b, got {len(a)} and {len(b)}")
        diffs = [sign * (x - y) for x, y in zip(a, b, strict=True)]
        return 1 if all(d > 0 for d in diffs) else -1 if all(d < 0 for d in diffs) else 0
    sa, sb = Spread.of(a), Spread.of(b)
    if sign * (sa.mean - sb.mean) > 0 and (sa.low > sb.high if sign > 0 else sa.high < sb.low):
        return 1
    if sign * (sb.mean - sa.mean) > 0 and (sb.low > sa.high if sign > 0 else sb.high < sa.low):
        return -1
    return 0


def verdict(name_a: str, a: Sequence[float], name_b: str, b: Sequence[float], *, paired: bool = False,
            higher_is_better: bool = True, digits: int = 3, percent: bool = False) -> str:
    """One sentence comparing two results measured over seeds (see the module's examples)."""
    sa, sb = Spread.of(a, name_a), Spread.of(b, name_b)
    outcome = compare(a, b, paired=paired, higher_is_better=higher_is_better)
    if outcome < 0:  # name the winner first, and give its numbers first
        name_a, name_b, sa, sb = name_b, name_a, sb, sa
    numbers = f"{sa.format(digits, percent=percent)} vs {sb.format(digits, percent=percent)}"
    seeds = f"{sa.n} seeds each" if sa.n == sb.n else f"{sa.n} and {sb.n} seeds"
    head = (f"{name_a} beats {name_b}" if outcome else f"{name_a} and {name_b} tie within the spread")
    return f"{head}: {numbers} ({seeds}{', paired' if paired else ''})"


def count_phrase(count: int, total: int, what: str) -> str:
    """'2 of 4 tasks' (a sentence fragment that stays true when the count changes)."""
    if not 0 <= count <= total:
        raise ValueError(f"count must lie in [0, total={total}], got {count}")
    return f"{count} of {total} {what}"
