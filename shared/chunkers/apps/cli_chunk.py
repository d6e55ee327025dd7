"""The ``chunk`` and ``prepare`` commands of the ``chunkers`` command line (`chunkers.apps.cli`)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..core.chunk import Chunk
from ..io.files import DEFAULT_MAX_BYTES, FILE_READ_SUFFIXES, iter_files, name_skip_reason, skip_kind, skip_reason
from ..runtime.model_options import RUNTIME_OPTIONS
from ..runtime.policy import DTYPES, QUANTIZE
from .local import FileResult, chunk_paths
from .routing import METHODS, Router, option_default

METHOD_HELP = "auto: records for JSONL/CSV, document for Markdown/HTML, pdf for PDF, ast for code, sentence else"
# The sizers' names in the help, in words.
SIZER_UNITS = {"chars": "characters", "non_whitespace": "non-whitespace characters"}


def max_size_help() -> str:
    """The ``--max-size`` help: each method's unit and default, from its engine class's ``sizer`` and
    ``max_size`` defaults."""
    units = {m: option_default(m, "sizer") for m in sorted(METHODS)}
    sizes = "; ".join(f"{m}: {option_default(m, 'max_size')} {SIZER_UNITS.get(u, u)}" for m, u in units.items())
    return f"largest chunk, in the method's unit (default per method, {sizes})"


def _positive(value: str) -> int:
    """An argparse type: a positive integer."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def add_parsers(sub: Any) -> None:
    """The ``chunk`` and ``prepare`` subcommands."""
    methods = ["auto", *sorted(METHODS)]
    chunk = sub.add_parser("chunk", help="chunk files or directories to JSONL")
    chunk.add_argument("paths", nargs="+", type=Path)
    chunk.add_argument("--method", choices=methods, default="auto", help=METHOD_HELP)
    chunk.add_argument("--max-size", type=int, default=None, help=max_size_help())
    chunk.add_argument(
        "--max-bytes",
        type=_positive,
        default=DEFAULT_MAX_BYTES,
        help="skip text files larger than this many bytes (PDFs are read whatever their size; default: %(default)s)",
    )
    chunk.add_argument(
        "--include-generated",
        action="store_true",
        help="also chunk generated, minified and markup-only files (lockfiles, *.min.js, *.min.css, "
        "source maps, SVG, files marked @generated or DO NOT EDIT), which are skipped by default",
    )
    chunk.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    chunk.add_argument("--format", choices=["jsonl", "table", "parquet"], default="jsonl", help="parquet: Ray only")
    chunk.add_argument("--workers", type=int, default=None, help="parallel processes (default 1; Ray: all CPUs)")
    chunk.add_argument("--engine", choices=["local", "ray"], default="local", help="ray: a Ray Data pipeline")
    chunk.add_argument("--address", default=None, help="Ray cluster (host:port, auto); default: a local Ray")
    chunk.add_argument("--no-gitignore", action="store_true", help="also chunk gitignored files")
    chunk.add_argument("--no-progress", dest="progress", action="store_false")
    chunk.add_argument(
        "--embed",
        choices=["plain", "late"],
        default=None,
        help='also write each chunk\'s vector (JSONL "embedding"), from the embedded MiniLM: plain '
        "(the chunk's text) or late (late chunking: pooled from the whole file's token vectors)",
    )
    add_runtime_arguments(chunk)

    sub.add_parser("prepare", help="build the embedded models' caches now (SmolLM2 conversion, int8 export)")


def add_runtime_arguments(parser: argparse.ArgumentParser) -> None:
    """--device, --dtype and --quantize for the model-driven methods (default: `chunkers.runtime` chooses), and
    --password for encrypted PDFs."""
    parser.add_argument("--device", default=None, help=RUNTIME_OPTIONS["device"])
    parser.add_argument("--dtype", choices=DTYPES, default=None, help=RUNTIME_OPTIONS["dtype"])
    parser.add_argument("--quantize", choices=QUANTIZE, default=None, help=RUNTIME_OPTIONS["quantize"])
    parser.add_argument("--password", default=None, help="the password of encrypted PDFs")


def file_text(path: Path, password: str | None = None) -> str:
    """The text a file's chunk offsets index: a PDF's extracted text (`chunkers.PDFChunker.extract`), any other file
    as the chunkers read it (UTF-8, newlines kept: `read_source`)."""
    if path.suffix.lower() in FILE_READ_SUFFIXES:
        from ..pdf import PDFChunker

        return PDFChunker(password=password).extract(path)
    return path.read_bytes().decode("utf-8")


def line_spans(text: str, chunks: Sequence[Chunk]) -> list[tuple[int, int]]:
    """Each chunk's ``(start_line, end_line)`` in ``text``: the 1-based lines of its first and last character (an
    empty chunk: the line it sits on)."""
    newlines = [match.start() for match in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect_left(newlines, offset) + 1

    return [(line_of(c.start), line_of(max(c.start, c.end - 1))) for c in chunks]


def _lines(result: FileResult) -> list[tuple[Any, Any]]:
    """Each chunk's lines: the chunker's own where it gave both, else counted from the file at the chunk's exact
    offsets."""
    given = [(c.metadata.get("start_line"), c.metadata.get("end_line")) for c in result.chunks]
    if all(start is not None and end is not None for start, end in given):
        return given
    counted = line_spans(file_text(result.path), result.chunks)
    return [own if None not in own else lines for own, lines in zip(given, counted)]


def _records(result: FileResult, method: str | None) -> list[dict[str, Any]]:
    """The JSONL records of a file's chunks; every one carries ``start_line`` and ``end_line``."""
    return [
        {
            "file_path": str(result.path),
            "text": chunk.text,
            "start": chunk.start,
            "end": chunk.end,
            "start_line": start_line,
            "end_line": end_line,
            "method": method,
            "metadata": {k: v for k, v in chunk.metadata.items() if k not in {"file_path", "start_line", "end_line"}},
        }
        for chunk, (start_line, end_line) in zip(result.chunks, _lines(result))
    ]


def _vectors(result: FileResult, args: argparse.Namespace) -> list[list[float]]:
    """The vectors of a file's chunks (``--embed``): plain embeddings of their texts, or late-chunking vectors."""
    from ..context.late import LateChunkingEmbedder

    embedder = args.embedder = getattr(args, "embedder", None) or LateChunkingEmbedder(device=args.device)
    if args.embed == "plain":
        return embedder.embed_documents([c.text for c in result.chunks])
    return embedder.embed_chunks(file_text(result.path, args.password), result.chunks)


def _progress(total: int, enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]chunking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} files/s"),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=True,
    )


