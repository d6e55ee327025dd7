"""Overlap with the peers' meaning (LangChain's and LlamaIndex's ``chunk_overlap``): each chunk also starts with the
end of the one before it, up to ``chunk_overlap`` of text in the chunker's sizer, taken at whole sentences (then
words, where no sentence end fits), while the chunk stays within ``max_size``. The text a chunk had without overlap,
which no other chunk owns, is its core (``core_start``/``core_end`` in its metadata): the cores tile the source."""

from __future__ import annotations

import re
from collections.abc import Callable

from .chunk import Chunk, embedded_text
from .segment import sentence_spans
from .sizing import Sizer

_WORD = re.compile(r"(?<=\s)\S")


def overlap_starts(text: str, start: int, end: int) -> tuple[list[int], list[int]]:
    """Where an overlap taken from ``text[start:end]`` may begin, earliest first: its sentence starts, and its word
    starts (never ``start`` itself: a chunk never takes the whole chunk before it)."""
    sentences = sorted({a for a, _ in sentence_spans(text, start, end) if a > start})
    words = [m.start() for m in _WORD.finditer(text, start, end) if m.start() > start]
    return sentences, words


def line_starts(text: str, start: int, end: int) -> tuple[list[int]]:
    """Where an overlap of code may begin: the starts of the whole lines in ``text[start:end]`` (after ``start``)."""
    return ([i + 1 for i in range(start, end - 1) if text[i] == "\n" and i + 1 > start],)


def add_overlap(
    text: str,
    chunks: list[Chunk],
    sizer: Sizer,
    max_size: int,
    overlap: int,
    may_overlap: Callable[[Chunk, Chunk], bool] | None = None,
    count_context: bool = False,
    starts: Callable[[str, int, int], tuple[list[int], ...]] = overlap_starts,
) -> list[Chunk]:
    """``chunks`` (in order, not overlapping) each extended back into the one before it (see the module docstring).
    ``may_overlap(previous, chunk)``: whether the chunk may take text of the previous one at all (a document chunker
    keeps overlap inside a section). ``count_context``: the size checked is that of the chunk with its
    ``context_header`` (the budget counts what is embedded). ``starts(text, start, end)``: where an overlap may
    begin, as lists tried in order (default: sentences, then words; code: whole lines)."""
    measure = sizer.span_measure(text)

    def fits(start: int, chunk: Chunk) -> bool:
        if not count_context:
            return measure(start, chunk.end) <= max_size
        return sizer(embedded_text(chunk.metadata.get("context_header") or "", text[start : chunk.end])) <= max_size

    out: list[Chunk] = []
    for index, chunk in enumerate(chunks):
        metadata = {**chunk.metadata, "core_start": chunk.start, "core_end": chunk.end}
        start = chunk.start
        previous = chunks[index - 1] if index else None
        if previous is not None and (may_overlap is None or may_overlap(previous, chunk)):
            for candidates in starts(text, previous.start, previous.end):  # the most text, at the first kind
                found = next((s for s in candidates if measure(s, previous.end) <= overlap and fits(s, chunk)), None)
                if found is not None:
                    start = found
                    break
        if isinstance(metadata.get("start_line"), int) and start < chunk.start:  # the line the overlap starts on
            metadata["start_line"] -= text.count("\n", start, chunk.start)
        out.append(Chunk(text[start : chunk.end], start, chunk.end, metadata))
    return out
