"""The pages of one PDF as one document: their lines (with font size, weight and box where the layout is known),
less the running headers, footers and page numbers, written as Markdown (headings from font size and weight, or
from section numbers where only text is known), with words hyphenated across lines and paragraphs broken across
pages joined. Every character of the result is copied from a page or is an inserted separator; `Assembled.runs`
maps the copied ones back to each page's text exactly.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from .layout import Box, Line, Page, union
from .tables import cells, table_rows


@dataclass(frozen=True)
class Run:
    """Characters ``[start, start + length)`` of the document copied from ``page`` (0-based) at ``page_start``."""

    start: int
    length: int
    page: int
    page_start: int
    box: Box | None = None


@dataclass
class Assembled:
    """The document text (Markdown), its runs back into the pages, and what was removed as running text."""

    text: str
    runs: list[Run]
    pages: list[Page]
    removed: list[str] = field(default_factory=list)  # the running header / footer lines found (one of each)
    _starts: list[int] = field(default_factory=list, repr=False)

    def page_spans(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """``(page, page_start, page_end)`` for each run inside ``[start, end)`` of the document, merged per page
        where adjacent in the page (0-based pages; each slice is exact in that page's text)."""
        out: list[tuple[int, int, int]] = []
        for run in self._runs_between(start, end):
            a, b = max(start, run.start), min(end, run.start + run.length)
            slice_ = (run.page, run.page_start + a - run.start, run.page_start + b - run.start)
            if (
                out
                and out[-1][0] == slice_[0]
                and out[-1][2] <= slice_[1]
                and not self.pages[slice_[0]].text[out[-1][2] : slice_[1]].strip()
            ):
                out[-1] = (slice_[0], out[-1][1], slice_[2])
            else:
                out.append(slice_)
        return out

    def boxes(self, start: int, end: int) -> list[tuple[int, Box]]:
        """One box per page for ``[start, end)``: the union of its lines' boxes (pages with a known layout only)."""
        by_page: dict[int, list[Box]] = {}
        for run in self._runs_between(start, end):
            if run.box is not None:
                by_page.setdefault(run.page, []).append(run.box)
        return [(page, union(boxes)) for page, boxes in sorted(by_page.items())]

    def _runs_between(self, start: int, end: int) -> list[Run]:
        if len(self._starts) != len(self.runs):
            self._starts = [run.start for run in self.runs]
        index = max(bisect_right(self._starts, start) - 1, 0)
        found = []
        while index < len(self.runs) and self.runs[index].start < end:
            if self.runs[index].start + self.runs[index].length > start:
                found.append(self.runs[index])
            index += 1
        return found


NUMBERED_EDGE = re.compile(r"^(\d{1,4})\s+\S.*$|^.*\S\s+(\d{1,4})$")  # "8 1.2. METRIC SPACES", "1.3. LIMITS 9"
PAGE_NUMBER = re.compile(r"(?i)^(page\s+)?([0-9]+|[ivxlcdm]+)(\s*(/|of)\s*[0-9]+)?$|^[-–—]\s*[0-9]+\s*[-–—]$")
EDGE_LINES = 3  # a running header or footer is among the first or last lines of a page (in the file's order) ...
EDGE_ZONE = 0.08  # ... or in the top or bottom 8% of the page's text (by the lines' boxes)
RUNNING_MAX = 120  # characters: a running header or footer is a short line, not body text that repeats


def _text(page: Page, index: int) -> str:
    """The text of line ``index`` of ``page``."""
    return page.text[page.lines[index].start : page.lines[index].end]


def running_lines(pages: Sequence[Page]) -> set[tuple[int, int]]:
    """``(page, line index)`` of the running headers, footers and page numbers. Among a page's edge lines (its first
    or last `EDGE_LINES` in the file's order, or those in the top or bottom `EDGE_ZONE` of its text) of at most
    `RUNNING_MAX` characters: a line that, digits, spacing and punctuation aside and in the same type size, repeats
    on a quarter of the pages (and on three: odd and even pages may differ; on both pages of a two-page PDF, set
    apart from the text there, `_apart`); or a page's very first or last line when it is a bare page number ("12",
    "iv", "Page 3 of 9") in no larger type than the body; or a page's top line set as a header (`_header_apart`:
    smaller type, set apart), so a one-page PDF, where nothing repeats, loses its header too; or a page's top or
    bottom line that opens or ends with the page's printed number (`_numbered_edges`: a book's header whose title
    changes with its section). A line that also stands
    inside a page (not at its edges) is body text, and where these lines are all the PDF's text they are its text,
    not its frame: none is running then."""

    def key(page: Page, line: Line) -> tuple[str, float | None]:
        text = re.sub(r"\d+", "#", page.text[line.start : line.end].lower())
        return "".join(ch for ch in text if ch.isalnum() or ch == "#"), line.size and round(line.size)

    edges = [[i for i in _edge_lines(page) if page.lines[i].end - page.lines[i].start <= RUNNING_MAX] for page in pages]
    counts = Counter(k for page, ids in zip(pages, edges) for k in {key(page, page.lines[i]) for i in ids})
    least = 2 if len(pages) == 2 else max(3, len(pages) / 4)
    inside = {key(page, line) for page, ids in zip(pages, edges) for i, line in enumerate(page.lines) if i not in ids}
    repeated = {k for k, n in counts.items() if n >= least and k[0].strip("#")} - inside
    body = _body_size(pages)
    found = set()
    for number, (page, ids) in enumerate(zip(pages, edges)):
        for i in ids:
            line = page.lines[i]
            bare_number = i in (0, len(page.lines) - 1) and PAGE_NUMBER.match(page.text[line.start : line.end])
            if bare_number and body is not None and (line.size or body) > body * 1.05:
                bare_number = None  # a heading's last word ("III"), not a page number
            # on two pages, repeating is weak evidence alone: the line must be set apart too
            if (key(page, line) in repeated and (len(pages) != 2 or _apart(page, i, body))) or bare_number:
                found.add((number, i))
        top = _header_apart(page, body)
        if top is not None:
            found.add((number, top))
    found |= _numbered_edges(pages, least, body)
    rest = ((number, i) for number, page in enumerate(pages) for i, line in enumerate(page.lines)
            if page.text[line.start : line.end].strip())  # fmt: skip
    return found if any(line not in found for line in rest) else set()


def _numbered_edges(pages: Sequence[Page], least: float, body: float | None) -> set[tuple[int, int]]:
    """``(page, line index)`` of the pages' top and bottom lines (by their boxes, else the first and last) of at most
    `RUNNING_MAX` characters, in no larger type than the body, that open or end with a number one more on each
    following page (the number minus the page's index the same on at least ``least`` pages): the printed page
    number, in a header or footer (a numbered heading opening each page is in larger type)."""
    by_offset: dict[int, list[tuple[int, int]]] = {}
    for number, page in enumerate(pages):
        boxed = [(line.box[3], line.box[1], i) for i, line in enumerate(page.lines) if line.box]
        ends = {max(boxed)[2], min(boxed, key=lambda b: b[1])[2]} if boxed else {0, len(page.lines) - 1}
        for i in ends & set(range(len(page.lines))):
            text = _text(page, i).strip()
            size = page.lines[i].size
            small = body is None or size is None or size <= body * 1.05
            match = NUMBERED_EDGE.match(text) if small and len(text) <= RUNNING_MAX else None
            if match:
                by_offset.setdefault(int(match[1] or match[2]) - number, []).append((number, i))
    return {line for lines in by_offset.values() if len(lines) >= least for line in lines}


def _header_apart(page: Page, body: float | None) -> int | None:
    """The index of the page's top line when it is set as a page header: in type at most 90% of the body's, not
    bold, at most `RUNNING_MAX` characters, and set apart from the text (`_apart`)."""
    boxed = [(line.box[3], i) for i, line in enumerate(page.lines) if line.box]
    if body is None or len(boxed) < 2:
        return None
    i = max(boxed)[1]
    line = page.lines[i]
    small = line.size is not None and line.size <= body * 0.9 and not line.bold
    return i if small and _apart(page, i, body) and line.end - line.start <= RUNNING_MAX else None


def _apart(page: Page, index: int, body: float | None) -> bool:
    """Whether line ``index`` is set apart from the page's other lines above and below it (those it shares some
    width with): at least 1.5 body sizes from the nearest. True where the boxes are not known."""
    line = page.lines[index]
    if line.box is None or body is None:
        return True
    left, bottom, right, top = line.box
    gaps = [max(other.box[1] - top, bottom - other.box[3]) for j, other in enumerate(page.lines)
            if j != index and other.box and other.box[0] < right and other.box[2] > left]  # fmt: skip
    return min(gaps, default=body * 1.5) >= body * 1.5


def _edge_lines(page: Page) -> list[int]:
    count = len(page.lines)
    edges = {i for i in range(count) if i < EDGE_LINES or i >= count - EDGE_LINES}
    boxes = [line.box for line in page.lines if line.box]
    if boxes:
        top, bottom = max(b[3] for b in boxes), min(b[1] for b in boxes)
        zone = (top - bottom) * EDGE_ZONE
        edges |= {i for i, line in enumerate(page.lines) if line.box and (line.box[1] >= top - zone
                                                                          or line.box[3] <= bottom + zone)}  # fmt: skip
    return sorted(edges)


SENTENCE_END = tuple(".!?:;)]\"'”’…")
NUMBERED_HEADING = re.compile(r"^(\d+(?:\.\d+){0,4})\.?\s+[A-Z][^.!?]{0,80}$")
COMPOUND = re.compile(r"[^\W\d_]+-[^\W\d_]+")  # a hyphenated word written whole on a line
MARKDOWN_OPENERS = re.compile(r"^(#|>|<|```|~~~|[-+*] |\d+[.)] |\|)")


@dataclass
class _Block:
    """A paragraph, heading or table being assembled: its lines as ``(page, Line)``."""

    lines: list[tuple[int, Line]]
    level: int = 0  # 0: paragraph; 1..6: heading level
    table: tuple[int, int] | None = None  # a table's (page, first row); its rows are the lines
    columns: list[float] = field(default_factory=list)  # a table's column edges after the first


class _Writer:
    """Builds the document text and its runs."""

    def __init__(self, pages: Sequence[Page]) -> None:
        self.pages = pages
        # the document's own hyphenated words ("role-playing"), which keep their hyphen where a line breaks them
        self.compounds = {m.group().lower() for page in pages for m in COMPOUND.finditer(page.text)}
        self.parts: list[str] = []
        self.runs: list[Run] = []
        self.length = 0

    def insert(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def keeps_hyphen(self, text: str, at: int, after: str) -> bool:
        """Whether the hyphen at ``text[at]``, where a line broke the word going on in ``after``, is the word's own:
        the document writes that hyphenated word elsewhere, or the word goes on with no lower-case letter."""
        before = re.search(r"[^\W\d_]+$", text[:at])
        rest = re.match(r"[^\W\d_]+", after)
        if not before or not rest or not rest.group()[0].islower():
            return True
        return f"{before.group()}-{rest.group()}".lower() in self.compounds

    def copy(self, page: int, start: int, end: int, box: Box | None) -> None:
        """Copy ``page``'s text ``[start, end)``; PDFium's mark of a word broken at a line end (U+FFFE, only ever a
        line's last character: `line_spans`) is written "-" (`_write_block` leaves it out where the word is joined)."""
        text = self.pages[page].text
        marked = end > start and text[end - 1] == "\ufffe"
        if end - marked > start:
            self.runs.append(Run(self.length, end - marked - start, page, start, box))
            self.insert(text[start : end - marked])
        if marked:
            self.insert("-")


def _body_size(pages: Sequence[Page]) -> float | None:
    weights: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            if line.size is not None:
                weights[round(line.size, 1)] += line.end - line.start
    return weights.most_common(1)[0][0] if weights else None


def _heading_levels(blocks: list[_Block], pages: Sequence[Page], body: float | None) -> None:
    """Set each block's heading level: from font size and weight where known, else from a section number."""
    if body is None:
        for block in blocks:
            page, line = block.lines[0]
            match = NUMBERED_HEADING.match(pages[page].text[line.start : line.end])
            if len(block.lines) == 1 and match:
                block.level = min(match.group(1).count(".") + 1, 6)
        return
    styles = []
    for block in blocks:
        if block.table:
            continue
        sizes = [line.size or body for _, line in block.lines]
        text = " ".join(pages[p].text[line.start : line.end] for p, line in block.lines)
        size = max(sizes)
        large = size >= body * 1.12
        bold = all(line.bold for _, line in block.lines) and size >= body * 0.95
        words = sum(ch.isalpha() for ch in text) >= 2 and (text[0].isalnum() or text[0] in "\"'“‘(")
        ends = (",", ";") if large else (".", ",", ";")  # a title in large type may be a sentence
        if (large or bold) and words and len(text) <= 200 and not text.endswith(ends):
            styles.append((block, round(size, 1), bold))
    ranked = sorted({(size, bold) for _, size, bold in styles}, reverse=True)
    for block, size, bold in styles:
        block.level = min(ranked.index((size, bold)) + 1, 6)


Headings = list[dict[str, int]]
"""Per page: the squashed text of each heading line (`squash`) -> its level, or `RUNNING` for a running header,
footer or page number."""
RUNNING = -1


def squash(text: str) -> str:
    """Letters and digits only, lower case: a line's identity across extractors."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _blocks(pages: Sequence[Page], skip: set[tuple[int, int]], headings: Headings | None = None) -> list[_Block]:
    """Lines grouped into paragraphs and headings, in reading order, across pages; ``headings`` (from the same PDF's
    layout) marks the heading lines of pages known only by their text."""
    layout = _Layout.of(pages)
    blocks: list[_Block] = []
    previous: tuple[int, Line] | None = None
    for number, page in enumerate(pages):
        tables = table_rows(page, {index for p, index in skip if p == number})
        for index, line in enumerate(page.lines):
            if (number, index) in skip:
                continue
            if index in tables:
                first, columns = tables[index]
                if not blocks or blocks[-1].table != (number, first):
                    blocks.append(_Block([], 0, (number, first), columns))
                blocks[-1].lines.append((number, line))
                previous = (number, line)
                continue
            level = max(headings[number].get(squash(page.text[line.start : line.end]), 0), 0) if headings else 0
            wrapped = level and blocks and blocks[-1].level == level  # a heading wrapped over two lines
            if not wrapped and (level or previous is None or blocks[-1].level or blocks[-1].table
                                or _breaks(previous, (number, line), pages, layout)):  # fmt: skip
                blocks.append(_Block([], level))
            blocks[-1].lines.append((number, line))
            previous = (number, line)
    if not headings:
        _heading_levels(blocks, pages, layout.body)
    return blocks


@dataclass(frozen=True)
class _Layout:
    """What the line breaks are judged against: the body's type size, the gap between the lines of a paragraph at
    that size, and each page's typical line length and width (the 80th percentile: a shorter line ending a sentence
    ends its paragraph; a line with room left for the next line's first word was not wrapped)."""

    body: float | None
    gap: float
    typical: list[float]
    width: list[float]

    @classmethod
    def of(cls, pages: Sequence[Page]) -> _Layout:
        typical, width = [], []
        for page in pages:
            lengths = sorted(line.end - line.start for line in page.lines)
            typical.append(lengths[int(len(lengths) * 0.8)] if lengths else 0)
            widths = sorted(line.box[2] - line.box[0] for line in page.lines if line.box)
            width.append(widths[int(len(widths) * 0.8)] if widths else 0.0)
        body = _body_size(pages)
        return cls(body, _line_gap(pages, width, body), typical, width)


def _line_gap(pages: Sequence[Page], width: list[float], body: float | None) -> float:
    """The usual blank between two lines of a paragraph at body size: measured below lines that fill their column
    (so certainly wrapped), scaled to the body size; else below any line."""
    wrapped, gaps = [], []
    for page, usual in zip(pages, width):
        for a, b in pairwise(page.lines):
            if a.box and b.box and b.box[3] <= a.box[3] and a.box[1] >= b.box[3]:
                gaps.append(a.box[1] - b.box[3])
                if a.size and body and a.size == b.size and a.box[2] - a.box[0] >= 0.95 * usual:
                    wrapped.append((a.box[1] - b.box[3]) * body / a.size)
    return statistics.median(wrapped or gaps or [0.0])


def headings_of(pages: Sequence[Page]) -> Headings:
    """The heading lines and running lines of each page, found from its layout, as `Headings`."""
    found: Headings = [{} for _ in pages]
    running = running_lines(pages)
    for block in _blocks(pages, running):
        if block.level:
            for page, line in block.lines:
                found[page][squash(pages[page].text[line.start : line.end])] = block.level
    for page, index in running:  # a heading with the same text on that page stays a heading
        line = pages[page].lines[index]
        found[page].setdefault(squash(pages[page].text[line.start : line.end]), RUNNING)
    return found


def _running_of(pages: Sequence[Page], headings: Headings | None) -> set[tuple[int, int]]:
    """``(page, line index)`` of the edge lines (`_edge_lines`) that ``headings`` marks as `RUNNING`."""
    if not headings:
        return set()
    return {(number, i) for number, page in enumerate(pages) for i in _edge_lines(page)
            if headings[number].get(squash(_text(page, i))) == RUNNING}  # fmt: skip


def _breaks(previous: tuple[int, Line], current: tuple[int, Line], pages: Sequence[Page], layout: _Layout) -> bool:
    """Whether ``current`` starts a new block after ``previous``."""
    (page_a, a), (page_b, b) = previous, current
    body, gap = layout.body, layout.gap
    text_a = pages[page_a].text[a.start : a.end]
    text_b = pages[page_b].text[b.start : b.end]
    continues = not text_a.endswith(SENTENCE_END) and text_b[:1].islower()
    if text_a.endswith("\ufffe") and text_b[:1].isalpha():  # PDFium's mark of a word broken here: it goes on
        return False
    if (a.size, a.bold) != (b.size, b.bold) and body is not None:
        return not (continues and abs((a.size or body) - (b.size or body)) < 0.5)
    if page_a != page_b or (a.box and b.box and b.box[3] > a.box[3]):  # a new page or a new column
        return not continues
    if a.box and b.box:
        space, most = a.box[1] - b.box[3], max(gap * 1.8, gap + 2.0)
        if space <= most:
            return False
        scale = a.size / body if body and a.size and a.size >= body * 1.12 else 0.0  # large type: set further apart
        if space > most * scale:
            return True
        return not _wrapped(a, text_a, b, text_b, layout.width[page_a])  # a wrapped title, or two headings
    if body is None and (NUMBERED_HEADING.match(text_a) or (NUMBERED_HEADING.match(text_b) and
                         text_a.endswith(SENTENCE_END))):  # fmt: skip
        return True
    return text_a.endswith(SENTENCE_END) and (a.end - a.start) < 0.7 * layout.typical[page_a]


def _wrapped(a: Line, text_a: str, b: Line, text_b: str, usual: float) -> bool:
    """Whether line ``a`` was wrapped before ``b``: ``b``'s first word (its width estimated from ``b``'s box) would
    not have fitted after ``a`` in a line of the page's usual width. Tells a title wrapped over two lines from two
    headings set one under the other."""
    assert a.box and b.box and a.size  # a line in large type, with its box
    first = len(text_b.split(maxsplit=1)[0]) if text_b.strip() else 0
    word = (b.box[2] - b.box[0]) * first / max(len(text_b), 1)
    return a.box[2] - a.box[0] + 0.25 * a.size + word > 0.95 * usual


def _write_block(writer: _Writer, block: _Block, markdown: bool) -> None:
    if block.table:
        _write_table(writer, block.lines, block.columns)
        return
    page, first = block.lines[0]
    if markdown and block.level:  # (plain text: a heading is a paragraph of its own)
        writer.insert("#" * block.level + " ")
    elif markdown and MARKDOWN_OPENERS.match(writer.pages[page].text[first.start : first.end]):
        writer.insert("\\")  # the PDF's text, not Markdown syntax
    for position, (page, line) in enumerate(block.lines):
        text = writer.pages[page].text
        end = line.end
        following = block.lines[position + 1] if position + 1 < len(block.lines) else None
        joined = False
        if following is not None:
            next_text = writer.pages[following[0]].text[following[1].start : following[1].end]
            last = text[end - 1]
            if last == "\ufffe":  # PDFium's mark of a word broken here: joined, its hyphen kept where it is the word's
                joined = True  # (`_Writer.copy`)
                if not writer.keeps_hyphen(text[line.start : end], end - 1 - line.start, next_text):
                    end -= 1
            elif next_text[:1].islower() and end - 1 > line.start and text[end - 2].isalpha():
                if last == "\u00ad" or (
                    last in "-\u2010"
                    and not writer.keeps_hyphen(text[line.start : end], end - 1 - line.start, next_text)
                ):
                    end, joined = end - 1, True  # a line break inside a word: the word goes on
                elif last in "-\u2010":
                    joined = True  # the word's own hyphen, kept: "role-" + "playing"
        writer.copy(page, line.start, end, line.box)
        if following is not None and not joined:
            writer.insert(" ")


def _write_table(writer: _Writer, rows: Sequence[tuple[int, Line]], columns: list[float]) -> None:
    """The rows as a Markdown table (a ``|`` in a cell escaped); the first row is the header."""
    for number, (page, line) in enumerate(rows):
        if number:
            writer.insert("\n")
        writer.insert("| ")
        spans = cells(writer.pages[page].text, line, columns)
        for position, (start, end) in enumerate(spans):
            if position:
                writer.insert(" | ")
            text = writer.pages[page].text
            for piece_start, piece_end in _pieces(text, start, end):
                if text[piece_start] == "|":
                    writer.insert("\\")
                writer.copy(page, piece_start, piece_end, line.box)
        writer.insert(" |")
        if number == 0:
            writer.insert("\n|" + " --- |" * len(spans))


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut before each ``|``."""
    cuts = [start] + [i for i in range(start + 1, end) if text[i] == "|"] + [end]
    return [(a, b) for a, b in pairwise(cuts) if b > a]


def assemble(pages: Sequence[Page], headings: Headings | None = None, markdown: bool = True) -> Assembled:
    """The pages as one Markdown document (see the module docstring); ``headings``: the heading and running lines of
    each page (`headings_of` the same PDF's layout) where the pages are known only by their text;
    ``markdown=False``: plain text, paragraphs apart by a blank line, no heading marks (for chunkers of prose)."""
    skip = running_lines(pages) | _running_of(pages, headings)
    if headings is not None:  # a line the layout found a heading on its page stays one
        skip = {(p, i) for p, i in skip if headings[p].get(squash(_text(pages[p], i)), RUNNING) == RUNNING}
    removed = sorted({" ".join(_text(pages[p], i).split()) for p, i in skip})
    writer = _Writer(pages)
    for number, block in enumerate(_blocks(pages, skip, headings)):
        if number:
            writer.insert("\n\n")
        _write_block(writer, block, markdown)
    return Assembled("".join(writer.parts), writer.runs, list(pages), removed)
