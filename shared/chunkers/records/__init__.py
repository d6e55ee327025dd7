"""Data files of one record per line (JSON Lines, CSV, TSV), chunked whole records at a time."""

from .chunker import EXTENSION_FORMATS, FORMATS, RECORD_SUFFIXES, RecordChunker, record_spans

__all__ = ["EXTENSION_FORMATS", "FORMATS", "RECORD_SUFFIXES", "RecordChunker", "record_spans"]
