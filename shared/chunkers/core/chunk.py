"""The `Chunk`: a span of a source string with its text and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
