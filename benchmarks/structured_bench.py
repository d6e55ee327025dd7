"""Retrieval quality on structured (Markdown) documents at matched mean chunk size: header-aware peers, plain
splitters and rag-chunkers' DocumentChunker, each scored without and with its header context embedded before the
chunk (``context + "\\n\\n" + chunk``; the span scored is the chunk's own).

Protocol of benchmarks/retrieval_bench.py (Chroma's evaluation): chunk each document at several target sizes,
embed chunks and questions with the embedded all-MiniLM-L6-v2, retrieve the top 5 over every chunk of the corpus,
score character-level recall / precision / IoU / MRR@5 (chunkers.apps.evaluation.score), interpolate at matched mean
size in characters and in MiniLM tokens (chunkers.apps.evaluation.matched, never extrapolating).

    python -m benchmarks.structured_bench --suite wikitexts-md                     # -> structured_retrieval_wikitexts
    python -m benchmarks.structured_bench --suite doc2dial --max-documents 120     # -> structured_retrieval_doc2dial
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import Corpus, Embedder, Setting, chunk_corpus, matched, score, spans_of, speed_rows
from chunkers.apps.evaluation.report import fmt, ratio

from .paths import ROOT
from .report import machine, table, write
from .structured_suites import SUITES, Aligner, Piece, Suite, load, section_path, subset

TOP_K = 5
TARGETS = (200, 400, 800, 1600, 3200, 4800)  # characters; the larger ones reach 256-512 MiniLM tokens of mean size
QUICK_TARGETS = (200, 400, 800)
CHAR_SIZES = (300, 500)
TOKEN_SIZES = (256, 512)
QUICK_DOCUMENTS = 2
SEPARATOR = " > "
OUT = ROOT / "benchmarks" / "results"


@dataclass
class Splitter:
    """One chunker at one size: a label and ``chunk(text) -> pieces``; ``aligner`` times our offset recovery,
    which is left out of the chunker's speed."""

    label: str
    chunk: Callable[[str], list[Piece]]
    aligner: Aligner | None = None


Factory = Callable[[int], Splitter]


# ---------------------------------------------------------------- context and exact offsets


def heading_context(text: str, offset: int) -> str:
    """The context of a chunk starting at ``offset`` for chunkers without header metadata: the Markdown section
    path there. The one place to swap in the engine's own section path later."""
    return SEPARATOR.join(section_path(text, offset))


def _path(values: Sequence[str]) -> str:
    return SEPARATOR.join(v for v in values if v)


# ---------------------------------------------------------------- the chunkers compared

MARKDOWN_HEADERS = [("#" * level, f"h{level}") for level in range(1, 7)]


