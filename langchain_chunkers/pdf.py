"""`PDFTextSplitter` and `PDFLoader`: PDFs chunked as documents, not pages, in LangChain."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from chunkers.pdf import PDFChunker
from chunkers.pdf.sources import sources_of
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from .base import _keyed, face_of


class PDFTextSplitter(face_of(PDFChunker, context=True)):  # type: ignore[misc]
    """LangChain face of `chunkers.PDFChunker`: the pages of one PDF (``PyPDFLoader`` and its kin give one Document
    per page, with ``source`` and a 0-based ``page``) are joined in order and chunked as one document, without the
    running headers, footers and page numbers; a Document standing for a whole PDF file (empty, or the file's raw
    bytes, with ``source`` the path; or `PDFLoader`'s text) is read from its ``source`` with its layout.

    Each document carries ``page`` (its first page, 0-based: LangChain's key), ``page_start``/``page_end``
    (1-based), ``page_labels``, ``page_spans`` (``[page, start, end]``: the exact characters of each page's text it
    holds) and, from a file, ``boxes`` (``[page, left, bottom, right, top]`` in PDF points). ``start_index`` /
    ``end_index`` are given only where one source text holds the chunk: ``page_spans`` points into the pages.
    Other documents are chunked as Markdown.
    """

    joins_documents: ClassVar[bool] = True  # AutoTextSplitter hands it a file's pages together

    def create_documents(self, texts: list[str], metadatas: list[dict[Any, Any]] | None = None) -> list[Document]:
        texts = list(texts)
        sources = list(metadatas) if metadatas is not None else [{} for _ in texts]
        if len(sources) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas or [])} metadata dicts")
        keyed = [_keyed(m) for m in sources]
        documents: list[Document] = []
        for source in sources_of(texts, keyed):
            text, chunks = self.chunker.chunk_source(source, texts, keyed)  # type: ignore[attr-defined]
            exact = source.kind == "text" and text == texts[source.indices[0]]
            documents += self._page_documents(text, sources[source.indices[0]], chunks, exact)
        return documents

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        return self.transform_documents(documents, **kwargs)


class PDFLoader(BaseLoader):
    """A LangChain loader of a PDF as a document: one Document, its text `chunkers.PDFChunker.extract`'s (the pages
    joined as Markdown, without running headers and footers), with ``source`` and ``total_pages``;
    `PDFTextSplitter` chunks it with its pages and boxes. ``PDFLoader(path, password=None)``; ``mode="single"``
    (``PyPDFLoader``'s option) is what it does, ``"page"`` raises (the pages are ``PyPDFLoader``'s, and our splitters
    join them)."""

    def __init__(self, file_path: str | Path, password: str | None = None, *, mode: str = "single") -> None:
        if "://" in str(file_path):  # PyPDFLoader downloads a web path first
            raise ValueError(
                f"PDFLoader reads a file on this disk, got {file_path!r}: download it first, then PDFLoader(path); "
                "or chunk its bytes with chunkers.PDFChunker(...).chunk_file(data)"
            )
        if mode != "single":
            raise ValueError(
                f"PDFLoader reads a PDF as one Document (mode='single'), got mode={mode!r}; for a Document per page, "
                "use PyPDFLoader: our splitters join the pages of one PDF before chunking"
            )
        self.file_path = str(file_path)
        self.password = password
        self.mode = mode

    def lazy_load(self) -> Iterator[Document]:
        assembled = PDFChunker(password=self.password).assemble_file(self.file_path)
        yield Document(page_content=assembled.text,
                       metadata={"source": self.file_path, "total_pages": len(assembled.pages)})  # fmt: skip
