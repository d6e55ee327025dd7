"""What a PDF page is made of for assembling: its text, its lines with their fonts and boxes (where the layout is
known) and where the words of a line start (where a table may be)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # left, bottom, right, top, in PDF points (origin bottom-left)
WordStarts = tuple[tuple[int, float, float], ...]  # (offset, left, blank before) of each word of a line after its first


@dataclass
class Line:
    """One line of a page: ``page_text[start:end]``, with its font ``size`` and ``bold``, its ``box`` and where its
    ``words`` start where the layout is known (None / empty: text only, e.g. a loader's page)."""

    start: int
    end: int
    size: float | None = None
    bold: bool = False
    box: Box | None = None
    words: WordStarts = ()  # read where a table may be (a loosely set line on the page)


@dataclass
class Page:
    """A page's text as its source gave it, its label (e.g. "iv", "12") and its lines."""

    text: str
    label: str
    lines: list[Line] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, label: str) -> Page:
        """A page known only by its text (a loader's page): one `Line` per non-blank line."""
        return cls(text, label, [Line(*span) for span in line_spans(text)])


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all of ``boxes``."""
    lefts, bottoms, rights, tops = zip(*boxes)
    return min(lefts), min(bottoms), max(rights), max(tops)


def line_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each non-blank line of ``text``, trimmed of surrounding whitespace. PDFium's mark of a word
    broken at a line end (U+FFFE) ends a line too: PDFium may give the next line, or a header after a column's last
    line, with no line break after it (a mark with no word before it is no line)."""
    spans = []
    for match in re.finditer("[^\r\n\ufffe]+\ufffe?", text):
        inner = match.group().strip()
        if inner.strip("\ufffe"):
            start = match.start() + match.group().index(inner)
            spans.append((start, start + len(inner)))
    return spans
