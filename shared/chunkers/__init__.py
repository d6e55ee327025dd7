"""rag-chunkers engine: structure-, perplexity- and LLM-aware chunking with exact character offsets.

Heavy libraries (torch, transformers, tree-sitter grammars) are imported only by the chunkers that
need them, when they first run.
"""

from .base import BaseChunker, validate_text
from .chunk import Chunk
from .code import ASTChunker
from .filtering import ChunkFilter, EmbeddingScorer, LLMScorer, LocalLMScorer, ScoredChunk
from .llm import LLM, LLMChunker
from .local_llm import LocalLLM
from .merge import BudgetError, pack, pack_spans, split_span
from .perplexity import PerplexityChunker
from .records import RecordChunker
from .segment import paragraph_spans, sentence_spans
from .sentence_chunker import SentenceChunker
from .sizing import CharSizer, FunctionSizer, NonWhitespaceSizer, Sizer, TokenSizer, get_sizer

__version__ = "0.1.0"

__all__ = [
    "LLM",
    "ASTChunker",
    "BaseChunker",
    "BudgetError",
    "CharSizer",
    "Chunk",
    "ChunkFilter",
    "EmbeddingScorer",
    "FunctionSizer",
    "LLMChunker",
    "LLMScorer",
    "LocalLLM",
    "LocalLMScorer",
    "NonWhitespaceSizer",
    "PerplexityChunker",
    "RecordChunker",
    "ScoredChunk",
    "SentenceChunker",
    "Sizer",
    "TokenSizer",
    "get_sizer",
    "pack",
    "pack_spans",
    "paragraph_spans",
    "sentence_spans",
    "split_span",
    "validate_text",
]
