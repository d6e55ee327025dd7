"""`RecordNodeParser`: JSON Lines, CSV and TSV chunked by whole records, as a LlamaIndex node parser."""

from __future__ import annotations

from chunkers.records import RecordChunker

from .base import face_of


class RecordNodeParser(face_of(RecordChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.records.RecordChunker`: whole records per node (a CSV's header row embedded with
    each node as its ``context_header``); the format from ``format`` or the node's file name."""

    embed_metadata_keys = ("context_header",)
