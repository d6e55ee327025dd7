"""`LLMNodeParser`: LLM-guided chunking (LumberChunker) as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker
from chunkers.llm import LLMChunker, LLMUsage
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser
from .llm_bridge import to_engine_llm


class LLMNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.llm.LLMChunker`: ``LLMNodeParser(llm=OpenAI(...))`` or any LlamaIndex LLM;
    no ``llm`` runs the embedded SmolLM2-135M locally. The LLM is not serialised by `to_dict`: pass it again
    to `from_dict` (``from_dict(data, llm=...)``). Async parsing (``aget_nodes_from_documents``, an
    ``IngestionPipeline``'s ``arun``) chunks all nodes at once through the LLM's ``acomplete``, with at most
    ``concurrency`` calls in flight."""

    llm: Any = Field(default=None, exclude=True, description="A LlamaIndex LLM; None: the embedded local model.")
    group_tokens: int = Field(default=550, description="Token budget of each group shown to the LLM.")
    max_size: int = Field(default=4000, description="Hard cap per chunk, in units of `sizer`.")
    sizer: Any = Field(default="chars", description="'chars', 'non_whitespace', a tokenizer or a callable.")
    max_retries: int = Field(default=1, description="Retries with a stricter prompt before the fallback.")
    timeout: float | None = Field(default=None, description="Seconds per LLM call.")
    min_tail: int = Field(default=5, description="Fewer paragraphs than this left: they form the last chunk.")
    concurrency: int = Field(default=4, description="LLM calls in flight at once (async parsing).")

    def _build_chunker(self) -> BaseChunker:
        return LLMChunker(
            llm=to_engine_llm(self.llm),
            group_tokens=self.group_tokens,
            max_size=self.max_size,
            sizer=self.sizer,
            max_retries=self.max_retries,
            timeout=self.timeout,
            min_tail=self.min_tail,
            concurrency=self.concurrency,
        )

    @property
    def usage(self) -> LLMUsage:
        """Calls, tokens, retries, failures, cache hits, and boundaries from the LLM or the fallback, so far."""
        return self.chunker.usage  # type: ignore[attr-defined]
