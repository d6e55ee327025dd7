"""`LLMUsage`: what calls to an LLM cost and how their replies were used (counted by `chunkers.llms.local.LocalLLM`,
`chunkers.prose.llm.LLMChunker` and `chunkers.context.writer`)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class LLMUsage:
    """What a run cost: calls, tokens, how replies were handled, and where boundaries came from.

    ``llm_boundaries`` counts boundaries taken from the LLM's answer, ``fallbacks`` those chosen by the
    embedding-similarity fallback after every attempt failed (boundaries, not chunks: a span cut further by
    ``max_size`` is one boundary).
    """

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0  # exceptions and timeouts
    retries: int = 0
    fallbacks: int = 0
    cache_hits: int = 0
    llm_boundaries: int = 0

    def add(self, other: LLMUsage) -> None:
        """Add ``other``'s counts to these."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
