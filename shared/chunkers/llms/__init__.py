"""Talking to LLMs: the engine's `LLM` protocol and `as_llm` (`protocol`), how calls are made (`runner`: threads,
shared batches, async, timeouts) and the embedded local model (`local.LocalLLM`)."""

from .protocol import LLM, LOCAL_LLM, NO_LLM_HELP, CallableLLM, as_llm, model_id

__all__ = ["LLM", "LOCAL_LLM", "NO_LLM_HELP", "CallableLLM", "as_llm", "model_id"]
