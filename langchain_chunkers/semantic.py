"""`SemanticTextSplitter`: embedding-based semantic chunking with a hard size cap, as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.prose.semantic import SemanticChunker

from .base import face_of


class SemanticTextSplitter(face_of(SemanticChunker)):  # type: ignore[misc]
    """LangChain face of `chunkers.prose.semantic.SemanticChunker`; a drop-in for LangChain's experimental
    ``SemanticChunker`` with a hard cap (``max_size``) and exact offsets. ``embeddings``: any LangChain
    ``Embeddings``; None: the embedded MiniLM.

    ``SemanticChunker``'s arguments keep their meaning: ``SemanticTextSplitter(embeddings, buffer_size=1,
    add_start_index=True, breakpoint_threshold_type="percentile", breakpoint_threshold_amount=95,
    number_of_chunks=None, sentence_split_regex=r"(?<=[.?!])\\s+", min_chunk_size=None)``. Any of the threshold
    arguments (``breakpoint_threshold_type``, ``breakpoint_threshold_amount``, ``number_of_chunks``,
    ``min_chunk_size``) selects the peers' threshold rule (``boundary="threshold"``; a higher percentile gives fewer,
    larger chunks); without one the cuts are the DP's (the largest distances under the size limits:
    ``boundary="dp"``, ``target_size``), and ``boundary="dp"`` given with one raises `ValueError`.
    ``sentence_split_regex`` left out uses our sentence segmenter (abbreviations, CJK, blank lines) instead of
    LangChain's regex. ``add_start_index`` gives exact offsets (``start_index``, ``end_index``)."""

    def __init__(self, embeddings: Any = None, **settings: Any) -> None:
        super().__init__(embeddings=embeddings, **settings)
