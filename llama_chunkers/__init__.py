"""LlamaIndex faces of the rag-chunkers engine: node parsers and a node postprocessor.

Classes are imported on first use, so ``import llama_chunkers`` does not pay for importing LlamaIndex.
"""

from __future__ import annotations

from chunkers.core.lazy import lazy_exports
from chunkers.core.registry import face_exports

# The chunkers' faces come from the registry (chunkers.core.registry); the rest are this package's own.
_EXPORTS = {
    **face_exports("llama"),
    "AutoNodeParser": ".auto",
    "ChunkFilterPostprocessor": ".filter",
    "ChunkerNodeParser": ".base",
    "LateChunkingEmbedding": ".late",
    "PDFReader": ".pdf",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
