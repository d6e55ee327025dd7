"""The AST chunker for code (cAST) and its grammar providers."""

from .ast_chunker import ASTChunker
from .languages import (
    EXTENSIONS,
    GrammarNotFoundError,
    UnknownLanguageError,
    get_language,
    language_for_path,
    language_for_shebang,
    normalise_language,
)

__all__ = [
    "EXTENSIONS",
    "ASTChunker",
    "GrammarNotFoundError",
    "UnknownLanguageError",
    "get_language",
    "language_for_path",
    "language_for_shebang",
    "normalise_language",
]
