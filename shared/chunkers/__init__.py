"""rag-chunkers engine: structure-, perplexity- and LLM-aware chunking with exact character offsets.

Folders by capability, in layers: a module imports from its own layer and the ones below, never above, and no
two import each other round a loop (``tests/test_layers.py`` checks both; ``docs/architecture.md`` explains them).

1. ``core``: chunks, sizes, spans, packing, the optimal segmentation, option declarations, settings specs.
2. ``runtime`` (device policy, models, int8, losses, embeddings), ``llms`` (the LLM protocol, how calls run, the
   local LLM), ``io`` (files, chunk records).
3. chunkers: ``prose`` (sentence, perplexity, LLM-guided, semantic), ``code`` (AST), ``documents`` (Markdown, HTML),
   ``pdf`` (PDFs as documents), ``records`` (JSON Lines, CSV, TSV).
4. services over chunks: ``filtering`` (ChunkRAG), ``context`` (what is embedded with a chunk).
5. applications: ``apps`` (the command line, routing, the local and Ray runners, evaluation); the only layer that
   imports LlamaIndex or LangChain.

Heavy libraries (torch, transformers, tree-sitter grammars, the Markdown parser) are imported only by the parts
that need them, when they first run. ``compat`` keeps the module paths of 0.1 importable for one release.
"""

from . import compat
from .apps.local import chunk_directory
from .code import ASTChunker
from .context import LateChunkingEmbedder
from .core.base import BaseChunker, validate_text
from .core.chunk import Chunk
from .core.merge import BudgetError, pack, pack_spans, split_span
from .core.segment import paragraph_spans, sentence_spans
from .core.sizing import CharSizer, FunctionSizer, NonWhitespaceSizer, Sizer, TokenSizer, get_sizer
from .documents import DocumentChunker
from .filtering import ChunkFilter, EmbeddingScorer, LLMScorer, LocalLMScorer, ScoredChunk
from .llms import LLM
from .llms.local import LocalLLM
from .pdf import PDFChunker, PDFError
from .prose import LLMChunker, PerplexityChunker, SemanticChunker, SentenceChunker
from .records import RecordChunker

__version__ = "0.2.0"

compat.install()

__all__ = [
    "LLM",
    "ASTChunker",
    "BaseChunker",
    "BudgetError",
    "CharSizer",
    "Chunk",
    "ChunkFilter",
    "DocumentChunker",
    "EmbeddingScorer",
    "FunctionSizer",
    "LLMChunker",
    "LLMScorer",
    "LateChunkingEmbedder",
    "LocalLLM",
    "LocalLMScorer",
    "NonWhitespaceSizer",
    "PDFChunker",
    "PDFError",
    "PerplexityChunker",
    "RecordChunker",
    "ScoredChunk",
    "SemanticChunker",
    "SentenceChunker",
    "Sizer",
    "TokenSizer",
    "chunk_directory",
    "get_sizer",
    "pack",
    "pack_spans",
    "paragraph_spans",
    "sentence_spans",
    "split_span",
    "validate_text",
]
