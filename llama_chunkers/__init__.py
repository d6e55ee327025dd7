"""LlamaIndex faces of the rag-chunkers engine: node parsers and a node postprocessor."""

from .base import ChunkerNodeParser
from .sentence import SentenceNodeParser

__all__ = ["ChunkerNodeParser", "SentenceNodeParser"]
