"""`PerplexityTextSplitter`: Meta-Chunking (perplexity boundaries) as a LangChain text splitter."""

from __future__ import annotations

from chunkers.prose.perplexity import PerplexityChunker

from .base import ChunkerTextSplitter


class PerplexityTextSplitter(ChunkerTextSplitter):
    """LangChain face of `chunkers.prose.perplexity.PerplexityChunker`; takes its settings (``model``, ``tokenizer``,
    ``method``, ``threshold``, ``max_size``, ``target_size``, ``sizer``, ``device``, ...) as keyword arguments."""

    engine = PerplexityChunker
