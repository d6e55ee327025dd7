"""Context embedded with a chunk beyond its own text: LLM-written context (`writer`, contextual retrieval)."""

from .writer import CONTEXT_PROMPT, ContextWriter

__all__ = ["CONTEXT_PROMPT", "ContextWriter"]
