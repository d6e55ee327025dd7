"""`SentenceChunker`: packs whole sentences under a size budget (the simple baseline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.base import CHUNK_OVERLAP, MAX_SIZE, SIZER, BaseChunker
from ..core.chunk import Chunk
from ..core.merge import pack_spans
from ..core.segment import sentence_spans


@dataclass(eq=False)
class SentenceChunker(BaseChunker):
    """Packs consecutive sentences into chunks of at most ``max_size`` (measured by ``sizer``).

    A sentence longer than the budget is split at clauses, spaces, then characters.
    """

    max_size: int = MAX_SIZE.field(1000)
    sizer: Any = SIZER.field()
    chunk_overlap: int = CHUNK_OVERLAP.field()

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        measure = self.sizer.span_measure(text)
        spans = pack_spans(text, sentence_spans(text), measure, self.core_size)
        return [Chunk.from_span(text, start, end, chunker="sentence") for start, end in spans]
