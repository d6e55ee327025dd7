"""Split-then-merge over a document's tree (cAST applied to sections and blocks).

A node that fits the budget is one piece. A larger one is split at its children (a section at its blocks and
subsections, a list at its items, a table at its rows, a quote at its blocks), each child split the same way, and
the resulting pieces are merged. A section's pieces merge greedily, left to right, while they fit, under one rule
about headings: a chunk never holds part of a section together with anything outside that section. So whole
sibling sections may share a chunk, and a section's heading and introduction may open the chunk of its first
subsection's first piece, but the tail of a split section never runs into the next heading; two pieces that are both
tiny (under a tenth of the budget) may merge regardless. A heading never ends a chunk while some of its content could
follow it: the first piece after a heading is sized to fit with it (and with the introduction before it, when they
share a chunk). The children of a list, table or quote are packed evenly: a run cut in k pieces gets k pieces of about
equal size. A leaf that does not fit is split inside: a code block with a known language by `chunkers.code.ASTChunker`
(its fences kept with its first and last pieces), anything else at sentences, lines, spaces, then characters
(`chunkers.core.merge`). Containers nested deeper than ``MAX_DEPTH`` are split as text.

With ``context`` (the context line a piece starting at a position gets, and its note), every piece is sized with
its own context line as it is embedded, so the budget counts both and pieces stay even.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..core.chunk import embedded_text
from ..core.merge import DEFAULT_SEPARATORS, Span, fitted, inside, join_adjacent, pack_even, trim
from ..core.segment import sentence_spans
from ..core.sizing import Sizer, SpanMeasure
from .html import html_text, text_view_measure
from .outline import CONTAINERS, Node

MAX_DEPTH = 100
ContextOf = Callable[[int, str], str]
"""The context line embedded with a piece that starts at a position and carries a note (a table's header row)."""
TAG = re.compile(r"<[A-Za-z/!][^<>]*>")
LINE_END = re.compile(r"[\r\n]")
# HTML text is cut between tags before it is cut at spaces, never inside a tag that fits (`TAG` spans are kept).
MARKUP_SEPARATORS = (*DEFAULT_SEPARATORS[:-1], re.compile(r"(?<=>)|(?=<[A-Za-z/!])"), DEFAULT_SEPARATORS[-1])


@dataclass
class Piece:
    """A span the splitter produced. ``first``/``last``: the children (of the node being merged) the piece starts
    and ends in; ``head``: it starts where its first child starts; ``tail``: it ends where its last child ends;
    ``note``: context for the piece beyond the section path (a table's header row; a code block's fence and
    enclosing signatures)."""

    start: int
    end: int
    first: int = 0
    last: int = 0
    head: bool = True
    tail: bool = True
    note: str = ""


class PieceSizes:
    """The size of a piece of a document as it is embedded: its text (HTML: its text view) by ``sizer``, and its
    ``context`` line when given; against ``max_size``."""

    def __init__(
        self, text: str, sizer: Sizer, max_size: int, context: ContextOf | None = None, markup: bool = False
    ) -> None:
        self.text, self.sizer, self.max_size, self.context, self.markup = text, sizer, max_size, context, markup
        self.separators = MARKUP_SEPARATORS if markup else DEFAULT_SEPARATORS
        self.measure: SpanMeasure = text_view_measure(text, sizer) if markup else sizer.span_measure(text)
        self.tiny = max(max_size // 10, 1)
        self._costs: dict[str, int] = {}
        self._headers: list[tuple[int, int, str]] = []  # tables being split: (header row end, table end, header row)

    def note_at(self, start: int) -> str:
        """The note a piece starting at ``start`` carries from the tables being split: their header row."""
        for header_end, table_end, row in reversed(self._headers):
            if header_end <= start < table_end:
                return row
        return ""

    def cost(self, start: int, note: str | None = None) -> int:
        """What the context line embedded with a piece starting at ``start`` adds to its size (0 without
        ``context``)."""
        if self.context is None:
            return 0
        line = self.context(start, self.note_at(start) if note is None else note)
        if line not in self._costs:
            self._costs[line] = self.sizer(embedded_text(line, "x")) - self.sizer("x") if line.strip() else 0
        return self._costs[line]

    def text_size(self, start: int, end: int) -> int:
        return self.measure(*trim(self.text, start, end))

    def size(self, start: int, end: int, note: str | None = None) -> int:
        """The size of ``[start, end)`` as a chunk: its text without surrounding whitespace, and its context (with
        ``note``, else the note of a table being split there)."""
        start, end = trim(self.text, start, end)
        return self.measure(start, end) + self.cost(start, note)

    def embedded_size(self, start: int, end: int) -> int:
        """`size` for spans with no surrounding whitespace (the measure `fitted` and `pack_even` cut by)."""
        return self.measure(start, end) + self.cost(start)

    def fits(self, start: int, end: int, note: str | None = None) -> bool:
        return self.size(start, end, note) <= self.max_size

    def _header_row(self, header: Node) -> str:
        """The note of a table's pieces after its first: its header row (a Markdown table's first line, not the
        delimiter row), or "" when that is over a quarter of the budget (it would crowd out the rows it heads)."""
        start, end = trim(self.text, header.start, header.end)
        line_end = LINE_END.search(self.text, start, end)
        if not self.markup and line_end is not None:
            end = trim(self.text, start, line_end.start())[1]
        return self.text[start:end] if self.measure(start, end) <= self.max_size // 4 else ""

    def refit(self, start: int, end: int, note: str) -> list[Span]:
        """``[start, end)`` cut into pieces that each fit with their context as embedded (the rare piece that joined
        parts measured apart and came out over the budget: token sizers are not additive)."""
        measured = self.context is not None
        budget = self.max_size
        while True:
            pieces = fitted(self.text, start, end, lambda a, b: self.measure(a, b) + self.cost(a, note), budget)
            if all(self.exact_size(a, b, note) <= self.max_size for a, b in pieces) or budget == 1 or not measured:
                return pieces
            budget = max(budget - max(budget // 8, 1), 1)

    def exact_size(self, start: int, end: int, note: str) -> int:
        """The size of ``text[start:end]`` (HTML: its text view) embedded with its context line, measured as one
        string."""
        shown = html_text(self.text, start, end)[0] if self.markup else self.text[start:end]
        if self.context is None:
            return self.sizer(shown) if self.markup else self.measure(start, end)
        return self.sizer(embedded_text(self.context(start, note), shown))


class TreeSplitter(PieceSizes):
    """Pieces of a document tree within ``max_size`` measured by ``sizer``, each with its ``context`` line when
    given (see the module docstring)."""

    def split(self, node: Node, depth: int = 0, opener: int | None = None) -> list[Piece]:
        """Pieces that cover ``node`` in order (whitespace only between them), each within the budget; with
        ``opener`` (where a heading or short introduction before the node starts), the first piece is sized so that
        it still fits together with that opener."""
        if self.fits(node.start if opener is None else opener, node.end):
            return [Piece(node.start, node.end)]
        if node.kind in CONTAINERS and node.children and depth < MAX_DEPTH:
            if node.kind == "section":
                return self._merge(node, depth, opener)
            return self._pack(node, depth, opener)
        if node.kind == "code" and node.info:
            return self._code(node, opener)
        return self._text(node.start, node.end, opener)

    def _text(self, start: int, end: int, opener: int | None = None) -> list[Piece]:
        """A leaf's text packed into pieces of whole sentences (the first one sized to fit with ``opener``), a
        sentence too large split at lines, spaces, then characters; a run cut in k pieces gets k pieces of about equal
        size (`chunkers.core.merge.pack_even`)."""
        text, sized, max_size, separators = self.text, self.embedded_size, self.max_size, self.separators
        keep = [m.span() for m in TAG.finditer(text, start, end)] if self.markup else []
        sentences = _joined_inside(sentence_spans(text, start, end), keep)
        units = [piece for s, e in sentences for piece in fitted(text, s, e, sized, max_size, separators, keep)]
        if not units:
            return [Piece(start, end)]
        if opener is not None:
            units = self._opening(units, opener, keep)
        groups = pack_even(units, self.measure, self.max_size, opener, self.cost)
        return [Piece(units[i][0], units[j - 1][1]) for i, j in groups]

    def _opening(self, units: list[Span], opener: int, keep: list[Span]) -> list[Span]:
        """``units`` with the first one cut so that its first piece fits after ``opener``, where a cut at a space
        or a coarser separator allows it (a heading never ends a chunk while some of its content could follow)."""
        text, (start, end) = self.text, units[0]
        room = self.max_size - self.cost(opener) - self.measure(opener, start)
        if room <= 0 or self.measure(opener, end) + self.cost(opener) <= self.max_size:
            return units
        head = fitted(text, start, end, self.measure, room, self.separators, keep)[0]
        if head[1] < end and not text[head[1]].isspace() and text[head[1] - 1] != ">" and text[head[1]] != "<":
            return units  # not one word fits: the unit stays whole
        rest = fitted(text, head[1], end, self.embedded_size, self.max_size, self.separators, keep)
        return [head, *rest, *units[1:]]

    def _merge(self, node: Node, depth: int, opener: int | None = None) -> list[Piece]:
        """A section: each child split (or whole), then neighbours merged greedily under the heading rule; a child
        split right after a small opener it may join (a heading, a short introduction) gets its first piece sized to
        fit it."""
        children = node.children
        merged: list[Piece] = []
        for index, child in enumerate(children):
            child_opener = opener if not merged else None
            if merged and self._may_open(merged[-1], index, children):
                begin = opener if opener is not None and len(merged) == 1 else merged[-1].start
                room = self.max_size - self.size(begin, child.start)
                lone = self._lone_heading(merged[-1], children)
                child_opener = begin if room >= self.max_size // 4 or (lone and room > 0) else None
            parts = self.split(child, depth + 1, child_opener)
            last = len(parts) - 1
            pieces = [Piece(p.start, p.end, index, index, k == 0, k == last, p.note) for k, p in enumerate(parts)]

            def may_join(left: Piece, right: Piece) -> bool:
                begin = opener if opener is not None and len(merged) == 1 else None
                if self._mergeable(left, right, children, begin):
                    return True
                # A heading alone still opens what follows it; the text before the section keeps a chunk of its own.
                return (
                    begin is not None and self._lone_heading(left, children) and self._mergeable(left, right, children)
                )

            join_adjacent(merged, pieces, may_join, _join)
        return merged

    def _may_open(self, left: Piece, index: int, children: list[Node]) -> bool:
        """Whether ``left`` may share a chunk with the first piece of child ``index`` split in several."""
        if self.text_size(left.start, left.end) > self.max_size // 3 and not self._lone_heading(left, children):
            return False  # a heading alone always may: it never ends a chunk while some of its content could follow
        ending = children[left.last]
        if ending.kind == "section" and not (left.tail and (left.head or left.first < left.last)):
            return False
        return children[index].kind != "section" or not any(
            c.kind == "section" for c in children[left.first : left.last + 1]
        )

    def _mergeable(self, left: Piece, right: Piece, children: list[Node], opener: int | None = None) -> bool:
        """Whether ``right`` (the first piece of its child, or the whole child) may join ``left`` (and the opener
        before ``left``, when there is one)."""
        fits = self.fits(left.start, right.end, left.note) if opener is None else self.fits(opener, right.end)
        if left.last == right.first or not fits:
            return False  # pieces of one child stay as that child's own merge left them
        if self.text_size(left.start, left.end) < self.tiny and self.text_size(right.start, right.end) < self.tiny:
            return True
        ending, starting = children[left.last], children[right.first]
        if ending.kind == "section" and not (left.tail and (left.head or left.first < left.last)):
            return False  # the tail of a split section does not run into what follows it
        if starting.kind == "section" and not right.tail:
            # The opening piece of a split section: only its parent's own blocks may come before it in a chunk.
            return not any(c.kind == "section" for c in children[left.first : left.last + 1])
        return True

    @staticmethod
    def _lone_heading(piece: Piece, children: list[Node]) -> bool:
        return piece.first == piece.last and children[piece.first].kind == "heading"

    def _pack(self, node: Node, depth: int, opener: int | None = None) -> list[Piece]:
        """A list, table or quote: each child split (or whole), then runs of neighbours packed evenly
        (`chunkers.core.merge.pack_even`), each piece sized with its context; the pieces of a child split in several
        stay as they are (its first may end a run, its last start one). A table's pieces after its first note its
        header row."""
        children = node.children
        header = next((c for c in children if c.kind == "row" and c.info == "header"), None)
        row = self._header_row(header) if header is not None else ""
        if header is not None:
            self._headers.append((header.end, node.end, row))
        runs: list[list[Piece]] = [[]]
        out = []
        try:
            for index, child in enumerate(children):
                for k, part in enumerate(self.split(child, depth + 1, opener if index == 0 else None)):
                    if k > 0:
                        runs.append([])
                    runs[-1].append(part)
            for n, run in enumerate(runs):  # the header row still noted (`note_at`) for the pieces after it
                spans = [trim(self.text, p.start, p.end) for p in run]
                groups = pack_even(spans, self.measure, self.max_size, opener if n == 0 else None, self.cost)
                out += [Piece(run[i].start, run[j - 1].end, note=run[i].note) for i, j in groups]
        finally:
            if header is not None:
                self._headers.pop()
        if header is not None:
            for piece in out:
                if piece.start >= header.end and not piece.note:
                    piece.note = row
        return out

    def _code(self, node: Node, opener: int | None = None) -> list[Piece]:
        """A fenced code block split by the AST chunker for its language, its fence lines kept with its first and
        last pieces; each piece after the first notes the fence and the signatures of the definitions around it.
        The pieces are sized with their context, and the first to fit after ``opener``."""
        text = self.text
        body_start = text.find("\n", node.start, node.end) + 1
        body_end = text.rfind("\n", body_start, trim(text, node.start, node.end)[1]) + 1
        reserve = self.text_size(opener, node.start) if opener is not None else 0
        fences = self.text_size(node.start, body_start) + self.text_size(body_end, node.end)
        budget = self.max_size - fences - self.cost(node.start) - (reserve if reserve <= self.max_size // 4 else 0)
        while body_start > 0 and body_end > body_start and budget >= max(self.max_size // 2, 1):
            pieces = self._code_pieces(node, body_start, body_end, budget)
            if pieces is None:
                break
            over = max(self.text_size(p.start, p.end) + self.cost(p.start, p.note) for p in pieces) - self.max_size
            if over <= 0:
                return pieces
            budget -= over  # signatures in the notes: smaller pieces until each fits with its own
        return self._text(node.start, node.end, opener)

    def _code_pieces(self, node: Node, body_start: int, body_end: int, budget: int) -> list[Piece] | None:
        """The code block's pieces with the AST chunker at ``budget`` (None when its language is unknown or its
        parse fell back)."""
        from ..code import ASTChunker

        text = self.text
        try:
            code = ASTChunker(language=node.info, max_size=budget, sizer=self.sizer)
        except LookupError:  # a fence naming no known language: its block is split as text
            return None
        chunks = code.chunk(text[body_start:body_end])
        if not chunks or chunks[0].metadata.get("fallback"):
            return None
        pieces = []
        for chunk in chunks:
            signatures = "\n".join(chunk.metadata.get("ancestors") or [])
            note = f"```{node.info}" + (f"\n{signatures}" if signatures else "")
            pieces.append(Piece(body_start + chunk.start, body_start + chunk.end, note=note))
        pieces[0].start, pieces[0].note = node.start, ""
        pieces[-1].end = node.end
        return pieces


def _joined_inside(sentences: list[Span], keep: list[Span]) -> list[Span]:
    """``sentences`` with each one that ends inside a ``keep`` span (an HTML tag) joined to the next."""
    if not keep:
        return sentences
    out: list[Span] = []
    for span in sentences:
        if out and inside(keep, out[-1][1]):
            out[-1] = (out[-1][0], span[1])
        else:
            out.append(span)
    return out


def _join(left: Piece, right: Piece) -> None:
    left.end, left.last, left.tail = right.end, right.last, right.tail


def pieces_of(
    root: Node, text: str, sizer: Sizer, max_size: int, context: ContextOf | None = None, markup: bool = False
) -> list[tuple[int, int, str]]:
    """The chunks of a document tree as ``(start, end, note)``, trimmed of surrounding whitespace, in order, each
    within ``max_size`` with its ``context`` line when given; ``markup``: the text is HTML, measured by its text view
    (what is embedded), never cut inside a tag that fits."""
    splitter = TreeSplitter(text, sizer, max_size, context, markup)
    out = []
    for piece in splitter.split(root):
        start, end = trim(text, piece.start, piece.end)
        spans = [(start, end)]
        if start < end and splitter.exact_size(start, end, piece.note) > max_size:
            spans = splitter.refit(start, end, piece.note)
        out.extend((a, b, piece.note) for a, b in spans if a < b)
    return out
