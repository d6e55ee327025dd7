"""Bridge: any LlamaIndex LLM as the engine's `chunkers.llm.LLM`."""

from __future__ import annotations

from typing import Any

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


def to_engine_llm(llm: Any) -> Any:
    """A LlamaIndex LLM wrapped for the engine; anything else is passed on for the engine to accept or refuse."""
    return LlamaIndexLLM(llm) if isinstance(llm, BaseLLM) else llm
