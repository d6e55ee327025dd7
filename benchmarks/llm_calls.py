"""LLM-guided chunking cost: LLM calls and prompt tokens per 100k characters for rag-chunkers' LLMChunker
(the embedded SmolLM2-135M, greedy) and for the reference LumberChunker procedure on the same text, with the
same boundaries (the reference's count is computed from its algorithm: one call per group, its retry-forever
loop counted as a single call, tokens estimated as round(1.2 x words) as it does).

    python -m benchmarks.llm_calls [--chars 30000] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RAG_CHUNKERS_DATA", ROOT.parent / "shared" / "data")) / "chroma-general" / "corpora"


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


def main() -> None:
    from chunkers.llm import LUMBER_PROMPT, LLMChunker, LocalLLM

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=30_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
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
    (args.out / "llm_calls.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "llm_calls.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
