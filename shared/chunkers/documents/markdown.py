"""Markdown (CommonMark + GFM tables, front matter) to the blocks of `chunkers.documents.outline`, with exact
character offsets.

The parser is pulldown-cmark through ``pyromark``: exact byte ranges for every block, setext and ATX headings,
fences whose ``#`` lines are not headings, and it neither recurses nor crashes on deep nesting or binary input
(``benchmarks/results/parsers.md`` has the comparison that chose it). Only block events are kept; a heading's inline
text becomes its title. Text with no block event (link reference definitions) becomes a paragraph of its own.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.segment import utf8_char_offsets
from .outline import Node

# pulldown-cmark block tags -> our block kinds. Table cells, footnotes' inner parts and inline tags are not units.
BLOCK_KINDS = {
    "Paragraph": "paragraph", "Heading": "heading", "BlockQuote": "quote", "CodeBlock": "code", "HtmlBlock": "html",
    "List": "list", "Item": "item", "Table": "table", "TableHead": "row", "TableRow": "row",
    "MetadataBlock": "front_matter", "FootnoteDefinition": "paragraph", "DefinitionList": "list",
    "DefinitionListTitle": "item", "DefinitionListDefinition": "item",
}  # fmt: skip
TITLE_EVENTS = ("Text", "Code", "InlineMath", "DisplayMath")
BOM = "\ufeff"
_ATTRIBUTE = r"(?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
HEADING_ATTRIBUTES = re.compile(rf"\s*\{{:?\s*{_ATTRIBUTE}(?:\s+{_ATTRIBUTE})*\s*\}}\s*$")
"""A trailing attribute block of a heading (MkDocs/Pandoc/kramdown ``## Title { #anchor .class }``), not part of the
title; braces holding anything else (``## GET /items/{item_id}``) stay."""


def parser_options() -> Any:
    """pulldown-cmark's options for CommonMark + GFM tables, strikethrough, task lists and YAML front matter."""
    import pyromark

    flags = pyromark.Options
    gfm = flags.ENABLE_TABLES | flags.ENABLE_STRIKETHROUGH | flags.ENABLE_TASKLISTS
    return gfm | flags.ENABLE_YAML_STYLE_METADATA_BLOCKS


def _tag(event: Any) -> tuple[str, Any]:
    """``(name, details)`` of a Start or End tag (``{"Heading": {...}}`` or ``"Paragraph"``)."""
    if isinstance(event, str):
        return event, None
    name, details = next(iter(event.items()))
    return name, details


def _span(where: dict[str, int], to_char: memoryview | None) -> tuple[int, int]:
    """An event's ``[start, end)`` in characters (pulldown-cmark reports UTF-8 bytes)."""
    start, end = where["start"], where["end"]
    if to_char is None:
        return start, end
    return int(to_char[start]), int(to_char[end])


def _block_node(name: str, details: Any, start: int, end: int) -> Node | None:
    """The node a Start tag opens, or None when the tag is no block of ours (inline tags, table cells)."""
    kind = BLOCK_KINDS.get(name)
    if kind is None:
        return None
    node = Node(kind, start, end)
    if kind == "heading":
        node.level = int(details["level"][1])
    elif kind == "code" and isinstance(details, dict):
        node.info = (details.get("Fenced") or "").split()[0] if details.get("Fenced") else ""
    elif name == "TableHead":
        node.info = "header"
    return node


def parsed_blocks(text: str) -> list[Node]:
    """The blocks pulldown-cmark reports for ``text``, top level first, nested blocks as children, spans in
    characters. Text without a block event of its own (link reference definitions) is in none of them."""
    import pyromark

    to_char = utf8_char_offsets(text)
    blocks: list[Node] = []
    stack: list[Node] = []
    title_parts: list[str] = []
    for event, where in pyromark.events_with_range(text, options=parser_options()):
        if not isinstance(event, dict):  # SoftBreak, HardBreak, Rule
            if event == "Rule" and not stack:
                blocks.append(Node("rule", *_span(where, to_char)))
            continue
        if "Start" in event:
            name, details = _tag(event["Start"])
            node = _block_node(name, details, *_span(where, to_char)) if name in BLOCK_KINDS else None
            if node is None:  # an inline tag or a table cell
                continue
            if node.kind == "heading":
                title_parts = []
            (stack[-1].children if stack else blocks).append(node)
            stack.append(node)
        elif "End" in event:
            if BLOCK_KINDS.get(_tag(event["End"])[0]) is None or not stack:
                continue
            node = stack.pop()
            if node.kind == "heading":
                node.title = " ".join(HEADING_ATTRIBUTES.sub("", "".join(title_parts)).split())
        elif stack and stack[-1].kind == "heading":
            name, value = next(iter(event.items()))
            if name in TITLE_EVENTS and isinstance(value, str):
                title_parts.append(value)
    return blocks


def _gap_block(text: str, start: int, end: int) -> Node | None:
    """A "paragraph" over the non-whitespace run of ``text[start:end]`` (first to last non-whitespace character),
    or None when that is whitespace only."""
    gap = text[start:end]
    stripped = gap.lstrip()
    if not stripped:
        return None
    first = start + len(gap) - len(stripped)
    return Node("paragraph", first, first + len(stripped.rstrip()))


def with_gap_blocks(blocks: list[Node], text: str) -> list[Node]:
    """``blocks`` (top level, in order) with a "paragraph" block for each stretch of ``text`` that none of them
    covers and that is not whitespace only: link reference definitions (``[a]: http://a``, ``[^1]: note``) have
    no block event, and would otherwise be tiled into the block before them (a heading: its section's title)."""
    out: list[Node] = []
    covered = 0
    for block in blocks:
        gap = _gap_block(text, covered, block.start) if block.start > covered else None
        if gap is not None:
            out.append(gap)
        out.append(block)
        covered = max(covered, block.end)
    gap = _gap_block(text, covered, len(text))
    if gap is not None:
        out.append(gap)
    return out


def shift_blocks(blocks: list[Node], by: int) -> list[Node]:
    """``blocks`` and all their descendants moved ``by`` characters (in place; iterative: any depth)."""
    todo = list(blocks)
    while todo:
        node = todo.pop()
        node.start += by
        node.end += by
        todo.extend(node.children)
    return blocks


def markdown_blocks(text: str) -> list[Node]:
    """The top-level blocks of Markdown ``text``, nested blocks as children, spans in characters (not yet tiled);
    every non-whitespace character is in a top-level block but a leading byte order mark, which is parsed around
    (pulldown-cmark would not see a heading after it) and which tiling gives to the first block."""
    bom = 1 if text.startswith(BOM) else 0
    body = text[bom:]
    blocks = with_gap_blocks(parsed_blocks(body), body)
    return shift_blocks(blocks, bom) if bom else blocks


def front_matter_title(text: str, blocks: list[Node]) -> str:
    """The ``title:`` of a YAML front matter block at the top of the document, else ""."""
    if not blocks or blocks[0].kind != "front_matter":
        return ""
    for line in text[blocks[0].start : blocks[0].end].splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "title" and value.strip():
            return value.strip().strip("'\"")
    return ""
