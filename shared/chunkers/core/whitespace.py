"""LangChain's ``strip_whitespace=False``: chunks that keep the whitespace between them, so they tile the source
exactly, with the budget still held."""

from __future__ import annotations

from .chunk import Chunk
from .merge import furthest_fit
from .sizing import Sizer, SpanMeasure


def keep_whitespace(text: str, chunks: list[Chunk], sizer: Sizer, max_size: int) -> list[Chunk]:
    """``chunks`` (in order) widened over the whitespace around them so that they tile ``text``: a gap goes to the
    end of the chunk before it as far as that chunk still fits ``max_size``, the rest to the start of the chunk after
    it as far as that fits; whitespace that fits neither (both neighbours full) becomes a chunk of its own.
    Overlapping chunks keep their overlap; offsets stay exact."""
    if not chunks:
        return []
    measure = sizer.span_measure(text)
    bounds = [[c.start, c.end] for c in chunks]
    out_of_place: list[tuple[int, int]] = []  # whitespace that fitted in no neighbour
    edges = [(None, 0), *((i, i + 1) for i in range(len(chunks) - 1)), (len(chunks) - 1, None)]
    for before, after in edges:
        gap_start = bounds[before][1] if before is not None else 0
        gap_end = bounds[after][0] if after is not None else len(text)
        if gap_end <= gap_start:
            continue
        if before is not None:
            gap_start = bounds[before][1] = furthest_fit(measure, bounds[before][0], gap_start, gap_end, max_size)
        if after is not None and gap_start < gap_end:
            gap_end = bounds[after][0] = _extend_start(measure, bounds[after][1], gap_start, gap_end, max_size)
        if gap_start < gap_end:
            out_of_place.append((gap_start, gap_end))
    widened = [Chunk(text[a:b], a, b, dict(c.metadata)) for c, (a, b) in zip(chunks, bounds)]
    extra = [Chunk(text[a:b], a, b, {"chunker": chunks[0].metadata.get("chunker"), "whitespace_only": True})
             for a, b in out_of_place]  # fmt: skip
    return sorted(widened + extra, key=lambda c: (c.start, c.end))


def _extend_start(measure: SpanMeasure, end: int, limit: int, start: int, max_size: int) -> int:
    """The smallest ``s`` in ``[limit, start]`` with ``measure(s, end) <= max_size``."""
    lo, hi = limit, start
    while lo < hi:
        mid = (lo + hi) // 2
        if measure(mid, end) <= max_size:
            hi = mid
        else:
            lo = mid + 1
    return lo
