"""`LLMTextSplitter`: LLM-guided chunking (LumberChunker) as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.llm import LLMChunker, LLMUsage

from .base import ChunkerTextSplitter
from .llm_bridge import to_engine_llm


class LLMTextSplitter(ChunkerTextSplitter):
    """LangChain face of `chunkers.llm.LLMChunker`: ``llm`` is any LangChain chat model or LLM (None: the
    embedded SmolLM2-135M); other keyword arguments go to the engine chunker. `split_documents` chunks
    ``concurrency`` documents at a time through the model's ``invoke``; `atransform_documents` chunks them all
    at once on the running event loop through its ``ainvoke`` (at most ``concurrency`` calls in flight)."""

    chunker: LLMChunker

    def __init__(self, llm: Any = None, add_start_index: bool = False, **kwargs: Any) -> None:
        super().__init__(LLMChunker(llm=to_engine_llm(llm), **kwargs), add_start_index=add_start_index)

    @property
    def usage(self) -> LLMUsage:
        """Calls, tokens, retries, failures, cache hits, and boundaries from the LLM or the fallback, so far."""
        return self.chunker.usage
