"""LLM-written context (Anthropic's contextual retrieval, `chunkers.context.writer`) against the free section-path context,
on the same chunks: only the string embedded with each chunk changes, so the comparison needs no size matching.

    python -m benchmarks.contextual_bench                                   # the embedded SmolLM2-135M, CPU
    python -m benchmarks.contextual_bench --model /path/to/Qwen2.5-7B-Instruct --device cuda --window 16000

Suite: wikitexts-md (`benchmarks.structured_suites`: 10 articles, 144 questions). Chunks: `DocumentChunker(max_size=
--max-size)`. Embedded per chunk: the text alone; ``context_header`` + text; the LLM's context + text; both + text.
Top 5 by MiniLM cosine; character recall / precision / IoU and MRR@5 (`chunkers.apps.evaluation.score`). Reported with
the LLM's calls, prompt and completion tokens, the document tokens a provider's prompt cache would serve, and the
wall time. Writes ``benchmarks/results/contextual_<model>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from chunkers import DocumentChunker, LocalLLM
from chunkers.apps.evaluation import Embedder, score
from chunkers.context.writer import ContextWriter

from .paths import ROOT
from .report import machine, write
from .structured_bench import ContextEmbedder
from .structured_suites import load

RESULTS = ROOT / "benchmarks" / "results"
TOP_K = 5


def run(max_size: int, model: str | None, device: str | None, window: int, max_new_tokens: int) -> dict:
    suite = load("wikitexts-md")
    corpus = suite.corpus
    assert corpus is not None
    chunker = DocumentChunker(max_size=max_size)
    llm = LocalLLM(model=model, device=device, max_new_tokens=max_new_tokens)
    writer = ContextWriter(llm, max_document_chars=window)
    spans, owners, texts, headers, written = [], [], [], [], []
    started = time.perf_counter()
    for position, document in enumerate(corpus.documents):
        chunks = chunker.chunk(document.text)
        written += writer.contexts(document.text, chunks)
        spans += [corpus.to_global(position, (c.start, c.end)) for c in chunks]
        owners += [position] * len(chunks)
        texts += [c.text for c in chunks]
        headers += [c.metadata["context_header"] for c in chunks]
        print(f"{document.id}: {len(chunks)} chunks, {time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    embedder = Embedder()
    queries = embedder.queries([q.text for q in suite.questions])
    variants = {
        "chunk text only": ["" for _ in texts],
        "section path (context_header)": headers,
        "LLM-written context": written,
        "section path + LLM-written context": [f"{h}\n{w}".strip() for h, w in zip(headers, written)],
    }
    rows = {name: score(corpus, suite.questions, spans, owners, ContextEmbedder(embedder, contexts), queries, TOP_K)
            for name, contexts in variants.items()}  # fmt: skip
    usage = writer.usage
    return {"model": model or "SmolLM2-135M-Instruct (embedded)", "device": str(llm.runtime), "max_size": max_size,
            "chunks": len(texts), "mean_chars": sum(map(len, texts)) / len(texts), "questions": len(suite.questions),
            "window_chars": window, "windowed": writer.windowed, "rows": rows, "seconds": seconds,
            "calls": usage.calls, "failures": usage.failures, "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens, "cacheable_tokens": writer.cacheable_tokens,
            "machine": machine(), "examples": [(texts[i][:160], written[i]) for i in range(0, len(texts), 97)][:4]}  # fmt: skip


def markdown(result: dict) -> str:
    lines = [f"# LLM-written context vs section path, {result['model']}", "",
             f"wikitexts-md (10 articles, {result['questions']} questions), `DocumentChunker(max_size="
             f"{result['max_size']})`: {result['chunks']} chunks, mean {result['mean_chars']:.0f} characters; the same "
             f"chunks in every row, top {TOP_K}, all-MiniLM-L6-v2. LLM on {result['device']}; the document shown to it "
             f"cut to {result['window_chars']:,} characters around the chunk for {result['windowed']} chunks. "
             f"{result['machine']}.", "",
             "| embedded with the chunk | recall | precision | IoU | MRR@5 |", "|---|---|---|---|---|"]  # fmt: skip
    for name, row in result["rows"].items():
        lines.append(f"| {name} | {row['recall']:.3f} | {row['precision']:.3f} | {row['iou']:.4f} | {row['mrr']:.3f} |")
    lines += ["", f"Cost: {result['calls']} calls ({result['failures']} failed), {result['prompt_tokens']:,} prompt "
              f"tokens ({result['cacheable_tokens']:,} of them document tokens a provider's prompt cache would serve), "
              f"{result['completion_tokens']:,} completion tokens, {result['seconds'] / 60:.1f} min.", "",
              "Examples (chunk start -> the LLM's context):", ""]  # fmt: skip
    lines += [f"- `{' '.join(text.split())[:100]}` -> {context!r}" for text, context in result["examples"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-size", type=int, default=500)
    parser.add_argument("--model", default=None, help="a local causal LM folder (default: the embedded SmolLM2)")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA, then MPS, then CPU)")
    parser.add_argument("--window", type=int, default=4000, help="characters of the document shown per chunk")
    parser.add_argument("--max-new-tokens", type=int, default=60)
    args = parser.parse_args()
    result = run(args.max_size, args.model, args.device, args.window, args.max_new_tokens)
    name = "smollm2" if args.model is None else Path(args.model).name.lower()
    RESULTS.mkdir(parents=True, exist_ok=True)
    write(RESULTS, f"contextual_{name}", markdown(result), result)
    print(markdown(result))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
