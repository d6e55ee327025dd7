"""`RecordChunker`: data files of one record per line (JSON Lines, CSV, TSV) packed whole records at a time.

A record is never cut while it fits the budget; a CSV/TSV chunk after the first carries the header row as
``context_header`` (what its columns mean), the chunk's text and offsets staying the exact source slice. Structured
data with a grammar (JSON, YAML, TOML) goes to `chunkers.code.ASTChunker` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ..core.base import CONTEXT_IN_BUDGET, MAX_SIZE, SIZER, BaseChunker
from ..core.chunk import Chunk, source_path
from ..core.merge import Span, fitted, pack, trim
from ..core.options import Option, one_of

FORMATS = ("lines", "csv", "tsv")
EXTENSION_FORMATS = {".jsonl": "lines", ".ndjson": "lines", ".jsonlines": "lines", ".csv": "csv", ".tsv": "tsv"}
RECORD_SUFFIXES = frozenset(EXTENSION_FORMATS)


def record_spans(text: str, quoted: bool) -> list[Span]:
    """The records of ``text``, one per line, each span without its line break; blank lines are skipped.
    ``quoted``: a line break inside a double-quoted field (CSV, RFC 4180) does not end the record."""
    spans: list[Span] = []
    start = position = 0
    inside = False
    while position < len(text):
        newline = text.find("\n", position)
        end = len(text) if newline < 0 else newline
        if quoted:
            inside ^= text.count('"', position, end) % 2 == 1
        position = end + 1
        if inside and newline >= 0:
            continue  # the record goes on past this line break
        record = trim(text, start, end)
        if record[0] < record[1]:
            spans.append(record)
        start, inside = position, False
    return spans


@dataclass(eq=False)
class RecordChunker(BaseChunker):
    """Packs whole records (lines of JSON Lines, rows of CSV/TSV) into chunks of at most ``max_size``.

    ``format``: "lines", "csv" or "tsv"; None takes it from the ``file_path``/``file_name``/``source``
    metadata's extension (".jsonl", ".ndjson", ".csv", ".tsv"), else "lines". For CSV and TSV the first record
    is the header: chunks after the first carry it as ``header_row`` and as ``context_header`` (what to embed with
    the chunk, the name the other chunkers give it). A record larger than the budget is split inside (flag
    ``split_record``).
    """

    max_size: int = MAX_SIZE.field(1000)
    sizer: Any = SIZER.field()
    format: str | None = Option(
        None,
        "'lines', 'csv' or 'tsv'; None: from the file name, else lines.",
        one_of(*FORMATS, none=True, hint="from the file name"),
    ).field()
    context_in_budget: bool = CONTEXT_IN_BUDGET.field()

    def _format_of(self, metadata: dict[str, Any]) -> str:
        if self.format is not None:
            return self.format
        path = source_path(metadata)
        return EXTENSION_FORMATS.get(PurePath(path).suffix.lower(), "lines") if path else "lines"

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        kind = self._format_of(metadata)
        measure = self.sizer.span_measure(text)
        records = record_spans(text, quoted=kind == "csv")
        header = records[0] if kind != "lines" and len(records) > 1 else None
        groups: list[tuple[Span, int, bool]] = []  # (span, records, split_record)
        run: list[Span] = []  # whole records waiting to be packed together

        def flush() -> None:
            groups.extend(((run[i][0], run[j - 1][1]), j - i, False) for i, j in pack(run, measure, self.max_size))
            run.clear()

        for start, end in records:
            if measure(start, end) <= self.max_size:
                run.append((start, end))
                continue
            flush()  # a record too large is cut into pieces that share a chunk with no other record
            groups.extend(((a, b), 1, True) for a, b in fitted(text, start, end, measure, self.max_size))
        flush()
        chunks = []
        for (start, end), count, split in groups:
            extra: dict[str, Any] = {"chunker": "records", "format": kind, "records": count}
            if header is not None and start > header[0]:
                extra["header_row"] = extra["context_header"] = text[header[0] : header[1]]
            if split:
                extra["split_record"] = True
            chunks.append(Chunk(text[start:end], start, end, extra))
        return chunks
