"""Three measurements on the prose suite (Chroma's chatlogs, wikitexts, pubmed) and the code suite (langchain-core's
source, docstring summaries as queries); the protocol of retrieval_bench.py: MiniLM, top 5, character scores
interpolated at matched mean size:

- ``semantic``: SemanticChunker against LangChain's SemanticChunker, LlamaIndex's SemanticSplitterNodeParser (both
  with the same MiniLM) and the plain splitters, with speed (the first, cold setting of each: embedding included);
- ``overlap``: chunk_overlap 0 / 10% / 20% of max_size for SentenceChunker (and LangChain's recursive splitter, as
  its users set it), at matched mean chunk size and at matched mean core size (the text no other chunk owns);
- ``code-overlap``: the same for ASTChunker (overlap at whole lines, sizes in characters) and LangChain's
  ``from_language(PYTHON)`` on the code suite.

    python -m benchmarks.prose_bench semantic      # -> benchmarks/results/semantic.md / .json
    python -m benchmarks.prose_bench overlap       # -> benchmarks/results/overlap.md / .json
    python -m benchmarks.prose_bench code-overlap  # -> benchmarks/results/code-overlap.md / .json
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import Embedder, Setting, compare, matched, measure
from chunkers.apps.evaluation.report import fmt

from .paths import ROOT
from .report import machine, table, write
from .retrieval_bench import prose_corpus

CORPORA = ("chatlogs", "wikitexts", "pubmed")
SIZES = (200, 400, 800)
MATCHED = (300, 500)
OUT = ROOT / "benchmarks" / "results"
SEMANTIC = ("semantic", "langchain-semantic", "llamaindex-semantic", "sentence", "langchain-recursive", "semchunk",
            "chonkie-recursive", "llamaindex-sentence")  # fmt: skip


def semantic(corpora: Sequence[str]) -> dict[str, Any]:
    results = {}
    for name in corpora:
        corpus, questions = prose_corpus(name)
        result = compare(corpus, questions, chunkers=list(SEMANTIC), sizes=list(SIZES), matched_sizes=list(MATCHED))
        results[name] = {"rows": result.rows, "matched": result.matched, "speed": result.speed}
        print(f"{name}: done", flush=True)
    return results


def overlap_candidates(code: bool = False) -> list[tuple[str, Any]]:
    from chunkers import ASTChunker, SentenceChunker
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    out = []
    for share in (0.0, 0.1, 0.2):
        if code:
            out.append((f"rag-chunkers ASTChunker (chars), overlap {share:.0%}", lambda t, s=share: ASTChunker(
                language="python", max_size=t, sizer="chars", chunk_overlap=round(s * t))))  # fmt: skip
            out.append((f"LangChain from_language(PYTHON), overlap {share:.0%}",
                        lambda t, s=share: RecursiveCharacterTextSplitter.from_language(
                            Language.PYTHON, chunk_size=t, chunk_overlap=round(s * t), add_start_index=True)))  # fmt: skip
            continue
        out.append((f"rag-chunkers SentenceChunker, overlap {share:.0%}", lambda t, s=share: SentenceChunker(
            max_size=t, chunk_overlap=round(s * t))))  # fmt: skip
        out.append((f"LangChain RecursiveCharacterTextSplitter, overlap {share:.0%}",
                    lambda t, s=share: RecursiveCharacterTextSplitter(chunk_size=t, chunk_overlap=round(s * t),
                                                                      add_start_index=True)))  # fmt: skip
    return out


def code_corpus() -> tuple[Any, Any]:
    """The code suite of the full retrieval benchmark as a corpus and its questions."""
    from .code_retrieval import build
    from .retrieval_bench import SUITES

    return build(SUITES["full"].code_subpackages).as_corpus()


def overlap(corpora: Sequence[str]) -> dict[str, Any]:
    """Each setting's rows with the mean chunk size and the mean core size; matched on both."""
    from chunkers.apps.evaluation.setting import spans_of

    embedder, results = Embedder(), {}
    for name in corpora:
        corpus, questions = code_corpus() if name == "code" else prose_corpus(name)
        queries = embedder.queries([q.text for q in questions])
        rows = []
        for label, factory in overlap_candidates(code=name == "code"):
            for target in SIZES:
                splitter = factory(target)
                cores: list[int] = []

                def chunk(text: str, splitter: Any = splitter, cores: list[int] = cores) -> list[Any]:
                    produced = splitter.chunk(text) if hasattr(splitter, "chunk") else spans_of(splitter, text)
                    spans = [(c.start, c.end) if hasattr(c, "start") else c for c in produced]
                    starts = [c.metadata.get("core_start", c.start) if hasattr(c, "metadata") else None
                              for c in produced]  # fmt: skip
                    for k, (start, end) in enumerate(spans):  # the core: what the chunk adds after the one before
                        begin = starts[k] if starts[k] is not None else max(start, spans[k - 1][1] if k else start)
                        cores.append(end - begin)
                    return spans

                (row,), _ = measure(corpus, questions, Setting(f"{target}", chunk), embedder, queries, 5)
                row.update(corpus=name, target=target, chunker=label, ours=label.startswith("rag"),
                           mean_core=sum(cores) / max(len(cores), 1))  # fmt: skip
                print(f"{name} {label} {target}: mean {row['mean_chars']:.0f} core {row['mean_core']:.0f} "
                      f"IoU {row['iou']:.4f} recall {row['recall']:.3f}", flush=True)  # fmt: skip
                rows.append(row)
        by_core = [{**r, "mean_chars": r["mean_core"]} for r in rows]
        results[name] = {
            "rows": rows,
            "matched_chunk": matched(rows, MATCHED),
            "matched_core": matched(by_core, MATCHED),
        }
    return results


