"""What every benchmark's report shares: the machine it ran on (speed depends on it), Markdown tables, and writing
``<stem>.md`` beside ``<stem>.json`` in the results folder."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .paths import ROOT


def cpu_model() -> str:
    """The CPU's model name (``lscpu``; the platform's processor where there is none)."""
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or platform.machine()


def machine() -> str:
    """The machine in words: CPU model, logical CPUs and torch's threads (when torch is installed)."""
    try:
        import torch

        threads = f", torch threads {torch.get_num_threads()}"
    except ImportError:
        threads = ""
    return f"CPU {cpu_model()}, {os.cpu_count()} logical CPUs{threads}"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A Markdown table's lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]


def write(out: Path, stem: str, markdown: str, data: Any) -> None:
    """``out/<stem>.md`` (the report) and ``out/<stem>.json`` (its data), ``out`` made if missing."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(markdown.rstrip("\n") + "\n", encoding="utf-8")
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")


def heading(title: str, doc: str, report: dict[str, Any]) -> list[str]:
    """A report's first lines: ``title``, the first paragraph of the benchmark's docstring and the machine."""
    return [f"# {title}", "", doc.split("\n\n")[0].replace("\n", " "), "", f"Machine: {report['machine']}.", ""]


def measure_and_write(
    stem: str, doc: str, run: Callable[[], dict[str, Any]], markdown: Callable[[dict[str, Any]], str]
) -> None:
    """The command line of a benchmark measured in one ``run``: ``--out`` (default benchmarks/results) gets
    ``<stem>.md`` (``markdown`` of the report) and ``<stem>.json``; the report is printed too."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{stem}", description=doc.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    out = parser.parse_args().out
    report = run()
    write(out, stem, markdown(report), report)
    print(markdown(report))
