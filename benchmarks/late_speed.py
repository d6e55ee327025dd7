"""Late chunking's speed against plain chunk embedding of the same chunks, same model, same device: the documents of
the structured suites chunked by DocumentChunker, then (a) every chunk's text through the embedding model, (b) every
document through `chunkers.context.LateChunkingEmbedder` in windows, each chunk's vector pooled from its tokens.
Both after a warm-up pass; the best of ``--repeat`` runs; chars/s of document text.

    python -m benchmarks.late_speed                                   # -> benchmarks/results/late_speed.md / .json
    python -m benchmarks.late_speed --device cuda --out $OUT          # the GPU command (device tool)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .paths import ROOT
from .report import machine, write
from .structured_suites import load

OUT = ROOT / "benchmarks" / "results"


def best_seconds(run: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(suite_name: str, max_size: int, device: str | None, repeat: int) -> dict[str, Any]:
    from chunkers import DocumentChunker
    from chunkers.context import LateChunkingEmbedder

    suite = load(suite_name)
    if suite.corpus is None:
        return {"suite": suite_name, "missing": suite.missing}
    texts = [d.text for d in suite.corpus.documents]
    chunker = DocumentChunker(max_size=max_size, context_in_budget=False)
    chunk_lists = chunker.chunk_many(texts)
    pieces = [c.text for chunks in chunk_lists for c in chunks]
    late = LateChunkingEmbedder(device=device)
    late.embed_many(texts[:2], chunk_lists[:2])  # warm-up: the model loaded, the kernels chosen
    late.embed_documents(pieces[:64])
    plain_s = best_seconds(lambda: late.embed_documents(pieces), repeat)
    late_s = best_seconds(lambda: late.embed_many(texts, chunk_lists), repeat)
    chars = sum(map(len, texts))
    row = {"suite": suite_name, "documents": len(texts), "chars": chars, "chunks": len(pieces),
           "max_size": max_size, "device": str(late.encoder.device), "plain_s": plain_s, "late_s": late_s,
           "plain_chars_per_s": chars / plain_s, "late_chars_per_s": chars / late_s,
           "late_x_plain": plain_s / late_s}  # fmt: skip
    print(row, flush=True)
    return row


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Late chunking: speed against plain chunk embedding", "", __doc__.split("\n\n")[0].replace("\n", " "),
             "", f"Machine: {report['machine']}; device {report['device']}; torch threads {report['threads']}.", "",
             "| suite | documents | chars | chunks (max_size) | plain chars/s | late chars/s | late x plain |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in report["rows"]:
        if "missing" in r:
            lines.append(f"| {r['suite']} | missing: {r['missing']} | | | | | |")
            continue
        lines.append(
            f"| {r['suite']} | {r['documents']} | {r['chars']:,} | {r['chunks']:,} ({r['max_size']}) | "
            f"{r['plain_chars_per_s']:,.0f} | {r['late_chars_per_s']:,.0f} | {r['late_x_plain']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=["wikitexts-md", "doc2dial", "pubmed-md"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[300, 1000])
    parser.add_argument("--device", default=None, help="cpu, cuda, mps; default: the runtime's choice")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = [measure(s, size, args.device, args.repeat) for s in args.suites for size in args.sizes]
    device = next((r["device"] for r in rows if "device" in r), "none")
    report = {"machine": machine(), "device": device, "threads": torch.get_num_threads(), "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "late_speed" if device == "cpu" else f"late_speed_{device.split(':')[0]}"
    write(args.out, f"{stem}", markdown(report), report)
    print(f"wrote {args.out / stem}.md")
    return report


if __name__ == "__main__":
    main()
