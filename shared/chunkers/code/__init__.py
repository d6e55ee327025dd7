"""The AST chunker for code (cAST) and its grammar providers."""

from .ast_chunker import ASTChunker
from .directory import chunk_directory
from .languages import EXTENSIONS, GrammarNotFoundError, get_language, language_for_path, normalise_language

__all__ = [
    "EXTENSIONS",
    "ASTChunker",
    "GrammarNotFoundError",
    "chunk_directory",
    "get_language",
    "language_for_path",
    "normalise_language",
]
