"""`PerplexityTextSplitter`: Meta-Chunking (perplexity boundaries) as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.perplexity import PerplexityChunker

from .base import ChunkerTextSplitter


class PerplexityTextSplitter(ChunkerTextSplitter):
    """LangChain face of `chunkers.perplexity.PerplexityChunker`; keyword arguments go to the engine chunker
    (``model``, ``tokenizer``, ``method``, ``threshold``, ``dynamic_threshold``, ``max_size``, ``target_size``,
    ``sizer``, ``device``, ...)."""

    def __init__(self, add_start_index: bool = False, **kwargs: Any) -> None:
        super().__init__(PerplexityChunker(**kwargs), add_start_index=add_start_index)
