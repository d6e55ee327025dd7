"""The local runner: files chunked in worker processes (`chunk_paths`, one `FileResult` per file, in order), and
`chunk_directory`, a whole repository through the AST chunker. `chunkers.apps.ray` runs the same on Ray."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..code import ASTChunker, language_for_path
from ..core.base import BaseChunker
from ..core.chunk import Chunk
from ..io.files import DEFAULT_MAX_BYTES, FILE_READ_SUFFIXES, iter_files, name_skip_reason, read_source
from ..pdf.chunker import chunk_pdf_file


@dataclass
class FileResult:
    """What happened to one file: its chunks, or why it was skipped, or the error it raised."""

    path: Path
    chunks: list[Chunk] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None
    method: str | None = None  # the method that chunked it (`chunkers.apps.routing`), chosen once per file


ChunkerFor = Callable[[Path], "tuple[str, BaseChunker] | None"]
"""Picks a file's method and chunker (None: skip the file); picklable to run in worker processes."""

_worker_chunker_for: ChunkerFor | None = None


def _init_worker(chunker_for: ChunkerFor) -> None:
    global _worker_chunker_for
    _worker_chunker_for = chunker_for


def chunk_file(
    path: Path, chunker_for: ChunkerFor, max_bytes: int = DEFAULT_MAX_BYTES, include_generated: bool = False
) -> FileResult:
    """Chunk one file with the method and chunker ``chunker_for(path)`` picks (None: skip it); skip it with the
    reason when it is not source text (`chunkers.io.files`)."""
    try:
        reason = None if include_generated else name_skip_reason(path)
        if reason is not None:
            return FileResult(path, skipped=reason)
        choice = chunker_for(path)
        if choice is None:
            return FileResult(path, skipped="no chunker for this file type")
        method, chunker = choice
        if path.suffix.lower() in FILE_READ_SUFFIXES:  # read by its chunker (a PDF's pages, layout and all)
            return FileResult(path, chunks=chunk_pdf_file(chunker, path), method=method)
        text, reason = read_source(path, max_bytes, include_generated)
        if text is None:
            return FileResult(path, skipped=reason, method=method)
        return FileResult(path, chunks=chunker.chunk(text, file_path=str(path)), method=method)
    except Exception as exc:  # one bad file must not stop a directory run: report it
        return FileResult(path, error=f"{type(exc).__name__}: {exc}")


def _chunk_in_worker(path: Path, max_bytes: int, include_generated: bool) -> FileResult:
    assert _worker_chunker_for is not None
    return chunk_file(path, _worker_chunker_for, max_bytes, include_generated)


def chunk_paths(
    paths: Iterable[Path],
    chunker_for: ChunkerFor,
    workers: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    include_generated: bool = False,
) -> Iterator[FileResult]:
    """`chunk_file` over ``paths``, in ``workers`` processes (None: one per CPU; 1: in this process).

    Results are yielded in the order of ``paths`` as soon as each is ready. ``chunker_for`` must be
    picklable when ``workers != 1``.
    """
    paths = list(paths)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) <= 1:
        for path in paths:
            yield chunk_file(path, chunker_for, max_bytes, include_generated)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(chunker_for,)) as pool:
        settings = [max_bytes] * len(paths), [include_generated] * len(paths)
        yield from pool.map(_chunk_in_worker, paths, *settings, chunksize=4)


@dataclass(frozen=True)
class _CodeChunkerFor:
    """Picks the AST chunker for files with a known code extension (picklable for worker processes)."""

    chunker: ASTChunker
    unknown: ASTChunker | None

    def __call__(self, path: Path) -> tuple[str, ASTChunker] | None:
        chunker = self.chunker if language_for_path(path) else self.unknown
        return None if chunker is None else ("ast", chunker)


def chunk_directory(
    path: str | Path,
    max_size: int = 1500,
    sizer: str = "non_whitespace",
    workers: int | None = None,
    include_unknown: bool = False,
    respect_gitignore: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **options: object,
) -> Iterator[FileResult]:
    """Chunk every source file under ``path`` with `ASTChunker`, streaming one `FileResult` per file.

    Honours ``.gitignore`` files; skips (with the reason in ``FileResult.skipped``) binaries, non-UTF-8 files,
    files over ``max_bytes``, minified and generated files, and files of unknown type unless
    ``include_unknown=True`` (then they get the line-aware fallback split). Files run in ``workers``
    processes; errors are reported per file in ``FileResult.error``.
    """
    chunker = ASTChunker(max_size=max_size, sizer=sizer, **options)  # type: ignore[arg-type]
    unknown = ASTChunker(language="text", max_size=max_size, sizer=sizer) if include_unknown else None
    files = iter_files(path, respect_gitignore=respect_gitignore)
    yield from chunk_paths(files, _CodeChunkerFor(chunker, unknown), workers=workers, max_bytes=max_bytes)
