"""The ``chunkers`` command: chunk files or whole directories to JSONL, show a file's chunks, or filter chunks
against a query (ChunkRAG)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .base import BaseChunker
from .chunk import Chunk
from .files import FileResult, chunk_paths, iter_files
from .models import ModelNotInstalledError

PROSE_SUFFIXES = {".md", ".markdown", ".txt", ".rst", ".text", ""}


def _ast(max_size: int | None) -> BaseChunker:
    from .code import ASTChunker

    return ASTChunker(max_size=max_size or 1500)


def _sentence(max_size: int | None) -> BaseChunker:
    from .sentence_chunker import SentenceChunker

    return SentenceChunker(max_size=max_size or 1000)


def _record_chunker(max_size: int | None) -> BaseChunker:
    from .records import RecordChunker

    return RecordChunker(max_size=max_size or 1000)


def _perplexity(max_size: int | None, device: str | None = None, dtype: str | None = None) -> BaseChunker:
    from .perplexity import PerplexityChunker

    return PerplexityChunker(max_size=max_size or 1000, device=device, dtype=dtype)


# method name -> factory(max_size); "auto" picks "ast" for code files and PROSE_METHOD for the rest.
# MODEL_METHODS' factories also take device= and dtype= (None: chunkers.models picks).
MODEL_METHODS = {"ppl"}
METHODS: dict[str, Callable[..., BaseChunker]] = {
    "ast": _ast, "ppl": _perplexity, "records": _record_chunker, "sentence": _sentence,
}  # fmt: skip
PROSE_METHOD = "ppl"


def method_for(path: Path, method: str = "auto") -> str:
    """The method ``auto`` resolves to for ``path``: "records" for JSON Lines / CSV / TSV, "ast" for code and
    structured data by extension (JSON, YAML, TOML included), else the prose method."""
    if method != "auto":
        return method
    from .code import language_for_path
    from .records import RECORD_SUFFIXES

    if path.suffix.lower() in RECORD_SUFFIXES:
        return "records"

    is_code = path.suffix.lower() not in PROSE_SUFFIXES and language_for_path(path) not in (None, "markdown")
    return "ast" if is_code else PROSE_METHOD


@dataclass
class Router:
    """Picks (and caches) the chunker for each file; picklable, so it can run in worker processes."""

    method: str = "auto"
    max_size: int | None = None
    device: str | None = None
    dtype: str | None = None

    def __post_init__(self) -> None:
        if self.method != "auto" and self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from auto, {', '.join(sorted(METHODS))}")
        self._chunkers: dict[str, BaseChunker] = {}

    def __call__(self, path: Path) -> BaseChunker:
        name = method_for(path, self.method)
        if name not in self._chunkers:
            runtime = {"device": self.device, "dtype": self.dtype} if name in MODEL_METHODS else {}
            self._chunkers[name] = METHODS[name](self.max_size, **runtime)
        return self._chunkers[name]

    def __getstate__(self) -> dict[str, Any]:
        return {"method": self.method, "max_size": self.max_size, "device": self.device, "dtype": self.dtype}

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


def _file_results(files: list[Path], router: Router, args: argparse.Namespace) -> Any:
    """One `FileResult` per file, in order: from local processes, or from Ray (``--engine ray``)."""
    if args.engine == "ray":
        from .distributed import file_results

        if args.format == "parquet" and args.out is None:
            raise ValueError("--format parquet needs --out DIR (the folder Ray writes the Parquet files to)")
        parquet = args.out if args.format == "parquet" else None
        return file_results(files, args.method, args.max_size, address=args.address, workers=args.workers,
                            progress=args.progress, dataset_out=parquet)  # fmt: skip
    if args.format == "parquet" or args.address:
        raise ValueError("--format parquet and --address need --engine ray")
    return chunk_paths(files, router, workers=args.workers or 1)


def cmd_chunk(args: argparse.Namespace, out: TextIO) -> int:
    """Chunk every path; write JSONL (or a table); report skipped files and errors at the end."""
    import time

    router = Router(args.method, args.max_size, args.device, args.dtype)
    files = [f for p in args.paths for f in iter_files(p, respect_gitignore=not args.no_gitignore)]
    failures: list[FileResult] = []
    skipped: list[FileResult] = []
    summary: list[tuple[str, str, int, int, int]] = []
    started = time.perf_counter()
    local = args.engine == "local"  # Ray shows its own progress
    with _progress(len(files), local and args.progress and sys.stderr.isatty()) as progress:
        task = progress.add_task("chunk", total=len(files), rate="-")
        for done, result in enumerate(_file_results(files, router, args), start=1):
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
    chunks = Router(args.method, args.max_size, args.device, args.dtype)(path).chunk(text, file_path=str(path))
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


def cmd_prepare(out: TextIO) -> int:
    """Build the embedded models' on-disk caches and say where they are."""
    from .models import prepare

    for what, where in prepare().items():
        print(f"ready: {what}: {where}", file=out)
    return 0


