"""Chunk a corpus as a Ray Data stage: a Dataset of documents in, a Dataset of chunks out.

Optional extra ``ray`` (``pip install "rag-chunkers[ray]"``). Any chunker of this package runs on the
workers: it is described by a plain, JSON-serialisable spec (`chunker_spec`: class path + constructor
arguments) and rebuilt once per worker (`chunker_from_spec`), so a worker loads its model or grammars once
and reuses them across batches; a loaded model is never pickled into a task.

Input rows: a text column, a document-id column and any metadata columns (`chunk_dataset`), or file paths
read with Ray's own reader (`read_documents`, `chunk_files`). Output rows, one per chunk (`OUTPUT_COLUMNS`):
``doc_id``, ``chunk_index``, ``start``, ``end``, ``text``, ``metadata`` (the chunk's metadata as a JSON
string: the document's metadata columns merged with the chunker's, exactly what `BaseChunker.chunk_many`
gives), ``error`` and ``skipped``. A document that fails (a chunker error, text that is not a string) or is
skipped (a file that is binary, not UTF-8, minified, generated or too large) gives one row with
``chunk_index == -1`` and the reason in ``error`` / ``skipped``; it never goes missing silently. An empty or
whitespace-only document gives no rows, as `chunk_many` gives it no chunks.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from ..core.base import BaseChunker
from ..core.chunk import Chunk
from ..core.spec import NotPlain, from_spec, is_spec, spec_of
from ..io.files import DEFAULT_MAX_BYTES, FileResult, decode_source
from .routing import Router, method_for

RAY_INSTALL = 'pip install "rag-chunkers[ray]"'
OUTPUT_COLUMNS = ("doc_id", "chunk_index", "start", "end", "text", "metadata", "error", "skipped")
_RESERVED = {"skipped", "error"}  # input columns with these names mark documents that are not to be chunked


class DistributedError(ValueError):
    """Bad configuration for a distributed run (Ray missing, cluster unreachable, a chunker with no spec)."""


# ---- serialisable chunker specs ----------------------------------------------------------------------------


def chunker_spec(chunker: BaseChunker) -> dict[str, Any]:
    """A plain, JSON-serialisable description of ``chunker``: ``{"class": "module:Name", "params": {...}}``
    (`chunkers.core.spec.spec_of`: sizers as their name or local tokenizer folder, the local LLM as its own spec,
    ``cache`` left out, since it never changes the chunks). Raises `DistributedError` naming the parameter that
    cannot be described (a Python callable as ``llm`` or ``sizer``, a loaded model or tokenizer object)."""
    if not isinstance(chunker, BaseChunker):
        raise DistributedError(f"expected a chunkers BaseChunker, got {type(chunker).__name__}")
    try:
        return spec_of(chunker)
    except NotPlain as exc:
        name = getattr(exc, "option", None)
        where = f"parameter {name!r} is {exc.description}" if name else exc.description
        raise DistributedError(
            f"{type(chunker).__name__}: {where}, which cannot be sent to Ray workers as a spec; pass a plain value "
            "instead ('chars', 'non_whitespace', a local model or tokenizer folder, llm='local'), or run this "
            "chunker with chunk_many in one process"
        ) from None


def chunker_from_spec(spec: Mapping[str, Any]) -> BaseChunker:
    """The chunker a `chunker_spec` describes (raises `DistributedError` if it cannot be rebuilt)."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("class"), str) or ":" not in spec["class"]:
        raise DistributedError(f"a chunker spec needs 'class': 'module:Name' and 'params', got {spec!r}")
    try:
        return from_spec({"class": spec["class"], "params": spec.get("params") or {}}, BaseChunker)
    except (TypeError, ValueError, OSError) as exc:
        raise DistributedError(f"cannot rebuild chunker {spec['class']!r}: {exc}") from None


def _specs(chunker: Any) -> dict[str, dict[str, Any]]:
    """Route name -> validated spec, for a chunker, a spec, or a mapping of route names to either."""
    routes = chunker if isinstance(chunker, Mapping) and "class" not in chunker else {"": chunker}
    specs = {}
    for route, value in routes.items():
        spec = dict(value) if isinstance(value, Mapping) else chunker_spec(value)
        chunker_from_spec(spec)  # fail here, on the driver, with a clear message, not on every worker
        specs[str(route)] = json.loads(json.dumps(spec))
    return specs


# ---- Ray set-up -------------------------------------------------------------------------------------------


