"""``python -m benchmarks run --suite quick|full [--out DIR] [--only NAME ...]``: the retrieval benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path

from .retrieval_bench import ROOT, SUITES, run

parser = argparse.ArgumentParser(prog="python -m benchmarks")
sub = parser.add_subparsers(dest="command", required=True)
command = sub.add_parser("run", help="chunk, embed, retrieve and score every chunker")
command.add_argument("--suite", choices=sorted(SUITES), default="quick")
command.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
command.add_argument("--only", nargs="+", help="only the chunkers whose name contains one of these strings")
args = parser.parse_args()
run(args.suite, args.out, args.only)
