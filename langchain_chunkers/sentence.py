"""`SentenceTextSplitter`: packs whole sentences under a budget."""

from __future__ import annotations

from typing import Any

from chunkers import SentenceChunker
from langchain_text_splitters import RecursiveCharacterTextSplitter

from .base import face_of


class SentenceTextSplitter(face_of(SentenceChunker)):  # type: ignore[misc]
    """LangChain face of `chunkers.SentenceChunker`: ``max_size`` (1000; or ``chunk_size``) in units of
    ``sizer`` ("chars"; or ``length_function``)."""

    @classmethod
    def from_language(cls, language: Any, **kwargs: Any) -> SentenceTextSplitter:
        """``RecursiveCharacterTextSplitter.from_language``: cuts at the language's separators (regular
        expressions), with its meaning. For code, `ASTTextSplitter.from_language` cuts at the syntax tree instead
        (measured better: docs/code.md)."""
        separators = RecursiveCharacterTextSplitter.get_separators_for_language(language)
        return cls(separators=separators, is_separator_regex=True, **kwargs)
