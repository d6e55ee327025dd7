"""The ``chunkers`` command: ``chunk`` files or folders to JSONL (or a table, or Parquet on Ray), ``show`` a file's
chunks, ``filter`` chunks against a query, ``eval`` chunkers on your data, ``prepare`` the models' caches.

The commands live beside it: `chunkers.apps.cli_chunk` (chunk, prepare), `chunkers.apps.cli_show` (show),
`chunkers.apps.cli_filter` (filter), `chunkers.apps.evaluation.cli` (eval); which chunker a file gets is
`chunkers.apps.routing`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from ..runtime.policy import ModelNotInstalledError
from . import cli_chunk, cli_filter, cli_show


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from .evaluation.cli import add_parser as add_eval_parser

    parser = argparse.ArgumentParser(prog="chunkers", description="Structure-aware chunking for RAG.")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_chunk.add_parsers(sub)
    cli_show.add_parser(sub)
    cli_filter.add_parser(sub)
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
            command = cli_chunk.cmd_chunk if args.command == "chunk" else cli_filter.cmd_filter
            if args.out is None or args.format == "parquet":  # parquet: --out is the folder Ray writes
                return command(args, sys.stdout)
            with _atomic_output(args.out) as out:
                return command(args, out)
        if args.command == "eval":
            from .evaluation.cli import run as cmd_eval

            return cmd_eval(args)
        if args.command == "prepare":
            return cli_chunk.cmd_prepare(sys.stdout)
        return cli_show.cmd_show(args, sys.stdout)
    except (OSError, ValueError, ModelNotInstalledError) as exc:  # FileNotFoundError, UnicodeDecodeError, ...
        print(f"chunkers: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
