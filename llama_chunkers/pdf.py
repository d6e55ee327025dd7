"""`PDFNodeParser` and `PDFReader`: PDFs chunked as documents, not pages, in LlamaIndex."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chunkers.pdf import PDFChunker
from chunkers.pdf.chunker import without_page_keys
from chunkers.pdf.sources import sources_of
from llama_index.core.bridge.pydantic import Field
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import BaseNode, Document

from .base import face_of


class PDFNodeParser(face_of(PDFChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.PDFChunker`: the pages of one PDF (``SimpleDirectoryReader`` / ``PDFReader``
    give one Document per page, with ``file_path`` and ``page_label``) are joined in order and chunked as one
    document, without the running headers, footers and page numbers; a Document of a whole PDF (`PDFReader`'s, or
    the raw bytes ``SimpleDirectoryReader`` reads when no PDF reader is installed) is read from its ``file_path``
    with its layout (headings from fonts, boxes).

    Each node carries ``page_start``/``page_end`` (1-based), ``page_label`` (of its first page: LlamaIndex's key),
    ``page_labels``, ``page_spans`` (``[page, start, end]``: the exact characters of each page's text it holds) and,
    from a file, ``boxes`` (``[page, left, bottom, right, top]`` in PDF points); none of these is embedded. A node of
    joined pages has no ``start_char_idx``/``end_char_idx`` (no one Document holds its text): ``page_spans`` points
    into the pages. Its source is the first page's Document. Other documents are chunked as Markdown.
    """

    embed_context: bool = Field(default=True, description="Embed context_header with the node and show it to the LLM.")
    embed_metadata_keys = ("context_header",)

    def _embedded_keys(self) -> tuple[str, ...]:
        return self.embed_metadata_keys if self.embed_context else ()

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        texts = [self._text_of(node) for node in nodes]
        metadatas = [dict(node.metadata) for node in nodes]
        out: list[BaseNode] = []
        for source in sources_of(texts, metadatas):
            first = nodes[source.indices[0]]
            text, chunks = self._chunker_for(first).chunk_source(source, texts, metadatas)  # type: ignore[attr-defined]
            out += self._page_nodes(first, chunks, exact=text == texts[source.indices[0]] and source.kind == "text")
        return out

    async def _aparse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        return self._parse_nodes(nodes, show_progress, **kwargs)


class PDFReader(BaseReader):
    """A LlamaIndex reader of PDFs as documents: one Document per file, its text `chunkers.PDFChunker.extract`'s
    (the pages joined as Markdown, without running headers and footers), with ``file_path``, ``file_name`` and
    ``total_pages``. `PDFNodeParser` chunks it with its pages and boxes:
    ``SimpleDirectoryReader(folder, file_extractor={".pdf": PDFReader()})``. ``return_full_document=True`` (the
    file reader's option) is what it does; False raises (the pages are LlamaIndex's own ``PDFReader``'s, and our
    parsers join them)."""

    def __init__(self, password: str | None = None, return_full_document: bool = True) -> None:
        if not return_full_document:
            raise ValueError(
                "PDFReader reads a PDF as one Document (return_full_document=True); for a Document per page, use "
                "llama_index.readers.file.PDFReader: our node parsers join the pages of one PDF before chunking"
            )
        self.password = password
        self.return_full_document = True

    def load_data(self, file: Path | str, extra_info: dict[str, Any] | None = None, fs: Any = None) -> list[Document]:
        """The PDF ``file`` as one Document; ``fs``: the fsspec file system it is on (``SimpleDirectoryReader``
        passes its ``fs=``, e.g. S3), else the local disk."""
        path, chunker = Path(file), PDFChunker(password=self.password)
        if fs is None:
            assembled = chunker.assemble_file(path)
        else:
            with fs.open(str(file), "rb") as handle:
                assembled = chunker.assemble_file(handle)
        metadata = {"file_path": str(path), "file_name": path.name, "total_pages": len(assembled.pages)}
        metadata |= without_page_keys(extra_info or {})
        return [Document(text=assembled.text, metadata=metadata)]
