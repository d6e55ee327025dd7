"""rag-chunkers engine: structure-, perplexity- and LLM-aware chunking with exact character offsets.

Heavy libraries (torch, transformers, tree-sitter grammars, the Markdown parser) are imported only by the parts
that need them, when they first run.

Layers (a module imports from its own layer and the ones below, never above; no import cycles; the test
``tests/test_layers.py`` checks both):

1. core: ``chunk``, ``base``, ``sizing``, ``segment``, ``merge``, ``segmentation_dp``, ``settings``, ``lazy``,
   ``usage``: text spans, sizes, merging, settings of the faces, usage counts.
2. runtime: ``runtime`` (device, precision, batch policy), ``onnx_int8``, ``models`` (loading, `CausalLM`),
   ``lm_losses``, ``local_llm``, ``llms`` (the `LLM` protocol), ``llm_runner`` (how calls are made),
   ``embeddings`` (the one embeddings adapter), ``files`` (folders and processes).
3. chunkers: ``sentence_chunker``, ``records``, ``perplexity`` and ``perplexity_scores``, ``llm`` and ``lumber``,
   ``code`` (the AST chunker), ``documents`` (Markdown and HTML).
4. services: ``routing`` (which chunker a file gets), ``filtering`` and ``scorers``, ``chunk_records``,
   ``contextual`` (LLM-written context).
5. applications: ``cli``, ``cli_chunk``, ``cli_filter``, ``distributed`` (Ray), ``evaluation``.
"""

from .base import BaseChunker, validate_text
from .chunk import Chunk
from .code import ASTChunker
from .documents import DocumentChunker
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
    "DocumentChunker",
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
