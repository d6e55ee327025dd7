"""`chunk_directory`: run the AST chunker over a whole repository."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..io.files import DEFAULT_MAX_BYTES, FileResult, chunk_paths, iter_files
from .ast_chunker import ASTChunker
from .languages import language_for_path


@dataclass(frozen=True)
class _CodeChunkerFor:
    """Picks the AST chunker for files with a known code extension (picklable for worker processes)."""

    chunker: ASTChunker
    unknown: ASTChunker | None

    def __call__(self, path: Path) -> ASTChunker | None:
        return self.chunker if language_for_path(path) else self.unknown


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
