"""`SemanticTextSplitter`: embedding-based semantic chunking with a hard size cap, as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.prose.semantic import SemanticChunker

from .base import face_of


class SemanticTextSplitter(face_of(SemanticChunker)):  # type: ignore[misc]
    """LangChain face of `chunkers.prose.semantic.SemanticChunker`; a drop-in for LangChain's experimental
    ``SemanticChunker`` with a hard cap (``max_size``) and exact offsets: ``SemanticTextSplitter(embeddings,
    buffer_size=1, breakpoint_threshold_type="percentile", breakpoint_threshold_amount=None, add_start_index=True)``
    takes the same arguments (the threshold ones take effect with ``boundary="threshold"``, the peers' rule; the
    default ``boundary="dp"`` places the cuts with the largest distances under the size limits). ``embeddings``:
    any LangChain ``Embeddings``; None: the embedded MiniLM."""

    def __init__(self, embeddings: Any = None, **settings: Any) -> None:
        super().__init__(embeddings=embeddings, **settings)
