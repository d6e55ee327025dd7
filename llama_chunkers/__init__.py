"""LlamaIndex faces of the rag-chunkers engine: node parsers and a node postprocessor.

Classes are imported on first use, so ``import llama_chunkers`` does not pay for importing LlamaIndex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chunkers.core.lazy import lazy_exports

_EXPORTS = {
    "RecordNodeParser": ".records",
    "AutoNodeParser": ".auto",
    "SemanticNodeParser": ".semantic",
    "ChunkFilterPostprocessor": ".filter",
    "LLMNodeParser": ".llm",
    "PerplexityNodeParser": ".perplexity",
    "ASTNodeParser": ".code",
    "ChunkerNodeParser": ".base",
    "DocumentNodeParser": ".document",
    "LateChunkingEmbedding": ".late",
    "SentenceNodeParser": ".sentence",
}

if TYPE_CHECKING:
    from .auto import AutoNodeParser as AutoNodeParser
    from .base import ChunkerNodeParser as ChunkerNodeParser
    from .code import ASTNodeParser as ASTNodeParser
    from .document import DocumentNodeParser as DocumentNodeParser
    from .filter import ChunkFilterPostprocessor as ChunkFilterPostprocessor
    from .late import LateChunkingEmbedding as LateChunkingEmbedding
    from .llm import LLMNodeParser as LLMNodeParser
    from .perplexity import PerplexityNodeParser as PerplexityNodeParser
    from .records import RecordNodeParser as RecordNodeParser
    from .semantic import SemanticNodeParser as SemanticNodeParser
    from .sentence import SentenceNodeParser as SentenceNodeParser

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
