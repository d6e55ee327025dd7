"""Chunk filtering (ChunkRAG): `ChunkFilter` scores retrieved chunks against the query and drops near-duplicates and
weak ones; its scorers are in `scorers`."""

from .filter import ChunkFilter, DroppedChunk, ScoredChunk, largest_gap_threshold
from .scorers import SCORERS, EmbeddingScorer, LLMScorer, LocalLMScorer, Scorer, make_scorer, parse_score

__all__ = [
    "SCORERS",
    "ChunkFilter",
    "DroppedChunk",
    "EmbeddingScorer",
    "LLMScorer",
    "LocalLMScorer",
    "ScoredChunk",
    "Scorer",
    "largest_gap_threshold",
    "make_scorer",
    "parse_score",
]
