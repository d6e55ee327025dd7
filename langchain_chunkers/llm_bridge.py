"""Bridge: any LangChain chat model or LLM as the engine's `chunkers.llms.LLM`."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseLanguageModel


def _text(result: Any) -> str:
    content = getattr(result, "content", result)  # chat models return messages, LLMs strings
    return content if isinstance(content, str) else str(content)


class LangChainLLM:
    """Adapts a LangChain chat model or LLM (``invoke``/``ainvoke``) to the engine protocol."""

    def __init__(self, model: BaseLanguageModel) -> None:
        self.model = model
        self.model_id = getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__

    def complete(self, prompt: str) -> str:
        return _text(self.model.invoke(prompt))

    async def acomplete(self, prompt: str) -> str:
        return _text(await self.model.ainvoke(prompt))

    def __eq__(self, other: object) -> bool:  # the same model: the same engine LLM (faces rebuild on a new one)
        return isinstance(other, LangChainLLM) and other.model is self.model

    def __hash__(self) -> int:
        return id(self.model)


def to_engine_llm(model: Any) -> Any:
    """A LangChain model wrapped for the engine; anything else is passed on for the engine to accept or refuse."""
    return LangChainLLM(model) if isinstance(model, BaseLanguageModel) else model
