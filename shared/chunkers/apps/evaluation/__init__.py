"""Chunk-quality evaluation: retrieval scores against gold evidence spans, size stats, the intrinsic metrics
boundary clarity and chunk stickiness, and `compare` (``chunkers eval``): which chunker for my data? It runs
chosen chunkers at several sizes on the user's documents and questions and reports the metrics at matched mean
chunk size and speed. The repository's retrieval benchmark is built on the same functions."""

from .candidates import DEFAULT_CHUNKERS, Candidate, Registry
from .compare import DEFAULT_SIZES, Comparison, compare
from .documents import Corpus, Document, EvaluationInputError, load_documents
from .generate import Generated, generate_questions
from .intrinsic import ChunkPerplexity, boundary_clarity, chunk_stickiness, dependence_matrix, intrinsic_scores
from .matching import common_sizes, interpolate, matched, speed_rows
from .questions import Question, load_questions, locate, save_questions
from .retrieval import dcg_at_k, mrr_at_k, overlap_scores, recall_at_k, relevant_flags
from .scoring import chunk_corpus, measure, score
from .setting import Setting, size_stats, spans_of
from .store import Embedder

__all__ = [
    "DEFAULT_CHUNKERS",
    "DEFAULT_SIZES",
    "Candidate",
    "ChunkPerplexity",
    "Comparison",
    "Corpus",
    "Document",
    "Embedder",
    "EvaluationInputError",
    "Generated",
    "Question",
    "Registry",
    "Setting",
    "boundary_clarity",
    "chunk_corpus",
    "chunk_stickiness",
    "common_sizes",
    "compare",
    "dcg_at_k",
    "dependence_matrix",
    "generate_questions",
    "interpolate",
    "intrinsic_scores",
    "load_documents",
    "load_questions",
    "locate",
    "matched",
    "measure",
    "mrr_at_k",
    "overlap_scores",
    "recall_at_k",
    "relevant_flags",
    "save_questions",
    "score",
    "size_stats",
    "spans_of",
    "speed_rows",
]
