"""LangChain faces of the rag-chunkers engine: text splitters and a document compressor."""

from .base import ChunkerTextSplitter
from .sentence import SentenceTextSplitter

__all__ = ["ChunkerTextSplitter", "SentenceTextSplitter"]
