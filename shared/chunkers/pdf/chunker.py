"""`PDFChunker`: a PDF chunked as one document, not page by page."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..core.base import BaseChunker
from ..core.chunk import Chunk
from ..core.options import Option, one_of, options_of
from ..core.warn import warn_user
from ..documents import DocumentChunker
from .assemble import Assembled, Headings, assemble, headings_of
from .layout import Page
from .reader import PDFError, PDFSource, pdf_name, read_pages
from .s2 import regions_of, s2_spans
from .sources import PAGE_KEYS_OF_LOADERS, Source, page_label

STRATEGIES = ("sections", "s2")
PAGE_KEYS = ("page_start", "page_end", "page_labels", "page_spans", "boxes")


@dataclass(eq=False)
class PDFChunker(DocumentChunker):
    """Chunks a PDF as one document: its pages joined in order, the running headers, footers and page numbers
    removed (edge lines that repeat on a quarter of the pages, bare page numbers), words broken across lines joined
    (a hyphenated word the document writes whole keeps its hyphen), paragraphs broken across pages joined, and
    headings found from font size and weight (for a loader's pages, from the file's layout, else section numbers),
    tables found where the words of lines start in the same columns (`chunkers.pdf.tables`), written as Markdown and
    chunked as `DocumentChunker` chunks Markdown (sections, the path as context; tables by rows, the header row as
    context).

    `extract` gives that text, `chunk_file` its chunks, each with the pages it comes from: ``page_start`` and
    ``page_end`` (1-based), ``page_labels`` (the PDF's own labels, e.g. "iv"), ``page_spans`` (``[page, start, end]``:
    the characters of each page's text it holds, exactly) and ``boxes`` (``[page, left, bottom, right, top]`` in PDF
    points, one per page: for highlighting). `chunk_pages` does the same for pages a loader already read as text
    (LlamaIndex's and LangChain's one Document per page), with ``page_spans`` into those texts.

    ``strategy="s2"`` chunks by S2 Chunking instead (`chunkers.pdf.s2`: the paragraphs clustered by their boxes and
    ``embeddings``, each chunk numbered by its ``s2_cluster``); it scored lower than the default in
    benchmarks/results/pdf.md.

    A PDF with no text on any page (scanned, or images only) raises `PDFError` (OCR it first, e.g. with ocrmypdf);
    pages without text in a PDF that has some are named in a warning.
    """

    format: str | None = Option(
        "markdown", "The format of the text chunked: the PDF as Markdown (fixed).", one_of("markdown")
    ).field()
    password: str | None = Option(None, "The password of an encrypted PDF.", affects_output=False, written=False).field(
        shown=False
    )
    strategy: str = Option(
        "sections",
        "'sections' (along the headings found, the section path as context) or 's2' (S2 Chunking's spatial + "
        "semantic clustering of the paragraphs; lower IoU in benchmarks/results/pdf.md).",
        one_of(*STRATEGIES),
    ).field()
    embeddings: Any = Option(
        None,
        "strategy='s2': the embedding model (LangChain, LlamaIndex, sentence-transformers, a callable); None: the "
        "embedded MiniLM.",
        written=False,
    ).field()

    def _validate(self) -> None:
        super()._validate()
        if self.embeddings is not None and self.strategy != "s2":
            raise ValueError("embeddings is used by strategy='s2' only: pass strategy='s2' or drop embeddings")

    def extract(self, source: PDFSource) -> str:
        """The text of the PDF ``source`` (its path, its bytes or a binary file) as it is chunked: its pages joined, as
        Markdown."""
        return self.assemble_file(source).text

    def assemble_file(self, source: PDFSource) -> Assembled:
        """The PDF ``source`` (its path, its bytes or a binary file) as one document, with the map back to its pages."""
        return self._assembled(source)

    def _assembled(self, source: PDFSource, warn: bool = True, name: str | None = None) -> Assembled:
        name = name or pdf_name(source)
        return _checked(assemble(list(read_pages(source, self.password, name))), name, warn)

    def chunk_file(self, source: PDFSource, /, **metadata: Any) -> list[Chunk]:
        """The chunks of the PDF ``source`` (its path, its bytes or a binary file: an upload, an S3 object), exact
        in `extract`'s text, each with its pages and boxes; ``metadata`` is added to every chunk (a path is added as
        ``file_path``)."""
        options = sorted(set(metadata) & set(options_of(type(self))))
        if options:  # e.g. a password: never written into every chunk's metadata
            raise TypeError(
                f"chunk_file() got {options[0]!r}, an option of {type(self).__name__}: pass it when you make the "
                f"chunker, {type(self).__name__}({options[0]}=...)"
            )
        assembled, metadata = self._read(source, metadata)
        return self.chunk_assembled(assembled, **metadata)

    def _read(self, source: PDFSource, metadata: dict[str, Any]) -> tuple[Assembled, dict[str, Any]]:
        """The PDF ``source`` assembled, and ``metadata`` with its ``file_path`` when it is a path (errors and
        warnings name the PDF by that ``file_path``)."""
        if isinstance(source, (str, os.PathLike)):
            metadata = {"file_path": str(source), **metadata}
        return self._assembled(source, name=metadata.get("file_path")), metadata

    def chunk_pages(self, texts: Sequence[str], labels: Sequence[str] | None = None, **metadata: Any) -> list[Chunk]:
        """The chunks of one PDF's pages read as text (in order; ``labels``: their page labels, default 1, 2, ...),
        exact in the joined text, each with ``page_spans`` into ``texts``."""
        labels = labels or [str(i + 1) for i in range(len(texts))]
        pages = [Page.from_text(text, label) for text, label in zip(texts, labels)]
        return self.chunk_assembled(_checked(assemble(pages), metadata.get("file_path", "the pages")), **metadata)

    def chunk_source(
        self, source: Source, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> tuple[str, list[Chunk]]:
        """The text one of `chunkers.pdf.sources.sources_of`'s sources gives and its chunks: pages joined
        (``page_spans`` into their texts), a PDF file read from its path, or a text (a PDF's `extract` text from that
        PDF gets its pages too; any other text is chunked as Markdown)."""
        first = without_page_keys(metadatas[source.indices[0]])
        text = texts[source.indices[0]]
        if source.kind == "pages":
            pages = loader_pages(source, texts, metadatas)
            headings = self._layout_headings(source.path, len(pages))
            assembled = _checked(assemble(pages, headings), source.path or "the pages")
        elif source.kind == "file" and source.path is not None:
            assembled = self.assemble_file(source.path)
        elif source.path is not None and source.path.lower().endswith(".pdf"):
            if not Path(source.path).is_file():  # read from another file system, maybe
                warn_user(f"{source.path}: not on this disk, so its pages are not at hand: chunked as Markdown text, "
                          "without pages or boxes; for pages, give the PDF's pages as a page loader reads them "
                          "(file_path + page_label, source + page): they are joined")  # fmt: skip
                return text, self.chunk(text, **first)
            try:
                assembled = self._assembled(source.path, warn=False)  # its reader named any pages without text
            except PDFError as exc:
                if "password" not in str(exc):
                    raise
                raise PDFError(f"{exc}; the PDF splitter or node parser reads the PDF again for its pages and boxes: "
                               "give it password= as well as the loader") from None  # fmt: skip
            if assembled.text != text:  # not this PDF's extract text: Markdown of its own
                return text, self.chunk(text, **first)
        else:
            return text, self.chunk(text, **first)
        return assembled.text, self.chunk_assembled(assembled, **first)

    def _layout_headings(self, path: str | None, pages: int) -> Headings | None:
        """The heading lines of the PDF at ``path`` from its layout, when it is at hand and has ``pages`` pages."""
        if path is None or not path.lower().endswith(".pdf") or not Path(path).is_file():
            return None
        try:
            layout = list(read_pages(path, self.password))
        except (PDFError, ImportError):
            return None
        return headings_of(layout) if len(layout) == pages else None

    def chunk_assembled(self, assembled: Assembled, **metadata: Any) -> list[Chunk]:
        """The chunks of an assembled PDF, with their pages (see the class docstring)."""
        if self.strategy == "s2" and assembled.text.strip():
            chunks = [replace(c, metadata={**metadata, **c.metadata}) for c in self._s2(assembled.text, assembled)]
            return with_pages(self._finished(assembled.text, chunks), assembled)
        return with_pages(self.chunk(assembled.text, **metadata), assembled)

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        return self._s2(text) if self.strategy == "s2" else super()._chunk(text, metadata)

    def _s2(self, text: str, assembled: Assembled | None = None) -> list[Chunk]:
        """S2 Chunking's chunks of ``text`` (`chunkers.pdf.s2`), a chunk over the limit cut along its structure."""
        from ..runtime.embeddings import UnitEmbeddings

        regions = regions_of(text, assembled)
        vectors = UnitEmbeddings(self.embeddings, memo=True).documents([text[r.start : r.end] for r in regions])
        measure = self.sizer.span_measure(text)
        by_structure = super()._chunk
        chunks = []
        for start, end, cluster in s2_spans(regions, vectors, measure, self.core_size):
            pieces = [(0, end - start)]
            if measure(start, end) > self.core_size:
                pieces = [(c.start, c.end) for c in by_structure(text[start:end], {"format": "markdown"})]
            chunks += [Chunk.from_span(text, start + a, start + b, s2_cluster=cluster) for a, b in pieces]
        return chunks


