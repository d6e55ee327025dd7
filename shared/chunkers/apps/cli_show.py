"""The ``show`` command of the ``chunkers`` command line (`chunkers.apps.cli`): a file printed with its chunk
boundaries coloured."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from ..io.files import FILE_READ_SUFFIXES
from .cli_chunk import METHOD_HELP, add_runtime_arguments, file_text, max_size_help
from .routing import METHODS, Router


def add_parser(sub: Any) -> None:
    """The ``show`` subcommand."""
    show = sub.add_parser("show", help="print a file with its chunk boundaries (and section paths) coloured")
    show.add_argument("file")
    show.add_argument("--method", choices=["auto", *sorted(METHODS)], default="auto", help=METHOD_HELP)
    show.add_argument("--max-size", type=int, default=None, help=max_size_help())
    show.add_argument("--color", action="store_true", default=None, help="force colours")
    add_runtime_arguments(show)


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    """Print a file with each chunk in its own colour, so a person sees where the boundaries are; a chunk of a
    structured document is labelled with its section path. A PDF is shown as the text its chunks index (its pages
    joined, as Markdown)."""
    from rich.console import Console
    from rich.text import Text

    path = Path(args.file)
    router = Router(args.method, args.max_size, args.device, args.dtype, args.quantize, args.password)
    method, chunker = router(path)
    if path.suffix.lower() in FILE_READ_SUFFIXES:  # a PDF, read once: its joined text and its chunks
        assembled = chunker.assemble_file(path)  # type: ignore[attr-defined]
        text, chunks = assembled.text, chunker.chunk_assembled(assembled, file_path=str(path))  # type: ignore[attr-defined]
    else:
        text = file_text(path)
        chunks = chunker.chunk(text, file_path=str(path))
    colours = ["cyan", "magenta", "green", "yellow", "blue", "red"]
    rendered = Text()
    position = 0
    for index, chunk in enumerate(chunks):
        rendered.append(text[position : chunk.start])
        trail = chunk.metadata.get("header_path")
        label = f"⟦{index}" + (f" · {' > '.join(map(str, trail))}" if trail else "") + "⟧"
        rendered.append(label, style="bold reverse")
        rendered.append(chunk.text, style=colours[index % len(colours)])
        position = chunk.end
    rendered.append(text[position:])
    Console(file=out, force_terminal=args.color, width=120).print(rendered)
    print(f"{len(chunks)} chunks, method {method}", file=sys.stderr)
    return 0
