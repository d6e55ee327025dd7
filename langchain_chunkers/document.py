"""`DocumentTextSplitter`: Markdown and HTML chunked along their sections, as a LangChain text splitter."""

from __future__ import annotations

from chunkers.documents import DocumentChunker

from .base import face_of


class DocumentTextSplitter(face_of(DocumentChunker, context=True)):  # type: ignore[misc]
    """LangChain face of `chunkers.documents.DocumentChunker`; stands in for ``MarkdownHeaderTextSplitter``
    followed by a size-capped splitter (and for the HTML header splitters), in one step with exact offsets.

    Each document's metadata gets ``header_path`` and ``context_header`` (document title and section path, a split
    table's header row, split code's fence and signatures); ``metadata_style="langchain"`` adds
    ``MarkdownHeaderTextSplitter``'s keys ("Header 1", ...). LangChain embeds only ``page_content``: with
    ``context_in_content=True`` it is the context, a blank line, then the chunk's text, while ``start_index`` /
    ``end_index`` still give the chunk's exact span in the source. As parent and child splitter of
    ``ParentDocumentRetriever``, a child continues its parent's ``header_path``.
    """
