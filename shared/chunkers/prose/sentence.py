"""`SentenceChunker`: packs whole sentences under a size budget (the simple baseline)."""

from __future__ import annotations

from typing import Any

from ..core.base import BaseChunker
from ..core.chunk import Chunk
from ..core.merge import pack_spans
from ..core.segment import sentence_spans


class SentenceChunker(BaseChunker):
    """Packs consecutive sentences into chunks of at most ``max_size`` (measured by ``sizer``).

    A sentence longer than the budget is split at clauses, spaces, then characters.
    """

    def __init__(self, max_size: int = 1000, sizer: Any = "chars") -> None:
        super().__init__(max_size, sizer)

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        measure = self.sizer.span_measure(text)
        spans = pack_spans(text, sentence_spans(text), measure, self.max_size)
        return [Chunk.from_span(text, start, end, chunker="sentence") for start, end in spans]
