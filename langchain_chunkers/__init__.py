"""LangChain faces of the rag-chunkers engine: text splitters and a document compressor.

Classes are imported on first use, so ``import langchain_chunkers`` does not pay for importing LangChain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chunkers.core.lazy import lazy_exports

_EXPORTS = {
    "RecordTextSplitter": ".records",
    "AutoTextSplitter": ".auto",
    "SemanticTextSplitter": ".semantic",
    "ChunkFilterCompressor": ".filter",
    "LLMTextSplitter": ".llm",
    "PerplexityTextSplitter": ".perplexity",
    "ASTTextSplitter": ".code",
    "ChunkerTextSplitter": ".base",
    "ContextualDocumentTransformer": ".contextual",
    "DocumentTextSplitter": ".document",
    "LateChunkingEmbeddings": ".late",
    "LocalEmbeddings": ".embeddings",
    "SentenceTextSplitter": ".sentence",
}

if TYPE_CHECKING:
    from .auto import AutoTextSplitter as AutoTextSplitter
    from .base import ChunkerTextSplitter as ChunkerTextSplitter
    from .code import ASTTextSplitter as ASTTextSplitter
    from .contextual import ContextualDocumentTransformer as ContextualDocumentTransformer
    from .document import DocumentTextSplitter as DocumentTextSplitter
    from .embeddings import LocalEmbeddings as LocalEmbeddings
    from .filter import ChunkFilterCompressor as ChunkFilterCompressor
    from .late import LateChunkingEmbeddings as LateChunkingEmbeddings
    from .llm import LLMTextSplitter as LLMTextSplitter
    from .perplexity import PerplexityTextSplitter as PerplexityTextSplitter
    from .records import RecordTextSplitter as RecordTextSplitter
    from .semantic import SemanticTextSplitter as SemanticTextSplitter
    from .sentence import SentenceTextSplitter as SentenceTextSplitter

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
