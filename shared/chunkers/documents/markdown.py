"""Markdown (CommonMark + GFM tables, front matter) to the blocks of `chunkers.documents.outline`, with exact
character offsets.

The parser is pulldown-cmark through ``pyromark``: exact byte ranges for every block, setext and ATX headings,
fences whose ``#`` lines are not headings, and it neither recurses nor crashes on deep nesting or binary input
(``benchmarks/results/parsers.md`` has the comparison that chose it). Only block events are kept; a heading's inline
text becomes its title.
"""

from __future__ import annotations

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


def markdown_blocks(text: str) -> list[Node]:
    """The top-level blocks of Markdown ``text``, nested blocks as children, spans in characters (not yet tiled)."""
    import pyromark

    to_char = utf8_char_offsets(text)
    blocks: list[Node] = []
    stack: list[Node] = []
    title_parts: list[str] = []
    for event, where in pyromark.events_with_range(text, options=parser_options()):
        if not isinstance(event, dict):  # SoftBreak, HardBreak, Rule
            if event == "Rule" and not stack:
                start, end = where["start"], where["end"]
                if to_char is not None:
                    start, end = to_char[start], to_char[end]
                blocks.append(Node("rule", start, end))
            continue
        if "Start" in event:
            name, details = _tag(event["Start"])
            kind = BLOCK_KINDS.get(name)
            if kind is None:
                continue
            start, end = where["start"], where["end"]
            if to_char is not None:
                start, end = to_char[start], to_char[end]
            node = Node(kind, start, end)
            if kind == "heading":
                node.level, title_parts = int(details["level"][1]), []
            elif kind == "code" and isinstance(details, dict):
                node.info = (details.get("Fenced") or "").split()[0] if details.get("Fenced") else ""
            elif name == "TableHead":
                node.info = "header"
            (stack[-1].children if stack else blocks).append(node)
            stack.append(node)
        elif "End" in event:
            if BLOCK_KINDS.get(_tag(event["End"])[0]) is None or not stack:
                continue
            node = stack.pop()
            if node.kind == "heading":
                node.title = " ".join("".join(title_parts).split())
        elif stack and stack[-1].kind == "heading":
            name, value = next(iter(event.items()))
            if name in TITLE_EVENTS and isinstance(value, str):
                title_parts.append(value)
    return blocks


def front_matter_title(text: str, blocks: list[Node]) -> str:
    """The ``title:`` of a YAML front matter block at the top of the document, else ""."""
    if not blocks or blocks[0].kind != "front_matter":
        return ""
    for line in text[blocks[0].start : blocks[0].end].splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "title" and value.strip():
            return value.strip().strip("'\"")
    return ""
