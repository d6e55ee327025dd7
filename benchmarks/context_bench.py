"""What to embed with a structured-document chunk, decided across suites: an ablation of the context string (title or
not, the chunk's own heading in the path or not, a "context_header: " label as LlamaIndex's default metadata template
writes it, the separator) and of late chunking, on DocumentChunker's spans, against the plain peers at matched mean
size; the default is the setting with the best worst-suite gain over the best peer without context.

Protocol of benchmarks/structured_bench.py (Chroma's evaluation: each document chunked on its own at several target
sizes, MiniLM, top 5 over the whole corpus, character IoU interpolated at matched mean size in characters and in
MiniLM tokens). Embeddings are kept on disk (benchmarks/.cache/, gitignored), so a rerun embeds only what is new.

    python -m benchmarks.context_bench                       # every built suite -> benchmarks/results/context_ablation
    python -m benchmarks.context_bench --suite doc2dial      # one suite, then the combined report again
    python -m benchmarks.context_bench --suite doc2dial --quick

Each suite's rows are kept in benchmarks/results/context_ablation_<suite>.json; the combined report
(context_ablation.md/.json, with the worst-suite gains) is rebuilt from every such file present, so the suites can
be run one at a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shelve
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import Embedder, Setting, chunk_corpus, matched, score
from chunkers.apps.evaluation.report import fmt
from chunkers.core.chunk import embedded_text
from chunkers.documents import DocumentChunker, html_text

from . import structured_bench as bench
from .paths import ROOT
from .report import machine, write
from .structured_suites import SUITES, load

TARGETS = (200, 400, 800, 1600, 3200)
QUICK_TARGETS = (200, 400, 800)
OUT = ROOT / "benchmarks" / "results"
CACHE = ROOT / "benchmarks" / ".cache"
PEERS = ("LangChain MarkdownHeader+Recursive", "LlamaIndex MarkdownNodeParser+SentenceSplitter",
         "semantic-text-splitter MarkdownSplitter", "chonkie RecursiveChunker (Markdown rules)",
         "LangChain RecursiveCharacterTextSplitter", "rag-chunkers SentenceChunker")  # fmt: skip
HTML_PEERS = ("LangChain RecursiveCharacterTextSplitter", "rag-chunkers SentenceChunker")
PEERS_WITH_PATH = ("LangChain RecursiveCharacterTextSplitter", "chonkie RecursiveChunker (Markdown rules)")


@dataclass(frozen=True)
class Variant:
    """One way to build the embedded string of DocumentChunker's chunks: its chunker options (which titles go in
    ``context_header``), a label before the context and the separator between titles; or late chunking."""

    name: str
    options: dict[str, Any] | None  # DocumentChunker context options; None: no context
    label: str = ""
    separator: str = " > "
    late: bool = False


VARIANTS = (
    Variant("none", None),
    Variant("path", {"context_title": False, "context_path": "enclosing"}),
    Variant("full-path", {"context_title": False, "context_path": "full"}),
    Variant("title+path (0.1 default)", {"context_title": True, "context_path": "enclosing"}),
    Variant("title+full-path", {"context_title": True, "context_path": "full"}),
    Variant(
        "labelled title+path (0.1 LlamaIndex default)",
        {"context_title": True, "context_path": "enclosing"},
        label="context_header: ",
    ),
    Variant("labelled full-path", {"context_title": False, "context_path": "full"}, label="context_header: "),
    Variant("full-path, a title per line", {"context_title": False, "context_path": "full"}, separator="\n"),
    Variant("late", None, late=True),
    Variant("late + full-path", {"context_title": False, "context_path": "full"}, late=True),
    Variant("late + title+full-path", {"context_title": True, "context_path": "full"}, late=True),
)


def framed(context: str, text: str, variant: Variant) -> str:
    """The embedded string of a chunk under ``variant``."""
    if not context:
        return text
    return embedded_text(variant.label + context.replace(" > ", variant.separator), text)


def our_rows(
    suite: Any, target: int, embedder: Embedder, queries: Any, late: Any, late_memo: Any
) -> list[dict[str, Any]]:
    """DocumentChunker at one target: one row per variant (the spans are the same for every variant; the late
    vectors are kept in ``late_memo`` by the spans' digest)."""
    corpus = suite.corpus
    html = suite.name.endswith("-html")  # an HTML chunk is embedded as its text view, as the faces embed it
    rows = []
    pooled = None  # the late vectors, the same for both late variants
    for variant in VARIANTS:
        chunker = DocumentChunker(max_size=target, **(variant.options or {}))
        headers: list[str] = []
        spans, owners, _, seconds = chunk_corpus(corpus, Setting(f"max_size={target}", chunker.chunk), headers)
        local = [(o, a - corpus.bases[o], b - corpus.bases[o]) for (a, b), o in zip(spans, owners)]
        sources = [corpus.documents[o].text for o, _, _ in local]
        texts = [html_text(s, a, b)[0] if html else s[a:b] for s, (_, a, b) in zip(sources, local)]
        contexts = headers if variant.options is not None else [""] * len(texts)
        vectors = embedder.documents([framed(c, t, variant) for c, t in zip(contexts, texts)])
        if variant.late:
            import numpy as np
            from chunkers.apps.evaluation.scoring import chunk_vectors

            if pooled is None:
                key = hashlib.sha1(repr((corpus.name, spans)).encode()).hexdigest()
                if key not in late_memo:
                    late_memo[key] = chunk_vectors(corpus, spans, owners, embedder, "late", late=late)
                pooled = late_memo[key]
            vectors = pooled if variant.options is None else (pooled + vectors) / 2
            vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        rows.append(_row(suite, f"{bench.OURS_NAME} [{variant.name}]", variant.name, True, target, texts, seconds,
                         score(corpus, suite.questions, spans, owners, embedder, queries, bench.TOP_K, vectors)))  # fmt: skip
    return rows


def peer_rows(suite: Any, name: str, target: int, embedder: Embedder, queries: Any) -> list[dict[str, Any]]:
    """A peer at one target, without context and (for `PEERS_WITH_PATH`) with the section path at each chunk."""
    splitter = bench.CHUNKERS[name](target)
    spans, owners, _, seconds, texts, contexts = bench._chunked(suite.corpus, splitter)
    if splitter.aligner:
        seconds -= splitter.aligner.seconds
    rows = [_row(suite, name, "none", False, target, texts, seconds,
                 score(suite.corpus, suite.questions, spans, owners, embedder, queries, bench.TOP_K))]  # fmt: skip
    if name in PEERS_WITH_PATH and not suite.name.endswith("-html"):
        vectors = embedder.documents([embedded_text(c, t) for c, t in zip(contexts, texts)])
        rows.append(
            _row(
                suite,
                f"{name} + section path",
                "full-path",
                False,
                target,
                texts,
                seconds,
                score(suite.corpus, suite.questions, spans, owners, embedder, queries, bench.TOP_K, vectors),
            )
        )
    return rows


def _row(suite: Any, chunker: str, context: str, ours: bool, target: int, texts: list[str], seconds: float,
         scores: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    tokens = [len(ids) for ids in bench.tokenizer()(texts, add_special_tokens=False)["input_ids"]] if texts else []
    row = {"corpus": suite.name, "chunker": chunker, "context": context, "ours": ours, "target": target,
           "chunks": len(texts), "mean_chars": sum(map(len, texts)) / max(len(texts), 1),
           "mean_tokens": sum(tokens) / max(len(tokens), 1), "seconds": seconds, **scores}  # fmt: skip
    print(
        f"{suite.name} {chunker} {target}: {len(texts)} chunks, mean {row['mean_chars']:.0f}, IoU {row['iou']:.4f}",
        flush=True,
    )
    return row


def tables(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_tokens = [{**r, "mean_chars": r["mean_tokens"]} for r in rows]
    extra = {r["chunker"]: {"context": r["context"]} for r in rows}
    return {"chars": [{**m, **extra[m["chunker"]]} for m in matched(rows, bench.CHAR_SIZES)],
            "tokens": [{**m, **extra[m["chunker"]]} for m in matched(by_tokens, bench.TOKEN_SIZES)]}  # fmt: skip


def gains(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per variant, its IoU over the best peer without context in every suite and matched size, and the worst."""
    out = []
    for variant in VARIANTS:
        name = f"{bench.OURS_NAME} [{variant.name}]"
        cells = {}
        for suite, result in results.items():
            for unit, table in result["tables"].items():
                for size in sorted({m["mean_chars"] for m in table}):
                    here = [m for m in table if m["mean_chars"] == size]
                    peers = [m["iou"] for m in here if not m["ours"] and m["context"] == "none"]
                    mine = next((m["iou"] for m in here if m["chunker"] == name), None)
                    plain = next((m["iou"] for m in here if m["chunker"] == f"{bench.OURS_NAME} [none]"), None)
                    if peers and mine is not None:
                        cells[f"{suite} {size:g} {unit}"] = {"iou": mine, "vs_best_peer": mine / max(peers) - 1,
                                                              "vs_no_context": mine / plain - 1 if plain else None}  # fmt: skip
        worst = min((c["vs_best_peer"] for c in cells.values()), default=None)
        out.append({"variant": variant.name, "cells": cells, "worst_vs_best_peer": worst})
    return out


def run_suite(name: str, targets: Sequence[int], memo: Any, late: Any, late_memo: Any) -> dict[str, Any]:
    """One suite's rows and matched tables (or what is missing)."""
    started = time.perf_counter()
    suite = load(name)
    if suite.corpus is None:
        return {"missing": suite.missing}
    embedder = Embedder(memo=memo)
    queries = embedder.queries([q.text for q in suite.questions])
    peers = HTML_PEERS if name.endswith("-html") else PEERS
    rows: list[dict[str, Any]] = []
    for target in targets:
        rows += our_rows(suite, target, embedder, queries, late, late_memo)
        for peer in peers:
            if bench.probe(peer) is None:
                rows += peer_rows(suite, peer, target, embedder, queries)
    return {"notes": suite.notes, "rows": rows, "tables": tables(rows), "targets": list(targets),
            "machine": machine(), "minutes": (time.perf_counter() - started) / 60}  # fmt: skip


def run(suites: Sequence[str], targets: Sequence[int], out: Path, stem: str) -> dict[str, Any]:
    """Run ``suites``, write each one's rows to ``<stem>_<suite>.json`` and the combined report ``<stem>.md/.json``
    from every suite file present."""
    CACHE.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    from chunkers.context import LateChunkingEmbedder

    late = LateChunkingEmbedder()
    with shelve.open(str(CACHE / "minilm_vectors")) as memo, shelve.open(str(CACHE / "late_vectors")) as late_memo:
        for name in suites:
            result = run_suite(name, targets, memo, late, late_memo)
            (out / f"{stem}_{name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n", "utf-8")
    return combine(out, stem)


def combine(out: Path, stem: str) -> dict[str, Any]:
    """The combined report from the suite files ``<stem>_<suite>.json`` in ``out``."""
    results = {name: json.loads(path.read_text(encoding="utf-8")) for name in SUITES
               if (path := out / f"{stem}_{name}.json").is_file()}  # fmt: skip
    built = {k: v for k, v in results.items() if "tables" in v}
    report = {"machine": next((v["machine"] for v in built.values()), machine()),
              "embedder": "all-MiniLM-L6-v2 (embedded)", "minutes": sum(v["minutes"] for v in built.values()),
              "suites": {k: {"notes": v.get("notes"), "targets": v.get("targets"), "missing": v.get("missing"),
                             "tables": v.get("tables")} for k, v in results.items()},
              "gains": gains(built)}  # fmt: skip
    write(out, f"{stem}", markdown(report), report)
    print(f"wrote {out / stem}.md and .json")
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = ["# What to embed with a structured chunk: the context ablation", "",
             "DocumentChunker's spans embedded eleven ways (the spans are the same in every row: only the embedded string "
             "changes), against the plain peers of benchmarks/structured_bench.py at matched mean size; "
             "all-MiniLM-L6-v2, top 5, character IoU (python -m benchmarks.context_bench). Variants: the context "
             "line with or without the document title, with the enclosing sections only ('path') or the chunk's own "
             "heading too ('full-path'), with LlamaIndex's default 'context_header: ' label, titles on one line or "
             "one per line; 'late': late chunking (chunkers.context.LateChunkingEmbedder, MiniLM windows of 256 "
             "tokens, overlap 64); 'late + full-path' (or + title+full-path): the mean of the late vector and that string's "
             "vector.", "", f"Machine: {report['machine']}. Run time {report['minutes']:.1f} min.", "",
             "## Gain over the best peer without context, by suite and size (the default: the best worst cell)", ""]  # fmt: skip
    gains_ = report["gains"]
    cells = sorted({c for g in gains_ for c in g["cells"]})
    lines += ["| variant | worst | " + " | ".join(cells) + " |", "|---|---|" + "---|" * len(cells)]
    for g in sorted(gains_, key=lambda g: -(g["worst_vs_best_peer"] if g["worst_vs_best_peer"] is not None else -9)):
        row = [f"{g['cells'][c]['vs_best_peer']:+.1%} ({g['cells'][c]['iou']:.3f})" if c in g["cells"] else "-"
               for c in cells]  # fmt: skip
        worst = g["worst_vs_best_peer"]
        lines.append(f"| {g['variant']} | {'-' if worst is None else f'{worst:+.1%}'} | " + " | ".join(row) + " |")
    lines += ["", "## Gain over the same spans without context", ""]
    lines += ["| variant | " + " | ".join(cells) + " |", "|---|" + "---|" * len(cells)]
    for g in gains_:
        row = [f"{g['cells'][c]['vs_no_context']:+.1%}" if c in g["cells"] and g["cells"][c]["vs_no_context"]
               is not None else "-" for c in cells]  # fmt: skip
        lines.append(f"| {g['variant']} | " + " | ".join(row) + " |")
    for name, result in report["suites"].items():
        lines += ["", f"## {name}", ""]
        if result.get("missing"):
            lines += [f"Missing: {result['missing']}"]
            continue
        lines += [f"- {note}" for note in result["notes"]]
        for unit, table in result["tables"].items():
            for size in sorted({m["mean_chars"] for m in table}):
                here = sorted((m for m in table if m["mean_chars"] == size), key=lambda m: -m["iou"])
                lines += [
                    "",
                    f"### Mean {size:g} {'MiniLM tokens' if unit == 'tokens' else 'characters'}",
                    "",
                    "| chunker | context | recall | precision | IoU | MRR@5 |",
                    "|---|---|---|---|---|---|",
                ]
                lines += [f"| {m['chunker']} | {m['context']} | {fmt(m['recall'])} | {fmt(m['precision'])} | "
                          f"{fmt(m['iou'])} | {fmt(m['mrr'])} |" for m in here]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--quick", action="store_true", help=f"targets {QUICK_TARGETS} only")
    parser.add_argument("--targets", nargs="+", type=int, help=f"target sizes (default {TARGETS})")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    bench.add_ours()
    suites = list(SUITES) if args.suite == "all" else [args.suite]
    stem = "context_ablation" + ("_quick" if args.quick else "")
    return run(suites, args.targets or (QUICK_TARGETS if args.quick else TARGETS), args.out, stem)


if __name__ == "__main__":
    main()
