"""`ChunkFilterCompressor`: ChunkRAG chunk filtering as a LangChain document compressor."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from chunkers import Chunk
from chunkers.core.faces import Derived, reject_unknown
from chunkers.core.options import options_of
from chunkers.filtering import ChunkFilter
from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from pydantic import ConfigDict, PrivateAttr, create_model

from .base import option_fields
from .llm_bridge import to_engine_llm


class ChunkFilterCompressor(
    create_model("ChunkFilterFields", __base__=BaseDocumentCompressor, **option_fields(ChunkFilter))
):  # type: ignore[misc]
    """Keeps the retrieved documents that matter for the query, best first, each with ``relevance_score`` in
    its metadata; works in ``ContextualCompressionRetriever`` and in LCEL.

    ``scorer``: "embedding" (the default unless ``llm`` is given): cosine similarity with ``embeddings``, any
    LangChain ``Embeddings`` (as ``EmbeddingsFilter`` takes it), else the embedded MiniLM. "local": the
    embedded SmolLM2's yes-probability (measured to hurt). "llm": ChunkRAG's score, reflection and critic with
    ``llm`` (required), any LangChain chat model or LLM. An empty query filters nothing: the documents come back
    unchanged.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _derived: Derived[ChunkFilter] = PrivateAttr(default_factory=Derived)

    def __init__(self, **data: Any) -> None:
        reject_unknown(data, set(type(self).model_fields), type(self).__name__)
        super().__init__(**data)

    def model_post_init(self, context: Any) -> None:
        self.chunk_filter  # noqa: B018  (settings are validated now)

    @property
    def chunk_filter(self) -> ChunkFilter:
        """The engine filter as the fields configure it now (its ``last_dropped`` says what was removed and why)."""
        settings = {name: getattr(self, name) for name in options_of(ChunkFilter)}
        return self._derived.get(ChunkFilter, {**settings, "llm": to_engine_llm(self.llm)})

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        if not query.strip():
            return list(documents)
        chunks = [Chunk.from_span(d.page_content, 0, len(d.page_content), position=i) for i, d in enumerate(documents)]
        out = []
        for scored in self.chunk_filter.filter(query, chunks):
            source = documents[scored.chunk.metadata["position"]]
            metadata = {**source.metadata, "relevance_score": scored.score}
            out.append(Document(page_content=source.page_content, metadata=metadata, id=source.id))
        return out

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        return await asyncio.to_thread(self.compress_documents, documents, query, callbacks)
