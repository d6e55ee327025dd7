"""LLM-guided chunking cost: LLM calls and prompt tokens per 100k characters for rag-chunkers' LLMChunker
(the embedded SmolLM2-135M, greedy) and for the reference LumberChunker procedure on the same text, with the
same boundaries (the reference's count is computed from its algorithm: one call per group, its retry-forever
loop counted as a single call, tokens estimated as round(1.2 x words) as it does).

    python -m benchmarks.llm_calls [--chars 30000] [--out benchmarks/results]
    python -m benchmarks.llm_calls --batching [--chars 20000]   # chunk_many's batched prompts vs one at a time
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from benchmarks.paths import CHROMA_CORPORA, ROOT

from .report import write

DATA = CHROMA_CORPORA


def reference_cost(text: str, paragraphs: list[tuple[int, int]], boundaries: list[int], prompt: str) -> tuple[int, int]:
    """(calls, prompt tokens) of the reference procedure asked at the same group starts."""
    estimate = lambda s: round(1.2 * len(s.split()))  # noqa: E731 - the reference's own estimate
    calls = tokens = 0
    for start in boundaries:
        end, total = start, 0
        while end < len(paragraphs):
            size = estimate(text[slice(*paragraphs[end])])
            if end > start and total + size > 550:
                break
            total += size
            end += 1
        group = "\n".join(f"ID {i}: {text[slice(*paragraphs[i])]}" for i in range(start, end))
        calls += 1
        tokens += estimate(prompt.format(paragraphs=group))
    return calls, tokens


def documents(corpus: str, chars: int, doc_chars: int = 6000) -> list[str]:
    """The corpus's first ``chars`` characters as documents of about ``doc_chars``, cut at line breaks."""
    text = (DATA / corpus).read_text(encoding="utf-8")[:chars]
    docs, start = [], 0
    while start < len(text):
        end = text.rfind("\n", start, start + doc_chars) if start + doc_chars < len(text) else len(text)
        end = end if end > start else min(start + doc_chars, len(text))
        docs.append(text[start:end])
        start = end
    return [d for d in docs if d.strip()]


def batching(corpora: list[str], chars: int, out: Path) -> None:
    """Boundary agreement and time of `LLMChunker.chunk_many` (prompts of all documents batched through
    `LocalLLM.complete_batch`) against chunking the same documents one at a time with `chunk`."""
    from chunkers.llms.local import LocalLLM
    from chunkers.prose.llm import LLMChunker

    from .perplexity_speed import boundary_f1

    rows = []
    for corpus in corpora:
        docs = documents(corpus, chars)
        single = LLMChunker(llm=LocalLLM())
        single.chunk("Warm up.\n\nThe model is loaded.")
        started = time.perf_counter()
        want = [single.chunk(doc) for doc in docs]
        one_at_a_time = time.perf_counter() - started
        llm = LocalLLM()
        batched = LLMChunker(llm=llm)
        started = time.perf_counter()
        got = batched.chunk_many(docs)
        together = time.perf_counter() - started
        weights = [max(len(w) - 1, 1) for w in want]
        f1 = sum(boundary_f1(d, w, g) * n for d, w, g, n in zip(docs, want, got, weights)) / sum(weights)
        identical = all([(c.start, c.end) for c in w] == [(c.start, c.end) for c in g] for w, g in zip(want, got))
        rows.append({"corpus": corpus, "documents": len(docs), "chars": sum(map(len, docs)), "boundary_f1": f1,
                     "identical": identical, "calls": batched.usage.calls, "chunks": sum(map(len, got)),
                     "seconds_one_at_a_time": one_at_a_time, "seconds_batched": together,
                     "runtime": str(llm.runtime)})  # fmt: skip
        print(rows[-1], flush=True)
    lines = [
        "# LLM-guided chunking: prompts of several documents batched",
        "",
        "`python -m benchmarks.llm_calls --batching`: each corpus's first characters, cut into documents of about "
        "6,000 characters at line breaks, chunked by `LLMChunker(llm=LocalLLM())` (the embedded SmolLM2-135M, "
        "greedy) one document at a time (`chunk`) and all at once (`chunk_many`: every document's next prompt in "
        f"one `LocalLLM.complete_batch` call, left-padded `generate` batches of the device's token budget). "
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU threads. Boundary F1: a boundary counts as equal in "
        "the same or a neighbouring sentence, weighted by each document's boundaries.",
        "",
        "| corpus | documents | chars | chunks | LLM calls | boundary F1 | identical chunks | one at a time (s) | "
        "batched (s) | speed-up | runtime |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(f"| {r['corpus']} | {r['documents']} | {r['chars']} | {r['chunks']} | {r['calls']} | {r['boundary_f1']:.3f} "
          f"| {'yes' if r['identical'] else 'no'} | {r['seconds_one_at_a_time']:.1f} | {r['seconds_batched']:.1f} | "
          f"{r['seconds_one_at_a_time'] / r['seconds_batched']:.2f}x | {r['runtime']} |" for r in rows),
    ]  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    write(out, "llm_batching", "\n".join(lines), rows)
    print("\n".join(lines))


