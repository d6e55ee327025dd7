"""Globally optimal segmentation of a sequence of units (sentences) by dynamic programming.

`best_segmentation` chooses, among all ways of cutting units ``0..n-1`` into consecutive segments whose size fits
``max_size``, the one that maximises

    sum of gains[i] over the cuts made after unit i   -   size_weight * sum over segments of ((size - target) / target)²

i.e. it takes the highest-scoring boundaries (e.g. the largest perplexity rises) while keeping segments close to
``target`` in size, and never exceeds ``max_size``. Cost: O(n * w) evaluations of the size of a span, where w is the
most units a segment can hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .sizing import SpanMeasure

Span = tuple[int, int]


def best_segmentation(
    units: Sequence[Span],
    gains: Sequence[float],
    measure: SpanMeasure,
    max_size: int,
    target: float,
    size_weight: float,
    cut_cost: float = 0.0,
) -> list[tuple[int, int]]:
    """The segments, as unit index ranges ``(i, j)`` in order, of the highest-scoring segmentation of ``units``.

    ``gains[i]`` (for ``i < len(units) - 1``) is the reward for a cut after unit ``i``; a segment ``(i, j)`` has the
    size ``measure(units[i][0], units[j - 1][1])`` and costs ``size_weight * ((size - target) / target) ** 2``.
    ``cut_cost`` is subtracted from every cut's gain. Every segment fits ``max_size``; each unit must fit it alone
    (ValueError otherwise). Sizes are assumed to grow with the span (true of every sizer here). Ties are broken
    deterministically (towards the shorter last segment).
    """
    n = len(units)
    if len(gains) < n - 1:
        raise ValueError(f"{n} units need {n - 1} gains, got {len(gains)}")
    if target <= 0 or size_weight < 0:
        raise ValueError(f"target must be > 0 and size_weight >= 0, got {target}, {size_weight}")
    best = [0.0] + [-math.inf] * n  # best[j]: the best score of units [0, j) ending in a cut after unit j - 1
    previous = [0] * (n + 1)
    for j in range(1, n + 1):
        gain = gains[j - 1] - cut_cost if j < n else 0.0
        for i in range(j - 1, -1, -1):
            size = measure(units[i][0], units[j - 1][1])
            if size > max_size:
                if i == j - 1:
                    raise ValueError(f"unit {i} of size {size} exceeds max_size={max_size}")
                break
            score = best[i] + gain - size_weight * ((size - target) / target) ** 2
            if score > best[j]:
                best[j], previous[j] = score, i
    segments, j = [], n
    while j > 0:
        segments.append((previous[j], j))
        j = previous[j]
    return segments[::-1]


def standardized(values: Sequence[float]) -> list[float]:
    """``values`` as z-scores (mean 0, standard deviation 1; NaN becomes 0, a constant sequence all 0)."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return [0.0] * len(values)
    mean = sum(finite) / len(finite)
    spread = math.sqrt(sum((v - mean) ** 2 for v in finite) / len(finite))
    return [0.0 if math.isnan(v) or spread == 0 else (v - mean) / spread for v in values]


def mean_sized_segmentation(
    units: Sequence[Span],
    gains: Sequence[float],
    measure: SpanMeasure,
    max_size: int,
    target: float,
    size_weight: float,
    steps: int = 14,
) -> list[tuple[int, int]]:
    """`best_segmentation` with the ``cut_cost`` (a Lagrange multiplier on the number of segments) that brings the
    mean segment size closest to ``target``, found by bisection (``steps`` passes after bracketing): the gains then
    decide where the cuts go, not how many there are."""

    def mean_size(segments: list[tuple[int, int]]) -> float:
        return sum(measure(units[i][0], units[j - 1][1]) for i, j in segments) / len(segments)

    def solve(cost: float) -> tuple[float, list[tuple[int, int]]]:
        segments = best_segmentation(units, gains, measure, max_size, target, size_weight, cost)
        return mean_size(segments), segments

    if len(units) <= 1:
        return [(0, len(units))] if units else []
    low, high = -1.0, 1.0
    tried = [solve(low), solve(high)]
    for _ in range(8):  # widen until the bracket holds the target (more cost, fewer and larger segments)
        if tried[0][0] <= target:
            break
        low *= 4
        tried[0] = solve(low)
    for _ in range(8):
        if tried[1][0] >= target:
            break
        high *= 4
        tried[1] = solve(high)
    candidates = list(tried)
    for _ in range(steps):
        middle = (low + high) / 2
        result = solve(middle)
        candidates.append(result)
        if result[0] < target:
            low = middle
        else:
            high = middle
    return min(candidates, key=lambda c: abs(c[0] - target))[1]