def langchain_markdown(target: int) -> Splitter:
    """MarkdownHeaderTextSplitter (headers kept in the text) then RecursiveCharacterTextSplitter per section, as in
    LangChain's docs; context: the header metadata as a path."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    headers = MarkdownHeaderTextSplitter(MARKDOWN_HEADERS, strip_headers=False)
    recursive = RecursiveCharacterTextSplitter(chunk_size=target, chunk_overlap=0)
    aligner = Aligner()

    def chunk(text: str) -> list[Piece]:
        documents = recursive.split_documents(headers.split_text(text))
        return aligner.pieces(text, [(d.page_content, _path([d.metadata.get(h, "") for _, h in MARKDOWN_HEADERS]))
                                     for d in documents])  # fmt: skip

    return Splitter(f"headers h1-h6, chunk_size={target}, overlap 0", chunk, aligner)


def llamaindex_markdown(target: int) -> Splitter:
    """MarkdownNodeParser then SentenceSplitter(target // 4 tokens) per section; context: its header_path (the
    section's parent headings: its own heading is in the section's first chunk)."""
    from llama_index.core import Document
    from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter

    sections = MarkdownNodeParser(header_path_separator=SEPARATOR)
    splitter = SentenceSplitter(chunk_size=max(target // 4, 32), chunk_overlap=0)
    aligner = Aligner()

    def chunk(text: str) -> list[Piece]:
        nodes = sections.get_nodes_from_documents([Document(text=text)])
        pairs = []
        for node in nodes:
            context = node.metadata.get("header_path", "").removeprefix(SEPARATOR).removesuffix(SEPARATOR)
            pairs += [(piece, context) for piece in splitter.split_text(node.get_content())]
        return aligner.pieces(text, pairs)

    return Splitter(f"MarkdownNodeParser, chunk_size={max(target // 4, 32)} tokens, overlap 0", chunk, aligner)


def text_splitter_markdown(target: int) -> Splitter:
    from semantic_text_splitter import MarkdownSplitter

    splitter = MarkdownSplitter(target)
    return Splitter(f"MarkdownSplitter({target}) characters",
                    lambda text: [Piece(o, o + len(c)) for o, c in splitter.chunk_indices(text)])  # fmt: skip


def chonkie_rules() -> Any:
    """Markdown rules for chonkie's RecursiveChunker, written here: its "markdown" recipe is fetched from the
    Hugging Face hub at run time (not bundled). Headings first (each starts the next piece), then paragraphs,
    lines, sentences, words."""
    from chonkie import RecursiveLevel, RecursiveRules

    headings = [f"\n{'#' * level} " for level in range(1, 7)]
    return RecursiveRules([RecursiveLevel(delimiters=headings, include_delim="next"),
                           RecursiveLevel(delimiters=["\n\n"]), RecursiveLevel(delimiters=["\n"]),
                           RecursiveLevel(delimiters=[". ", "! ", "? "]), RecursiveLevel(whitespace=True)])  # fmt: skip


def chonkie_markdown(target: int) -> Splitter:
    from chonkie import RecursiveChunker

    chunker = RecursiveChunker(tokenizer="character", chunk_size=target, rules=chonkie_rules())
    return Splitter(f"RecursiveChunker(chunk_size={target} characters, Markdown rules)",
                    lambda text: [Piece(c.start_index, c.end_index) for c in chunker.chunk(text)])  # fmt: skip


def langchain_recursive(target: int) -> Splitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=target, chunk_overlap=0, add_start_index=True)
    return Splitter(f"chunk_size={target}, overlap 0", lambda text: [Piece(*s) for s in spans_of(splitter, text)])


def sentence_chunker(target: int) -> Splitter:
    from chunkers import SentenceChunker

    chunker = SentenceChunker(max_size=target)
    return Splitter(f"max_size={target}", lambda text: [Piece(*s) for s in spans_of(chunker, text)])


CHUNKERS: dict[str, Factory] = {
    "LangChain MarkdownHeader+Recursive": langchain_markdown,
    "LlamaIndex MarkdownNodeParser+SentenceSplitter": llamaindex_markdown,
    "semantic-text-splitter MarkdownSplitter": text_splitter_markdown,
    "chonkie RecursiveChunker (Markdown rules)": chonkie_markdown,
    "LangChain RecursiveCharacterTextSplitter": langchain_recursive,
    "rag-chunkers SentenceChunker": sentence_chunker,
}
OURS = {"rag-chunkers SentenceChunker"}
NOT_INCLUDED = {
    "chonkie RecursiveChunker.from_recipe('markdown')": "the recipe is fetched from the Hugging Face hub at run time, "
    "not bundled (offline: ValueError: Could not download recipe 'markdown_en'); Markdown RecursiveRules written "
    "here are used instead",
    "docling HybridChunker": "not wired in. `pip install docling` into .venv would replace torch 2.13.0+cpu by "
    "2.14.1 with CUDA wheels and downgrade semchunk 4.1.1 to 3.2.5 (docling-core[chunking] pins semchunk<4). In a "
    "separate venv docling-slim[format-markdown] 2.143.0 + docling-core[chunking] 2.104.0 run HybridChunker offline "
    "(no torch, the local MiniLM tokenizer, the Markdown backend called directly: DocumentConverter imports torch), "
    "but its chunks drop heading lines and Markdown markup (headings go to metadata), so exact offsets need an "
    "alignment this harness does not have, and it needs a subprocess bridge to that venv",
}
OURS_NAME = "rag-chunkers DocumentChunker"


def add_ours() -> str:
    """Register `DocumentChunker(max_size=target)` (context: ``chunk.metadata["context_header"]``: the document title
    and the section path) and its ``context_title=False`` variant (the section path alone); the status line."""
    from chunkers import DocumentChunker

    def factory(**options: Any) -> Factory:
        def make(target: int) -> Splitter:
            chunker = DocumentChunker(max_size=target, **options)
            return Splitter(f"max_size={target}", lambda text: [Piece(c.start, c.end, c.metadata["context_header"])
                                                                for c in chunker.chunk(text)])  # fmt: skip

        return make

    CHUNKERS[OURS_NAME] = factory()
    CHUNKERS[f"{OURS_NAME} (section path only)"] = factory(context_title=False)
    OURS.update({OURS_NAME, f"{OURS_NAME} (section path only)"})
    return f"{OURS_NAME} measured, with the document title in its context (default) and without"


PROBE = "# Title\n\nIntro text here.\n\n## Section\n\nBody text. More body text.\n\n### Sub\n\nDeep text.\n"


def probe(name: str) -> str | None:
    """None when the chunker runs on a small Markdown text offline, else why not."""
    try:
        CHUNKERS[name](400).chunk(PROBE)
    except Exception as exc:  # any failure means "could not run"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
    return None


# ---------------------------------------------------------------- measuring


class ContextEmbedder:
    """The benchmark's embedder with each chunk's context put before its text (``score`` embeds the chunk texts of
    the spans in order; these contexts are in the same order)."""

    def __init__(self, embedder: Embedder, contexts: list[str]) -> None:
        self.embedder, self.contexts = embedder, contexts

    def documents(self, texts: Sequence[str]) -> Any:
        assert len(texts) == len(self.contexts), "one context per chunk"
        return self.embedder.documents([f"{c}\n\n{t}" if c else t for c, t in zip(self.contexts, texts)])


@cache
def tokenizer() -> Any:
    from chunkers.runtime.models import minilm_path
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_path()))


def _chunked(corpus: Corpus, splitter: Splitter) -> tuple[list, list[int], list[dict], float, list[str], list[str]]:
    """chunk_corpus with each piece's context kept: spans, owners, errors, seconds, chunk texts, contexts."""
    recorded: dict[int, dict[tuple[int, int], str | None]] = {}

    def chunk(text: str) -> list[tuple[int, int]]:
        pieces = splitter.chunk(text)
        recorded[id(text)] = {(p.start, p.end): p.context for p in pieces}
        return [(p.start, p.end) for p in pieces]

    spans, owners, errors, seconds = chunk_corpus(corpus, Setting(splitter.label, chunk))
    texts, contexts = [], []
    for (a, b), owner in zip(spans, owners):
        text, base = corpus.documents[owner].text, corpus.bases[owner]
        context = recorded[id(text)][(a - base, b - base)]
        texts.append(text[a - base : b - base])
        contexts.append(heading_context(text, a - base) if context is None else context)
    return spans, owners, errors, seconds, texts, contexts


