"""`BaseChunker`: the face every chunker shares (`chunk`, `chunk_many`, `achunk`) and input checks."""

from __future__ import annotations

import asyncio
import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from .chunk import Chunk
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


def check_positive(name: str, value: Any) -> int:
    """``value`` as an int if it is a positive integer, else a clear `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class BaseChunker(ABC):
    """Splits a string into `Chunk`s with exact offsets. Subclasses implement `_chunk` and describe each constructor
    option in `OPTIONS` (the faces and the command line take their help from there)."""

    OPTIONS: ClassVar[dict[str, str]] = {
        "max_size": "Largest chunk, in units of `sizer` (a hard cap).",
        "sizer": "'chars', 'non_whitespace', a tokenizer, a local tokenizer folder or a callable(str) -> int.",
    }

    def __init__(self, max_size: int, sizer: Any = "chars") -> None:
        self.max_size = check_positive("max_size", max_size)
        self.sizer: Sizer = get_sizer(sizer)

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
            results[i] = chunks
        return results

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

    def params(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this chunker: ``type(c)(**c.params())`` chunks like ``c``.

        Every chunker keeps each constructor argument as an attribute of the same name (a `Sizer` for
        ``sizer``, the bridged `LLM` for ``llm``), so subclasses need not override this.
        """
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def config(self) -> dict[str, Any]:
        """What decides this chunker's output, as a stable JSON-friendly dict (the faces' cache keys): the class
        and every parameter but ``cache`` and ``concurrency``, which change only how fast the same chunks come."""
        from .settings import describe

        cls = type(self)
        settings = {k: describe(v) for k, v in self.params().items() if k not in ("cache", "concurrency")}
        return {"class": f"{cls.__module__}.{cls.__qualname__}", **settings}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_size={self.max_size}, sizer={self.sizer!r})"
