"""Bridges: any LlamaIndex LLM as the engine's `chunkers.llms.LLM`, and the app's configured ``Settings.llm``.
(LlamaIndex embedding models need no bridge: `chunkers.runtime.embeddings` takes a ``BaseEmbedding`` as it is.)"""

from __future__ import annotations

from typing import Any

from chunkers.core.spec import describe
from chunkers.llms import NO_LLM_HELP
from llama_index.core.base.llms.base import BaseLLM


class LlamaIndexLLM:
    """Adapts a LlamaIndex LLM (``complete(prompt).text``, ``acomplete``) to the engine protocol."""

    def __init__(self, llm: BaseLLM) -> None:
        self.llm = llm
        self.model_id = getattr(getattr(llm, "metadata", None), "model_name", None) or type(llm).__name__

    def complete(self, prompt: str) -> str:
        return self.llm.complete(prompt).text

    async def acomplete(self, prompt: str) -> str:
        return (await self.llm.acomplete(prompt)).text

    def __eq__(self, other: object) -> bool:  # the same LLM: the same engine LLM (faces rebuild on a new one)
        return isinstance(other, LlamaIndexLLM) and other.llm is self.llm

    def __hash__(self) -> int:
        return id(self.llm)


def to_engine_llm(llm: Any) -> Any:
    """A LlamaIndex LLM wrapped for the engine; anything else is passed on for the engine to accept or refuse."""
    return LlamaIndexLLM(llm) if isinstance(llm, BaseLLM) else llm


def app_llm(llm: Any) -> Any:
    """``llm``, else the app's ``Settings.llm`` when it has set one (LlamaIndex's own default, which needs an
    OpenAI key, is never triggered), else a `ValueError` saying what to pass."""
    if llm is not None:
        return llm
    from llama_index.core import Settings

    configured = getattr(Settings, "_llm", None)
    if configured is None:
        raise ValueError(f"no llm given and llama_index.core.Settings.llm is not set: set it, or {NO_LLM_HELP}")
    return configured


def llm_key(llm: Any) -> Any:
    """The LLM's identity for cache keys: a LlamaIndex LLM's own ``to_dict`` (as LlamaIndex's extractors use)."""
    if isinstance(llm, BaseLLM):
        return llm.to_dict()
    return describe(llm)