def _file_results(files: list[Path], router: Router, args: argparse.Namespace) -> Any:
    """One `FileResult` per file, in order: from local processes, or from Ray (``--engine ray``)."""
    if args.embed and args.format != "jsonl":
        raise ValueError("--embed writes vectors into the JSONL records: use --format jsonl")
    if args.engine == "ray":
        from .ray import file_results

        if args.format == "parquet" and args.out is None:
            raise ValueError("--format parquet needs --out DIR (the folder Ray writes the Parquet files to)")
        if args.include_generated:
            raise ValueError("--include-generated needs --engine local (Ray's reader always skips files marked "
                             "generated and minified ones)")  # fmt: skip
        parquet = args.out if args.format == "parquet" else None
        return file_results(files, router, address=args.address, workers=args.workers, progress=args.progress,
                            max_bytes=args.max_bytes, dataset_out=parquet)  # fmt: skip
    if args.format == "parquet" or args.address:
        raise ValueError("--format parquet and --address need --engine ray")
    return chunk_paths(files, router, workers=args.workers or 1, max_bytes=args.max_bytes,
                       include_generated=args.include_generated)  # fmt: skip


def _how_to_include(path: Path, reason: str) -> str:
    """The option that would have a skipped file chunked, in words."""
    kind = skip_kind(reason)
    if kind == "too large":
        return f"pass --max-bytes {path.stat().st_size} (or more) to include it"
    if kind == "generated":
        return "pass --include-generated to include it"
    return "no option includes it: it is not UTF-8 text"


def check_named_files(args: argparse.Namespace) -> None:
    """Raise `ValueError` (exit status 2) if a file named on the command line would be skipped: naming the file,
    why, and the option that would include it. (Files found in a folder are skipped with a note instead.)"""
    problems = []
    for path in args.paths:
        if path.is_file() and (reason := skip_reason(path, args.max_bytes, args.include_generated)) is not None:
            problems.append(f"{path}: skipped: {reason}; {_how_to_include(path, reason)}")
    if problems:
        raise ValueError("a file named on the command line would be skipped:\n  " + "\n  ".join(problems))


def cmd_chunk(args: argparse.Namespace, out: TextIO) -> int:
    """Chunk every path; write JSONL (or a table); report skipped files and errors at the end. A file named on
    the command line that would be skipped is an error (exit status 2) before anything is chunked."""
    import time

    router = Router(args.method, args.max_size, args.device, args.dtype, args.quantize, args.password)
    check_named_files(args)
    found = [f for p in args.paths for f in iter_files(p, respect_gitignore=not args.no_gitignore)]
    by_name = {f: None if args.include_generated else name_skip_reason(f) for f in found}
    files = [f for f in found if by_name[f] is None]  # the rest are skipped by their names, on either engine
    failures: list[FileResult] = []
    skipped = [FileResult(f, skipped=reason) for f, reason in by_name.items() if reason is not None]
    summary: list[tuple[str, str, int, int, int]] = []
    started = time.perf_counter()
    local = args.engine == "local"  # Ray shows its own progress
    with _progress(len(files), local and args.progress and sys.stderr.isatty()) as progress:
        task = progress.add_task("chunk", total=len(files), rate="-")
        for done, result in enumerate(_file_results(files, router, args), start=1):
            if result.error:
                failures.append(result)
            elif result.skipped:
                skipped.append(result)
            elif args.format == "jsonl":
                vectors = _vectors(result, args) if args.embed else None
                for index, record in enumerate(_records(result, result.method)):
                    if vectors is not None:
                        record["embedding"] = vectors[index]
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                sizes = [len(c.text) for c in result.chunks]
                mean = sum(sizes) // max(len(sizes), 1)
                summary.append((str(result.path), result.method or "", len(sizes), mean, max(sizes, default=0)))
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, advance=1, rate=f"{rate:.1f}")
    if args.format == "table":
        _print_table(summary, out)
    order = {path: index for index, path in enumerate(found)}
    for result in sorted(skipped, key=lambda r: order.get(r.path, len(order))):
        print(f"skipped {result.path}: {result.skipped}", file=sys.stderr)
    for result in failures:
        print(f"error   {result.path}: {result.error}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} of {len(found)} files failed", file=sys.stderr)
    return 1 if failures else 0


def _print_table(rows: Sequence[tuple[str, str, int, int, int]], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="chunks per file")
    for column in ("file", "method", "chunks", "mean chars", "max chars"):
        table.add_column(column, justify="left" if column in {"file", "method"} else "right")
    for row in rows:
        table.add_row(*map(str, row))
    Console(file=out, width=120).print(table)


def cmd_prepare(out: TextIO) -> int:
    """Build the embedded models' on-disk caches and say where they are."""
    from ..runtime.models import prepare

    for what, where in prepare().items():
        print(f"ready: {what}: {where}", file=out)
    return 0
