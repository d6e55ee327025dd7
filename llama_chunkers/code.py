"""`ASTNodeParser`: the cAST code chunker as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker
from chunkers.code import ASTChunker
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser


class ASTNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.code.ASTChunker`; a drop-in for LlamaIndex's ``CodeSplitter``.

    ``CodeSplitter(language="python", max_chars=1500)`` becomes ``ASTNodeParser(language="python",
    max_size=1500)`` (``max_size`` counts non-whitespace characters by default; pass ``sizer="chars"`` for
    CodeSplitter's plain characters). ``language`` may be omitted when documents carry a ``file_path`` or
    ``file_name`` (as SimpleDirectoryReader sets). With ``expand_context=True`` the chunk's header (file path
    and enclosing signatures) is embedded with it through the ``context_header`` metadata key.
    """

    language: str | None = Field(default=None, description="Grammar name; None: from the file extension.")
    max_size: int = Field(default=1500, description="Largest chunk, in units of `sizer`.")
    sizer: Any = Field(default="non_whitespace", description="'non_whitespace', 'chars', a tokenizer or a callable.")
    overlap_nodes: int = Field(default=0, description="Syntax units shared with each neighbouring chunk.")
    expand_context: bool = Field(default=False, description="Add the path + signatures header as `context`.")

    embed_metadata_keys: tuple[str, ...] = ("context_header",)

    def _build_chunker(self) -> BaseChunker:
        return ASTChunker(
            language=self.language,
            max_size=self.max_size,
            sizer=self.sizer,
            overlap_nodes=self.overlap_nodes,
            expand_context=self.expand_context,
        )
