"""`ASTTextSplitter`: the cAST code chunker as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.code import ASTChunker

from .base import face_of


class ASTTextSplitter(face_of(ASTChunker, context=True)):  # type: ignore[misc]
    """LangChain face of `chunkers.code.ASTChunker`.

    Replaces ``RecursiveCharacterTextSplitter.from_language(Language.PYTHON, chunk_size=1500)`` with
    ``ASTTextSplitter.from_language(Language.PYTHON, max_size=1500)`` (``max_size`` counts non-whitespace
    characters; ``chunk_size`` keeps LangChain's meaning, characters). Without a language, each document's
    ``source``/``file_path`` metadata decides (then the shebang line; unknown files get the flagged fallback).
    Settings: ``language``, ``max_size``, ``sizer``, ``overlap_nodes``, ``expand_context``, and
    ``context_in_content``: LangChain embeds only ``page_content``, so with it each document's ``page_content``
    is the chunk's header (file path and enclosing signatures) followed by its text, while ``start_index`` /
    ``end_index`` still give the exact span of the source text (the header is also in ``context_header``).
    Measured to raise retrieval IoU (docs/code.md); off by default because it makes
    ``page_content`` differ from the source slice.
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        if "chunk_size" in options and "sizer" not in options and "length_function" not in options:
            options["sizer"] = "chars"  # LangChain's chunk_size counts characters
        return super()._translate_options(options)

    def _engine_settings(self) -> dict[str, Any]:
        settings = super()._engine_settings()
        if self.context_in_content:  # the header to put in page_content
            settings["expand_context"] = True
        return settings

    @classmethod
    def from_language(cls, language: Any, **kwargs: Any) -> ASTTextSplitter:
        """A splitter for ``language``: a name ("python") or a LangChain ``Language`` enum member."""
        return cls(language=language, **kwargs)
