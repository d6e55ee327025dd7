"""`LLMTextSplitter`: LLM-guided chunking (LumberChunker) as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.llms.usage import LLMUsage
from chunkers.prose.llm import LLMChunker

from .base import face_of
from .llm_bridge import to_engine_llm


class LLMTextSplitter(face_of(LLMChunker)):  # type: ignore[misc]
    """LangChain face of `chunkers.prose.llm.LLMChunker`: ``llm`` (required) is any LangChain chat model or LLM, an
    engine `LLM` or a callable; ``llm="local"`` runs the embedded SmolLM2-135M (an offline demo, too small to
    follow the instructions well). Other settings are the engine chunker's. `split_documents` chunks
    ``concurrency`` documents at a time through the model's ``invoke``; `atransform_documents` chunks them all at
    once on the running event loop through its ``ainvoke`` (at most ``concurrency`` calls in flight)."""

    def _engine_settings(self) -> dict[str, Any]:
        return {**super()._engine_settings(), "llm": to_engine_llm(self.llm)}

    @property
    def usage(self) -> LLMUsage:
        """Calls, tokens, retries, failures, cache hits, and boundaries from the LLM or the fallback, so far."""
        return self.chunker.usage  # type: ignore[attr-defined]
