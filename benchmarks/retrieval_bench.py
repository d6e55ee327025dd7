"""Retrieval quality of chunkers on Chroma's chunking evaluation (../shared/data/chroma-general): chunk a corpus,
embed chunks and questions with the embedded all-MiniLM-L6-v2, retrieve the top k chunks per question, and score
the retrieved character spans against the gold evidence spans (recall, precision, IoU), beside the peers.

    python -m benchmarks run --suite quick|full [--out benchmarks/results]
"""

from __future__ import annotations

import csv
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from chunkers.evaluation import overlap_scores, size_stats
from chunkers.evaluation.retrieval import Span

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RAG_CHUNKERS_DATA", ROOT.parent / "shared" / "data")) / "chroma-general"
SUITES = {"quick": (["chatlogs"], [400]), "full": (["chatlogs", "wikitexts", "pubmed"], [250, 500])}

SpanChunker = Callable[[str], list[Span]]


def load(corpus: str) -> tuple[str, list[tuple[str, list[Span]]]]:
    """The corpus text and its questions with their evidence spans."""
    text = (DATA / "corpora" / f"{corpus}.md").read_text(encoding="utf-8")
    with (DATA / "questions.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["corpus_id"] == corpus]
    return text, [(r["question"], [(ref["start_index"], ref["end_index"]) for ref in json.loads(r["references"])]) for r in rows]


def chunkers_for(size: int) -> dict[str, SpanChunker]:
    """name -> function(text) -> chunk spans, at a target size in characters."""
    from chunkers import LLMChunker, PerplexityChunker, SentenceChunker
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from llama_index.core import Document
    from llama_index.core.node_parser import SentenceSplitter

    def spans(chunker):
        return lambda text: [(c.start, c.end) for c in chunker.chunk(text)]

    recursive = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=0, add_start_index=True)
    sentence_splitter = SentenceSplitter(chunk_size=max(size // 4, 32), chunk_overlap=0)  # ~4 chars per token
    return {
        "rag-chunkers SentenceChunker": spans(SentenceChunker(max_size=size)),
        "rag-chunkers PerplexityChunker": spans(PerplexityChunker(max_size=size * 2, target_size=size)),
        "rag-chunkers LLMChunker (SmolLM2)": spans(LLMChunker(max_size=size * 2, group_tokens=550)),
        "LangChain RecursiveCharacterTextSplitter": lambda text: [
            (d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content))
            for d in recursive.create_documents([text])
        ],
        "LlamaIndex SentenceSplitter": lambda text: [
            (n.start_char_idx, n.end_char_idx) for n in sentence_splitter.get_nodes_from_documents([Document(text=text)])
        ],
    }


def evaluate(text: str, questions: list[tuple[str, list[Span]]], chunk_spans: list[Span], k: int = 5) -> dict[str, float]:
    from chunkers.models import embed

    vectors = embed([text[a:b] for a, b in chunk_spans])
    queries = embed([q for q, _ in questions])
    totals = {"recall": 0.0, "precision": 0.0, "iou": 0.0}
    for (_, evidence), query in zip(questions, queries):
        top = (vectors @ query).argsort()[::-1][:k]
        for name, value in overlap_scores([chunk_spans[i] for i in top], evidence).items():
            totals[name] += value
    return {name: value / len(questions) for name, value in totals.items()}


def run(suite: str, out: Path) -> list[dict]:
    from chunkers import Chunk

    corpora, sizes = SUITES[suite]
    rows = []
    for corpus in corpora:
        text, questions = load(corpus)
        for size in sizes:
            for name, chunk in chunkers_for(size).items():
                started = time.perf_counter()
                chunk_spans = chunk(text)
                seconds = time.perf_counter() - started
                stats = size_stats([Chunk(text[a:b], a, b) for a, b in chunk_spans])
                scores = evaluate(text, questions, chunk_spans)
                rows.append({"corpus": corpus, "target": size, "chunker": name, "chunks": len(chunk_spans),
                             "mean_chars": stats["mean"], "seconds": seconds, **scores})  # fmt: skip
                print(rows[-1])
    lines = [
        f"# Retrieval benchmark ({suite} suite)",
        "",
        f"Chroma's chunking evaluation data, top 5 chunks by MiniLM cosine, character-level scores averaged over "
        f"the corpus's questions. Machine: {platform.machine()}, {os.cpu_count()} threads. Target sizes in "
        "characters (LlamaIndex SentenceSplitter gets target/4 tokens; the perplexity and LLM chunkers merge to the "
        "target under a cap of twice it). Compare rows at similar mean chunk size.",
        "",
        "| corpus | target | chunker | chunks | mean chars | recall | precision | IoU | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['corpus']} | {r['target']} | {r['chunker']} | {r['chunks']} | {r['mean_chars']:.0f} | {r['recall']:.3f} | "
        f"{r['precision']:.3f} | {r['iou']:.3f} | {r['seconds']:.1f} |"
        for r in rows
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / f"retrieval_{suite}.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    (out / f"retrieval_{suite}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return rows
