"""`SentenceNodeParser`: packs whole sentences under a budget."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker, SentenceChunker
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser


class SentenceNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.SentenceChunker`."""

    max_size: int = Field(default=1000, description="Largest chunk, in units of `sizer`.")
    sizer: Any = Field(default="chars", description="'chars', 'non_whitespace', a tokenizer or a callable.")

    def _build_chunker(self) -> BaseChunker:
        return SentenceChunker(max_size=self.max_size, sizer=self.sizer)
