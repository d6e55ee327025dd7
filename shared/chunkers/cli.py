"""The ``chunkers`` command: chunk files or whole directories to JSONL, or show a file's chunks."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .base import BaseChunker
from .files import FileResult, chunk_paths, iter_files

PROSE_SUFFIXES = {".md", ".markdown", ".txt", ".rst", ".text", ""}


def _ast(max_size: int | None) -> BaseChunker:
    from .code import ASTChunker

    return ASTChunker(max_size=max_size or 1500)


def _sentence(max_size: int | None) -> BaseChunker:
    from .sentence_chunker import SentenceChunker

    return SentenceChunker(max_size=max_size or 1000)


def _perplexity(max_size: int | None) -> BaseChunker:
    from .perplexity import PerplexityChunker

    return PerplexityChunker(max_size=max_size or 1000)


# method name -> factory(max_size); "auto" picks "ast" for code files and PROSE_METHOD for the rest.
METHODS: dict[str, Callable[[int | None], BaseChunker]] = {"ast": _ast, "ppl": _perplexity, "sentence": _sentence}
PROSE_METHOD = "ppl"


def method_for(path: Path, method: str = "auto") -> str:
    """The method ``auto`` resolves to for ``path``: "ast" for code by extension, else the prose method."""
    if method != "auto":
        return method
    from .code import language_for_path

    is_code = path.suffix.lower() not in PROSE_SUFFIXES and language_for_path(path) not in (None, "markdown")
    return "ast" if is_code else PROSE_METHOD


@dataclass
class Router:
    """Picks (and caches) the chunker for each file; picklable, so it can run in worker processes."""

    method: str = "auto"
    max_size: int | None = None

    def __post_init__(self) -> None:
        if self.method != "auto" and self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from auto, {', '.join(sorted(METHODS))}")
        self._chunkers: dict[str, BaseChunker] = {}

    def __call__(self, path: Path) -> BaseChunker:
        name = method_for(path, self.method)
        if name not in self._chunkers:
            self._chunkers[name] = METHODS[name](self.max_size)
        return self._chunkers[name]

    def __getstate__(self) -> dict[str, Any]:
        return {"method": self.method, "max_size": self.max_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


def _records(result: FileResult, method: str) -> list[dict[str, Any]]:
    return [
        {
            "file_path": str(result.path),
            "text": chunk.text,
            "start": chunk.start,
            "end": chunk.end,
            "start_line": chunk.metadata.get("start_line"),
            "end_line": chunk.metadata.get("end_line"),
            "method": method,
            "metadata": {k: v for k, v in chunk.metadata.items() if k not in {"file_path", "start_line", "end_line"}},
        }
        for chunk in result.chunks
    ]


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


def cmd_chunk(args: argparse.Namespace, out: TextIO) -> int:
    """Chunk every path; write JSONL (or a table); report skipped files and errors at the end."""
    import time

    router = Router(args.method, args.max_size)
    files = [f for p in args.paths for f in iter_files(p, respect_gitignore=not args.no_gitignore)]
    failures: list[FileResult] = []
    skipped: list[FileResult] = []
    summary: list[tuple[str, str, int, int, int]] = []
    started = time.perf_counter()
    with _progress(len(files), args.progress and sys.stderr.isatty()) as progress:
        task = progress.add_task("chunk", total=len(files), rate="-")
        for done, result in enumerate(chunk_paths(files, router, workers=args.workers), start=1):
            method = method_for(result.path, args.method)
            if result.error:
                failures.append(result)
            elif result.skipped:
                skipped.append(result)
            elif args.format == "jsonl":
                for record in _records(result, method):
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                sizes = [len(c.text) for c in result.chunks]
                mean = sum(sizes) // max(len(sizes), 1)
                summary.append((str(result.path), method, len(sizes), mean, max(sizes, default=0)))
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, advance=1, rate=f"{rate:.1f}")
    if args.format == "table":
        _print_table(summary, out)
    for result in skipped:
        print(f"skipped {result.path}: {result.skipped}", file=sys.stderr)
    for result in failures:
        print(f"error   {result.path}: {result.error}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} of {len(files)} files failed", file=sys.stderr)
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


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    """Print a file with each chunk in its own colour, so a person sees where the boundaries are."""
    from rich.console import Console
    from rich.text import Text

    path = Path(args.file)
    text = path.read_text(encoding="utf-8")
    chunks = Router(args.method, args.max_size)(path).chunk(text, file_path=str(path))
    colours = ["cyan", "magenta", "green", "yellow", "blue", "red"]
    rendered = Text()
    position = 0
    for index, chunk in enumerate(chunks):
        rendered.append(text[position : chunk.start])
        rendered.append(f"⟦{index}⟧", style="bold reverse")
        rendered.append(chunk.text, style=colours[index % len(colours)])
        position = chunk.end
    rendered.append(text[position:])
    Console(file=out, force_terminal=args.color, width=120).print(rendered)
    print(f"{len(chunks)} chunks, method {method_for(path, args.method)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chunkers", description="Structure-aware chunking for RAG.")
    sub = parser.add_subparsers(dest="command", required=True)
    methods = ["auto", *sorted(METHODS)]

    chunk = sub.add_parser("chunk", help="chunk files or directories to JSONL")
    chunk.add_argument("paths", nargs="+", type=Path)
    chunk.add_argument("--method", choices=methods, default="auto", help="auto: ast for code, prose chunker else")
    chunk.add_argument("--max-size", type=int, default=None, help="largest chunk (each method's own unit)")
    chunk.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    chunk.add_argument("--format", choices=["jsonl", "table"], default="jsonl")
    chunk.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    chunk.add_argument("--no-gitignore", action="store_true", help="also chunk gitignored files")
    chunk.add_argument("--no-progress", dest="progress", action="store_false")

    show = sub.add_parser("show", help="print a file with its chunk boundaries coloured")
    show.add_argument("file")
    show.add_argument("--method", choices=methods, default="auto")
    show.add_argument("--max-size", type=int, default=None)
    show.add_argument("--color", action="store_true", default=None, help="force colours")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chunkers`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "chunk":
            if args.out is None:
                return cmd_chunk(args, sys.stdout)
            with args.out.open("w", encoding="utf-8") as out:
                return cmd_chunk(args, out)
        return cmd_show(args, sys.stdout)
    except (FileNotFoundError, ValueError, UnicodeDecodeError) as exc:
        print(f"chunkers: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