def main() -> None:
    from chunkers.llms.local import LocalLLM
    from chunkers.prose.llm import LUMBER_PROMPT, LLMChunker

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=None, help="default: 30000 (20000 per corpus with --batching)")
    parser.add_argument("--batching", action="store_true", help="batched chunk_many against one document at a time")
    parser.add_argument("--corpora", nargs="+", default=["wikitexts.md", "chatlogs.md"], help="with --batching")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if args.batching:
        batching(args.corpora, args.chars or 20_000, args.out)
        return
    args.chars = args.chars or 30_000
    corpus = (DATA / "wikitexts.md").read_text(encoding="utf-8")
    text = corpus[: corpus.rfind("\n", 0, args.chars)]
    llm = LocalLLM()
    chunker = LLMChunker(llm=llm)
    started = time.perf_counter()
    chunks = chunker.chunk(text)
    seconds = time.perf_counter() - started
    paragraphs = chunker._paragraphs(text)
    starts_of = {p[0]: i for i, p in enumerate(paragraphs)}
    group_starts = [0] + [starts_of[c.start] for c in chunks[1:] if c.start in starts_of]
    asked = group_starts[: sum(c.metadata["boundary"] in ("llm", "fallback") for c in chunks)]
    ref_calls, ref_tokens = reference_cost(text, paragraphs, asked, LUMBER_PROMPT)
    usage = chunker.usage
    per = 100_000 / len(text)
    boundaries = [c.metadata["boundary"] for c in chunks]
    result = {
        "chars": len(text), "paragraphs": len(paragraphs), "chunks": len(chunks), "seconds": seconds,
        "ours": {"calls": usage.calls, "prompt_tokens": usage.prompt_tokens, "retries": usage.retries,
                 "fallbacks": usage.fallbacks, "failures": usage.failures,
                 "model_prompt_tokens": llm.usage.prompt_tokens},
        "reference": {"calls": ref_calls, "prompt_tokens": ref_tokens},
        "boundaries": {k: boundaries.count(k) for k in ("llm", "fallback", "single", "end")},
        "machine": {"machine": platform.machine(), "threads": os.cpu_count()},
    }  # fmt: skip
    lines = [
        "# LLM-guided chunking: calls and prompt tokens",
        "",
        f"Text: the first {len(text)} characters of the chroma-general `wikitexts` corpus ({len(paragraphs)} "
        f"paragraphs). LLM: the embedded SmolLM2-135M-Instruct, greedy, CPU ({os.cpu_count()} threads); "
        f"group budget 550 tokens; {seconds:.0f} s in all.",
        "",
        "| procedure | LLM calls / 100k chars | prompt tokens / 100k chars |",
        "|---|---|---|",
        f"| rag-chunkers LLMChunker (retries included) | {usage.calls * per:.1f} | {usage.prompt_tokens * per:.0f} |",
        f"| reference LumberChunker, same boundaries (at least) | {ref_calls * per:.1f} | {ref_tokens * per:.0f} |",
        "",
        f"Boundaries: {result['boundaries']['llm']} from the LLM's answer, {result['boundaries']['fallback']} from the "
        f"embedding-similarity fallback after {usage.retries} retries, {result['boundaries']['single']} where one "
        "paragraph filled a group alone. The reference would retry forever on every unusable reply; "
        "ours counts the model's real prompt tokens with its tokenizer "
        f"({llm.usage.prompt_tokens * per:.0f} / 100k chars including the chat template).",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out, "llm_calls", "\n".join(lines), result)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
