"""Context embedded with a chunk beyond its own text: the whole document's, through late chunking (`late`), and
LLM-written context (`writer`, contextual retrieval)."""

from .late import LateChunkingEmbedder
from .writer import CONTEXT_PROMPT, ContextWriter

__all__ = ["CONTEXT_PROMPT", "ContextWriter", "LateChunkingEmbedder"]
