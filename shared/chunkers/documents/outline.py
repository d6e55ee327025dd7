"""The tree of a structured document, the same for Markdown and HTML: sections (a heading and what follows it up to
the next heading of the same or a higher level) holding blocks (paragraphs, lists and their items, tables and their
rows, code, quotes, HTML, front matter). Spans are character offsets into the source, and every node's children
tile it exactly, so chunks built from nodes never lose text. The parsers (`chunkers.documents.markdown`,
`chunkers.documents.html`) build blocks; `build_outline` makes the sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

# Block kinds whose children are chunk units in their own right (split between them before splitting inside).
CONTAINERS = frozenset({"section", "list", "item", "table", "quote"})


@dataclass(eq=False)
class Node:
    """A section or a block of a document: ``kind``, span ``[start, end)``, ``children`` (which tile the span),
    ``level`` (1-6 for sections and headings), ``title`` (a section's heading text), ``info`` (a code block's
    language; "header" for a table's header row), ``limit`` (a heading's: where the section it opens must end at
    the latest, e.g. the end of an HTML ``<section>`` around it)."""

    kind: str
    start: int
    end: int
    children: list[Node] = field(default_factory=list)
    level: int = 0
    title: str = ""
    info: str = ""
    limit: int | None = None


def line_start(text: str, position: int) -> int:
    """``position`` moved back to the start of its line when only spaces and tabs lie between."""
    begin = text.rfind("\n", 0, position) + 1
    return begin if not text[begin:position].strip(" \t") else position


def tile(nodes: list[Node], start: int, end: int, text: str) -> list[Node]:
    """Stretch ``nodes`` (in order, not overlapping) and their descendants so that each list of siblings tiles
    its parent's span (``[start, end)`` at the top): each node's start moves back to its line start (indentation
    kept with it), and the text between two nodes goes to the earlier one (trailing blank lines, a table's
    delimiter row, a list marker before an item's first block). Iterative: any depth."""
    todo = [(nodes, start, end)]
    while todo:
        siblings, first, last = todo.pop()
        if not siblings:
            continue
        for node in siblings:
            node.start = min(max(line_start(text, node.start), first), last)
        siblings[0].start = first
        for node, following in pairwise(siblings):
            node.end = max(following.start, node.start)
        siblings[-1].end = max(last, siblings[-1].start)
        todo.extend((node.children, node.start, node.end) for node in siblings if node.children)
    return nodes


def build_outline(blocks: list[Node], length: int, title: str = "") -> Node:
    """The document as a tree of sections: the root (level 0, ``title``) holds the blocks before the first heading
    and the top sections; a heading of level n opens a section that holds the blocks and deeper sections after it,
    up to the next heading of level n or above. ``blocks`` must tile ``[0, length)``."""
    root = Node("section", 0, length, title=title)
    open_sections = [root]
    for block in blocks:
        while len(open_sections) > 1 and (open_sections[-1].limit or length) <= block.start:
            open_sections.pop().end = block.start  # the <section> its heading was in has ended
        if block.kind == "heading":
            while open_sections[-1].level >= block.level:
                open_sections.pop().end = block.start
            section = Node("section", block.start, length, level=block.level, title=block.title, limit=block.limit)
            open_sections[-1].children.append(section)
            open_sections.append(section)
        open_sections[-1].children.append(block)
    return root


def sections_of(root: Node) -> list[Node]:
    """Every section of the tree, in document order (the root first)."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed([child for child in node.children if child.kind == "section"]))
    return out
