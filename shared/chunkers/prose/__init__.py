"""Chunkers for prose: sentence packing (`sentence`), perplexity boundaries (`perplexity`, Meta-Chunking),
LLM-chosen boundaries (`llm`, LumberChunker) and embedding-similarity boundaries (`semantic`)."""

from .llm import LLMChunker
from .perplexity import PerplexityChunker
from .semantic import SemanticChunker
from .sentence import SentenceChunker

__all__ = ["LLMChunker", "PerplexityChunker", "SemanticChunker", "SentenceChunker"]
