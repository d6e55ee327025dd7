"""The Ray worker: chunkers rebuilt from their specs once per worker, batches of documents to chunk rows."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ...core.base import BaseChunker
from ...pdf.chunker import chunk_pdf_file
from .specs import DistributedError, chunker_from_spec

OUTPUT_COLUMNS = ("doc_id", "chunk_index", "start", "end", "text", "metadata", "error", "skipped")
_RESERVED = {"skipped", "error"}  # input columns with these names mark documents that are not to be chunked
FILE_COLUMN = "file_bytes"  # a file its chunker reads itself (a PDF), given to the chunker's chunk_file


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def dumps_metadata(metadata: Mapping[str, Any]) -> str:
    """A chunk's metadata as the JSON string of the ``metadata`` column."""
    return json.dumps(metadata, ensure_ascii=False, default=_json_default)


class ChunkWorker:
    """The callable class given to ``Dataset.map_batches``: rebuilds each chunker from its spec once per worker
    (on first use) and chunks batches of documents (pyarrow tables) into chunk rows."""

    def __init__(
        self,
        specs: Mapping[str, Mapping[str, Any]],
        text_column: str = "text",
        id_column: str = "doc_id",
        route_column: str | None = None,
        metadata_columns: Sequence[str] | None = None,
        keep_columns: Sequence[str] = (),
    ) -> None:
        self.specs = dict(specs)
        self.text_column, self.id_column, self.route_column = text_column, id_column, route_column
        self.metadata_columns = metadata_columns
        self.keep_columns = tuple(keep_columns)
        self.chunkers: dict[str, BaseChunker] = {}

    def chunker(self, route: str) -> BaseChunker:
        """The chunker for ``route``, built from its spec the first time it is needed."""
        if route not in self.chunkers:
            if route not in self.specs:
                raise ValueError(f"no chunker for route {route!r}; routes: {sorted(self.specs)}")
            self.chunkers[route] = chunker_from_spec(self.specs[route])
        return self.chunkers[route]

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        columns = batch.to_pydict()
        missing = [c for c in (self.text_column, self.id_column, self.route_column) if c and c not in columns]
        if missing:
            raise DistributedError(f"the dataset has no column {missing[0]!r}; its columns: {sorted(columns)}")
        meta_names = self.metadata_columns
        if meta_names is None:
            taken = {self.text_column, self.id_column, self.route_column, FILE_COLUMN, *_RESERVED}
            meta_names = [c for c in columns if c not in taken]
        count = batch.num_rows
        routes = [str(r) for r in columns[self.route_column]] if self.route_column else [""] * count
        texts = columns[self.text_column]
        metadatas = [{k: columns[k][i] for k in meta_names if columns[k][i] is not None} for i in range(count)]
        skipped = columns.get("skipped") or [None] * count
        errors = columns.get("error") or [None] * count
        files = columns.get(FILE_COLUMN) or [None] * count
        results: list[Any] = [None] * count  # list of chunks, or ("error" | "skipped", reason)
        by_route: dict[str, list[int]] = {}
        for i in range(count):
            if skipped[i]:
                results[i] = ("skipped", str(skipped[i]))
            elif errors[i]:
                results[i] = ("error", str(errors[i]))
            else:
                by_route.setdefault(routes[i], []).append(i)
        for route, rows in by_route.items():
            self._chunk_rows(route, [i for i in rows if files[i] is None], texts, metadatas, results)
            for i in rows:
                if files[i] is not None:
                    results[i] = self._chunk_file(route, files[i], metadatas[i])
        out: dict[str, list[Any]] = {name: [] for name in OUTPUT_COLUMNS}
        kept: dict[str, list[Any]] = {name: [] for name in self._kept_names()}
        for i, result in enumerate(results):
            rows = _rows(result)
            for row in rows:
                for name, value in zip(OUTPUT_COLUMNS[1:], row):
                    out[name].append(value)
            out["doc_id"].extend([columns[self.id_column][i]] * len(rows))
            for name in kept:
                kept[name].extend([columns[name][i]] * len(rows))
        types = {"chunk_index": pa.int64(), "start": pa.int64(), "end": pa.int64()}
        arrays = {n: pa.array(v, type=types.get(n, pa.string())) for n, v in out.items() if n != "doc_id"}
        arrays = {"doc_id": pa.array(out["doc_id"], type=batch.schema.field(self.id_column).type), **arrays}
        for name, values in kept.items():
            arrays[name] = pa.array(values, type=batch.schema.field(name).type)
        return pa.table(arrays)

    def _kept_names(self) -> list[str]:
        names = list(self.keep_columns)
        if self.route_column and self.route_column not in names:
            names.append(self.route_column)
        return [n for n in names if n not in OUTPUT_COLUMNS]

    def _chunk_file(self, route: str, data: bytes, metadata: dict[str, Any]) -> Any:
        """The chunks of a PDF's bytes (`chunkers.pdf.chunker.chunk_pdf_file`), or ("error", why)."""
        try:
            return chunk_pdf_file(self.chunker(route), data, **metadata)
        except Exception as exc:  # one bad file must not stop a corpus: record it
            return ("error", f"{type(exc).__name__}: {exc}")

    def _chunk_rows(
        self, route: str, rows: list[int], texts: list[Any], metadatas: list[Any], results: list[Any]
    ) -> None:
        """Chunk the documents ``rows`` with one `chunk_many` call; if it raises, one by one, so the error lands on
        the document that caused it."""
        if not rows:
            return
        try:
            chunker = self.chunker(route)
            chunked = chunker.chunk_many([texts[i] for i in rows], [metadatas[i] for i in rows])
        except Exception:
            for i in rows:
                try:
                    results[i] = self.chunker(route).chunk_many([texts[i]], [metadatas[i]])[0]
                except Exception as exc:  # one bad document must not stop a corpus: record it
                    results[i] = ("error", f"{type(exc).__name__}: {exc}")
            return
        for i, chunks in zip(rows, chunked):
            results[i] = chunks


def _rows(result: Any) -> list[tuple[Any, ...]]:
    """(chunk_index, start, end, text, metadata, error, skipped) rows for one document's result."""
    if isinstance(result, tuple):
        kind, reason = result
        return [
            (-1, None, None, None, None, reason if kind == "error" else None, reason if kind == "skipped" else None)
        ]
    return [(i, c.start, c.end, c.text, dumps_metadata(c.metadata), None, None) for i, c in enumerate(result)]
