"""The `Chunk`: a span of a source string with its text and metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SOURCE_KEYS = ("file_path", "file_name", "source", "path")
"""The metadata keys that may name the file a text came from (LlamaIndex readers, LangChain loaders, ours)."""


def source_path(metadata: Mapping[str, Any]) -> str | None:
    """The file a text came from: the first of `SOURCE_KEYS` its metadata holds (a string, a path), as a string."""
    return next((str(metadata[key]) for key in SOURCE_KEYS if metadata.get(key)), None)


@dataclass(slots=True)
class Chunk:
    """A piece of a source string.

    Invariant: ``source[chunk.start:chunk.end] == chunk.text``, offsets in characters
    (Python string indices) of the original, unmodified source.
    """

    text: str
    start: int
    end: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end or self.end - self.start != len(self.text):
            raise ValueError(
                f"Chunk offsets [{self.start}, {self.end}) do not match its text of length {len(self.text)}"
            )

    @classmethod
    def from_span(cls, source: str, start: int, end: int, **metadata: Any) -> Chunk:
        """The chunk covering ``source[start:end]``."""
        return cls(source[start:end], start, end, dict(metadata))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict: ``text``, ``start``, ``end``, ``metadata``."""
        return {"text": self.text, "start": self.start, "end": self.end, "metadata": dict(self.metadata)}


def embedded_text(context: str, text: str) -> str:
    """What is embedded for a chunk with a context: the context, then the chunk's text on the lines after it (a blank
    line between them unless the context already ends with a line break, as the code header does); the text
    alone when the context is blank."""
    if not context.strip():
        return text
    return context + text if context.endswith("\n") else f"{context}\n\n{text}"