def markdown(kind: str, report: dict[str, Any]) -> str:
    title = {"semantic": "The semantic chunker on the prose suite", "overlap": "Overlap on the prose suite",
             "code-overlap": "Overlap on the code suite"}[kind]  # fmt: skip
    lines = [f"# {title}", "",
             __doc__.split("\n\n")[0].replace("\n", " "), "", f"Machine: {report['machine']}. Run time "
             f"{report['minutes']:.1f} min.", ""]  # fmt: skip
    for corpus, result in report["corpora"].items():
        lines += [f"## {corpus}", ""]
        tables = {"semantic": [("", result.get("matched", []))],
                  "overlap": [(" (matched on chunk size)", result.get("matched_chunk", [])),
                              (" (matched on core size)", result.get("matched_core", []))]}[kind.replace("code-", "")]  # fmt: skip
        for suffix, measured in tables:
            for size in MATCHED:
                here = sorted((m for m in measured if m["mean_chars"] == size), key=lambda m: -m["iou"])
                lines += [f"### Mean {size} characters{suffix}", ""]
                lines += table(["chunker", "IoU", "recall", "precision", "MRR@5"],
                       [[m["chunker"], fmt(m["iou"]), fmt(m["recall"]), fmt(m["precision"]), fmt(m["mrr"])]
                        for m in here])  # fmt: skip
                lines.append("")
        if kind == "semantic":
            lines += ["### Speed (first setting, cold: embedding included)", ""]
            lines += table(
                ["chunker", "chars/s", "x fastest peer"],
                [[s["chunker"], f"{s['chars_per_s']:,.0f}", f"{s['x_fastest_peer']:.3g}"] for s in result["speed"]],
            )
            lines.append("")
        lines += ["### Every setting", ""]
        lines += table(["chunker", "setting", "chunks", "mean chars", *(["mean core"] if kind != "semantic" else []),
                       "IoU", "recall"],
               [[r["chunker"], str(r["setting"]), str(r["chunks"]), f"{r['mean_chars']:.0f}",
                 *([f"{r['mean_core']:.0f}"] if kind != "semantic" else []), fmt(r["iou"]), fmt(r["recall"])]
                for r in result["rows"]])  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["semantic", "overlap", "code-overlap"])
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=CORPORA)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.kind == "code-overlap":
        corpora = overlap(["code"])
    else:
        corpora = semantic(args.corpora) if args.kind == "semantic" else overlap(args.corpora)
    report = {"machine": machine(), "minutes": (time.perf_counter() - started) / 60, "corpora": corpora}
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out, f"{args.kind}", markdown(args.kind, report), report)
    print(f"wrote {args.out / args.kind}.md")
    return report


if __name__ == "__main__":
    main()
