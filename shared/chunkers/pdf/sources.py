"""What the faces hand a PDF chunker, sorted out: runs of pages of one PDF as the frameworks' loaders give them (one
Document per page: LlamaIndex's ``file_path``/``file_name`` + ``page_label``, LangChain's ``source`` + ``page``),
documents that stand for a whole PDF file (the file's raw bytes read as text, an empty text, or the text
`PDFChunker.extract` gives), and any other text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

FILE_KEYS = ("file_path", "source", "file_name", "path")
PAGE_KEYS_OF_LOADERS = ("page_label", "page")  # LlamaIndex's PDFReader, LangChain's PyPDFLoader (0-based int)


@dataclass
class Source:
    """Inputs ``indices`` taken together: the pages of one PDF ("pages"), one PDF read from ``path`` ("file"), or
    one text ("text")."""

    kind: Literal["pages", "file", "text"]
    indices: list[int]
    path: str | None = None


def file_of(metadata: dict[str, Any]) -> str | None:
    """The file a document comes from, by the loaders' metadata keys."""
    return next((str(metadata[k]) for k in FILE_KEYS if isinstance(metadata.get(k), str) and metadata[k]), None)


def page_label(metadata: dict[str, Any]) -> str | None:
    """A page's label: LlamaIndex's ``page_label``, else LangChain's 0-based ``page`` + 1."""
    if metadata.get("page_label") not in (None, ""):
        return str(metadata["page_label"])
    page = metadata.get("page")
    return str(page + 1) if isinstance(page, int) and not isinstance(page, bool) else None


def page_runs(metadatas: Sequence[dict[str, Any]]) -> list[Source]:
    """Consecutive pages of the same file (a file key and a page key) as one "pages" source; every other input a
    "text" source of its own."""
    out: list[Source] = []
    for i, metadata in enumerate(metadatas):
        path = file_of(metadata)
        last = out[-1] if out else None
        if path is None or page_label(metadata) is None:
            out.append(Source("text", [i], path))
        elif last is not None and last.kind == "pages" and last.path == path and last.indices[-1] == i - 1:
            last.indices.append(i)
        else:
            out.append(Source("pages", [i], path))
    return out


def sources_of(texts: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> list[Source]:
    """The inputs grouped: consecutive pages of the same file, a whole PDF file, or a text of its own."""
    return [
        Source("file", source.indices, source.path)
        if source.kind == "text" and source.path is not None and _reads_file(texts[source.indices[0]], source.path)
        else source
        for source in page_runs(metadatas)
    ]


def _reads_file(text: str, path: str) -> bool:
    """A document standing for the PDF file itself: its raw bytes read as text, or no text, from a PDF on disk."""
    is_pdf = Path(path).suffix.lower() == ".pdf" and Path(path).is_file()
    return is_pdf and (not text.strip() or text.startswith("%PDF"))


def pdf_page_sources(metadatas: Sequence[dict[str, Any]]) -> list[Source]:
    """`page_runs` where only the pages of a ``.pdf`` file stay together (what any face joins before chunking)."""
    out = []
    for source in page_runs(metadatas):
        if source.kind == "pages" and not (source.path or "").lower().endswith(".pdf"):
            out += [Source("text", [i], source.path) for i in source.indices]
        else:
            out.append(source)
    return out
