"""Chunk-quality metrics used by benchmarks/: retrieval scores against gold evidence spans, and size stats."""

from .retrieval import dcg_at_k, mrr_at_k, overlap_scores, recall_at_k, relevant_flags
from .sizes import size_stats

__all__ = ["dcg_at_k", "mrr_at_k", "overlap_scores", "recall_at_k", "relevant_flags", "size_stats"]
