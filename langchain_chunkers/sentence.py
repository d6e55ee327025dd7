"""`SentenceTextSplitter`: packs whole sentences under a budget."""

from __future__ import annotations

from typing import Any

from chunkers import SentenceChunker

from .base import ChunkerTextSplitter


class SentenceTextSplitter(ChunkerTextSplitter):
    """LangChain face of `chunkers.SentenceChunker`."""

    def __init__(self, max_size: int = 1000, sizer: Any = "chars", add_start_index: bool = False) -> None:
        super().__init__(SentenceChunker(max_size=max_size, sizer=sizer), add_start_index=add_start_index)
