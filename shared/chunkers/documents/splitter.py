"""Split-then-merge over a document's tree (cAST applied to sections and blocks).

A node that fits the budget is one piece. A larger one is split at its children (a section at its blocks and
subsections, a list at its items, a table at its rows, a quote at its blocks), each child split the same way, and
the resulting pieces are merged greedily, left to right, while they fit, under one rule about headings: a chunk
never holds part of a section together with anything outside that section. So whole sibling sections may share a
chunk, and a section's heading and introduction may open the chunk of its first subsection's first piece, but the
tail of a split section never runs into the next heading; two pieces that are both tiny (under a tenth of the budget)
may merge regardless. A leaf that does not fit is split inside: a code block with a known language by
`chunkers.code.ASTChunker` (its fences kept with its first and last pieces), anything else at sentences, lines,
spaces, then characters (`chunkers.core.merge`). Containers nested deeper than ``MAX_DEPTH`` are split as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.merge import fitted, join_adjacent, pack_even, pack_spans, trim
from ..core.segment import sentence_spans
from ..core.sizing import Sizer, SpanMeasure
from .outline import CONTAINERS, Node

MAX_DEPTH = 100


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


class TreeSplitter:
    """Pieces of a document tree within ``max_size`` measured by ``sizer`` (see the module docstring)."""

    headings_open = True  # a heading always opens the first piece of what follows it, never stands alone

    def __init__(self, text: str, sizer: Sizer, max_size: int) -> None:
        self.text, self.sizer, self.max_size = text, sizer, max_size
        self.measure: SpanMeasure = sizer.span_measure(text)
        self.tiny = max(max_size // 10, 1)

    def size(self, start: int, end: int) -> int:
        return self.measure(*trim(self.text, start, end))

    def fits(self, start: int, end: int) -> bool:
        return self.size(start, end) <= self.max_size

    def split(self, node: Node, depth: int = 0, opener: int | None = None) -> list[Piece]:
        """Pieces that cover ``node`` in order (whitespace only between them), each within the budget; with
        ``opener`` (where a heading or short introduction before the node starts), the first piece is sized so that
        it still fits together with that opener."""
        if self.fits(node.start if opener is None else opener, node.end):
            return [Piece(node.start, node.end)]
        if node.kind in CONTAINERS and node.children and depth < MAX_DEPTH:
            return self._merge(node, depth, opener)
        if node.kind == "code" and node.info:
            return self._code(node)
        return self._text(node.start, node.end, opener)

    def _text(self, start: int, end: int, opener: int | None = None) -> list[Piece]:
        """A leaf's text packed into pieces of whole sentences (the first one sized to fit with ``opener``), a
        sentence too large split at lines, spaces, then characters; a run cut in k pieces gets k pieces of about equal
        size (`chunkers.core.merge.pack_even`)."""
        text, measure, max_size = self.text, self.measure, self.max_size
        units = [piece for s, e in sentence_spans(text, start, end) for piece in fitted(text, s, e, measure, max_size)]
        if not units:
            return [Piece(start, end)]
        return [Piece(units[i][0], units[j - 1][1]) for i, j in pack_even(units, measure, max_size, opener)]

    def _merge(self, node: Node, depth: int, opener: int | None = None) -> list[Piece]:
        """Each child split (or whole), then neighbours merged greedily under the heading rule; a child split right
        after a small opener it may join (a heading, a short introduction) gets its first piece sized to fit it."""
        children = node.children
        merged: list[Piece] = []
        for index, child in enumerate(children):
            child_opener = opener if not merged else None
            if merged and self._may_open(merged[-1], index, children):
                room = self.max_size - self.size(merged[-1].start, child.start)
                lone_heading = self.headings_open and children[merged[-1].first].kind == "heading" and (
                    merged[-1].first == merged[-1].last)  # fmt: skip
                child_opener = merged[-1].start if room >= self.max_size // 4 or (lone_heading and room > 0) else None
            parts = self.split(child, depth + 1, child_opener)
            last = len(parts) - 1
            pieces = [Piece(p.start, p.end, index, index, k == 0, k == last, p.note) for k, p in enumerate(parts)]

            def may_join(left: Piece, right: Piece) -> bool:
                begin = opener if opener is not None and len(merged) == 1 else None
                return self._mergeable(left, right, children, begin)

            join_adjacent(merged, pieces, may_join, _join)
        header = next((c for c in children if c.kind == "row" and c.info == "header"), None)
        if header is not None:  # a table's pieces after the first carry its header row
            for piece in merged:
                if piece.start >= header.end and not piece.note:
                    piece.note = self.text[slice(*trim(self.text, header.start, header.end))]
        return merged

    def _may_open(self, left: Piece, index: int, children: list[Node]) -> bool:
        """Whether ``left`` may share a chunk with the first piece of child ``index`` split in several."""
        if self.size(left.start, left.end) > self.max_size // 3:
            return False
        ending = children[left.last]
        if ending.kind == "section" and not (left.tail and (left.head or left.first < left.last)):
            return False
        return children[index].kind != "section" or not any(
            c.kind == "section" for c in children[left.first : left.last + 1]
        )

    def _mergeable(self, left: Piece, right: Piece, children: list[Node], opener: int | None = None) -> bool:
        """Whether ``right`` (the first piece of its child, or the whole child) may join ``left`` (and the opener
        before ``left``, when there is one)."""
        if left.last == right.first or not self.fits(left.start if opener is None else opener, right.end):
            return False  # pieces of one child stay as that child's own merge left them
        if self.size(left.start, left.end) < self.tiny and self.size(right.start, right.end) < self.tiny:
            return True
        ending, starting = children[left.last], children[right.first]
        if ending.kind == "section" and not (left.tail and (left.head or left.first < left.last)):
            return False  # the tail of a split section does not run into what follows it
        if starting.kind == "section" and not right.tail:
            # The opening piece of a split section: only its parent's own blocks may come before it in a chunk.
            return not any(c.kind == "section" for c in children[left.first : left.last + 1])
        return True

    def _code(self, node: Node) -> list[Piece]:
        """A fenced code block split by the AST chunker for its language, its fence lines kept with its first and
        last pieces; each piece after the first notes the fence and the signatures of the definitions around it."""
        from ..code import ASTChunker

        text = self.text
        body_start = text.find("\n", node.start, node.end) + 1
        body_end = text.rfind("\n", body_start, trim(text, node.start, node.end)[1]) + 1
        budget = self.max_size - self.size(node.start, body_start) - self.size(body_end, node.end)
        if body_start <= 0 or body_end <= body_start or budget < max(self.max_size // 2, 1):
            return self._text(node.start, node.end)
        try:
            code = ASTChunker(language=node.info, max_size=budget, sizer=self.sizer)
        except LookupError:  # a fence naming no known language: its block is split as text
            return self._text(node.start, node.end)
        chunks = code.chunk(text[body_start:body_end])
        if not chunks or chunks[0].metadata.get("fallback"):
            return self._text(node.start, node.end)
        pieces = []
        for chunk in chunks:
            signatures = "\n".join(chunk.metadata.get("ancestors") or [])
            note = f"```{node.info}" + (f"\n{signatures}" if signatures else "")
            pieces.append(Piece(body_start + chunk.start, body_start + chunk.end, note=note))
        pieces[0].start, pieces[0].note = node.start, ""
        pieces[-1].end = node.end
        return pieces


def _join(left: Piece, right: Piece) -> None:
    left.end, left.last, left.tail = right.end, right.last, right.tail


def pieces_of(root: Node, text: str, sizer: Sizer, max_size: int) -> list[tuple[int, int, str]]:
    """The chunks of a document tree as ``(start, end, note)``, trimmed of surrounding whitespace, in order; a piece
    that joined parts measured apart and came out over the budget (possible with token sizers) is split again."""
    splitter = TreeSplitter(text, sizer, max_size)
    out = []
    for piece in splitter.split(root):
        start, end = trim(text, piece.start, piece.end)
        spans = [(start, end)]
        if not splitter.fits(start, end):
            spans = pack_spans(text, spans, splitter.measure, max_size)
        out.extend((a, b, piece.note) for a, b in spans if a < b)
    return out
