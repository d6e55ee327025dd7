"""`DocumentTextSplitter`: Markdown and HTML chunked along their sections, as a LangChain text splitter."""

from __future__ import annotations

from typing import Any

from chunkers.documents import DocumentChunker

from .base import face_of


class DocumentTextSplitter(face_of(DocumentChunker, context=True)):  # type: ignore[misc]
    """LangChain face of `chunkers.documents.DocumentChunker`; stands in for ``MarkdownHeaderTextSplitter``
    followed by a size-capped splitter (and for the HTML header splitters), in one step with exact offsets.

    Each document's metadata gets ``header_path`` and ``context_header`` (the section path with the chunk's own
    heading, a split table's header row, split code's fence and signatures); ``metadata_style="langchain"`` adds
    ``MarkdownHeaderTextSplitter``'s keys ("Header 1", ...) of the sections holding the chunk. LangChain embeds only
    ``page_content``: the chunk's text (HTML: its text view, `chunkers.documents.html_text`), after the context and a
    blank line with ``context_in_content=True``, while ``start_index`` / ``end_index`` still give the chunk's exact
    span in the source. As parent and child splitter of
    ``ParentDocumentRetriever``, a child continues its parent's ``header_path``.
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """``MarkdownHeaderTextSplitter``'s and the HTML header splitters' arguments raise, naming ours."""
        for name in HEADER_SPLITTER_OPTIONS:
            if name in options:
                raise TypeError(
                    f"{cls.__name__} has no {name}: it splits at every heading level and keeps each heading with its "
                    "section, under max_size; metadata_style='langchain' adds the 'Header 1', ... keys of "
                    "MarkdownHeaderTextSplitter"
                )
        return super()._translate_options(options)


HEADER_SPLITTER_OPTIONS = ("headers_to_split_on", "strip_headers", "return_each_line", "custom_header_patterns")
