"""`SentenceTextSplitter`: packs whole sentences under a budget."""

from __future__ import annotations

from chunkers import SentenceChunker

from .base import face_of


class SentenceTextSplitter(face_of(SentenceChunker)):  # type: ignore[misc]
    """LangChain face of `chunkers.SentenceChunker`: ``max_size`` (1000; or ``chunk_size``) in units of
    ``sizer`` ("chars"; or ``length_function``)."""
