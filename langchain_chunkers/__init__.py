"""LangChain faces of the rag-chunkers engine: text splitters and a document compressor.

Classes are imported on first use, so ``import langchain_chunkers`` does not pay for importing LangChain.
"""

from __future__ import annotations

from chunkers.core.lazy import lazy_exports
from chunkers.core.registry import face_exports

# The chunkers' faces come from the registry (chunkers.core.registry); the rest are this package's own.
_EXPORTS = {
    **face_exports("langchain"),
    "AutoTextSplitter": ".auto",
    "ChunkFilterCompressor": ".filter",
    "ChunkerTextSplitter": ".base",
    "ContextualDocumentTransformer": ".contextual",
    "LateChunkingEmbeddings": ".late",
    "LocalEmbeddings": ".embeddings",
    "PDFLoader": ".pdf",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