def measure_setting(suite: Suite, name: str, target: int, embedder: Embedder, queries: Any) -> list[dict[str, Any]]:
    """One chunker at one target on a suite: its row without context and its row with context."""
    corpus, splitter = suite.corpus, CHUNKERS[name](target)
    assert corpus is not None
    spans, owners, errors, seconds, texts, contexts = _chunked(corpus, splitter)
    seconds -= splitter.aligner.seconds if splitter.aligner else 0.0
    failed = {e["document"] for e in errors}
    chunked = sum(len(d.text) for d in corpus.documents if d.id not in failed)
    tokens = [len(ids) for ids in tokenizer()(texts, add_special_tokens=False)["input_ids"]] if texts else []
    base = {"corpus": suite.name, "target": target, "setting": splitter.label, "ours": name in OURS,
            "chunks": len(spans), "mean_chars": sum(map(len, texts)) / max(len(texts), 1),
            "mean_tokens": sum(tokens) / max(len(tokens), 1), "seconds": seconds,
            "chars_per_s": chunked / seconds if seconds > 0 else float("inf"), "errors": errors,
            "with_context_share": sum(bool(c) for c in contexts) / max(len(contexts), 1)}  # fmt: skip
    plain = score(corpus, suite.questions, spans, owners, embedder, queries, TOP_K)
    framed = score(corpus, suite.questions, spans, owners, ContextEmbedder(embedder, contexts), queries, TOP_K)  # type: ignore[arg-type]
    rows = [{**base, "chunker": name, "base": name, "context": False, **plain},
            {**base, "chunker": f"{name} + context", "base": name, "context": True, **framed}]  # fmt: skip
    print(
        f"{suite.name} {name} {target}: {len(spans)} chunks, mean {base['mean_chars']:.0f} chars, IoU "
        f"{plain['iou']:.3f} / {framed['iou']:.3f} with context, {len(errors)} errors",
        flush=True,
    )
    return rows


