"""`chunkers chunk --engine ray`: files chunked on Ray, one result per file, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import groupby
from pathlib import Path

from ...core.chunk import Chunk
from ...io.files import DEFAULT_MAX_BYTES
from ..local import FileResult
from ..routing import Router, method_for
from .cluster import init_ray
from .dataset import chunk_files


def file_results(
    files: Sequence[Path], router: Router, *, address: str | None, workers: int | None, progress: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES, dataset_out: Path | None = None,
) -> Iterator[FileResult]:  # fmt: skip
    """`chunkers.apps.local.chunk_paths` on Ray: one `FileResult` per file, in the order of ``files``.

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
        yield from (FileResult(files[i], method=methods[i]) for i in range(position, doc))
        first, *rest = group
        if first["chunk_index"] < 0:
            yield FileResult(files[doc], skipped=first["skipped"], error=first["error"], method=methods[doc])
        else:
            chunks = [Chunk(r["text"], r["start"], r["end"], json.loads(r["metadata"])) for r in (first, *rest)]
            yield FileResult(files[doc], chunks=chunks, method=methods[doc])
        position = doc + 1
    yield from (FileResult(files[i], method=methods[i]) for i in range(position, len(files)))
