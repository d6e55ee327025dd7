"""A PDF's pages with their layout, read with PDFium (pypdfium2, Apache-2.0/BSD-3): each page's text in the order the
file stores it, and for each line its font size, weight and box, read from a few of its characters (the first, the
middle and the last), so reading stays at hundreds of pages a second; on a page with a loosely set line (a table's
row, maybe), also where each word of each line starts."""

from __future__ import annotations

import ctypes
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from itertools import pairwise
from typing import Any, BinaryIO

from .layout import Line, Page, WordStarts, line_spans, union

WORD_GAP = re.compile(r"\s+(?=\S)")
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")  # Hebrew, Arabic, Syriac, ...: their blocks
SPACED = 0.4
BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demibold", "extrabold", "cmbx", "sfbx")  # TeX: CMBX, SFBX


class PDFError(ValueError):
    """A PDF that cannot be chunked: unreadable, encrypted without the password, or without a text layer."""


def _pdfium() -> Any:
    try:
        import pypdfium2
    except ImportError:
        raise ImportError("reading PDFs needs pypdfium2: pip install 'rag-chunkers[pdf]'") from None
    return pypdfium2


PDFSource = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


def pdf_name(source: PDFSource) -> str:
    """How errors and warnings name a PDF given by its path or by its content."""
    return str(source) if isinstance(source, (str, os.PathLike)) else "the PDF's bytes"


def open_pdf(source: PDFSource, password: str | None = None, name: str | None = None) -> Any:
    """The PDFium document of ``source``: a path, the PDF's bytes (or any bytes-like object) or a binary file open
    for reading; `PDFError` naming the problem (and the PDF: ``name``, else `pdf_name`) when it cannot be opened."""
    pdfium = _pdfium()
    name = name or pdf_name(source)
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    elif hasattr(source, "read"):
        source = source.read()
    if not isinstance(source, (str, os.PathLike, bytes)):
        raise TypeError(f"a PDF is read from a path, bytes or a binary file, got {type(source).__name__}")
    try:
        return pdfium.PdfDocument(source if isinstance(source, bytes) else os.fspath(source), password=password)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            hint = "a wrong password" if password else "encrypted: pass password="
            raise PDFError(f"{name}: {hint} ({message})") from None
        raise PDFError(f"{name}: not a readable PDF ({message})") from None
    except FileNotFoundError:
        raise FileNotFoundError(f"{name}: no such file") from None
    except OSError as exc:
        raise PDFError(f"{name}: cannot be read ({exc})") from None


def read_pages(source: PDFSource, password: str | None = None, name: str | None = None) -> Iterator[Page]:
    """Each page of ``source`` (a path, the PDF's bytes or a binary file) with its lines' fonts and boxes, one page
    in memory at a time."""
    document = open_pdf(source, password, name)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                yield _page(page, _label(document, index))
            finally:
                page.close()
    finally:
        document.close()


def _label(document: Any, index: int) -> str:
    raw = _pdfium().raw
    size = raw.FPDF_GetPageLabel(document.raw, index, None, 0)
    if size <= 2:
        return str(index + 1)
    buffer = ctypes.create_string_buffer(size)
    raw.FPDF_GetPageLabel(document.raw, index, buffer, size)
    return buffer.raw[: size - 2].decode("utf-16-le") or str(index + 1)


def _page(page: Any, label: str) -> Page:
    if page.get_rotation():
        page.set_rotation(0)  # PDFium gives a rotated page's lines in reverse order otherwise
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        wide = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]  # two PDFium indices each
        text = _glyph_order(textpage, text, wide)
        lines = [_line(textpage, start, end, wide, text[end - 1] == "\ufffe") for start, end in line_spans(text)]
        if _spaced(textpage):  # a table may be here: where each line's words start
            for line in lines:
                line.words = _word_starts(textpage, text, line.start, line.end, wide)
        return Page(text, label, lines)
    finally:
        textpage.close()