def require_ray() -> Any:
    """The ``ray`` module, or a `DistributedError` saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise DistributedError(f"Ray is not installed ({exc}); install it with: {RAY_INSTALL}") from None
    return ray


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A clear error if nothing listens at ``host:port`` (Ray itself would retry for a long time)."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        host, port = hostport, "6379"
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise DistributedError(
            f"cannot reach a Ray cluster at {address!r} ({exc.strerror or exc}); start one with `ray start --head` "
            "or check the address"
        ) from None


def init_ray(address: str | None = None, num_cpus: int | None = None, object_store_memory: int | None = None) -> Any:
    """Connect to the Ray cluster at ``address`` ("auto", "host:port", "ray://host:port"), or start a local Ray
    (``num_cpus``, ``object_store_memory`` in bytes, no dashboard) when it is None. Usage stats stay off.
    Returns the ``ray`` module; does nothing if Ray is already initialised."""
    ray = require_ray()
    if address and address != "auto":
        _check_reachable(address)
    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    kwargs: dict[str, Any] = {"ignore_reinit_error": True, "configure_logging": True, "logging_level": "warning"}
    if address:
        kwargs["address"] = address
    else:
        kwargs.update(include_dashboard=False, num_cpus=num_cpus, object_store_memory=object_store_memory)
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DistributedError(f"cannot connect to Ray at {address!r}: {first}") from None
    return ray


# ---- the worker ------------------------------------------------------------------------------------------


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
            taken = {self.text_column, self.id_column, self.route_column, *_RESERVED}
            meta_names = [c for c in columns if c not in taken]
        count = batch.num_rows
        routes = [str(r) for r in columns[self.route_column]] if self.route_column else [""] * count
        texts = columns[self.text_column]
        metadatas = [{k: columns[k][i] for k in meta_names if columns[k][i] is not None} for i in range(count)]
        skipped = columns.get("skipped") or [None] * count
        errors = columns.get("error") or [None] * count
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
            self._chunk_rows(route, rows, texts, metadatas, results)
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

    def _chunk_rows(
        self, route: str, rows: list[int], texts: list[Any], metadatas: list[Any], results: list[Any]
    ) -> None:
        """Chunk the documents ``rows`` with one `chunk_many` call; if it raises, one by one, so the error lands on
        the document that caused it."""
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


# ---- the stage -------------------------------------------------------------------------------------------


def _num_gpus(specs: Mapping[str, Mapping[str, Any]]) -> float:
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
    specs = _specs(chunker)
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
        num_gpus = _num_gpus(specs)
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
    """Ray's file rows (``path``, ``bytes``) -> document rows (``doc_id``, ``file_path``, ``text``, ``skipped``)."""
    import pyarrow as pa

    paths = batch.column("path").to_pylist()
    texts, skipped = [], []
    for path, data in zip(paths, batch.column("bytes").to_pylist()):
        text, reason = decode_source(data, max_bytes, path=path)
        texts.append(text)
        skipped.append(reason)
    ids = [positions.get(p, -1) for p in paths]
    table = {"doc_id": pa.array(ids, pa.int64()), "file_path": paths, "text": pa.array(texts, pa.string()),
             "skipped": pa.array(skipped, pa.string())}  # fmt: skip
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
    checks as ``chunkers.io.files.read_source``), plus ``extra_columns`` (one value per path). Reading takes no CPU
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


# ---- the CLI path (`chunkers chunk --engine ray`) -------------------------------------------------------


def file_results(
    files: Sequence[Path], router: Router, *, address: str | None, workers: int | None, progress: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES, dataset_out: Path | None = None,
) -> Iterator[FileResult]:  # fmt: skip
    """`chunkers.io.files.chunk_paths` on Ray: one `FileResult` per file, in the order of ``files``.

    Each file's method is picked by ``router`` (a `chunkers.apps.routing.Router`), as the local path picks it, and its
    chunkers (built with the router's size and runtime options: ``device``, ``dtype``, ``quantize``) are rebuilt on
    the workers from their specs. With ``dataset_out``, the chunk rows (errors and skipped files included) are
    also written there as Parquet.
    """
    if not files:
        return
    ray = init_ray(address)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress
    context.execution_options.preserve_order = True  # rows come back in file order: no sort, no shuffle
    methods = [method_for(path, router.method) for path in files]
    chunkers = {name: router.chunker(name) for name in sorted(set(methods))}
    pool = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    rows = chunk_files(
        [str(p) for p in files], chunkers, route_column="method", extra_columns={"method": methods},
        max_bytes=max_bytes, concurrency=pool, num_blocks=min(len(files), pool * 8),
    )  # fmt: skip
    if dataset_out is not None:
        rows = rows.materialize()
        rows.write_parquet(str(dataset_out))
    position = 0  # files with no rows (empty text) still get their (empty) result, in order
    for doc, group in groupby(rows.iter_rows(), key=lambda row: row["doc_id"]):
        if doc < position:
            raise RuntimeError(f"Ray returned the rows of {files[doc]} out of order")  # preserve_order guards this
        yield from (FileResult(files[i]) for i in range(position, doc))
        first, *rest = group
        if first["chunk_index"] < 0:
            yield FileResult(files[doc], skipped=first["skipped"], error=first["error"])
        else:
            chunks = [Chunk(r["text"], r["start"], r["end"], json.loads(r["metadata"])) for r in (first, *rest)]
            yield FileResult(files[doc], chunks=chunks)
        position = doc + 1
    yield from (FileResult(files[i]) for i in range(position, len(files)))
