"""Embedding speed by batch size on this machine: the embedded all-MiniLM-L6-v2 (`chunkers.runtime.models.embed`)
on chunks cut from Chroma's wikitexts corpus, short (100-300 characters) and mixed (150-1,200), with 1 and 2 torch
threads, each thread count in a process of its own; the fastest of two runs per setting. What
``DEFAULT_EMBED_BATCH["cpu"]`` is chosen by.

    python -m benchmarks.embed_batch          # -> benchmarks/results/embed_batch.md and .json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from .paths import ROOT
from .report import heading, machine, measure_and_write, table

BATCHES = (4, 8, 16, 32, 64)
THREADS = (1, 2)
CHUNKS = {"short": (100, 200, 300), "mixed": (150, 300, 500, 800, 1200)}

WORKER = """
import json, random, sys, time
import torch
from benchmarks.paths import CHROMA_CORPORA
from chunkers.runtime.models import embed

torch.set_num_threads(int(sys.argv[1]))
text = (CHROMA_CORPORA / "wikitexts.md").read_text(encoding="utf-8")[:120_000]
rows = []
for kind, sizes in json.loads(sys.argv[2]).items():
    rng, chunks, at = random.Random(0), [], 0
    while at < len(text):
        size = rng.choice(sizes)
        chunks.append(text[at : at + size])
        at += size
    embed(chunks[:64])  # the model loaded and warm
    for batch in json.loads(sys.argv[3]):
        times = []
        for _ in range(2):
            start = time.perf_counter()
            embed(chunks, batch_size=batch)
            times.append(time.perf_counter() - start)
        rows.append({"chunks": kind, "count": len(chunks), "batch": batch, "seconds": min(times)})
print(json.dumps(rows))
"""


def run() -> dict[str, Any]:
    rows = []
    for threads in THREADS:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        result = subprocess.run([sys.executable, "-c", WORKER, str(threads), json.dumps(CHUNKS), json.dumps(BATCHES)],
                                capture_output=True, text=True, check=True, cwd=ROOT, env=env)  # fmt: skip
        rows += [{"threads": threads, **row} for row in json.loads(result.stdout.strip().splitlines()[-1])]
        print(rows[-1], flush=True)
    return {"machine": machine(), "rows": rows}


def markdown(report: dict[str, Any]) -> str:
    lines = heading("Embedding speed by batch size", __doc__, report)
    fastest: dict[tuple[int, str], float] = {}
    for r in report["rows"]:
        key = (r["threads"], r["chunks"])
        fastest[key] = min(fastest.get(key, r["seconds"]), r["seconds"])
    lines += table(["torch threads", "chunks", "count", "batch", "seconds", "x fastest"],
                   [[r["threads"], r["chunks"], r["count"], r["batch"], f"{r['seconds']:.2f}",
                     f"{r['seconds'] / fastest[(r['threads'], r['chunks'])]:.2f}"] for r in report["rows"]])  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    measure_and_write("embed_batch", __doc__, run, markdown)


if __name__ == "__main__":
    main()
