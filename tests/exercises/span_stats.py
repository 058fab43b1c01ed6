"""Statistics shared by the graded span-sampling tests (ex06 infilling_spans, ex07 sample_spans).

A learner's sampler draws from its own random stream, so it cannot be compared with
``minilm``'s draw for draw. Instead, both samplers draw many span sets and every frequency
(how often a span has length l, how often position i is masked, ...) is compared with a
two-sample test at 5 standard deviations: a two-sided normal tail of 6e-7 per comparison,
so with the ~100 comparisons of a test file a correct sampler fails with probability < 1e-4.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable

Spans = list[tuple[int, int]]


def draw(sampler: Callable[[int], Spans], times: int) -> list[Spans]:
    """``times`` span sets from ``sampler(i)`` (i = 0 .. times - 1)."""
    return [list(map(tuple, sampler(i))) for i in range(times)]


def length_counts(span_sets: Iterable[Spans]) -> tuple[Counter, int]:
    """How many spans have each length, pooled over all span sets; and the number of spans."""
    counts = Counter(end - start for spans in span_sets for start, end in spans)
    return counts, sum(counts.values())


def coverage_counts(span_sets: list[Spans]) -> tuple[Counter, int]:
    """In how many span sets each position is masked; and the number of span sets."""
    counts = Counter(i for spans in span_sets for start, end in spans for i in range(start, end))
    return counts, len(span_sets)


def start_counts(span_sets: list[Spans]) -> tuple[Counter, int]:
    """How many spans (a [MASK] each, length 0 included) start at each position; and the number of spans."""
    counts = Counter(start for spans in span_sets for start, _ in spans)
    return counts, sum(counts.values())


def assert_same_frequencies(what: str, learner: tuple[Counter, int], reference: tuple[Counter, int],
                            sigmas: float = 5.0) -> None:
    """Each frequency of ``learner`` equals ``reference``'s within ``sigmas`` two-sample sds."""
    (a, n_a), (b, n_b) = learner, reference
    assert n_a > 0, f"{what}: the sampler drew nothing"
    for key in sorted(set(a) | set(b)):
        p_a, p_b = a[key] / n_a, b[key] / n_b
        pooled = (a[key] + b[key]) / (n_a + n_b)
        sd = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        assert abs(p_a - p_b) <= sigmas * sd + 1e-12, \
            f"{what} {key}: frequency {p_a:.4f}, expected {p_b:.4f} (± {sigmas * sd:.4f})"


def assert_frequencies_match(what: str, learner: tuple[Counter, int], expected: dict,
                             sigmas: float = 5.0) -> None:
    """Each frequency of ``learner`` equals its exact probability in ``expected`` within ``sigmas`` sds."""
    counts, n = learner
    assert n > 0, f"{what}: the sampler drew nothing"
    for key, p in expected.items():
        sd = math.sqrt(p * (1 - p) / n)
        assert abs(counts[key] / n - p) <= sigmas * sd, \
            f"{what} {key}: frequency {counts[key] / n:.4f}, expected {p:.4f} (± {sigmas * sd:.4f})"
    unexpected = sorted(k for k in counts if k not in expected)
    assert not unexpected, f"{what}: values that should never occur: {unexpected}"
