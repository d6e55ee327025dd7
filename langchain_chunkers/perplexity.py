"""`PerplexityTextSplitter`: Meta-Chunking (perplexity boundaries) as a LangChain text splitter."""

from __future__ import annotations

from chunkers.prose.perplexity import PerplexityChunker

from .base import face_of


class PerplexityTextSplitter(face_of(PerplexityChunker)):  # type: ignore[misc]
    """LangChain face of `chunkers.prose.perplexity.PerplexityChunker`; takes its settings (``model``, ``tokenizer``,
    ``method``, ``threshold``, ``max_size``, ``target_size``, ``sizer``, ``device``, ...) as keyword arguments."""
