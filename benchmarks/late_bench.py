"""Late chunking against plain chunk embedding on the same spans, beyond the structured suites (those are in
context_bench.py): the prose suite (Chroma's chatlogs, wikitexts, pubmed; each corpus one document, as in
retrieval_bench.py) with SentenceChunker and LangChain's recursive splitter, and the code corpus (langchain-core's
source, each file a document) with the AST chunker and LangChain's Python splitter; MiniLM, top 5, IoU at matched
mean size. Then the window and its overlap, measured on chatlogs and wikitexts with SentenceChunker at one size.

    python -m benchmarks.late_bench          # -> benchmarks/results/late_chunking.md / .json
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import Embedder, compare, measure
from chunkers.apps.evaluation.report import fmt

from .paths import ROOT
from .report import machine, write
from .retrieval_bench import SUITES, prose_corpus

OUT = ROOT / "benchmarks" / "results"
PROSE = ("chatlogs", "wikitexts", "pubmed")
WINDOWS = ((128, 0), (128, 32), (256, 0), (256, 64), (256, 128))  # (window_tokens, overlap_tokens)


def prose(embedder: Embedder) -> dict[str, Any]:
    out = {}
    for name in PROSE:
        corpus, questions = prose_corpus(name)
        result = compare(corpus, questions, chunkers=["sentence", "langchain-recursive"], sizes=[200, 400, 800],
                         embedding=None, matched_sizes=[300, 500], contexts=["none", "late"])  # fmt: skip
        out[name] = {"rows": result.rows, "matched": result.matched}
        print(f"{name}: done", flush=True)
    return out


def code() -> dict[str, Any]:
    from .code_retrieval import build, code_entries

    built = build(SUITES["full"].code_subpackages)
    corpus, questions = built.as_corpus()
    wanted = ("rag-chunkers ASTChunker (non-whitespace", "LangChain from_language")
    candidates = [c for c in code_entries() if c.name.startswith(wanted)]
    result = compare(corpus, questions, chunkers=candidates, sizes=[500, 1000, 2000], matched_sizes=[600, 900],
                     contexts=["none", "late"])  # fmt: skip
    print("code: done", flush=True)
    return {"code": {"rows": result.rows, "matched": result.matched, "description": built.description}}


def windows(embedder: Embedder) -> list[dict[str, Any]]:
    from chunkers import SentenceChunker
    from chunkers.apps.evaluation import Setting
    from chunkers.context import LateChunkingEmbedder

    rows = []
    for name in ("chatlogs", "wikitexts"):
        corpus, questions = prose_corpus(name)
        queries = embedder.queries([q.text for q in questions])
        chunker = SentenceChunker(max_size=400)
        setting = Setting("max_size=400", chunker.chunk)
        (plain,), _ = measure(corpus, questions, setting, embedder, queries, 5)
        rows.append({"corpus": name, "window": "plain", **plain})
        for window, overlap in WINDOWS:
            late = LateChunkingEmbedder(window_tokens=window, overlap_tokens=overlap)
            (row,), _ = measure(corpus, questions, setting, embedder, queries, 5, ["late"], late)
            rows.append({"corpus": name, "window": f"{window} tokens, overlap {overlap}", **row})
            print(name, window, overlap, round(row["iou"], 4), flush=True)
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Late chunking against plain chunk embedding", "", __doc__.split("\n\n")[0].replace("\n", " "), "",
             f"Machine: {report['machine']}. Run time {report['minutes']:.1f} min.", ""]  # fmt: skip
    for corpus, result in report["corpora"].items():
        lines += [f"## {corpus}", "", "| chunker | mean size | IoU | recall | precision | MRR@5 |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for m in sorted(result["matched"], key=lambda m: (m["mean_chars"], -m["iou"])):
            lines.append(f"| {m['chunker']} | {m['mean_chars']:g} | {fmt(m['iou'])} | {fmt(m['recall'])} | "
                         f"{fmt(m['precision'])} | {fmt(m['mrr'])} |")  # fmt: skip
        lines.append("")
    lines += [
        "## Window and overlap (SentenceChunker, max_size=400)",
        "",
        "| corpus | late chunking window | chunks | mean chars | IoU | recall |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {r['corpus']} | {r['window']} | {r['chunks']} | {r['mean_chars']:.0f} | {fmt(r['iou'])} | "
              f"{fmt(r['recall'])} |" for r in report["windows"]]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    embedder = Embedder()
    corpora = {**prose(embedder), **code()}
    report = {"machine": machine(), "corpora": corpora, "windows": windows(embedder)}
    report["minutes"] = (time.perf_counter() - started) / 60
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out, "late_chunking", markdown(report), report)
    print(f"wrote {args.out / 'late_chunking.md'}")
    return report


if __name__ == "__main__":
    main()
