"""`LLMNodeParser`: LLM-guided chunking (LumberChunker) as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker
from chunkers.llm import LUMBER_PROMPT, LLMChunker, LLMUsage
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser
from .llm_bridge import app_llm, llm_key, to_engine_llm


class LLMNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.llm.LLMChunker`: ``LLMNodeParser(llm=OpenAI(...))`` or any LlamaIndex LLM.

    Without ``llm`` it uses the app's ``Settings.llm`` when one is configured (read when the parser runs), and
    otherwise raises a `ValueError` saying what to pass. ``llm="local"`` runs the embedded SmolLM2-135M, an
    offline demo too small to follow the instructions well. The LLM is not serialised by `to_dict` (its
    ``to_dict`` is, under ``llm``, as part of the cache key): pass it again to `from_dict`
    (``from_dict(data, llm=...)``). Async parsing (``aget_nodes_from_documents``, an ``IngestionPipeline``'s
    ``arun``) chunks all nodes at once through the LLM's ``acomplete``, with at most ``concurrency`` calls in
    flight.
    """

    llm: Any = Field(default=None, exclude=True, description="A LlamaIndex LLM; None: Settings.llm.")
    group_tokens: int = Field(default=550, description="Token budget of each group shown to the LLM.")
    max_size: int = Field(default=4000, description="Hard cap per chunk, in units of `sizer`.")
    sizer: Any = Field(default="chars", description="'chars', 'non_whitespace', a tokenizer or a callable.")
    max_retries: int = Field(default=1, description="Retries with a stricter prompt before the fallback.")
    timeout: float | None = Field(default=None, description="Seconds per LLM call.")
    min_tail: int = Field(default=5, description="Fewer paragraphs than this left: they form the last chunk.")
    concurrency: int = Field(default=4, description="LLM calls in flight at once (async parsing).")
    prompt: str = Field(default=LUMBER_PROMPT, description="The instruction; must contain {paragraphs}.")
    cache: Any = Field(default=None, exclude=True, description="Dict-like store of replies, keyed by model + prompt.")

    def _chunker_settings(self) -> dict[str, Any]:
        return {**super()._chunker_settings(), "llm": app_llm(self.llm)}

    def _build_chunker(self) -> BaseChunker:
        names = [name for name in type(self).model_fields if name not in ChunkerNodeParser.model_fields]
        settings = {name: getattr(self, name) for name in names}
        return LLMChunker(**{**settings, "llm": to_engine_llm(app_llm(self.llm))})

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
