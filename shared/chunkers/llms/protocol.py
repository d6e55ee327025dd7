"""What the engine calls an LLM: the `LLM` protocol, and `as_llm`, which turns what a user passes into one.

The engine imports no framework: LlamaIndex and LangChain models reach it through the small bridges in the face
packages (``llama_chunkers.llm_bridge``, ``langchain_chunkers.llm_bridge``); a plain ``callable(prompt) -> str``
works too, and ``"local"`` names the embedded model (`chunkers.llms.local.LocalLLM`). How calls are made (sync,
threads, shared batches, async, timeouts) is `chunkers.llms.runner`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class LLM(Protocol):
    """Anything that completes a prompt: ``complete(prompt) -> str`` and ``async acomplete(prompt) -> str``.
    Optional: ``complete_batch(prompts) -> list[str]`` (the replies in order), which the engine then uses for the
    prompts of several documents at once, and ``cancel()``, which stops a call that ran past its timeout."""

    def complete(self, prompt: str) -> str: ...

    async def acomplete(self, prompt: str) -> str: ...


class CallableLLM:
    """Wraps a plain ``callable(prompt) -> str``."""

    def __init__(self, fn: Callable[[str], str], model_id: str | None = None) -> None:
        self.fn = fn
        self.model_id = model_id or getattr(fn, "__name__", "callable")

    def complete(self, prompt: str) -> str:
        return str(self.fn(prompt))

    async def acomplete(self, prompt: str) -> str:
        return await asyncio.to_thread(self.complete, prompt)


LOCAL_LLM = "local"
NO_LLM_HELP = (
    "pass llm=... : any LlamaIndex LLM or LangChain chat model (through the llama_chunkers / langchain_chunkers "
    "faces), an object with complete(prompt) -> str, or a callable(prompt) -> str; llm='local' runs the embedded "
    "SmolLM2-135M, an offline demo too small to follow these instructions well (measured)"
)


def as_llm(llm: Any) -> LLM:
    """``"local"`` -> the embedded `LocalLLM`; an `LLM` -> itself; a ``callable(str) -> str`` -> wrapped.

    There is no silent default: None raises a `ValueError` saying what to pass.
    """
    if llm is None:
        raise ValueError(f"an LLM is required: {NO_LLM_HELP}")
    if isinstance(llm, str):
        if llm != LOCAL_LLM:
            raise ValueError(f"llm={llm!r} is not a model name this library knows: {NO_LLM_HELP}")
        from .local import LocalLLM

        return LocalLLM()
    if isinstance(llm, LLM):
        return llm
    if callable(llm):
        return CallableLLM(llm)
    raise TypeError(
        f"llm must provide complete(prompt) -> str (the chunkers.llms.LLM protocol) or be a callable, got "
        f"{type(llm).__name__}; LlamaIndex and LangChain models are accepted by the llama_chunkers / "
        "langchain_chunkers faces, which bridge them"
    )


def model_id(llm: Any) -> str:
    """The LLM's identity for cache keys: its ``model_id``, else its class name."""
    return getattr(llm, "model_id", None) or type(llm).__name__