def _glyph_order(textpage: Any, text: str, wide: list[int]) -> str:
    """``text`` with the characters of each right-to-left glyph of several (Arabic's lam-alef, "لا") in their order:
    PDFium gives them reversed ("ال"), one box for both. The same characters, each group in place."""
    if not RIGHT_TO_LEFT.search(text):
        return text
    rtl = [i for i, ch in enumerate(text) if unicodedata.bidirectional(ch) in ("R", "AL")]
    chars = list(text)
    boxes = {i: textpage.get_charbox(_index(i, wide)) for i in rtl}
    start = 0
    while start < len(rtl):
        end = start + 1  # rtl[start:end]: consecutive characters sharing one box
        while end < len(rtl) and rtl[end] == rtl[end - 1] + 1 and boxes[rtl[end]] == boxes[rtl[start]]:
            end += 1
        if end - start > 1:
            first, last = rtl[start], rtl[end - 1] + 1
            chars[first:last] = reversed(chars[first:last])
        start = end
    return "".join(chars)


def _line(textpage: Any, start: int, end: int, wide: list[int], marked: bool = False) -> Line:
    """The line ``[start, end)`` with its size, weight and box; ``marked``: it ends with PDFium's hyphen mark (a
    character of no font, not sampled)."""
    raw = _pdfium().raw
    last = end - 2 if marked and end - start > 1 else end - 1
    sampled = sorted({start, (start + last) // 2, last})
    sizes, bold, boxes = [], [], []
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    matrix = raw.FS_MATRIX()
    for offset in sampled:
        i = _index(offset, wide)
        # the size as drawn: the font's size times the text matrix's vertical scale (many files set size 1)
        scale = math.hypot(matrix.b, matrix.d) if raw.FPDFText_GetMatrix(textpage.raw, i, matrix) else 1.0
        sizes.append(raw.FPDFText_GetFontSize(textpage.raw, i) * (scale or 1.0))
        raw.FPDFText_GetFontInfo(textpage.raw, i, name, len(name), ctypes.byref(flags))
        font = name.value.decode("latin-1").lower()
        bold.append(any(word in font for word in BOLD_NAMES) or raw.FPDFText_GetFontWeight(textpage.raw, i) >= 600)
        boxes.append(textpage.get_charbox(i))
    median = sorted(sizes)[len(sizes) // 2]  # one odd glyph aside
    return Line(start, end, round(median, 1), all(bold), union(boxes))


def _index(offset: int, wide: list[int]) -> int:
    """The PDFium character index of a text offset (a character over U+FFFF is two PDFium indices)."""
    return offset + sum(1 for w in wide if w < offset)


def _spaced(textpage: Any) -> bool:
    """Whether two of the page's text segments (PDFium's rectangles of text) sit side by side on one line with a
    blank of `SPACED` of their height or more between them (wider than a space): a table's cells, maybe, so its
    words' starts are read."""
    rects = [textpage.get_rect(i) for i in range(textpage.count_rects())]
    for (_, b1, r1, t1), (l2, b2, _, t2) in pairwise(rects):
        height = min(t1 - b1, t2 - b2)
        if min(t1, t2) - max(b1, b2) > height / 2 and l2 - r1 >= SPACED * height:
            return True
    return False


def _word_starts(textpage: Any, text: str, start: int, end: int, wide: list[int]) -> WordStarts:
    """``(offset, left, gap)`` of each word of the line after its first: where it starts in the page text, its left
    edge and the blank space before it, in points (what table columns are found by)."""
    get_box = _pdfium().raw.FPDFText_GetCharBox
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    sides = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    starts = []
    for match in WORD_GAP.finditer(text, start, end):
        get_box(textpage.raw, _index(match.start() - 1, wide), *sides)
        before = right.value
        get_box(textpage.raw, _index(match.end(), wide), *sides)
        starts.append((match.end(), round(left.value, 1), round(left.value - before, 1)))
    return tuple(starts)