def without_page_keys(metadata: dict[str, Any]) -> dict[str, Any]:
    """A page's metadata without the loaders' page keys (a chunk of joined pages gets its own)."""
    return {k: v for k, v in metadata.items() if k not in PAGE_KEYS_OF_LOADERS}


def loader_pages(source: Source, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> list[Page]:
    """The pages of a "pages" source as `Page`s known by their text, labelled as their loader labelled them."""
    labels = [page_label(metadatas[i]) or str(n + 1) for n, i in enumerate(source.indices)]
    return [Page.from_text(texts[i], label) for i, label in zip(source.indices, labels)]


def with_pages(chunks: list[Chunk], assembled: Assembled) -> list[Chunk]:
    """``chunks`` of an assembled document, each with its pages (`page_metadata`)."""
    for chunk in chunks:
        chunk.metadata.update(page_metadata(assembled, chunk.start, chunk.end))
    return chunks


def page_metadata(assembled: Assembled, start: int, end: int) -> dict[str, Any]:
    """The pages of ``[start, end)`` of an assembled document (`PAGE_KEYS`)."""
    spans = assembled.page_spans(start, end)
    pages = sorted({page for page, _, _ in spans})
    if not pages:
        return {}
    return {
        "page_start": pages[0] + 1, "page_end": pages[-1] + 1,
        "page_labels": [assembled.pages[p].label for p in pages],
        "page_spans": [[page + 1, a, b] for page, a, b in spans],
        "boxes": [[page + 1, *(round(v, 1) for v in box)] for page, box in assembled.boxes(start, end)],
    }  # fmt: skip


def _checked(assembled: Assembled, name: str, warn: bool = True) -> Assembled:
    empty = [page.label for page in assembled.pages if not page.text.strip()]
    if assembled.pages and len(empty) == len(assembled.pages):
        raise PDFError(
            f"{name}: no text layer on any of its {len(empty)} pages (a scanned PDF or images only): "
            "OCR it first (e.g. ocrmypdf), then chunk the result"
        )
    if empty and warn:
        warn_user(f"{name}: pages without text (scanned?): {', '.join(empty)}")
    return assembled


def chunk_pdf_file(chunker: BaseChunker, source: PDFSource, **metadata: Any) -> list[Chunk]:
    """A PDF (its path, bytes or a binary file) chunked by any chunker: `PDFChunker.chunk_file`, or ``chunker``'s
    chunks of `PDFChunker.extract`'s text, each with its pages (``chunkers chunk --method sentence`` on a PDF)."""
    if isinstance(chunker, PDFChunker):
        return chunker.chunk_file(source, **metadata)
    assembled, metadata = PDFChunker()._read(source, metadata)
    return with_pages(chunker.chunk(assembled.text, **metadata), assembled)


def chunk_pdf_pages(
    chunker: BaseChunker, source: Source, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
) -> tuple[str, list[Chunk]]:
    """The pages of one PDF (a "pages" `Source`) joined and chunked by any chunker: ``chunker``'s chunks of the
    joined text (plain text, or Markdown for `PDFChunker`), each with its pages (`page_metadata`)."""
    if isinstance(chunker, PDFChunker):
        return chunker.chunk_source(source, texts, metadatas)
    pages = loader_pages(source, texts, metadatas)
    assembled = _checked(assemble(pages, markdown=False), source.path or "the pages")
    chunks = chunker.chunk(assembled.text, **without_page_keys(metadatas[source.indices[0]]))
    return assembled.text, with_pages(chunks, assembled)
