"""The one greedy "pack adjacent units under a budget" routine, and the budget-enforcing splitter."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import TypeVar

from .sizing import SpanMeasure

Span = tuple[int, int]
T = TypeVar("T")

# Tried in order by `split_span`: paragraphs, lines, sentence ends, clause punctuation, spaces.
DEFAULT_SEPARATORS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n[ \t\r\f\v]*\n\s*"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?\u3002\uff01\uff1f\u2026])\s+|(?<=[\u3002\uff01\uff1f])"),
    re.compile(r"(?<=[,;:])\s+|(?<=[\uff0c\uff1b\uff1a\u3001])\s*"),  # "https:", "1,000": no cut
    re.compile(r"\s+"),
)


class BudgetError(ValueError):
    """A unit cannot be made to fit the size budget."""


def pack(
    spans: Sequence[Span], measure: SpanMeasure, max_size: int, allow_oversized: bool = False
) -> list[tuple[int, int]]:
    """Greedily group adjacent spans, left to right, while each group's span fits ``max_size``.

    A group covers ``source[spans[i][0]:spans[j - 1][1]]`` (text between the spans included) and is
    returned as the index range ``(i, j)``. Every single span must already fit the budget, unless
    ``allow_oversized`` (for soft targets): then a span that does not fit forms a group of its own.
    """
    groups: list[tuple[int, int]] = []
    first = 0
    for k, (start, end) in enumerate(spans):
        if measure(start, end) > max_size:
            if not allow_oversized:
                raise BudgetError(f"unit [{start}, {end}) of size {measure(start, end)} exceeds max_size={max_size}")
            if k > first:
                groups.append((first, k))
            first = k
            continue
        if k > first and measure(spans[first][0], end) > max_size:
            groups.append((first, k))
            first = k
    if spans:
        groups.append((first, len(spans)))
    return groups


def join_adjacent(
    groups: list[T], items: Iterable[T], can_join: Callable[[T, T], bool], join: Callable[[T, T], None]
) -> list[T]:
    """The one greedy left-to-right merge of adjacent pieces: each item joins the last group (``join(last, item)``)
    when ``can_join(last, item)``, else starts a group of its own. ``groups`` (the groups so far) is extended in
    place and returned. The document pieces merge through it (the code windows merge at their junctions only: see
    `chunkers.code.windows`)."""
    for item in items:
        if groups and can_join(groups[-1], item):
            join(groups[-1], item)
        else:
            groups.append(item)
    return groups


def trim(source: str, start: int, end: int) -> Span:
    """The span without leading and trailing whitespace (empty spans collapse to ``(end, end)``)."""
    while start < end and source[start].isspace():
        start += 1
    while end > start and source[end - 1].isspace():
        end -= 1
    return start, end


def split_span(
    source: str,
    start: int,
    end: int,
    measure: SpanMeasure,
    max_size: int,
    separators: Sequence[re.Pattern[str]] = DEFAULT_SEPARATORS,
    keep: Sequence[Span] = (),
) -> list[Span]:
    """Split ``source[start:end]`` into adjacent pieces that each fit ``max_size``.

    Cuts at the coarsest separator that exists (paragraphs, then lines, sentences, clauses, spaces),
    packs the pieces back together greedily, and cuts by characters as the last resort. The pieces tile
    the span exactly. ``keep``: sorted spans never cut inside at a separator (HTML tags). Raises `BudgetError` if
    one character alone exceeds the budget.
    """
    if measure(start, end) <= max_size:
        return [(start, end)]
    for level, separator in enumerate(separators):
        cuts = [m.end() for m in separator.finditer(source, start, end) if start < m.end() < end]
        cuts = [cut for cut in cuts if not inside(keep, cut)] if keep else cuts
        if not cuts:
            continue
        bounds = [start, *sorted(set(cuts)), end]
        pieces: list[Span] = []
        for a, b in pairwise(bounds):
            if measure(a, b) <= max_size:
                pieces.append((a, b))
            else:
                pieces.extend(split_span(source, a, b, measure, max_size, separators[level + 1 :], keep))
        return [(pieces[i][0], pieces[j - 1][1]) for i, j in pack(pieces, measure, max_size)]
    return _cut_characters(source, start, end, measure, max_size)


def inside(spans: Sequence[Span], position: int) -> bool:
    """Whether ``position`` falls strictly inside one of the sorted, disjoint ``spans``."""
    k = bisect_right(spans, (position, position)) - 1
    return k >= 0 and spans[k][0] < position < spans[k][1]


def _cut_characters(source: str, start: int, end: int, measure: SpanMeasure, max_size: int) -> list[Span]:
    pieces: list[Span] = []
    while start < end:
        if measure(start, start + 1) > max_size:
            raise BudgetError(
                f"max_size={max_size} is smaller than the single character {source[start]!r} "
                f"at offset {start} (size {measure(start, start + 1)})"
            )
        cut = furthest_fit(measure, start, start + 1, end, max_size)
        pieces.append((start, cut))
        start = cut
    return pieces


def furthest_fit(measure: SpanMeasure, start: int, low: int, high: int, max_size: int) -> int:
    """The largest end ``e`` in ``[low, high]`` with ``measure(start, e) <= max_size`` (``low`` when none larger
    fits), by binary search."""
    while low < high:
        mid = (low + high + 1) // 2
        if measure(start, mid) <= max_size:
            low = mid
        else:
            high = mid - 1
    return low


def fitted(
    source: str,
    start: int,
    end: int,
    measure: SpanMeasure,
    max_size: int,
    separators: Sequence[re.Pattern[str]] = DEFAULT_SEPARATORS,
    keep: Sequence[Span] = (),
) -> list[Span]:
    """``source[start:end]`` cut by `split_span` into pieces that fit, each trimmed of surrounding whitespace, the
    blank ones left out."""
    pieces = (trim(source, a, b) for a, b in split_span(source, start, end, measure, max_size, separators, keep))
    return [(a, b) for a, b in pieces if a < b]


def pack_spans(source: str, spans: Sequence[Span], measure: SpanMeasure, max_size: int) -> list[Span]:
    """Split every span to fit, then pack adjacent ones: the usual "units to chunks" step."""
    # Trimmed units: a group's size is then measured without the whitespace its chunk will not keep.
    units = [piece for start, end in spans for piece in fitted(source, start, end, measure, max_size)]
    return [(units[i][0], units[j - 1][1]) for i, j in pack(units, measure, max_size)]


def pack_even(
    spans: Sequence[Span],
    measure: SpanMeasure,
    max_size: int,
    opener: int | None = None,
    cost: Callable[[int], int] | None = None,
) -> list[tuple[int, int]]:
    """Like `pack` (every span must fit), but a run that needs k groups is cut into k groups of about equal size, not
    k - 1 full ones and a remainder: the fewest groups that fit (one more where even ones would not), each ending at
    the span boundary nearest an equal share of what is left. ``opener``: where text that will share the first group
    starts (a heading before the spans), so that the first group is sized to fit with it. ``cost(start)``: what a
    group starting at ``start`` adds to its size beyond its text (a context line embedded with it), so that each group
    fits with its own."""
    if not spans:
        return []

    def room(index: int, first: bool) -> tuple[int, int]:
        begin = opener if opener is not None and first else spans[index][0]
        return begin, max(max_size - (cost(begin) if cost is not None else 0), 1)

    count = len(_packed(spans, measure, room, None))
    while True:
        groups = _packed(spans, measure, room, count)
        if groups is not None:
            return groups
        count += 1


def _packed(
    spans: Sequence[Span], measure: SpanMeasure, room: Callable[[int, bool], tuple[int, int]], count: int | None
) -> list[tuple[int, int]] | None:
    """Groups of ``spans`` that fit ``room(i, first)`` (the start and budget of a group starting at span i): filled
    greedily when ``count`` is None, else ``count`` groups, each ending at the boundary nearest an equal share of
    what is left (None when they do not all fit)."""
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        begin, budget = room(i, not groups)
        left = measure(begin, spans[-1][1])
        if count is not None and len(groups) == count - 1 and left > budget:
            return None
        share = budget if count is None else left / max(count - len(groups), 1)
        j = i + 1
        while j < len(spans) and measure(begin, spans[j][1]) <= budget:
            below, above = measure(begin, spans[j - 1][1]), measure(begin, spans[j][1])
            if above > share and above - share >= share - below:  # the boundary nearest the share
                break
            j += 1
        groups.append((i, j))
        i = j
    return groups