def matched_tables(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Metrics at matched mean size in characters and in MiniLM tokens (the same interpolation, on either axis)."""
    by_tokens = [{**r, "mean_chars": r["mean_tokens"]} for r in rows]
    extras = {r["chunker"]: {"base": r["base"], "context": r["context"]} for r in rows}
    chars = [{**m, **extras[m["chunker"]], "unit": "chars"} for m in matched(rows, CHAR_SIZES)]
    tokens = [{**m, **extras[m["chunker"]], "unit": "tokens"} for m in matched(by_tokens, TOKEN_SIZES)]
    return {"chars": chars, "tokens": tokens}


def run_suite(suite: Suite, names: list[str], targets: Sequence[int], embedder: Embedder) -> list[dict[str, Any]]:
    assert suite.corpus is not None
    queries = embedder.queries([q.text for q in suite.questions])
    return [row for name in names for target in targets
            for row in measure_setting(suite, name, target, embedder, queries)]  # fmt: skip


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("langchain-text-splitters", "llama-index-core", "semantic-text-splitter", "chonkie", "docling",
                    "rag-chunkers", "sentence-transformers", "torch"):  # fmt: skip
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DOCUMENTS} documents, targets {QUICK_TARGETS}")
    parser.add_argument("--max-documents", type=int, help="a deterministic sample of each suite's documents")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    suites = list(SUITES) if args.suite == "all" else [args.suite]
    return run(suites, args.quick, QUICK_DOCUMENTS if args.quick else args.max_documents, args.out)


def run(suites: list[str], quick: bool, max_documents: int | None, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    ours = add_ours()
    failures = {name: why for name in CHUNKERS if (why := probe(name))}
    names = [name for name in CHUNKERS if name not in failures]
    targets = QUICK_TARGETS if quick else TARGETS
    embedder, results = Embedder(), {}
    for name in suites:
        suite = load(name)
        if max_documents:
            suite = subset(suite, max_documents)
        rows = run_suite(suite, names, targets, embedder) if suite.corpus is not None else []
        speeds = speed_rows([r for r in rows if not r["context"]])
        results[name] = {"notes": suite.notes, "missing": suite.missing, "rows": rows, "speed": speeds,
                         "matched": matched_tables(rows)}  # fmt: skip
    report = {"machine": machine(), "versions": versions(), "ours": ours, "unavailable": failures,
              "not_included": NOT_INCLUDED,
              "targets": list(targets), "quick": quick, "max_documents": max_documents,
              "top_k": TOP_K, "embedder": embedder.name, "minutes": (time.perf_counter() - started) / 60,
              "suites": results}  # fmt: skip
    stem = "structured_retrieval" + "".join(f"_{name.removesuffix('-md')}" for name in suites if len(suites) == 1)
    write_report(report, out, stem + ("_quick" if quick else ""))
    return report


# ---------------------------------------------------------------- report


def size_section(rows: list[dict], measured: list[dict], size: float, unit: str) -> list[str]:
    """One matched size: every chunker's metrics, its IoU relative to the best peer without context."""
    here = sorted((m for m in measured if m["mean_chars"] == size), key=lambda m: -m["iou"])
    peers = [m for m in here if not m["ours"] and not m["context"]]
    best = max(peers, key=lambda m: m["iou"], default=None)
    lines = [f"### Mean chunk size {size:g} {unit}", ""]
    if best is None:
        return [*lines, "No peer reached this mean size.", ""]
    lines += [f"Best peer without context: **{best['base']}** (IoU {fmt(best['iou'])}).", ""]
    lines += table(["chunker", "context", "recall", "precision", "IoU", "MRR@5", "IoU / best peer"],
                    [[("**" + m["base"] + "**") if m["ours"] else m["base"], "with" if m["context"] else "without",
                      fmt(m["recall"]), fmt(m["precision"]), fmt(m["iou"]), fmt(m["mrr"]),
                      f"{m['iou'] / best['iou']:.2f}"] for m in here])  # fmt: skip
    key = "mean_chars" if unit == "chars" else "mean_tokens"
    absent = sorted({r["base"] for r in rows} - {m["base"] for m in here})
    ranges = [f"{b} (mean {min(r[key] for r in rows if r['base'] == b):.0f}-"
              f"{max(r[key] for r in rows if r['base'] == b):.0f} {unit})" for b in absent]  # fmt: skip
    return [*lines, "", *([f"Not reached (no extrapolation): {'; '.join(ranges)}.", ""] if ranges else [])]


def suite_section(name: str, result: dict) -> list[str]:
    lines = [f"## {name}", "", *(f"- {note}" for note in result["notes"]), ""]
    if result["missing"]:
        return [*lines, f"Missing: {result['missing']}", ""]
    rows = result["rows"]
    for unit, sizes in (("chars", CHAR_SIZES), ("tokens", TOKEN_SIZES)):
        for size in sizes:
            lines += size_section(rows, result["matched"][unit], size, "MiniLM tokens" if unit == "tokens" else unit)
    lines += ["### Speed", "", "Characters per second of the first target (speed_rows), and over all targets; "
              "offset recovery done by this benchmark and context derivation are not counted.", ""]  # fmt: skip
    total = {
        b: sum(r["seconds"] for r in rows if r["base"] == b and not r["context"]) for b in {r["base"] for r in rows}
    }
    chars = {
        b: sum(r["chars_per_s"] * r["seconds"] for r in rows if r["base"] == b and not r["context"]) for b in total
    }
    lines += table(["chunker", "chars/s (first target)", "x fastest peer", "chars/s (all targets)"],
                    [[s["chunker"], f"{s['chars_per_s']:,.0f}", ratio(s["x_fastest_peer"]),
                      f"{chars[s['chunker']] / total[s['chunker']]:,.0f}"] for s in result["speed"]])  # fmt: skip
    lines += ["", "### Every setting", ""]
    plain = [r for r in rows if not r["context"]]
    framed = {(r["base"], r["target"]): r for r in rows if r["context"]}
    lines += table(["chunker", "setting", "chunks", "mean chars", "mean tokens", "IoU", "IoU + context",
                     "chunks with a context", "errors"],
                    [[r["base"], r["setting"], str(r["chunks"]), f"{r['mean_chars']:.0f}", f"{r['mean_tokens']:.0f}",
                      fmt(r["iou"]), fmt(framed[(r["base"], r["target"])]["iou"]),
                      f"{r['with_context_share']:.0%}", str(len(r["errors"]))] for r in plain])  # fmt: skip
    return [*lines, ""]


def markdown(report: dict) -> str:
    skipped = {**report["unavailable"], **report.get("not_included", {})}
    unavailable = [f"- {name}: {why}" for name, why in skipped.items()] or ["- none"]
    sample = f" Documents per suite capped at {report['max_documents']} (deterministic sample)." if report[
        "max_documents"] else ""  # fmt: skip
    lines = ["# Retrieval on structured documents (Markdown), with and without header context", "",
             f"Protocol of benchmarks/retrieval_bench.py: each document chunked on its own at targets "
             f"{', '.join(map(str, report['targets']))} (characters; each chunker's own parameter set from it), chunks "
             f"and questions embedded with {report['embedder']}, top {report['top_k']} chunks over the whole corpus by "
             "cosine, character-level recall / precision / IoU and MRR@5 against the evidence spans "
             "(chunkers.apps.evaluation.score), interpolated at matched mean chunk size in characters and in MiniLM "
             "word-piece tokens of the chunk text (never extrapolated). 'With context': the embedded string is "
             "`context + \"\\n\\n\" + chunk` (context = header path joined with ' > '; LangChain: its header metadata, "
             "LlamaIndex: its header_path, ours: chunk.metadata['context_header'], the others: the Markdown section path "
             "at the chunk's start); the span scored is the chunk's own. MiniLM embeds at most 256 tokens: longer "
             f"chunks are truncated when embedded.{sample}", "",
             f"Machine: {report['machine']}. Run time {report['minutes']:.1f} min. Versions: "
             + ", ".join(f"{k} {v}" for k, v in report["versions"].items()) + ".", "",
             f"Ours: {report['ours']}.", "", "Not measured:", *unavailable, ""]  # fmt: skip
    for name, result in report["suites"].items():
        lines += suite_section(name, result)
    return "\n".join(lines)


def write_report(report: dict, out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write(out, f"{stem}", markdown(report), report)
    print(f"wrote {out / stem}.md and .json")


if __name__ == "__main__":
    main()
