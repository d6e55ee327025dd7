"""`LLMNodeParser`: LLM-guided chunking (LumberChunker) as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers.llms.usage import LLMUsage
from chunkers.prose.llm import LLMChunker

from .base import face_of
from .llm_bridge import app_llm, llm_key, to_engine_llm


class LLMNodeParser(face_of(LLMChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.prose.llm.LLMChunker`: ``LLMNodeParser(llm=OpenAI(...))`` or any LlamaIndex LLM.

    Without ``llm`` it uses the app's ``Settings.llm`` when one is configured (read when the parser runs), and
    otherwise raises a `ValueError` saying what to pass. ``llm="local"`` runs the embedded SmolLM2-135M, an
    offline demo too small to follow the instructions well. The LLM is not serialised by `to_dict` (its
    ``to_dict`` is, under ``llm``, as part of the cache key): pass it again to `from_dict`
    (``from_dict(data, llm=...)``). Async parsing (``aget_nodes_from_documents``, an ``IngestionPipeline``'s
    ``arun``) chunks all nodes at once through the LLM's ``acomplete``, with at most ``concurrency`` calls in
    flight.
    """

    def _engine_settings(self) -> dict[str, Any]:
        return {**super()._engine_settings(), "llm": to_engine_llm(app_llm(self.llm))}

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().to_dict(**kwargs), "llm": llm_key(app_llm(self.llm))}

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> LLMNodeParser:
        data = {k: v for k, v in data.items() if k != "llm"}  # a description only: pass llm=... again
        return super().from_dict(data, **kwargs)  # type: ignore[return-value]

    @property
    def usage(self) -> LLMUsage:
        """Calls, tokens, retries, failures, cache hits, and boundaries from the LLM or the fallback, so far."""
        return self.chunker.usage  # type: ignore[attr-defined]
