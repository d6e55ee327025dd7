"""`LateChunkingEmbeddings`: late chunking (`chunkers.context.LateChunkingEmbedder`) as LangChain `Embeddings`."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chunkers.context.late import LateChunkingEmbedder
from chunkers.core.warn import warn_user
from langchain_core.documents import BaseDocumentTransformer, Document
from langchain_core.embeddings import Embeddings

from .base import ChunkerTextSplitter

# Why a text got a plain vector, as the warning says it.
NOT_SPLIT = "not among the chunks split_documents returned (or already embedded)"
OUT_OF_ORDER = "not the next chunk of its split (the documents were reordered or filtered)"
AMBIGUOUS = "the next chunk of several splits, whose late vectors differ"


@dataclass
class _Split:
    """The late vectors of one `split_documents` call not handed out yet, in the order of its documents (each with
    the text of the document it was split from)."""

    texts: list[str]
    vectors: list[list[float]]
    sources: list[str]

    def run(self, texts: list[str], start: int) -> int:
        """How many of ``texts[start:]`` are this split's next chunks, in order."""
        length = 0
        while length < len(self.texts) and start + length < len(texts) and texts[start + length] == self.texts[length]:
            length += 1
        return length

    def take(self, length: int) -> list[list[float]]:
        """The next ``length`` vectors, no longer queued."""
        taken = self.vectors[:length]
        del self.texts[:length], self.vectors[:length], self.sources[:length]
        return taken

    def drop_sources(self, sources: set[str]) -> None:
        """Drop the queued vectors of chunks of these documents (split again since)."""
        kept = [i for i, source in enumerate(self.sources) if source not in sources]
        self.texts = [self.texts[i] for i in kept]
        self.vectors = [self.vectors[i] for i in kept]
        self.sources = [self.sources[i] for i in kept]


@dataclass
class _Handout:
    """The outcome of matching one `embed_documents` call: late vectors by position, and why the others are plain."""

    vectors: dict[int, list[float]] = field(default_factory=dict)
    plain: dict[int, str] = field(default_factory=dict)


class LateChunkingEmbeddings(Embeddings, BaseDocumentTransformer):
    """Late-chunking vectors for the chunks it splits, ordinary ones for everything else (queries included).

    LangChain hands an embedding model only texts, so the splitting goes through it: ``split_documents`` (or
    ``transform_documents``) splits with ``splitter`` (any of our splitters; default ``SentenceTextSplitter()``),
    computes each chunk's late vector from its whole document, and queues it; a vector store's ordinary
    ``embed_documents`` call then gets those vectors::

        late = LateChunkingEmbeddings(DocumentTextSplitter(max_size=500))
        store = InMemoryVectorStore.from_documents(late.split_documents(docs), late)   # or FAISS.from_documents

    A queued vector goes only to its own chunk: the texts of an ``embed_documents`` call are matched, in order, to
    the next chunks of one split (all of it at once, or in batches, in its order; several splits may wait, and one
    call may run through several of them, one after another), by their exact text. A vector is handed out once;
    splitting a document again drops the vectors still queued for its earlier split. Every other text (one that is
    not the next chunk of a split, a chunk already embedded, reordered or filtered documents) gets its ordinary
    embedding, and the call warns (`UserWarning`) how many of its texts got one and why. ``late_vectors`` and
    ``plain_vectors`` count the vectors handed out of each kind since construction (queries not counted);
    ``pending`` is the number still queued.

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
        self.late_vectors = 0
        self.plain_vectors = 0
        self._splits: list[_Split] = []  # oldest first
        self._lock = threading.Lock()  # vector stores may embed batches from several threads

    @property
    def pending(self) -> int:
        """The number of late vectors queued for chunks not embedded yet."""
        with self._lock:
            return sum(len(split.texts) for split in self._splits)

    def split_documents(self, documents: Sequence[Document]) -> list[Document]:
        """The splitter's documents; their late vectors are queued for `embed_documents`."""
        documents = list(documents)
        texts = [d.page_content for d in documents]
        metadatas = [{str(k): v for k, v in d.metadata.items()} for d in documents]
        chunks = self.splitter.chunker.chunk_many(texts, metadatas)
        out = self.splitter._documents(texts, [d.metadata for d in documents], chunks)
        shown = self.splitter.chunker.shown_text
        kept = [bool(shown(text, c).strip()) for text, found in zip(texts, chunks) for c in found]  # as _documents
        vectors = [v for vs in self.embedder.embed_many(texts, chunks) for v in vs]
        vectors = [v for v, keep in zip(vectors, kept) if keep]
        sources = [text for text, found in zip(texts, chunks) for _ in found]
        sources = [text for text, keep in zip(sources, kept) if keep]
        split = _Split([d.page_content for d in out], vectors, sources)
        with self._lock:
            for earlier in self._splits:
                earlier.drop_sources(set(texts))
            self._splits = [s for s in self._splits if s.texts] + [split]
        return out

    def transform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        """`split_documents` (LangChain's document-transformer interface)."""
        return self.split_documents(documents)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """The queued late vector of each text that is the next chunk of a split, the ordinary embedding of the
        others (with a warning saying how many and why)."""
        texts = list(texts)
        with self._lock:
            handout = self._hand_out(texts)
            self.late_vectors += len(handout.vectors)
            self.plain_vectors += len(handout.plain)
        missing = sorted(handout.plain)
        plain = self.embedder.embed_documents([texts[i] for i in missing]) if missing else []
        vectors = {**handout.vectors, **dict(zip(missing, plain))}
        if missing:
            self._warn(handout.plain, len(texts))
        return [vectors[i] for i in range(len(texts))]

    def embed_query(self, text: str) -> list[float]:
        """The ordinary embedding of a query."""
        return self.embedder.embed_query(text)

    def _hand_out(self, texts: list[str]) -> _Handout:
        """Match the texts, in order, to runs of the splits' next chunks: each run to the split whose next chunks
        match the most texts, the oldest of equal ones (a tie between splits whose vectors differ is ambiguous:
        plain vectors)."""
        handout, start = _Handout(), 0
        while start < len(texts):
            runs = [(split.run(texts, start), split) for split in self._splits]
            length = max((n for n, _ in runs), default=0)
            if length == 0:
                queued = any(texts[start] in split.texts for split in self._splits)
                handout.plain[start] = OUT_OF_ORDER if queued else NOT_SPLIT
                start += 1
                continue
            best = [split for n, split in runs if n == length]
            if any(split.vectors[:length] != best[0].vectors[:length] for split in best[1:]):
                handout.plain.update(dict.fromkeys(range(start, start + length), AMBIGUOUS))
            else:
                handout.vectors.update(enumerate(best[0].take(length), start))
            start += length
        self._splits = [split for split in self._splits if split.texts]
        return handout

    def _warn(self, reasons: dict[int, str], total: int) -> None:
        """One warning for a call that gave plain vectors: how many of how many texts, why, and how to get late
        ones."""
        why = "; ".join(f"{n} {reason}" for reason, n in Counter(reasons.values()).items())
        warn_user(
            f"LateChunkingEmbeddings gave plain (not late) vectors to {len(reasons)} of {total} texts: {why}. Late "
            "vectors go to the documents split_documents returned, embedded in its order, e.g. "
            "InMemoryVectorStore.from_documents(late.split_documents(docs), late)."
        )
