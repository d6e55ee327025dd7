"""`ASTTextSplitter`: the cAST code chunker as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.code import ASTChunker

from .base import ChunkerTextSplitter


class ASTTextSplitter(ChunkerTextSplitter):
    """LangChain face of `chunkers.code.ASTChunker`.

    Replaces ``RecursiveCharacterTextSplitter.from_language(Language.PYTHON, chunk_size=1500)`` with
    ``ASTTextSplitter.from_language(Language.PYTHON, max_size=1500)``; without a language, each document's
    ``source``/``file_path`` metadata decides.
    """

    def __init__(
        self,
        language: Any = None,
        max_size: int = 1500,
        sizer: Any = "non_whitespace",
        overlap_nodes: int = 0,
        expand_context: bool = False,
        add_start_index: bool = False,
    ) -> None:
        chunker = ASTChunker(
            language=language,
            max_size=max_size,
            sizer=sizer,
            overlap_nodes=overlap_nodes,
            expand_context=expand_context,
        )
        super().__init__(chunker, add_start_index=add_start_index)

    @classmethod
    def from_language(cls, language: Any, **kwargs: Any) -> ASTTextSplitter:
        """A splitter for ``language``: a name ("python") or a LangChain ``Language`` enum member."""
        return cls(language=language, **kwargs)
