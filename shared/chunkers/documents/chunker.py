"""`DocumentChunker`: Markdown and HTML chunked along their sections, each chunk carrying its section path.

Parsing: `chunkers.documents.markdown` / `chunkers.documents.html` give the blocks, `chunkers.documents.outline`
the sections; splitting: `chunkers.documents.splitter`. This module turns pieces into chunks with their context.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ..code.languages import language_for_path
from ..core.base import CHUNK_OVERLAP, CONTEXT_IN_BUDGET, MAX_SIZE, SIZER, BaseChunker
from ..core.budget import tail_that_fits
from ..core.chunk import SOURCE_KEYS, Chunk
from ..core.options import Option, one_of
from ..core.warn import warn_user
from ..records.chunker import RECORD_SUFFIXES
from .context import PATHS, SectionPaths, context_line, titles
from .html import html_blocks, html_text
from .markdown import front_matter_title, markdown_blocks
from .outline import Node, build_outline, sections_of, tile
from .splitter import pieces_of

FORMATS = ("markdown", "html", "text")
EXTENSION_FORMATS = {
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".mkd": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html",
}  # fmt: skip
DOCUMENT_SUFFIXES = frozenset(EXTENSION_FORMATS)
METADATA_STYLES = ("llamaindex", "langchain")


@dataclass(frozen=True)
class Section:
    """A section of a parsed document: span, heading ``level`` (0: the document), ``title``, ``parent`` (index
    in the same list, None for the document)."""

    start: int
    end: int
    level: int
    title: str
    parent: int | None


def sniff_format(text: str) -> str:
    """ "html" when the text opens like an HTML page, else "markdown"."""
    head = text.lstrip()[:1024].lower()
    return "html" if head.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in head else "markdown"


def parse(text: str, format: str) -> Node:
    """The section tree of ``text`` in ``format``."""
    if format == "html":
        blocks, title = html_blocks(text)
    elif format == "text":
        blocks, title = [], None
    else:
        blocks = markdown_blocks(text)
        title = front_matter_title(text, blocks)
    return build_outline(tile(blocks, 0, len(text), text), len(text), title)


@dataclass(eq=False)
class DocumentChunker(BaseChunker):
    """Chunks Markdown (CommonMark + GFM) and HTML along their structure, each chunk an exact slice of the source.

    A section that fits ``max_size`` (measured by ``sizer``) is one chunk; a larger one is split at its
    subsections and blocks, a block still too large inside it (list items, table rows, code by its syntax tree,
    sentences), and neighbours merge while they fit without a chunk mixing part of a section with anything outside
    it (`chunkers.documents.splitter` has the rule). ``format``: "markdown", "html", or None to take it from the
    ``file_path``/``file_name``/``source`` metadata's extension, else from the text. A file whose extension says
    it is code or data (``.py``, ``.json``, ``.csv``, ...) is not read as Markdown (a ``# comment`` is no heading):
    it is chunked as plain text (``format: "text"`` in its chunks) with a warning naming the routing parsers
    (``AutoNodeParser``, ``AutoTextSplitter``), which give such files their own chunker.

    Metadata per chunk: ``header_path`` (the titles of the sections around the chunk whose headings come before
    it, outermost first), ``context_header`` (the sections holding the chunk, its own heading included, joined by " > ",
    as ``context_path`` and ``context_title`` choose; for a piece of a
    split table also its header row, for a piece of split code its fence and enclosing signatures: the string to
    embed with the chunk, under the name the AST chunker gives its own), ``format``,
    ``start_line``/``end_line``, ``section`` (index in `sections` of the innermost section holding the whole
    chunk). ``metadata_style="llamaindex"`` makes ``header_path`` LlamaIndex ``MarkdownNodeParser``'s string
    ("/Title/Section/"); "langchain" adds ``MarkdownHeaderTextSplitter``'s keys ("Header 1": ..., for the sections
    the chunk is in). A chunk of a document split further (a parent chunk whose metadata has ``header_path``, as in
    LangChain's ``ParentDocumentRetriever``) continues that path.
    """

    max_size: int = MAX_SIZE.field(1000)
    sizer: Any = SIZER.field()
    format: str | None = Option(
        None,
        "'markdown', 'html' or 'text' (no structure); None: from the file name, else from the text.",
        one_of(*FORMATS, none=True, hint="from the file name or text"),
    ).field()
    metadata_style: str | None = Option(
        None,
        "'llamaindex' or 'langchain': the peers' header metadata as well; None: ours only.",
        one_of(*METADATA_STYLES, none=True),
    ).field()
    context_title: bool = Option(
        False,
        "Start context_header with the document's title (front matter title or <title>, else its H1 when it has "
        "only one), not only sections (off: it cost IoU on help pages, benchmarks/results/context_ablation.md).",
    ).field()
    context_path: str = Option(
        "full",
        "Section titles in context_header: 'enclosing' (headings before the "
        "chunk), 'full' (its own heading too) or 'none'.",
        one_of(*PATHS),
    ).field()
    context_in_budget: bool = CONTEXT_IN_BUDGET.field()
    chunk_overlap: int = CHUNK_OVERLAP.field()
    header_path_separator: str = Option("/", "What joins the titles of header_path with metadata_style='llamaindex' "
                                        "(MarkdownNodeParser's header_path_separator).").field()  # fmt: skip

    packs_context = True  # each piece is sized with its own context line (chunkers.documents.splitter)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.header_path_separator != "/" and self.metadata_style != "llamaindex":
            raise ValueError(
                "header_path_separator shapes LlamaIndex's header_path string: pass metadata_style='llamaindex' too"
            )

    def format_of(self, text: str, metadata: dict[str, Any]) -> str:
        """The format ``text`` is read in (see the class docstring)."""
        if self.format is not None:
            return self.format
        for key in SOURCE_KEYS:
            if isinstance(metadata.get(key), str):
                suffix = PurePath(metadata[key]).suffix.lower()
                if suffix in EXTENSION_FORMATS:
                    return EXTENSION_FORMATS[suffix]
                if suffix in RECORD_SUFFIXES or language_for_path(metadata[key]) is not None:
                    warn_user(
                        f"DocumentChunker got a {suffix} file, which is not Markdown or HTML: chunked as plain text; "
                        "AutoNodeParser / AutoTextSplitter route each file to its chunker (code by its syntax tree)"
                    )
                    return "text"
        return sniff_format(text)

    def sections(self, text: str, **metadata: Any) -> list[Section]:
        """The sections of ``text`` in document order, the whole document first (what ``section`` indexes)."""
        nodes = sections_of(parse(text, self.format_of(text, metadata)))
        index = {id(node): i for i, node in enumerate(nodes)}
        parents: dict[int, int | None] = {id(nodes[0]): None}
        for node in nodes:
            for child in node.children:
                if child.kind == "section":
                    parents[id(child)] = index[id(node)]
        return [Section(n.start, n.end, n.level, n.title, parents[id(n)]) for n in nodes]

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        kind = self.format_of(text, metadata)
        root = parse(text, kind)
        order = {id(node): i for i, node in enumerate(sections_of(root))}
        inherited = metadata.get("header_path")
        prefix = [str(t) for t in inherited] if isinstance(inherited, list) else []
        sections = SectionPaths(root)

        lines: dict[tuple, str] = {}

        def context(start: int, note: str, cut: bool = True, end: int | None = None) -> str:
            """The context_header of a chunk at ``start`` (to ``end``: the sections holding all of it; without, those
            holding its start, the most it can be) with ``note`` (an HTML table's header row noted as text)."""
            key = (tuple(sections.path(start, self.context_path, end)), note, cut)
            if key not in lines:
                shown = html_text(note)[0] if kind == "html" else note
                lines[key] = self._context_header(sections.title, prefix + list(key[0]), shown, cut)
            return lines[key]

        chunks, line, position = [], 1, 0
        counted = context if self.context_in_budget else None
        pieces = pieces_of(root, text, self.sizer, self.core_size, counted, markup=kind == "html")
        for start, end, note in pieces:
            chain = sections.chain(start)
            holding = [s for s in chain if end <= s.end]
            line += line_breaks(text, position, start)
            position = start
            extra: dict[str, Any] = {
                "chunker": "document", "format": kind, "header_path": prefix + titles(holding[1:], start, "enclosing"),
                "context_header": context(start, note, end=end),
                "start_line": line, "end_line": line + line_breaks(text, start, end),
                "section": order[id(holding[-1])],
            }  # fmt: skip
            if self.context_in_budget and extra["context_header"] != context(start, note, cut=False, end=end):
                extra["context_truncated"] = True
            self._style(extra, holding)
            chunks.append(Chunk(text[start:end], start, end, extra))
        return chunks

    def _context_header(self, title: str, path: list[str], note: str, cut: bool = True) -> str:
        """The context line of a chunk under the sections titled ``path`` with ``note`` (see the class docstring);
        with ``context_in_budget`` (and ``cut``), one over three quarters of the budget is cut to its end that fits."""
        context = context_line(title, path, self.context_title)
        context = f"{context}\n{note}".strip() if note else context
        if cut and self.context_in_budget and self.sizer(context) > self.core_size * 3 // 4:
            context = tail_that_fits(context, self.sizer, self.core_size * 3 // 4)
        return context

    def shown_text(self, text: str, chunk: Chunk) -> str:
        """An HTML chunk's text view (`chunkers.documents.html_text`: no tags, scripts or styles; a line break between
        blocks); any other chunk's text."""
        if chunk.metadata.get("format") == "html":
            return html_text(text, chunk.start, chunk.end)[0]
        return chunk.text

    def _may_overlap(self, previous: Chunk, chunk: Chunk) -> bool:
        """Overlap stays inside a section: only between chunks whose innermost sections are the same."""
        return previous.metadata.get("section") == chunk.metadata.get("section")

    def _style(self, metadata: dict[str, Any], holding: list[Node]) -> None:
        """The peers' header metadata, from the sections holding the whole chunk (``holding``, the root first)."""
        if self.metadata_style == "llamaindex":
            sep = self.header_path_separator
            metadata["header_path"] = sep + "".join(f"{title}{sep}" for title in metadata["header_path"])
        elif self.metadata_style == "langchain":
            metadata.update({f"Header {s.level}": s.title for s in holding[1:] if s.title})


def line_breaks(text: str, start: int, end: int) -> int:
    """The line ends in ``text[start:end]`` as CommonMark counts them: ``\\r\\n``, ``\\r`` or ``\\n``."""
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)
