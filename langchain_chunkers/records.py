"""`RecordTextSplitter`: JSON Lines, CSV and TSV chunked by whole records, as a LangChain text splitter."""

from __future__ import annotations

from chunkers.records import RecordChunker

from .base import face_of


class RecordTextSplitter(face_of(RecordChunker, context=True)):  # type: ignore[misc]
    """LangChain face of `chunkers.records.RecordChunker`: whole records per document; a CSV's header row is each
    document's ``context_header`` (before ``page_content`` with ``context_in_content=True``)."""
