"""The budget counts what is embedded: chunks whose context line and text together (`chunkers.core.chunk.
embedded_text`) fit ``max_size`` in the chunker's sizer, for the chunkers and faces that embed a chunk's
``context_header`` with it (``context_in_budget``). A chunker that sizes its pieces with their context itself
(``packs_context``: the document chunker) needs no re-cut; the others get `fit_contexts`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .chunk import Chunk, embedded_text
from .merge import fitted
from .sizing import Sizer


def fit_contexts(text: str, chunks: list[Chunk], sizer: Sizer, max_size: int) -> list[Chunk]:
    """``chunks`` with every chunk whose embedded string exceeds ``max_size`` cut into pieces that fit with its
    context (each piece keeps the chunk's metadata, context included; offsets stay exact, and the pieces tile the
    chunk). A context so long that less than a quarter of the budget would be left for text is cut to its last
    characters that fit in three quarters of it (flag ``context_truncated``)."""
    out: list[Chunk] = []
    measure = sizer.span_measure(text)
    for chunk in chunks:
        context = chunk.metadata.get("context_header") or ""
        if not context.strip() or sizer(embedded_text(context, chunk.text)) <= max_size:
            out.append(chunk)
            continue
        metadata = dict(chunk.metadata)
        if sizer(embedded_text(context, "")) > max_size * 3 // 4:
            context = tail_that_fits(context, sizer, max_size * 3 // 4)
            metadata.update(context_header=context, context_truncated=True)
        budget = max(max_size - sizer(embedded_text(context, "x")) + sizer("x"), 1)
        while True:
            pieces = fitted(text, chunk.start, chunk.end, measure, budget)
            if all(sizer(embedded_text(context, text[a:b])) <= max_size for a, b in pieces) or budget == 1:
                break
            budget = max(budget - max(budget // 8, 1), 1)  # a sizer that is not additive (tokens): a little less
        for a, b in pieces:
            out.append(replace(chunk, text=text[a:b], start=a, end=b,
                               metadata=_piece_metadata(text, chunk, metadata, a, b, measure)))  # fmt: skip
    return out


def _piece_metadata(text: str, chunk: Chunk, metadata: dict, start: int, end: int, measure: Any) -> dict:
    """The chunk's metadata for a piece of it: line numbers, size and the code chunker's ``context`` (header and text)
    made the piece's own."""
    piece = dict(metadata)
    if isinstance(piece.get("start_line"), int):
        piece["start_line"] = chunk.metadata["start_line"] + text.count("\n", chunk.start, start)
        piece["end_line"] = piece["start_line"] + text.count("\n", start, end)
    if isinstance(piece.get("size"), int):
        piece["size"] = measure(start, end)
    return piece


def tail_that_fits(context: str, sizer: Sizer, size: int) -> str:
    """The longest end of ``context`` (its innermost titles) whose size is at most ``size``."""
    low, high = 0, len(context)
    while low < high:  # the smallest start that fits
        middle = (low + high) // 2
        if sizer(context[middle:]) <= size:
            high = middle
        else:
            low = middle + 1
    return context[low:].strip()