class InputError(ValueError):
    """Bad chunks JSONL: the message names the input and the line."""


def _threshold(value: str) -> str | float | None:
    """``--threshold``: "dynamic", "none" or a number."""
    lowered = value.strip().lower()
    if lowered in ("dynamic", "none"):
        return None if lowered == "none" else "dynamic"
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'dynamic', 'none' or a number, got {value!r}") from None
    if number != number:  # NaN
        raise argparse.ArgumentTypeError("the threshold cannot be NaN")
    return number


def _count(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {number}")
        return number

    return parse


def read_chunk_records(lines: Any, name: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for every non-blank line of a chunks JSONL stream (as ``chunkers chunk``
    writes it; lines as ``str`` or UTF-8 ``bytes``); each record must be a JSON object with a string ``text``.
    Raises `InputError` naming the line."""
    from .base import validate_text

    records = []
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name} line {number}: not UTF-8 (byte {line[exc.start]:#x} at column {exc.start + 1})"
                ) from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise InputError(f"{name} line {number}: expected a JSON object, got {type(record).__name__}")
        if "text" not in record:
            raise InputError(f'{name} line {number}: the object has no "text" field')
        try:
            validate_text(record["text"])
        except (TypeError, ValueError) as exc:
            raise InputError(f'{name} line {number}: "text": {exc}') from None
        records.append((number, record))
    return records


def _where(record: dict[str, Any]) -> str:
    """A short location for a chunk record: ``file:start_line-end_line`` or ``file[start:end]``."""
    path = record.get("file_path") or "-"
    name = Path(str(path)).name if path != "-" else path
    if record.get("start_line") is not None:
        return f"{name}:{record['start_line']}-{record.get('end_line')}"
    if record.get("start") is not None:
        return f"{name}[{record['start']}:{record.get('end')}]"
    return name


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


_DUPLICATE = re.compile(r"duplicate of chunk (\d+)")


def cmd_filter(args: argparse.Namespace, out: TextIO) -> int:
    """Score chunk records against the query; write the kept ones best first (JSONL or a table)."""
    from .filtering import ChunkFilter

    if not args.query.strip():
        raise InputError("--query must not be empty")
    if args.file is None or str(args.file) == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("no input: pass a chunks JSONL file or pipe one into stdin")
        records = read_chunk_records(getattr(sys.stdin, "buffer", sys.stdin), "<stdin>")
    else:
        with Path(args.file).open("rb") as stream:
            records = read_chunk_records(stream, str(args.file))
    chunk_filter = ChunkFilter(
        scorer=args.scorer,
        llm=args.llm,
        threshold=args.threshold,
        top_k=args.top_k,
        min_keep=args.min_keep,
        dedup_similarity=None if args.no_dedup else args.dedup_similarity,
    )
    # Offsets in the input refer to the original files; the filter only needs the text (and the position).
    chunks = [Chunk.from_span(r["text"], 0, len(r["text"]), position=i) for i, (_, r) in enumerate(records)]
    kept = chunk_filter.filter(args.query, chunks) if chunks else []
    line_of = [number for number, _ in records]
    dropped = [
        (
            line_of[d.chunk.metadata["position"]],
            records[d.chunk.metadata["position"]][1],
            d.score,
            _DUPLICATE.sub(lambda m: f"duplicate of line {line_of[int(m.group(1))]}", d.reason),
        )
        for d in chunk_filter.last_dropped
    ]
    results = [
        (line_of[sc.chunk.metadata["position"]], records[sc.chunk.metadata["position"]][1], sc.score, sc.flags)
        for sc in kept
    ]
    if args.format == "table":
        _print_filter_table(results, dropped if args.show_dropped else [], args.query, out)
    else:
        for _, record, score, flags in results:
            out.write(json.dumps({**record, "relevance_score": score, "flags": list(flags)}, ensure_ascii=False))
            out.write("\n")
        if args.show_dropped:
            for number, record, score, reason in dropped:
                shown = "-" if score is None else f"{score:.4f}"
                print(f"dropped line {number} ({_where(record)}), score {shown}: {reason}", file=sys.stderr)
    print(f"kept {len(results)} of {len(records)} chunks (scorer {args.scorer})", file=sys.stderr)
    return 0


def _print_filter_table(
    kept: Sequence[tuple[int, dict[str, Any], float, list[str]]],
    dropped: Sequence[tuple[int, dict[str, Any], float | None, str]],
    query: str,
    out: TextIO,
    width: int = 140,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    rows: list[tuple[tuple[str, ...], str, str | None]] = []  # (cells but the text, text, style)
    for rank, (number, record, score, flags) in enumerate(kept, start=1):
        status = "kept" + (f" ({', '.join(flags)})" if flags else "")
        rows.append(((str(rank), f"{score:.4f}", str(number), _where(record), status), record["text"], None))
    for number, record, score, reason in dropped:
        shown = "-" if score is None else f"{score:.4f}"
        rows.append((("", shown, str(number), _where(record), f"dropped: {reason}"), record["text"], "dim"))
    columns = ("rank", "score", "line", "where", "status")
    widths = [max([len(column)] + [len(cells[i]) for cells, _, _ in rows]) for i, column in enumerate(columns)]
    text_width = max(20, width - sum(w + 3 for w in widths) - 4)  # each column: padding 2 + border 1
    table = Table(title=Text(f"chunks for: {_preview(query, 80)}"))
    for index, (column, widest) in enumerate(zip(columns, widths)):
        table.add_column(column, justify="right" if index < 3 else "left", no_wrap=True, min_width=widest)
    table.add_column("text", no_wrap=True)
    for cells, text, style in rows:  # Text(...): chunk text is never read as rich markup
        table.add_row(*map(Text, (*cells, _preview(text, text_width))), style=style)
    Console(file=out, width=width).print(table)


def _add_runtime_arguments(parser: argparse.ArgumentParser) -> None:
    """--device and --dtype for the model-driven methods (default: chosen by chunkers.models)."""
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N or mps (default: CUDA, then MPS, then CPU)")
    dtypes = ["float32", "bfloat16", "float16"]
    parser.add_argument("--dtype", choices=dtypes, default=None, help="default: bf16/fp16 on GPU, fp32 on CPU")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chunkers", description="Structure-aware chunking for RAG.")
    sub = parser.add_subparsers(dest="command", required=True)
    methods = ["auto", *sorted(METHODS)]

    chunk = sub.add_parser("chunk", help="chunk files or directories to JSONL")
    chunk.add_argument("paths", nargs="+", type=Path)
    chunk.add_argument("--method", choices=methods, default="auto", help="auto: ast for code, prose chunker else")
    chunk.add_argument("--max-size", type=int, default=None, help="largest chunk (each method's own unit)")
    chunk.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    chunk.add_argument("--format", choices=["jsonl", "table", "parquet"], default="jsonl", help="parquet: Ray only")
    chunk.add_argument("--workers", type=int, default=None, help="parallel processes (default 1; Ray: all CPUs)")
    chunk.add_argument("--engine", choices=["local", "ray"], default="local", help="ray: a Ray Data pipeline")
    chunk.add_argument("--address", default=None, help="Ray cluster (host:port, auto); default: a local Ray")
    chunk.add_argument("--no-gitignore", action="store_true", help="also chunk gitignored files")
    chunk.add_argument("--no-progress", dest="progress", action="store_false")
    _add_runtime_arguments(chunk)

    show = sub.add_parser("show", help="print a file with its chunk boundaries coloured")
    show.add_argument("file")
    show.add_argument("--method", choices=methods, default="auto")
    show.add_argument("--max-size", type=int, default=None)
    show.add_argument("--color", action="store_true", default=None, help="force colours")
    _add_runtime_arguments(show)

    filt = sub.add_parser(
        "filter",
        help="keep the chunks (JSONL from `chunkers chunk`) that matter for a query, best first",
        description="Score chunk records against a query (ChunkRAG): drop near-duplicates and weak chunks, "
        'write the kept ones best first with "relevance_score" and "flags" added.',
    )
    filt.add_argument("file", nargs="?", default=None, help="chunks JSONL (default, or '-': stdin)")
    filt.add_argument("--query", "-q", required=True, help="the question the chunks are for")
    filt.add_argument(
        "--scorer",
        choices=["embedding", "local", "llm"],
        default="embedding",
        help="embedding: MiniLM cosine similarity (default; measured to raise precision); local: the embedded "
        "SmolLM2's P(yes) (measured to lower it); llm: ChunkRAG's LLM scoring with --llm",
    )
    filt.add_argument(
        "--llm",
        choices=["local"],
        default=None,
        help="the LLM for --scorer llm: 'local' is the embedded SmolLM2-135M (an offline demo, too small to judge "
        "relevance well; from Python, pass any LlamaIndex/LangChain LLM)",
    )
    filt.add_argument(
        "--threshold",
        type=_threshold,
        default="dynamic",
        metavar="dynamic|none|FLOAT",
        help="dynamic (cut at the largest score gap, default), none, or a minimum score",
    )
    filt.add_argument("--top-k", type=_count(1), default=None, metavar="N", help="keep at most N chunks")
    filt.add_argument("--min-keep", type=_count(0), default=1, metavar="N", help="always keep the best N (default 1)")
    filt.add_argument(
        "--dedup-similarity",
        type=float,
        default=0.9,
        metavar="FLOAT",
        help="drop a chunk whose MiniLM similarity to an earlier kept one exceeds this (default 0.9)",
    )
    filt.add_argument("--no-dedup", action="store_true", help="keep near-duplicate chunks")
    filt.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    filt.add_argument("--format", choices=["jsonl", "table"], default="jsonl")
    filt.add_argument(
        "--show-dropped", action="store_true", help="also report the dropped chunks and why (stderr; table: in it)"
    )
    sub.add_parser(
        "prepare",
        help="build the embedded models' caches now (SmolLM2 conversion, int8 export), e.g. in a Docker image",
    )
    from .evaluation.cli import add_parser as add_eval_parser

    add_eval_parser(sub)
    return parser


@contextlib.contextmanager
def _atomic_output(path: Path) -> Iterator[TextIO]:
    """A file that appears at ``path`` only if the command finishes: a failed run leaves no empty or partial file
    (and an earlier file at ``path`` untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yield out
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chunkers`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("chunk", "filter"):
            command = cmd_chunk if args.command == "chunk" else cmd_filter
            if args.out is None or args.format == "parquet":  # parquet: --out is the folder Ray writes
                return command(args, sys.stdout)
            with _atomic_output(args.out) as out:
                return command(args, out)
        if args.command == "eval":
            from .evaluation.cli import run as cmd_eval

            return cmd_eval(args)
        if args.command == "prepare":
            return cmd_prepare(sys.stdout)
        return cmd_show(args, sys.stdout)
    except (OSError, ValueError, ModelNotInstalledError) as exc:  # FileNotFoundError, UnicodeDecodeError, ...
        print(f"chunkers: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
