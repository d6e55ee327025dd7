"""The ``filter`` command of the ``chunkers`` command line (`chunkers.apps.cli`): keep the chunk records that
matter for a query (ChunkRAG, `chunkers.filtering`)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..core.chunk import Chunk
from ..filtering.scorers import SCORERS
from ..io.chunk_records import InputError, read_chunk_records

_DUPLICATE = re.compile(r"duplicate of chunk (\d+)")


def add_parser(sub: Any) -> None:
    """The ``filter`` subcommand."""
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
        choices=list(SCORERS),
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


def cmd_filter(args: argparse.Namespace, out: TextIO) -> int:
    """Score chunk records against the query; write the kept ones best first (JSONL or a table)."""
    from ..filtering.filter import ChunkFilter

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
