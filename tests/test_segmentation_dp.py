"""The dynamic-programming segmenter behind PerplexityChunker(boundary="dp"): optimal, tiling, within budget."""

from __future__ import annotations

from itertools import combinations, pairwise

import pytest
from chunkers.core.segmentation_dp import best_segmentation, mean_sized_segmentation, standardized
from hypothesis import given, settings
from hypothesis import strategies as st


def units_of(sizes: list[int], gap: int = 1) -> list[tuple[int, int]]:
    """Adjacent spans of the given sizes, ``gap`` characters apart (like sentences and the space between)."""
    spans, position = [], 0
    for size in sizes:
        spans.append((position, position + size))
        position += size + gap
    return spans


def length(start: int, end: int) -> int:
    return end - start


def score(segments, units, gains, max_size, target, weight, cut_cost=0.0) -> float:
    """The objective `best_segmentation` maximises, or -inf for a segmentation over budget."""
    total = 0.0
    for i, j in segments:
        size = units[j - 1][1] - units[i][0]
        if size > max_size:
            return float("-inf")
        total -= weight * ((size - target) / target) ** 2
        if j < len(units):
            total += gains[j - 1] - cut_cost
    return total


def every_segmentation(n: int):
    for count in range(n):
        for cuts in combinations(range(1, n), count):
            bounds = [0, *cuts, n]
            yield list(pairwise(bounds))


def test_picks_the_highest_scoring_boundaries_where_greedy_packing_would_not() -> None:
    units = units_of([10] * 6, gap=0)  # six units of 10 characters
    gains = [0.0, 3.0, 0.0, 0.0, 3.0]  # strong boundaries after units 1 and 4
    segments = best_segmentation(units, gains, length, max_size=30, target=25, size_weight=1.0)
    # both strong cuts: 3 + 3 - (0.04 + 0.04 + 0.36) = 5.56; with one more cut to even the sizes: 5.2; even sizes
    # [0,2) [2,4) [4,6): 3 - 0.12; greedy packing to 30, [0,3) [3,6): -0.08
    assert segments == [(0, 2), (2, 5), (5, 6)]
    assert score(segments, units, gains, 30, 25, 1.0) == pytest.approx(5.56)
    # a cap of 20 makes [2, 5) illegal: a third cut is forced, and the result is still the best legal one
    capped = best_segmentation(units, gains, length, max_size=20, target=25, size_weight=1.0)
    assert capped in ([(0, 2), (2, 4), (4, 5), (5, 6)], [(0, 2), (2, 3), (3, 5), (5, 6)])
    assert score(capped, units, gains, 20, 25, 1.0) == pytest.approx(5.2)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=8),
    gains=st.lists(st.floats(-3, 3), min_size=7, max_size=7),
    max_size=st.integers(12, 40),
    target=st.integers(5, 30),
    weight=st.sampled_from([0.0, 0.5, 2.0]),
    cut_cost=st.floats(-2, 2),
)
def test_optimal_against_brute_force_tiles_and_fits(sizes, gains, max_size, target, weight, cut_cost) -> None:
    units = units_of(sizes)
    segments = best_segmentation(units, gains, length, max_size, target, weight, cut_cost)
    assert segments[0][0] == 0 and segments[-1][1] == len(units)
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in pairwise(segments))
    assert all(units[j - 1][1] - units[i][0] <= max_size for i, j in segments)
    best = max(score(s, units, gains, max_size, target, weight, cut_cost) for s in every_segmentation(len(units)))
    assert score(segments, units, gains, max_size, target, weight, cut_cost) == pytest.approx(best)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=80),
    gains=st.lists(st.floats(-3, 3), min_size=80, max_size=80),
    target=st.integers(20, 200),
    weight=st.sampled_from([0.0, 1.0, 4.0]),
)
def test_mean_sized_segmentation_tiles_fits_and_aims_at_the_mean(sizes, gains, target, weight) -> None:
    units = units_of(sizes)
    max_size = 2 * target + 60
    segments = mean_sized_segmentation(units, gains, length, max_size, target, weight)
    assert segments[0][0] == 0 and segments[-1][1] == len(units)
    assert all(a[1] == b[0] for a, b in pairwise(segments))
    sizes_made = [units[j - 1][1] - units[i][0] for i, j in segments]
    assert max(sizes_made) <= max_size
    mean = sum(sizes_made) / len(sizes_made)
    # the mean is as close to the target as one cut more or less allows (or the text is too short for it)
    total = units[-1][1] - units[0][0]
    if total >= 3 * target and max(sizes) <= target // 2:
        assert abs(mean - target) <= 0.25 * target


def test_uniform_gains_give_even_sizes_and_bad_input_is_refused() -> None:
    units = units_of([10] * 12, gap=0)
    segments = mean_sized_segmentation(units, [0.0] * 11, length, max_size=60, target=30, size_weight=1.0)
    assert [j - i for i, j in segments] == [3, 3, 3, 3]
    with pytest.raises(ValueError, match="exceeds max_size=5"):
        best_segmentation(units, [0.0] * 11, length, max_size=5, target=5, size_weight=1.0)
    with pytest.raises(ValueError, match="need 11 gains"):
        best_segmentation(units, [0.0] * 3, length, max_size=60, target=30, size_weight=1.0)
    assert standardized([1.0, 3.0, float("nan")]) == [-1.0, 1.0, 0.0]
    assert standardized([2.0, 2.0]) == [0.0, 0.0]
