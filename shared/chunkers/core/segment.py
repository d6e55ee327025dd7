"""Sentence and paragraph segmentation returning character spans (never re-joined strings).

Handles English-style punctuation (with common abbreviations and initials), CJK full-width
punctuation (no space needed after it) and blank lines. Spans exclude surrounding whitespace.
"""

from __future__ import annotations

import re

from .merge import Span, trim

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig figs eq eqs no vol pp ed eds inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx dept est gen gov sen rep rev u.s u.k".split()
)

# A Western sentence end: terminal punctuation, optional closing quotes/brackets, then whitespace.
# A CJK sentence end: full-width terminal punctuation plus optional closing marks, no space needed.
# A blank line always ends a sentence.
_SENTENCE_END = re.compile(
    r"(?P<w>[.!?\u2026]+[\"'\u201d\u2019)\]]*)(?=\s)"
    r"|(?P<c>[\u3002\uff01\uff1f\uff1b]+[\u201d\u2019\u300d\u300f\uff09]*)"
    r"|(?P<p>\n[ \t\r\f\v]*\n)"
)
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True if the '.' at ``dot`` closes an abbreviation or an initial rather than a sentence."""
    match = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha() and text[match.start()].isupper()


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of the sentences in ``text[start:end]`` (offsets into ``text``)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    begin = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group("w") is not None:
            punct = match.group("w")
            if punct == "." and _is_abbreviation(text, match.start()):
                continue
            cut = match.end()
        elif match.group("c") is not None:
            cut = match.end()
        else:
            cut = match.start()
        span = trim(text, begin, cut)
        if span[0] < span[1]:
            spans.append(span)
        begin = cut
    span = trim(text, begin, end)
    if span[0] < span[1]:
        spans.append(span)
    return spans


_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")


def paragraph_spans(text: str, start: int = 0, end: int | None = None, single_newline: bool = False) -> list[Span]:
    """Spans of the paragraphs in ``text[start:end]``: blocks separated by blank lines.

    With ``single_newline=True`` every line break separates paragraphs (for texts that put one
    paragraph per line).
    """
    end = len(text) if end is None else end
    separator = re.compile(r"\n") if single_newline else _BLANK_LINES
    spans: list[Span] = []
    begin = start
    for match in separator.finditer(text, start, end):
        span = trim(text, begin, match.start())
        if span[0] < span[1]:
            spans.append(span)
        begin = match.end()
    span = trim(text, begin, end)
    if span[0] < span[1]:
        spans.append(span)
    return spans


def utf8_char_offsets(text: str) -> memoryview | None:
    """For parsers that report UTF-8 byte offsets (tree-sitter, pulldown-cmark): a table whose entry at a byte
    offset of ``text`` is the character offset there; None when the text is ASCII (the offsets are equal)."""
    if text.isascii():
        return None
    import numpy as np

    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum((data & 0xC0) != 0x80, out=offsets[1:])  # characters started before each byte
    return memoryview(offsets)
