"""`ChunkerTextSplitter`: a LangChain `TextSplitter` around any engine chunker. It only translates."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chunkers import BaseChunker, Chunk
from langchain_core.documents import Document
from langchain_text_splitters import TextSplitter


class ChunkerTextSplitter(TextSplitter):
    """Runs an engine chunker; ``start_index`` (with ``add_start_index=True``) is the engine's exact offset.

    Every output document gets a deep copy of its source document's metadata plus what the chunker adds
    (e.g. line numbers, scores); ``end_index`` accompanies ``start_index``.
    Use it directly around any chunker: ``ChunkerTextSplitter(SentenceChunker(max_size=500))``.
    """

    def __init__(self, chunker: BaseChunker, add_start_index: bool = False) -> None:
        if not isinstance(chunker, BaseChunker):
            raise TypeError(f"chunker must be a chunkers.BaseChunker, got {type(chunker).__name__}")
        super().__init__(
            chunk_size=chunker.max_size, chunk_overlap=0, length_function=chunker.sizer, add_start_index=add_start_index
        )
        self.chunker = chunker

    def split_text(self, text: str) -> list[str]:
        return [chunk.text for chunk in self.chunker.chunk(text)]

    def create_documents(self, texts: list[str], metadatas: list[dict[Any, Any]] | None = None) -> list[Document]:
        if metadatas is not None and len(metadatas) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadata dicts")
        sources = metadatas or [{} for _ in texts]
        return self._documents(sources, self.chunker.chunk_many(texts, [_keyed(m) for m in sources]))

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        """`split_documents` without blocking the event loop (the LLM chunker: through the model's async API)."""
        sources = [d.metadata for d in documents]
        results = await self.chunker.achunk_many([d.page_content for d in documents], [_keyed(m) for m in sources])
        return self._documents(sources, results)

    def _documents(self, sources: list[dict[Any, Any]], results: list[list[Chunk]]) -> list[Document]:
        """One document per chunk: a deep copy of its source's metadata plus the chunker's, and exact offsets."""
        documents = []
        for source_metadata, chunks in zip(sources, results):
            for chunk in chunks:
                metadata = copy.deepcopy(source_metadata)
                metadata.update({k: v for k, v in chunk.metadata.items() if k not in source_metadata})
                if self._add_start_index:
                    metadata["start_index"] = chunk.start
                    metadata["end_index"] = chunk.end
                documents.append(Document(page_content=chunk.text, metadata=metadata))
        return documents


def _keyed(metadata: dict[Any, Any]) -> dict[str, Any]:
    """Metadata passed to the engine has string keys."""
    return {str(k): v for k, v in metadata.items()}
