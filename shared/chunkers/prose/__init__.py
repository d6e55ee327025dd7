"""Chunkers for prose: sentence packing (`sentence`), perplexity boundaries (`perplexity`, Meta-Chunking) and
LLM-chosen boundaries (`llm`, LumberChunker)."""

from .llm import LLMChunker
from .perplexity import PerplexityChunker
from .sentence import SentenceChunker

__all__ = ["LLMChunker", "PerplexityChunker", "SentenceChunker"]
