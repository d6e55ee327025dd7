"""Perplexity chunking speed: rag-chunkers' PerplexityChunker (float32 and int8 on CPU; the device's default
precision on a GPU) beside lmchunker (the Meta-Chunking authors' package) and the bare float32 forward pass
over the same tokens, with the same model (the embedded SmolLM2-135M) on the same real prose (the
chroma-general corpora, concatenated to 10 KB, 100 KB and 1 MB). Every (implementation, size) runs in a fresh
process, so peak RSS (and peak GPU memory) is its own; the implementations alternate size by size, so a
shared machine's load falls on all of them alike.

    python -m benchmarks.perplexity_speed [--sizes 10000 100000] [--device cpu|cuda] [--out benchmarks/results]
    python -m benchmarks.perplexity_speed --agreement   # boundary F1 of int8 / other batching vs float32

lmchunker runs from its own venv (see benchmarks/lmchunker_worker.py), with this project's sentence splitter
(NLTK punkt cannot be downloaded offline): the same sentences for both chunkers; the timed part is the model work.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from .lmchunker_worker import PYTHON as LMCHUNKER_PYTHON
from .paths import CHROMA_CORPORA, ROOT
from .report import write

DATA = CHROMA_CORPORA


def prose(size: int) -> str:
    """``size`` characters of real prose: the corpora concatenated (and repeated if needed), cut at a space."""
    corpus = "\n\n".join(
        (DATA / name).read_text(encoding="utf-8") for name in ("wikitexts.md", "pubmed.md", "chatlogs.md")
    )
    text = (corpus * (size // len(corpus) + 1))[:size]
    return text[: text.rfind(" ")]


# implementation -> PerplexityChunker options (the bare forward pass and lmchunker are special-cased)
OURS = {"ours": {"dtype": "float32", "quantize": "none"}, "ours-int8": {"quantize": "int8"}, "ours-auto": {}}


def _worker(implementation: str, size: int, device: str) -> dict:
    sys.path.insert(0, str(ROOT / "shared"))
    import torch

    text = prose(size)
    on_gpu = device.startswith("cuda")
    profile: dict[str, float] = {}
    if implementation == "lmchunker":
        from .lmchunker_worker import load

        chunker, model, tokenizer = load()
        tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with torch.no_grad():
            chunks = chunker(text, model, tokenizer, "en", "ppl", threshold=0, dynamic_merge="no")
        seconds = time.perf_counter() - started
        count, runtime = len(chunks), "lmchunker, float32, cpu"
    else:
        from chunkers.prose import perplexity, perplexity_scores
        from chunkers.runtime import losses as lm_losses
        from chunkers.runtime.models import smollm2_dir

        options = OURS.get(implementation, {"dtype": "float32", "quantize": "none"})
        if on_gpu:  # the GPU runs in the device's default precision (bfloat16 where supported)
            options = {"quantize": "none"}
        chunker = perplexity.PerplexityChunker(model=str(smollm2_dir()), max_size=1000, device=device, **options)
        model, tokenizer = chunker.scorer.lm.load()
        runtime = str(chunker.runtime)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        tokens = len(ids)
        chunker.chunk("Warm up. The model is loaded.")
        if on_gpu:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if implementation.startswith("ours"):
            real = lm_losses.token_losses

            def timed(*args: object, **kwargs: object) -> object:
                begun = time.perf_counter()
                try:
                    return real(*args, **kwargs)
                finally:
                    profile["model_s"] = profile.get("model_s", 0.0) + time.perf_counter() - begun

            perplexity_scores.token_losses = timed  # the model's share of the run; the rest is Python-side work
            count = len(chunker.chunk(text))
            perplexity_scores.token_losses = real
        else:  # the bare forward pass: the same windows and batches, no carried context, no bookkeeping
            decoder, head = model.get_decoder(), model.get_output_embeddings()
            rows = max(1, chunker.runtime.batch_tokens // (chunker.window_tokens + chunker.context_tokens))
            windows = [ids[i : i + chunker.window_tokens] for i in range(0, len(ids), chunker.window_tokens)]
            full, last = windows[:-1], windows[-1:]  # equal lengths share a batch, as in the chunker: no padding
            batches = [full[i : i + rows] for i in range(0, len(full), rows)] + [last]
            target = next(model.parameters()).device
            with torch.inference_mode():
                for batch in batches:
                    width = max(map(len, batch))
                    input_ids = torch.zeros((len(batch), width), dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, window in enumerate(batch):
                        input_ids[row, : len(window)] = torch.tensor(window)
                        mask[row, : len(window)] = 1
                    hidden = decoder(input_ids=input_ids.to(target), attention_mask=mask.to(target)).last_hidden_state
                    for row in range(len(batch)):
                        for piece in range(0, width, 512):
                            head(hidden[row, piece : piece + 512])
            count = 0
        if on_gpu:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row = {"implementation": implementation, "chars": len(text), "tokens": tokens, "seconds": seconds,
           "tokens_per_s": tokens / seconds, "rss_before_mib": base / 1024, "peak_rss_mib": peak / 1024,
           "chunks": count, "runtime": runtime, "device": device}  # fmt: skip
    if "model_s" in profile:
        row["python_share"] = 1 - profile["model_s"] / seconds
    if on_gpu:
        row["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
        row["gpu"] = torch.cuda.get_device_name()
    return row


def run_one(implementation: str, size: int, timeout: float, device: str = "cpu") -> dict:
    python = str(LMCHUNKER_PYTHON) if implementation == "lmchunker" else sys.executable
    command = [python, "-m", "benchmarks.perplexity_speed", "--worker", implementation, str(size), "--device", device]
    from chunkers.runtime.models import smollm2_dir

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
    gpu = next((r["gpu"] for r in rows if "gpu" in r), None)
    lines = [
        "# Perplexity chunking speed",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads (torch default: all), CPython "
        f"{platform.python_version()}{f', GPU: {gpu}' if gpu else ''}; model: the embedded SmolLM2-135M-Instruct; "
        "text: real prose (chroma-general corpora). rag-chunkers: windows of 1024 tokens with 256 tokens of carried "
        "context, batches of the device's token budget (CPU: 5120 tokens = 4 windows). ours = float32; ours-int8 = "
        "decoder in ONNX Runtime int8 (down_proj float32) + float32 LM head. Bare forward pass: float32 torch, the "
        "token stream in consecutive windows of 1024 without carried context, batched the same way, decoder + LM "
        "head only. x bare forward: time relative to it (below 1: faster). Python share: the part of our run spent "
        "outside the model's scoring (segmentation, tokenisation, offset mapping, boundary selection, merging).",
        "",
        "| size (chars) | implementation | runtime | tokens | seconds | tokens/s | x bare forward | speed vs ours float32 "
        "| x lmchunker | Python share | RSS before (MiB) | peak RSS (MiB) | peak GPU (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sorted({r["chars"] for r in rows}):
        group = [r for r in rows if r["chars"] == size]
        ok = {r["implementation"]: r for r in group if "error" not in r}
        bare, lmc, fp32 = ok.get("bare-forward"), ok.get("lmchunker"), ok.get("ours")
        for r in group:
            if "error" in r:
                lines.append(f"| {size} | {r['implementation']} | | | | | | | | | | {r['error']} | |")
                continue
            vs_bare = f"{r['seconds'] / bare['seconds']:.2f}" if bare else ""
            vs_fp32 = (
                f"{fp32['seconds'] / r['seconds']:.2f}x" if fp32 and r["implementation"].startswith("ours") else ""
            )
            vs_lmc = f"{lmc['seconds'] / r['seconds']:.2f}x faster" if lmc and r is not lmc else ""
            share = f"{r['python_share']:.0%}" if "python_share" in r else ""
            gpu_mib = f"{r['peak_gpu_mib']:.0f}" if "peak_gpu_mib" in r else ""
            lines.append(
                f"| {size} | {r['implementation']} | {r.get('runtime', '')} | {r['tokens']} | {r['seconds']:.2f} | "
                f"{r['tokens_per_s']:.0f} | {vs_bare} | {vs_fp32} | {vs_lmc} | {share} | {r['rss_before_mib']:.0f} | "
                f"{r['peak_rss_mib']:.0f} | {gpu_mib} |"
            )
    return "\n".join(lines) + "\n"


def boundary_f1(text: str, reference: list, other: list) -> float:
    """F1 of ``other``'s chunk boundaries against ``reference``'s, a boundary matching one that falls in the
    same or a neighbouring sentence (one-to-one, greedy left to right); 1.0 when neither has a boundary."""
    from bisect import bisect_right

    from chunkers.core.segment import sentence_spans

    ends = [end for _, end in sentence_spans(text)]

    def sentences(chunks: list) -> list[int]:
        return [min(bisect_right(ends, c.end - 1), len(ends) - 1) for c in chunks[:-1]]

    want, got = sentences(reference), sentences(other)
    if not want and not got:
        return 1.0
    unmatched, hits = list(want), 0
    for sentence in got:
        match = next((w for w in unmatched if abs(w - sentence) <= 1), None)
        if match is not None:
            unmatched.remove(match)
            hits += 1
    precision, recall = hits / max(len(got), 1), hits / max(len(want), 1)
    return 2 * precision * recall / (precision + recall) if hits else 0.0


# variant -> PerplexityChunker options, each compared with the float32 path at the CPU's default batching
VARIANTS = {
    "int8": {"quantize": "int8"},
    "float32, 1 window per batch": {"dtype": "float32", "quantize": "none", "batch_tokens": 1280},
    "float32, 16 windows per batch": {"dtype": "float32", "quantize": "none", "batch_tokens": 16 * 1280},
}


def agreement(corpora: list[str], max_chars: int | None = None, variants: list[str] | None = None) -> list[dict]:
    """Boundary F1 (and sentence-score correlation) of every variant (or those named) against float32, on whole
    corpora."""
    import numpy as np
    from chunkers.prose.perplexity import PerplexityChunker
    from chunkers.runtime.models import smollm2_dir

    path = str(smollm2_dir())
    rows = []
    for name in corpora:
        text = (DATA / name).read_text(encoding="utf-8")[:max_chars]
        reference = PerplexityChunker(
            model=path, max_size=1000, device="cpu", dtype="float32", quantize="none", cache={}
        )
        started = time.perf_counter()
        want = reference.chunk(text)
        base_seconds = time.perf_counter() - started
        want_scores = [score for _, _, score in reference.sentence_perplexities(text)]
        for variant, options in VARIANTS.items():
            if variants and variant not in variants:
                continue
            chunker = PerplexityChunker(model=path, max_size=1000, device="cpu", cache={}, **options)
            started = time.perf_counter()
            got = chunker.chunk(text)
            seconds = time.perf_counter() - started
            scores = [score for _, _, score in chunker.sentence_perplexities(text)]
            finite = [(a, b) for a, b in zip(want_scores, scores) if not (math.isnan(a) or math.isnan(b))]
            pearson = float(np.corrcoef(*zip(*finite))[0, 1]) if len(finite) > 2 else math.nan
            rows.append({
                "corpus": name, "chars": len(text), "variant": variant, "boundary_f1": boundary_f1(text, want, got),
                "identical": [(c.start, c.end) for c in got] == [(c.start, c.end) for c in want],
                "chunks": len(got), "float32_chunks": len(want), "sentence_ppl_pearson": pearson,
                "mean_ppl_shift": sum(b - a for a, b in finite) / max(len(finite), 1),
                "seconds": seconds, "float32_seconds": base_seconds,
            })  # fmt: skip
            print(rows[-1], file=sys.stderr)
    return rows


def agreement_report(rows: list[dict]) -> str:
    lines = [
        "# Perplexity chunking: agreement of the fast paths with float32",
        "",
        "Boundary F1 against the float32 path at the CPU's default batching (5120 tokens); a boundary counts as "
        "equal when it falls in the same or a neighbouring sentence. Corpora: chroma-general (chars: how much of each), "
        "max_size=1000. Target: F1 >= 0.95; batching alone: identical chunks. Sentence ppl: correlation and mean "
        "shift of the per-sentence scores. Seconds measured on the shared CPU, in the same run (load varies).",
        "",
        "| corpus | chars | variant | boundary F1 | identical chunks | chunks (float32) | sentence ppl Pearson "
        "| mean ppl shift | seconds (float32) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['chars']} | {r['variant']} | {r['boundary_f1']:.3f} | {'yes' if r['identical'] else 'no'} "
            f"| {r['chunks']} ({r['float32_chunks']}) | {r['sentence_ppl_pearson']:.4f} | {r['mean_ppl_shift']:+.3f} "
            f"| {r['seconds']:.1f} ({r['float32_seconds']:.1f}) |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("IMPLEMENTATION", "SIZE"))
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--implementations", nargs="+", default=None,
                        help="default: bare-forward ours ours-int8 lmchunker on CPU; bare-forward ours-auto on CUDA")  # fmt: skip
    parser.add_argument("--append", action="store_true", help="add to the existing results instead of replacing them")
    parser.add_argument("--agreement", action="store_true", help="measure boundary agreement instead of speed")
    parser.add_argument("--corpora", nargs="+", default=["wikitexts.md", "chatlogs.md"])
    parser.add_argument("--max-chars", type=int, default=None, help="agreement: only each corpus's first N chars")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), help="agreement: only these variants")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker[0], int(args.worker[1]), args.device)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.agreement:
        rows = agreement(args.corpora, args.max_chars, args.variants)
        write(args.out, "perplexity_speed_agreement", agreement_report(rows), rows)
        print(agreement_report(rows))
        return
    on_gpu = args.device.startswith("cuda")
    implementations = args.implementations or (
        ["bare-forward", "ours-auto"] if on_gpu else ["bare-forward", "ours", "ours-int8", "lmchunker"]
    )
    stem = "perplexity_speed_cuda" if on_gpu else "perplexity_speed"
    results = args.out / f"{stem}.json"
    rows = json.loads(results.read_text(encoding="utf-8")) if args.append and results.exists() else []
    for size in args.sizes:
        for implementation in implementations:
            if implementation == "lmchunker" and not LMCHUNKER_PYTHON.exists():
                print(f"skipping lmchunker: {LMCHUNKER_PYTHON} is missing (benchmarks/setup_lmchunker_env.sh)", file=sys.stderr)  # fmt: skip
                continue
            rows.append(run_one(implementation, size, args.timeout, args.device))
            print(rows[-1], file=sys.stderr)
    write(args.out, stem, report(rows), rows)
    print(report(rows))


if __name__ == "__main__":
    main()
