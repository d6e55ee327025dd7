"""Perplexity chunking speed: rag-chunkers' PerplexityChunker beside lmchunker (the Meta-Chunking authors'
package) and the bare forward pass over the same tokens, with the same model (the embedded SmolLM2-135M,
float32, CPU) on the same real prose (the chroma-general corpora, concatenated to 10 KB, 100 KB and 1 MB).
Every (implementation, size) runs in a fresh process, so peak RSS is its own.

    python -m benchmarks.perplexity_speed [--sizes 10000 100000 1000000] [--out benchmarks/results]

lmchunker runs from its own venv (see benchmarks/lmchunker_worker.py), with this project's sentence splitter
(NLTK punkt cannot be downloaded offline): the same sentences for both chunkers; the timed part is the model work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from .lmchunker_worker import PYTHON as LMCHUNKER_PYTHON

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RAG_CHUNKERS_DATA", ROOT.parent / "shared" / "data")) / "chroma-general" / "corpora"


def prose(size: int) -> str:
    """``size`` characters of real prose: the corpora concatenated (and repeated if needed), cut at a space."""
    corpus = "\n\n".join((DATA / name).read_text(encoding="utf-8") for name in ("wikitexts.md", "pubmed.md", "chatlogs.md"))
    text = (corpus * (size // len(corpus) + 1))[:size]
    return text[: text.rfind(" ")]


def _worker(implementation: str, size: int) -> dict:
    sys.path.insert(0, str(ROOT / "shared"))
    import torch

    text = prose(size)
    if implementation == "lmchunker":
        from .lmchunker_worker import load

        chunker, model, tokenizer = load()
        tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with torch.no_grad():
            chunks = chunker(text, model, tokenizer, "en", "ppl", threshold=0, dynamic_merge="no")
        seconds = time.perf_counter() - started
        count = len(chunks)
    else:
        from chunkers.models import smollm2_dir
        from chunkers.perplexity import PerplexityChunker

        chunker = PerplexityChunker(model=str(smollm2_dir()), max_size=1000)
        model, tokenizer = chunker._model()
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        tokens = len(ids)
        chunker.chunk("Warm up. The model is loaded.")
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if implementation == "ours":
            count = len(chunker.chunk(text))
        else:  # the bare forward pass: the same windows and batches, no carried context, no bookkeeping
            decoder, head = model.get_decoder(), model.get_output_embeddings()
            windows = [ids[i : i + chunker.window_tokens] for i in range(0, len(ids), chunker.window_tokens)]
            full, last = windows[:-1], windows[-1:]  # equal lengths share a batch, as in the chunker: no padding
            batches = [full[i : i + chunker.batch_size] for i in range(0, len(full), chunker.batch_size)] + [last]
            with torch.inference_mode():
                for batch in batches:
                    width = max(map(len, batch))
                    input_ids = torch.zeros((len(batch), width), dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, window in enumerate(batch):
                        input_ids[row, : len(window)] = torch.tensor(window)
                        mask[row, : len(window)] = 1
                    hidden = decoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
                    for row in range(len(batch)):
                        for piece in range(0, width, 512):
                            head(hidden[row, piece : piece + 512])
            count = 0
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"implementation": implementation, "chars": len(text), "tokens": tokens, "seconds": seconds,
            "tokens_per_s": tokens / seconds, "rss_before_mib": base / 1024, "peak_rss_mib": peak / 1024, "chunks": count}  # fmt: skip


def run_one(implementation: str, size: int, timeout: float) -> dict:
    python = str(LMCHUNKER_PYTHON) if implementation == "lmchunker" else sys.executable
    command = [python, "-m", "benchmarks.perplexity_speed", "--worker", implementation, str(size)]
    from chunkers.models import smollm2_dir

    env = {**os.environ, "SMOLLM2_DIR": str(smollm2_dir())}  # lmchunker's venv lacks the model wheel
    try:
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"implementation": implementation, "chars": size, "error": f"did not finish within {timeout:.0f} s"}
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"implementation": implementation, "chars": size, "error": last[:300]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(rows: list[dict]) -> str:
    lines = [
        "# Perplexity chunking speed",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads (torch default: all), CPython "
        f"{platform.python_version()}; model: the embedded SmolLM2-135M-Instruct, float32, CPU; text: real prose "
        "(chroma-general corpora). rag-chunkers: windows of 1024 tokens with 256 tokens of carried context, 4 "
        "equal-length windows per batch. Bare forward pass: the token stream in consecutive windows of 1024 without carried context, batched the same way, decoder + LM head only.",
        "",
        "| size (chars) | implementation | tokens | seconds | tokens/s | x bare forward | x lmchunker | RSS before (MiB) | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sorted({r["chars"] for r in rows if "error" not in r} | {r["chars"] for r in rows}):
        group = [r for r in rows if r["chars"] == size or (r.get("error") and r["chars"] == size)]
        bare = next((r for r in group if r["implementation"] == "bare-forward" and "error" not in r), None)
        lmc = next((r for r in group if r["implementation"] == "lmchunker" and "error" not in r), None)
        for r in group:
            if "error" in r:
                lines.append(f"| {size} | {r['implementation']} | | | | | | | {r['error']} |")
                continue
            vs_bare = f"{r['seconds'] / bare['seconds']:.2f}" if bare else ""
            vs_lmc = f"{lmc['seconds'] / r['seconds']:.2f}x faster" if lmc and r is not lmc else ""
            lines.append(
                f"| {size} | {r['implementation']} | {r['tokens']} | {r['seconds']:.2f} | {r['tokens_per_s']:.0f} | "
                f"{vs_bare} | {vs_lmc} | {r['rss_before_mib']:.0f} | {r['peak_rss_mib']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("IMPLEMENTATION", "SIZE"))
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--implementations", nargs="+", default=["bare-forward", "ours", "lmchunker"])
    parser.add_argument("--append", action="store_true", help="add to the existing results instead of replacing them")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker[0], int(args.worker[1]))))
        return
    results = args.out / "perplexity_speed.json"
    rows = json.loads(results.read_text(encoding="utf-8")) if args.append and results.exists() else []
    for size in args.sizes:
        for implementation in args.implementations:
            rows.append(run_one(implementation, size, args.timeout))
            print(rows[-1], file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    (args.out / "perplexity_speed.md").write_text(report(rows), encoding="utf-8")
    print(report(rows))


if __name__ == "__main__":
    main()
