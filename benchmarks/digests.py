"""Chunk digests of every suite corpus: one SHA-256 per (chunker setting, corpus) over every chunk's span, text and
metadata, so a change meant to keep behaviour (a refactor, a move) is checked to give exactly the same chunks.

    python -m benchmarks.digests --out before.json          # on the old code
    python -m benchmarks.digests --out after.json --compare before.json

Corpora: Chroma's three prose corpora (vendored), wikitexts-md (the same articles as Markdown), the structured
suites that are built locally (doc2dial, ...; skipped when absent), 400 Python files each of the
installed llama-index-core and langchain-core, and Chroma's questions.csv as a CSV file. ``--quick`` leaves out
the model-driven chunkers (perplexity, the LLM chunker with the embedded SmolLM2, the filter's scores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .paths import CHROMA, CHROMA_CORPORA

PROSE = ("chatlogs", "wikitexts", "pubmed")


def digest(chunk_lists: Iterable[list[Any]]) -> str:
    """One hash over the chunks of several documents (span, text and metadata of each, in order)."""
    hasher = hashlib.sha256()
    for chunks in chunk_lists:
        for c in chunks:
            record = [c.start, c.end, c.text, c.metadata]
            hasher.update(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode())
        hasher.update(b"\0document\0")
    return hasher.hexdigest()


def prose() -> dict[str, str]:
    return {name: (CHROMA_CORPORA / f"{name}.md").read_text(encoding="utf-8") for name in PROSE}


def code_files(limit: int = 400) -> list[tuple[str, str]]:
    """(path, text) of the first ``limit`` Python files of the installed llama-index-core and of langchain-core (files
    outside this repository, so that a change here cannot change the input)."""
    import langchain_core
    import llama_index.core

    files = []
    for package in (llama_index.core, langchain_core):
        base = Path(package.__file__).parent
        files += [(str(p.relative_to(base.parent)), p) for p in sorted(base.rglob("*.py"))[:limit]]
    return [(name, path.read_text(encoding="utf-8")) for name, path in files]


def structured() -> dict[str, list[str]]:
    """The structured suites' documents by suite (those not built locally are left out)."""
    from .structured_suites import SUITES, load

    out = {}
    for name in SUITES:
        suite = load(name)
        if suite.corpus is not None:
            out[name] = [d.text for d in suite.corpus.documents]
    return out


def settings(quick: bool) -> list[tuple[str, Callable[[], dict[str, str]]]]:
    """(name, run) for every setting; run() returns corpus name -> digest."""
    from chunkers import ASTChunker, DocumentChunker, RecordChunker, SentenceChunker

    texts = prose()
    out: list[tuple[str, Callable[[], dict[str, str]]]] = []
    for size in (200, 400, 800):
        chunker = SentenceChunker(max_size=size)
        out.append((f"sentence-{size}", lambda c=chunker: {n: digest([c.chunk(t)]) for n, t in texts.items()}))
    out.append(("sentence-nws-300", lambda: {n: digest([SentenceChunker(300, sizer="non_whitespace").chunk(t)])
                                             for n, t in texts.items()}))  # fmt: skip
    files = code_files()
    for size in (500, 1500):
        chunker = ASTChunker(max_size=size)
        out.append((f"ast-{size}", lambda c=chunker: {"code": digest([c.chunk(t, file_path=p) for p, t in files])}))
    out.append(
        (
            "ast-context-overlap",
            lambda: {
                "code": digest(
                    [
                        ASTChunker(max_size=800, expand_context=True, overlap_nodes=1).chunk(t, file_path=p)
                        for p, t in files
                    ]
                )
            },
        )
    )
    docs = structured()
    for size in (300, 1000):
        for title in (True, False):
            chunker = DocumentChunker(max_size=size, context_title=title)
            out.append((f"document-{size}-title-{title}",
                        lambda c=chunker: {n: digest(c.chunk(t) for t in ts) for n, ts in docs.items()}))  # fmt: skip
    csv_text = (CHROMA / "questions.csv").read_text(encoding="utf-8")
    out.append(
        ("records-csv-500", lambda: {"questions.csv": digest([RecordChunker(500).chunk(csv_text, file_path="q.csv")])})
    )
    if not quick:
        out += model_settings(texts)
    return out


def model_settings(texts: dict[str, str]) -> list[tuple[str, Callable[[], dict[str, str]]]]:
    from chunkers import ChunkFilter, LLMChunker, PerplexityChunker, SentenceChunker

    cache: dict = {}
    out: list[tuple[str, Callable[[], dict[str, str]]]] = []
    for boundary in ("dp", "threshold"):
        chunker = PerplexityChunker(max_size=800, boundary=boundary, cache=cache)
        out.append(
            (f"perplexity-int8-{boundary}", lambda c=chunker: {n: digest([c.chunk(t)]) for n, t in texts.items()})
        )

    def llm() -> dict[str, str]:
        documents = [texts["chatlogs"][i : i + 3000] for i in range(0, 12000, 3000)]
        return {"chatlogs[:12000]": digest(LLMChunker(llm="local", group_tokens=280).chunk_many(documents))}

    def scores() -> dict[str, str]:
        chunks = SentenceChunker(max_size=400).chunk(texts["chatlogs"])
        kept = [ChunkFilter().filter(q, chunks) for q in ("What was asked about billing?", "Who wrote the poem?")]
        return {"chatlogs": hashlib.sha256(json.dumps([[(k.chunk.start, round(k.score, 6)) for k in ks]
                                                       for ks in kept]).encode()).hexdigest()}  # fmt: skip

    return [*out, ("llm-local-batched", llm), ("filter-scores", scores)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="an earlier --out file: report every digest that differs")
    parser.add_argument("--quick", action="store_true", help="no model-driven chunkers")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, str]] = {}
    for name, run in settings(args.quick):
        started = time.perf_counter()
        results[name] = run()
        print(f"{name}: {len(results[name])} corpora, {time.perf_counter() - started:.1f} s", flush=True)
    args.out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.compare is None:
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    differ = [f"{s}/{c}" for s in results for c in results[s] if before.get(s, {}).get(c) != results[s][c]]
    missing = [f"{s}/{c}" for s in before for c in before[s] if c not in results.get(s, {})]
    same = sum(len(v) for v in results.values()) - len(differ)
    print(f"{same} digests identical, {len(differ)} differ: {differ}; missing now: {missing}")
    return 1 if differ or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
