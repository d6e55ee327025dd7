"""`LateChunkingEmbeddings`: late chunking (`chunkers.context.LateChunkingEmbedder`) as LangChain `Embeddings`."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from chunkers.context.late import LateChunkingEmbedder
from langchain_core.documents import BaseDocumentTransformer, Document
from langchain_core.embeddings import Embeddings

from .base import ChunkerTextSplitter


class LateChunkingEmbeddings(Embeddings, BaseDocumentTransformer):
    """Late-chunking vectors for the chunks it splits, ordinary ones for everything else (queries included).

    LangChain hands an embedding model only texts, so the splitting goes through it: ``split_documents`` (or
    ``transform_documents``) splits with ``splitter`` (any of our splitters; default ``SentenceTextSplitter()``),
    computes each chunk's late vector from its whole document, and keeps it for that chunk's ``page_content``; a
    vector store's ordinary ``embed_documents`` call then gets those vectors, in order (a text it was not given by a
    split gets its ordinary embedding)::

        late = LateChunkingEmbeddings(DocumentTextSplitter(max_size=500))
        store = InMemoryVectorStore.from_documents(late.split_documents(docs), late)   # or FAISS.from_documents

    ``options`` are the engine embedder's (``model``, ``window_tokens``, ``overlap_tokens``, ``with_context``: each
    chunk's ``context_header``, ``batch_size``, ``device``, ``dtype``)."""

    def __init__(self, splitter: ChunkerTextSplitter | None = None, **options: Any) -> None:
        if splitter is None:
            from .sentence import SentenceTextSplitter

            splitter = SentenceTextSplitter()
        if not isinstance(splitter, ChunkerTextSplitter):
            raise TypeError(f"splitter must be one of langchain_chunkers' splitters, got {type(splitter).__name__}")
        self.splitter = splitter
        self.embedder = LateChunkingEmbedder(**options)
        self._ready: dict[str, deque[list[float]]] = defaultdict(deque)  # page_content -> late vectors, in order

    def split_documents(self, documents: Sequence[Document]) -> list[Document]:
        """The splitter's documents; their late vectors are kept for `embed_documents`."""
        documents = list(documents)
        texts = [d.page_content for d in documents]
        metadatas = [{str(k): v for k, v in d.metadata.items()} for d in documents]
        chunks = self.splitter.chunker.chunk_many(texts, metadatas)
        out = self.splitter._documents([d.metadata for d in documents], chunks)
        vectors = (v for vs in self.embedder.embed_many(texts, chunks) for v in vs)
        for document, vector in zip(out, vectors):
            self._ready[document.page_content].append(vector)
        return out

    def transform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        return self.split_documents(documents)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float] | None] = [self._ready[t].popleft() if self._ready.get(t) else None for t in texts]
        missing = [i for i, v in enumerate(vectors) if v is None]
        for i, vector in zip(missing, self.embedder.embed_documents([texts[i] for i in missing])):
            vectors[i] = vector
        return vectors  # type: ignore[return-value]

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)
