"""The section context of a position in a structured document: which sections hold it (`SectionPaths`) and the
line embedded with a chunk there (`context_line`). `chunkers.documents.DocumentChunker` writes it into
``context_header``; the evaluation gives the same context to any chunker's spans (``chunkers eval --context``)."""

from __future__ import annotations

from bisect import bisect_right

from .outline import Node

PATHS = ("enclosing", "full", "none")
"""Which section titles a context holds: "enclosing", the sections around a chunk whose headings come before it (a
chunk that opens a section has that heading in its text); "full", every section holding the chunk's start, its own
heading included; "none"."""
SEPARATOR = " > "


def heading_end(section: Node) -> int:
    """Where a section's heading block ends (its start when it has none)."""
    first = section.children[0] if section.children else None
    return first.end if first is not None and first.kind == "heading" else section.start


class SectionPaths:
    """The sections holding a position of a parsed document (``root`` from `chunkers.documents.parse`), outermost
    first, found by bisection at each level; and the document's title."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._levels: dict[int, tuple[list[int], list[Node]]] = {}
        first = next((c for c in root.children if c.kind == "section"), None)
        chapters = sum(1 for c in root.children if c.kind == "section" and c.level == 1)
        self.title = root.title or (first.title if first is not None and first.level == 1 and chapters == 1 else "")
        """The document's title: front matter ``title:`` or ``<title>``, else its first heading when it is its only
        H1 (several H1 are chapters, none of them the title: benchmarks/results/title_rule.md)."""

    def chain(self, position: int) -> list[Node]:
        """The root and the sections holding ``position``, outermost first."""
        chain = [self.root]
        while True:
            node = chain[-1]
            if id(node) not in self._levels:
                subsections = [c for c in node.children if c.kind == "section"]
                self._levels[id(node)] = ([c.start for c in subsections], subsections)
            starts, subsections = self._levels[id(node)]
            k = bisect_right(starts, position) - 1
            if k < 0 or not subsections[k].start <= position < subsections[k].end:
                return chain
            chain.append(subsections[k])

    def path(self, start: int, which: str = "enclosing", end: int | None = None) -> list[str]:
        """The titles of the sections holding a chunk starting at ``start`` (and ending at ``end``: only the sections
        that hold all of it), outermost first (see `PATHS`)."""
        if which == "none":
            return []
        return titles([s for s in self.chain(start)[1:] if end is None or end <= s.end], start, which)


def titles(sections: list[Node], start: int, which: str) -> list[str]:
    """The titles of ``sections`` (holding a chunk that starts at ``start``) that ``which`` (see `PATHS`) names."""
    return [s.title for s in sections if s.title and (which == "full" or heading_end(s) <= start)]


def context_line(title: str, path: list[str], with_title: bool) -> str:
    """The titles joined by " > ": the document's ``title`` first when ``with_title`` (unless the path already starts
    with it), and never as the path's first entry otherwise."""
    if not with_title:
        return SEPARATOR.join(t for t in path if t != title)
    return SEPARATOR.join(path if not title or (path and path[0] == title) else [title, *path])
