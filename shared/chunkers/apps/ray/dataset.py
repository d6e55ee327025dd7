"""The Ray Data stage: a Dataset of documents (or files) in, a Dataset of chunk rows out."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...core.chunk import Chunk
from ...core.spec import is_spec
from ...io.files import DEFAULT_MAX_BYTES, FILE_READ_SUFFIXES, decode_source, name_skip_reason
from .cluster import require_ray
from .specs import DistributedError, route_specs
from .worker import FILE_COLUMN, ChunkWorker


def gpus_for(specs: Mapping[str, Mapping[str, Any]]) -> float:
    """1 if any chunker is configured for CUDA (its own ``device`` or its local LLM's), else 0."""
    for spec in specs.values():
        params = spec.get("params", {})
        llm = params.get("llm")
        devices = [params.get("device"), llm["params"].get("device") if is_spec(llm) else None]
        if any(isinstance(d, str) and d.startswith("cuda") for d in devices):
            return 1
    return 0


def chunk_dataset(
    dataset: Any,
    chunker: Any,
    *,
    text_column: str = "text",
    id_column: str = "doc_id",
    route_column: str | None = None,
    metadata_columns: Sequence[str] | None = None,
    keep_columns: Sequence[str] = (),
    concurrency: int | tuple[int, int] | None = None,
    num_cpus: float = 1,
    num_gpus: float | None = None,
    batch_size: int = 16,
    **ray_remote_args: Any,
) -> Any:
    """A Ray Dataset of chunk rows (`OUTPUT_COLUMNS`, plus ``keep_columns`` and ``route_column``) from a Dataset
    of documents.

    ``chunker``: a chunker, a `chunker_spec`, or a mapping of route names to either, the route of each document
    read from ``route_column`` (e.g. ``{"ast": ASTChunker(), "ppl": PerplexityChunker()}``). ``metadata_columns``
    (default: every column but the text, id and route columns) are passed to the chunker as each document's
    metadata, so they appear in every chunk's ``metadata`` (None values are left out). ``concurrency``: the
    number of workers (an int), or ``(min, max)`` for an autoscaling pool (default: 1 to the cluster's CPUs /
    ``num_cpus``). ``num_gpus`` defaults to 1 per worker when a chunker has ``device="cuda..."``. Ray runs each
    worker with ``num_cpus`` threads (``OMP_NUM_THREADS``); a worker that dies is restarted and its batch
    retried by Ray Data. Lazy, like every Ray Dataset: nothing runs until it is consumed.

    A fixed pool (an int) that takes every CPU leaves none for other operations of the same pipeline that need
    one (a ``repartition``, a reader with ``num_cpus=1``), which then wait forever: leave a CPU free, or give
    ``(min, max)``. `read_documents` reads with ``num_cpus=0``, so it never competes with the workers.
    """
    ray = require_ray()
    specs = route_specs(chunker)
    if route_column is None and len(specs) > 1:
        raise DistributedError("several chunkers were given: name the column that picks one with route_column=")
    if route_column is None:
        only = next(iter(specs.values()))
        specs = {"": only}
    known = dataset.columns(fetch_if_missing=False)  # None when the schema is not known without running
    for name in (text_column, id_column, route_column):
        if known is not None and name and name not in known:
            raise DistributedError(f"the dataset has no column {name!r}; its columns: {sorted(known)}")
    if num_gpus is None:
        num_gpus = gpus_for(specs)
    if concurrency is None:
        cpus = int(ray.cluster_resources().get("CPU", 1) // max(num_cpus, 1e-9)) if ray.is_initialized() else 1
        concurrency = (1, max(1, cpus))
    size = concurrency if isinstance(concurrency, int) else None
    compute = (
        ray.data.ActorPoolStrategy(size=size)
        if size
        else ray.data.ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    )
    return dataset.map_batches(
        ChunkWorker,
        fn_constructor_kwargs={
            "specs": specs,
            "text_column": text_column,
            "id_column": id_column,
            "route_column": route_column,
            "metadata_columns": list(metadata_columns) if metadata_columns is not None else None,
            "keep_columns": list(keep_columns),
        },
        batch_format="pyarrow",
        batch_size=batch_size,
        compute=compute,
        num_cpus=num_cpus,
        num_gpus=num_gpus or None,
        **ray_remote_args,
    )


def _decode_batch(batch: Any, positions: Mapping[str, int], max_bytes: int, extra: Mapping[str, Sequence[Any]]) -> Any:
    """Ray's file rows (``path``, ``bytes``) -> document rows (``doc_id``, ``file_path``, ``text``, ``skipped``,
    ``file_bytes``: the bytes of a file its chunker reads itself, a PDF)."""
    import pyarrow as pa

    paths = batch.column("path").to_pylist()
    texts, skipped, files = [], [], []
    for path, data in zip(paths, batch.column("bytes").to_pylist()):
        if Path(path).suffix.lower() in FILE_READ_SUFFIXES:  # read by its chunker (a PDF's pages, layout and all)
            text, reason = None, name_skip_reason(Path(path))
            files.append(None if reason else data)
        else:
            text, reason = decode_source(data, max_bytes, path=path)
            files.append(None)
        texts.append(text)
        skipped.append(reason)
    ids = [positions.get(p, -1) for p in paths]
    table = {"doc_id": pa.array(ids, pa.int64()), "file_path": paths, "text": pa.array(texts, pa.string()),
             "skipped": pa.array(skipped, pa.string()), FILE_COLUMN: pa.array(files, pa.binary())}  # fmt: skip
    for name, values in extra.items():
        table[name] = [values[i] if i >= 0 else None for i in ids]
    return pa.table(table)


def read_documents(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    extra_columns: Mapping[str, Sequence[Any]] | None = None,
    num_blocks: int | None = None,
    read_concurrency: int = 2,
) -> Any:
    """A Ray Dataset of documents from files, read with Ray's ``read_binary_files`` (local paths, or any
    filesystem Ray reads, as long as every worker can reach them).

    Rows: ``doc_id`` (the file's position in ``paths``), ``file_path`` (as given), ``text`` and ``skipped``
    (why a file is not chunked: binary, not UTF-8, minified, generated, larger than ``max_bytes``; the same
    checks as ``chunkers.io.files.read_source``), ``file_bytes`` (a PDF's bytes, its ``text`` empty: the chunk
    workers give them to the chunker's ``chunk_file``, e.g. `chunkers.PDFChunker`'s), plus ``extra_columns`` (one
    value per path). Reading takes no CPU
    slot (``num_cpus=0``, so the chunk workers can take every CPU) and runs ``read_concurrency`` tasks at a time
    in ``num_blocks`` blocks (default: one per file, at most 200).
    """
    ray = require_ray()
    names = [str(p) for p in paths]
    if not names:
        raise DistributedError("no files to read")
    extra = {name: list(values) for name, values in (extra_columns or {}).items()}
    for name, values in extra.items():
        if len(values) != len(names):
            raise DistributedError(f"extra column {name!r} has {len(values)} values for {len(names)} paths")
    positions = {name: i for i, name in enumerate(names)}
    files = ray.data.read_binary_files(
        names,
        include_paths=True,
        num_cpus=0,
        concurrency=read_concurrency,
        override_num_blocks=num_blocks or min(len(names), 200),
    )
    return files.map_batches(
        _decode_batch,
        fn_kwargs={"positions": positions, "max_bytes": max_bytes, "extra": extra},
        batch_format="pyarrow",
        num_cpus=0,
    )


def chunk_files(paths: Sequence[str | os.PathLike[str]], chunker: Any, **kwargs: Any) -> Any:
    """`read_documents` then `chunk_dataset`: chunk rows for files, ``file_path`` in their metadata and kept as a
    column. ``kwargs`` go to `chunk_dataset` (``concurrency``, ``num_cpus``, ``route_column``, ...), except
    ``max_bytes``, ``extra_columns``, ``num_blocks`` and ``read_concurrency``, which go to `read_documents`."""
    read_args = {
        k: kwargs.pop(k) for k in ("max_bytes", "extra_columns", "num_blocks", "read_concurrency") if k in kwargs
    }
    kwargs.setdefault("keep_columns", ["file_path"])
    return chunk_dataset(read_documents(paths, **read_args), chunker, **kwargs)


def chunks_by_document(rows: Iterator[Mapping[str, Any]] | Sequence[Mapping[str, Any]]) -> dict[Any, list[Chunk]]:
    """Chunk rows (as from ``Dataset.iter_rows()`` / ``take_all()``) -> ``{doc_id: [Chunk, ...]}`` in chunk order;
    error and skipped rows are left out. Metadata comes back from JSON (tuples as lists)."""
    grouped: dict[Any, list[tuple[int, Chunk]]] = {}
    for row in rows:
        if row["chunk_index"] < 0:
            continue
        chunk = Chunk(row["text"], row["start"], row["end"], json.loads(row["metadata"]))
        grouped.setdefault(row["doc_id"], []).append((row["chunk_index"], chunk))
    return {doc: [c for _, c in sorted(pairs, key=lambda p: p[0])] for doc, pairs in grouped.items()}
