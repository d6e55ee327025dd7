"""`BaseChunker`: the face every chunker shares (`chunk`, `chunk_many`, `achunk`) and input checks."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from .budget import fit_contexts
from .chunk import Chunk
from .configurable import Configurable
from .options import Option, positive
from .overlap import add_overlap, overlap_starts
from .sizing import Sizer, get_sizer


def validate_text(text: object) -> str:
    """Return ``text`` if it is chunkable, else raise a `TypeError`/`ValueError` naming the problem.

    Accepts any ``str`` (empty and whitespace-only strings give no chunks). Rejects ``bytes`` and other
    non-strings, and strings holding lone UTF-16 surrogates (they cannot be encoded or embedded).
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise TypeError("expected str, got bytes: decode it first, e.g. data.decode('utf-8', errors='replace')")
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    try:
        if not text.isascii():
            text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"text contains a lone surrogate {text[exc.start]!r} at index {exc.start}; clean it first, e.g. "
            "text.encode('utf-8', 'replace').decode('utf-8')"
        ) from None
    return text


def validate_batch(
    texts: Iterable[object], metadatas: Sequence[dict[str, Any]] | None
) -> tuple[list[str], Sequence[dict[str, Any]]]:
    """Validated texts and one metadata dict per text (empty dicts when None), or a clear error."""
    checked = [validate_text(text) for text in texts]
    if metadatas is not None and len(metadatas) != len(checked):
        raise ValueError(f"got {len(checked)} texts but {len(metadatas)} metadata dicts")
    return checked, metadatas or [{}] * len(checked)


def to_sizer(name: str, value: Any) -> Sizer:
    """The `Sizer` a sizer spec names (see `chunkers.core.sizing.get_sizer`)."""
    return get_sizer(value)


def overlap_check(name: str, value: Any) -> int:
    """0 or a positive integer (the size of the text consecutive chunks share, at most)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer (in units of the sizer), got {value!r}")
    return value


CHUNK_OVERLAP = Option(0, "Text consecutive chunks share, at most, in units of sizer (the end of the chunk before, "
                       "at whole sentences); the budget still holds.", overlap_check)  # fmt: skip
CONTEXT_IN_BUDGET = Option(False, "max_size holds for context_header and the chunk together, as they are embedded.")
MAX_SIZE = Option(1000, "Largest chunk, in units of `sizer` (a hard cap).", positive)
SIZER = Option("chars", "'chars', 'non_whitespace', a tokenizer, a local tokenizer folder or a callable(str) -> int.",
               to_sizer)  # fmt: skip


class BaseChunker(Configurable, ABC):
    """Splits a string into `Chunk`s with exact offsets. A chunker is a ``@dataclass(eq=False)`` whose fields are its
    options (`chunkers.core.options`: at least ``max_size = MAX_SIZE.field(...)`` and ``sizer = SIZER.field(...)``),
    and implements `_chunk`."""

    max_size: int
    sizer: Sizer
    packs_context: ClassVar[bool] = False  # sizes each chunk with its context itself (no re-cut by fit_contexts)

    def __post_init__(self) -> None:
        super().__post_init__()
        overlap = getattr(self, "chunk_overlap", 0)
        if overlap and overlap >= self.max_size:
            raise ValueError(f"chunk_overlap={overlap} must be smaller than max_size={self.max_size}")

    @property
    def core_size(self) -> int:
        """The budget of a chunk's own text before overlap: ``max_size`` less ``chunk_overlap`` (so that a chunk with
        the end of the one before it still fits ``max_size``)."""
        return self.max_size - getattr(self, "chunk_overlap", 0)

    @abstractmethod
    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        """Chunks of a validated, non-blank ``text``; ``metadata`` is what the caller passed."""

    def chunk(self, text: str, **metadata: Any) -> list[Chunk]:
        """Split ``text``; ``metadata`` (e.g. ``file_path``) is copied into every chunk's metadata.

        Empty or whitespace-only text gives ``[]``.
        """
        return self.chunk_many([text], [metadata])[0]

    def chunk_many(self, texts: Iterable[str], metadatas: Sequence[dict[str, Any]] | None = None) -> list[list[Chunk]]:
        """`chunk` each text (with its metadata dict, if given); one list of chunks per text."""
        texts, metadatas = validate_batch(texts, metadatas)
        live = [i for i, text in enumerate(texts) if text and not text.isspace()]
        results: list[list[Chunk]] = [[] for _ in texts]
        for i, chunks in zip(live, self._chunk_batch([texts[i] for i in live], [metadatas[i] for i in live])):
            if metadatas[i]:
                for chunk in chunks:
                    chunk.metadata = {**metadatas[i], **chunk.metadata}
            results[i] = self._finished(texts[i], chunks)
        return results

    def _finished(self, text: str, chunks: list[Chunk]) -> list[Chunk]:
        """The chunks as returned: fitted with their context (``context_in_budget``), then overlapped
        (``chunk_overlap``), for the chunkers that have those options."""
        counted = getattr(self, "context_in_budget", False)
        if counted and not self.packs_context:
            chunks = fit_contexts(text, chunks, self.sizer, self.core_size)
        overlap = getattr(self, "chunk_overlap", 0)
        if overlap:
            chunks = add_overlap(
                text, chunks, self.sizer, self.max_size, overlap, self._may_overlap, counted, self._overlap_starts
            )
        return chunks

    def shown_text(self, text: str, chunk: Chunk) -> str:
        """What the faces embed and show an LLM for ``chunk`` of ``text``: its text (a chunker of markup gives its
        text view; the chunk's offsets still point into ``text``)."""
        return chunk.text

    @staticmethod
    def _overlap_starts(text: str, start: int, end: int) -> tuple[list[int], ...]:
        """Where the overlap taken from ``text[start:end]`` may begin, by kind tried in order (sentences, words)."""
        return overlap_starts(text, start, end)

    def _may_overlap(self, previous: Chunk, chunk: Chunk) -> bool:
        """Whether ``chunk`` may start with the end of ``previous`` (chunkers with boundaries overlap must not cross
        override it)."""
        return True

    def _chunk_batch(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """Chunks of several validated, non-blank texts; chunkers that can share work across texts override it."""
        return [self._chunk(text, metadata) for text, metadata in zip(texts, metadatas)]

    async def achunk(self, text: str, **metadata: Any) -> list[Chunk]:
        """`chunk` without blocking the event loop."""
        return await asyncio.to_thread(self.chunk, text, **metadata)

    async def achunk_many(
        self, texts: Iterable[str], metadatas: Sequence[dict[str, Any]] | None = None
    ) -> list[list[Chunk]]:
        """`chunk_many` without blocking the event loop."""
        return await asyncio.to_thread(self.chunk_many, list(texts), metadatas)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_size={self.max_size}, sizer={self.sizer!r})"
