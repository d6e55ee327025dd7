"""`ChunkFilterCompressor`: ChunkRAG chunk filtering as a LangChain document compressor."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from chunkers import Chunk
from chunkers.filtering import ChunkFilter
from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from pydantic import ConfigDict, PrivateAttr

from .llm_bridge import to_engine_llm


class ChunkFilterCompressor(BaseDocumentCompressor):
    """Keeps the retrieved documents that matter for the query, best first, each with ``relevance_score`` in
    its metadata; works in ``ContextualCompressionRetriever`` and in LCEL. ``scorer``: "local" (default),
    "embedding" or "llm" (with ``llm``, any LangChain chat model or LLM)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    scorer: str = "local"
    llm: Any = None
    threshold: str | float | None = "dynamic"
    top_k: int | None = None
    min_keep: int = 1
    dedup_similarity: float | None = 0.9

    _filter: ChunkFilter = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._filter = ChunkFilter(
            scorer=self.scorer,
            llm=to_engine_llm(self.llm),
            threshold=self.threshold,
            top_k=self.top_k,
            min_keep=self.min_keep,
            dedup_similarity=self.dedup_similarity,
        )

    @property
    def chunk_filter(self) -> ChunkFilter:
        """The engine filter (its ``last_dropped`` says what was removed and why)."""
        return self._filter

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        chunks = [Chunk.from_span(d.page_content, 0, len(d.page_content), position=i) for i, d in enumerate(documents)]
        out = []
        for scored in self._filter.filter(query, chunks):
            source = documents[scored.chunk.metadata["position"]]
            metadata = {**source.metadata, "relevance_score": scored.score}
            out.append(Document(page_content=source.page_content, metadata=metadata, id=source.id))
        return out

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        return await asyncio.to_thread(self.compress_documents, documents, query, callbacks)
