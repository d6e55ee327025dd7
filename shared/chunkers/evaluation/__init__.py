"""Chunk-quality metrics used by benchmarks/: retrieval scores against gold evidence spans, size stats, and the
intrinsic metrics boundary clarity and chunk stickiness (scored with a small causal LM)."""

from .intrinsic import ChunkPerplexity, boundary_clarity, chunk_stickiness, dependence_matrix, intrinsic_scores
from .retrieval import dcg_at_k, mrr_at_k, overlap_scores, recall_at_k, relevant_flags
from .sizes import size_stats

__all__ = [
    "ChunkPerplexity",
    "boundary_clarity",
    "chunk_stickiness",
    "dcg_at_k",
    "dependence_matrix",
    "intrinsic_scores",
    "mrr_at_k",
    "overlap_scores",
    "recall_at_k",
    "relevant_flags",
    "size_stats",
]
