"""The invariants every chunker keeps (README, "The engine"), as one assertion every chunker's tests call."""

from __future__ import annotations

from chunkers import BaseChunker, Chunk


def assert_invariants(chunker: BaseChunker, text: str, chunks: list[Chunk], *, tiling: bool = True) -> None:
    """Offsets reconstruct the source, chunks are in order and within budget, and no text is lost.

    With ``tiling`` (no overlap), only whitespace may lie between, before and after chunks.
    """
    position = 0
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text, f"offsets do not reconstruct {chunk!r}"
        assert chunk.text.strip(), f"blank chunk {chunk!r}"
        size = chunker.sizer(chunker.shown_text(text, chunk))  # what is embedded (an HTML chunk: its text view)
        assert size <= chunker.max_size, f"chunk of size {size} > max_size={chunker.max_size}: {chunk!r}"
        if tiling:
            assert chunk.start >= position, f"chunk {chunk!r} overlaps the previous one"
            gap = text[position : chunk.start]
            assert not gap.strip(), f"text lost before {chunk!r}: {gap!r}"
            position = chunk.end
    if tiling:
        assert not text[position:].strip(), f"text lost at the end: {text[position:]!r}"
    if not text.strip():
        assert chunks == []
