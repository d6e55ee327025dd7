"""Retrieval quality and speed of chunkers on Chroma's chunking evaluation (../shared/data/chroma-general), ours
beside the peers: chunk a corpus at several target sizes, embed chunks and questions with the embedded
all-MiniLM-L6-v2, retrieve the top 5 chunks per question, and score the retrieved character spans against the
gold evidence spans (recall, precision, IoU, MRR@5); then compare at matched mean chunk size, report speed as
ratios to the fastest peer, and score boundary clarity and chunk stickiness (MoC) on a sample.

    python -m benchmarks run --suite quick|full [--out benchmarks/results]
"""

from __future__ import annotations

import csv
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chunkers.evaluation import mrr_at_k, overlap_scores, relevant_flags
from chunkers.evaluation.retrieval import Span

from .code_retrieval import build, code_entries, langchain_spans
from .lmchunker_worker import PYTHON as LMCHUNKER
from .retrieval_report import markdown, matched, plots, speed_rows

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RAG_CHUNKERS_DATA", ROOT.parent / "shared" / "data")) / "chroma-general"
TOP_K = 5

# A chunk function returns the chunk spans and a note for the table (e.g. what the fallback contributed).
ChunkFn = Callable[[str], tuple[list[Span], str]]


@dataclass(frozen=True)
class Suite:
    corpora: tuple[str, ...]
    targets: tuple[int, ...]  # target chunk sizes in characters
    matched_sizes: tuple[int, ...]  # mean chunk sizes at which the metrics are compared
    llm_targets: tuple[int, ...]  # the LLM chunker is slow on CPU: only these targets
    llm_corpora: tuple[str, ...]
    intrinsic_chars: int  # boundary clarity / stickiness on the chunks inside the corpus's first N characters
    intrinsic_window: int
    lmchunker_corpora: tuple[str, ...]  # lmchunker (in .venv-lmchunker, when it exists) runs on these only
    code_subpackages: tuple[str, ...]  # the code corpus: these langchain-core subpackages (see code_retrieval.py)
    code_targets: tuple[int, ...] = (500, 1000, 2000)  # budgets, in each code chunker's own unit
    code_matched: tuple[int, ...] = (600, 900)


SUITES = {
    "quick": Suite(("chatlogs",), (200, 400, 800), (300, 500), (800,), ("chatlogs",), 3000, 2, (),
                   ("documents", "output_parsers")),
    "full": Suite(("chatlogs", "wikitexts", "pubmed"), (200, 400, 800), (300, 500), (400, 800), ("chatlogs",),
                  3000, 2, ("chatlogs",),
                  ("documents", "output_parsers", "prompts", "tools", "vectorstores", "callbacks")),
}  # fmt: skip


def load(corpus: str) -> tuple[str, list[tuple[str, list[Span]]]]:
    """The corpus text and its questions with their evidence spans."""
    text = (DATA / "corpora" / f"{corpus}.md").read_text(encoding="utf-8")
    with (DATA / "questions.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["corpus_id"] == corpus]
    return text, [
        (r["question"], [(ref["start_index"], ref["end_index"]) for ref in json.loads(r["references"])]) for r in rows
    ]


def _engine(chunker: Any) -> ChunkFn:
    return lambda text: ([(c.start, c.end) for c in chunker.chunk(text)], "")


def _llm_chunker(group_tokens: int, max_size: int) -> ChunkFn:
    from chunkers import LLMChunker

    chunker = LLMChunker(group_tokens=group_tokens, max_size=max_size)

    def chunk(text: str) -> tuple[list[Span], str]:
        chunks = chunker.chunk(text)
        usage = chunker.usage
        single = sum(c.metadata.get("boundary") == "single" for c in chunks)
        return [(c.start, c.end) for c in chunks], (
            f"LLM calls {usage.calls} ({usage.retries} retries); boundaries: LLM {usage.llm_boundaries}, "
            f"fallback {usage.fallbacks}, one-paragraph group {single}"
        )

    return chunk


def _lmchunker(target_words: int) -> ChunkFn:
    """lmchunker's PPL chunking with its dynamic merge, run in its own venv; chunks mapped back to offsets."""
    import subprocess

    from chunkers.models import smollm2_dir

    def chunk(text: str) -> tuple[list[Span], str]:
        result = subprocess.run(
            [str(LMCHUNKER), "-m", "benchmarks.lmchunker_worker", str(target_words)], input=text, capture_output=True,
            text=True, cwd=ROOT, env={**os.environ, "SMOLLM2_DIR": str(smollm2_dir())}, check=True,
        )  # fmt: skip
        output = json.loads(result.stdout.strip().splitlines()[-1])
        return _locate(text, output["chunks"]), f"{output['seconds']:.1f} s of chunking inside its process"

    return chunk


def _locate(text: str, chunks: list[str]) -> list[Span]:
    """Spans of chunks that are the text's pieces in order with their whitespace changed (lmchunker re-joins
    sentences with spaces): each chunk's non-whitespace characters are matched against the text's."""
    spans, position = [], 0
    for chunk in chunks:
        letters = "".join(chunk.split())
        if not letters:
            continue
        while text[position].isspace():
            position += 1
        start, matched = position, 0
        while matched < len(letters):
            if not text[position].isspace():
                if text[position] != letters[matched]:
                    raise ValueError(f"lmchunker's chunk does not follow the text at offset {position}")
                matched += 1
            position += 1
        spans.append((start, position))
    return spans


class _Registry:
    """The chunkers compared, each as (name, ours, make(target) -> (setting, chunk function)); model-heavy ones
    share caches across targets (sentence perplexities, sentence embeddings)."""

    def __init__(self) -> None:
        self.perplexity_cache: dict = {}
        self._semantic_embedding: Any = None

    def semantic_embedding(self) -> Any:
        if self._semantic_embedding is None:
            from chunkers.models import minilm_path
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding
            from pydantic import PrivateAttr

            class CachedEmbedding(HuggingFaceEmbedding):  # the same sentences recur at every breakpoint setting
                _memo: dict = PrivateAttr(default_factory=dict)

                def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
                    missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
                    if missing:
                        self._memo.update(zip(missing, super()._get_text_embeddings(missing)))
                    return [self._memo[t] for t in texts]

            self._semantic_embedding = CachedEmbedding(model_name=str(minilm_path()), device="cpu")
        return self._semantic_embedding

    def entries(self) -> list[tuple[str, bool, Callable[[int], tuple[str, ChunkFn]]]]:
        from chunkers import PerplexityChunker, SentenceChunker

        return [
            ("rag-chunkers SentenceChunker", True, lambda t: (f"max_size={t}", _engine(SentenceChunker(max_size=t)))),
            ("rag-chunkers PerplexityChunker", True, lambda t: (
                f"target_size={t}, max_size={2 * t}",
                _engine(PerplexityChunker(max_size=2 * t, target_size=t, cache=self.perplexity_cache)))),
            ("rag-chunkers LLMChunker (SmolLM2)", True, lambda t: (
                f"group_tokens={round(t * 0.7)}, max_size={2 * t}", _llm_chunker(round(t * 0.7), 2 * t))),
            ("LangChain RecursiveCharacterTextSplitter", False, lambda t: (f"chunk_size={t}", _recursive(t))),
            ("LlamaIndex SentenceSplitter", False, lambda t: (f"chunk_size={t // 4} tokens", _sentence_splitter(t // 4))),
            ("LlamaIndex SemanticSplitterNodeParser (MiniLM)", False, lambda t: (
                f"breakpoint_percentile={SEMANTIC_PERCENTILE[t]}", _semantic(self.semantic_embedding(), SEMANTIC_PERCENTILE[t]))),
            ("semchunk", False, lambda t: (f"chunk_size={t}, token_counter=len", _semchunk(t))),
            ("chonkie RecursiveChunker", False, lambda t: (f"chunk_size={t} characters", _chonkie(t))),
            ("lmchunker (Meta-Chunking authors, SmolLM2)", False, lambda t: (
                f"ppl, threshold=0, dynamic merge to {t // 5} words", _lmchunker(t // 5))),
        ]  # fmt: skip


# SemanticSplitterNodeParser has no size parameter: its breakpoint percentile sets how often it cuts.
SEMANTIC_PERCENTILE = {200: 50, 400: 75, 800: 90}


def _recursive(size: int) -> ChunkFn:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=0, add_start_index=True)
    return lambda text: (langchain_spans(splitter, text), "")


def _sentence_splitter(tokens: int) -> ChunkFn:
    from llama_index.core import Document
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(chunk_size=max(tokens, 32), chunk_overlap=0)
    return lambda text: (
        [(n.start_char_idx, n.end_char_idx) for n in splitter.get_nodes_from_documents([Document(text=text)])],
        "",
    )


def _semantic(embedding: Any, percentile: int) -> ChunkFn:
    from llama_index.core import Document
    from llama_index.core.node_parser import SemanticSplitterNodeParser

    splitter = SemanticSplitterNodeParser(embed_model=embedding, breakpoint_percentile_threshold=percentile)
    return lambda text: (
        [(n.start_char_idx, n.end_char_idx) for n in splitter.get_nodes_from_documents([Document(text=text)])],
        "",
    )


def _semchunk(size: int) -> ChunkFn:
    import semchunk

    return lambda text: (semchunk.chunk(text, size, len, offsets=True)[1], "")


def _chonkie(size: int) -> ChunkFn:
    from chonkie import RecursiveChunker

    chunker = RecursiveChunker(chunk_size=size)
    return lambda text: ([(c.start_index, c.end_index) for c in chunker.chunk(text)], "")


def evaluate(
    text: str, questions: list[tuple[str, list[Span]]], chunk_spans: list[Span], query_vectors: Any
) -> dict[str, float]:
    """Mean recall, precision and IoU of the top-5 chunks' characters against the evidence, and MRR@5
    (``query_vectors``: the questions' embeddings, computed once per corpus)."""
    from chunkers.models import embed

    vectors = embed([text[a:b] for a, b in chunk_spans])
    totals = {"recall": 0.0, "precision": 0.0, "iou": 0.0, "mrr": 0.0}
    for (_, evidence), query in zip(questions, query_vectors):
        top = [chunk_spans[i] for i in (vectors @ query).argsort()[::-1][:TOP_K]]
        for name, value in overlap_scores(top, evidence).items():
            totals[name] += value
        totals["mrr"] += mrr_at_k(relevant_flags(top, evidence), TOP_K)
    return {name: value / len(questions) for name, value in totals.items()}


def _setup(suite: Suite, sizes: dict[str, int], questions: dict[str, int]) -> str:
    import torch

    corpora = ", ".join(f"{c} ({sizes[c] / 1000:.0f} KB, {questions[c]} questions)" for c in suite.corpora)
    return (
        f"Chroma's chunking evaluation data: {corpora}. Chunks and questions embedded with all-MiniLM-L6-v2, top "
        f"{TOP_K} chunks by cosine, character-level scores averaged over each corpus's questions. Target sizes "
        f"{', '.join(map(str, suite.targets))} characters, each chunker's own parameter set to match (see 'setting'). "
        f"The LLM chunker (SmolLM2-135M, local, greedy) runs at targets {', '.join(map(str, suite.llm_targets))} on "
        f"{', '.join(suite.llm_corpora)} only (CPU cost); lmchunker (its own venv, skipped where it is absent) on "
        f"{', '.join(suite.lmchunker_corpora) or 'none'}. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"torch threads {torch.get_num_threads()}, Python {platform.python_version()}."
    )


def _measure(
    corpus: str, target: int, name: str, ours: bool, made: tuple[str, ChunkFn], text: str,
    questions: list[tuple[str, list[Span]]], query_vectors: Any,
) -> tuple[dict, list[Span]]:
    """One chunker at one setting on one corpus: its table row and its chunk spans."""
    setting, chunk = made
    started = time.perf_counter()
    spans, notes = chunk(text)
    seconds = time.perf_counter() - started
    row = {"corpus": corpus, "target": target, "chunker": name, "ours": ours, "setting": setting,
           "chunks": len(spans), "mean_chars": sum(b - a for a, b in spans) / len(spans),
           "seconds": seconds, "chars_per_s": len(text) / seconds, "notes": notes,
           **evaluate(text, questions, spans, query_vectors)}  # fmt: skip
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    return row, spans


def run(suite_name: str, out: Path) -> dict[str, list[dict]]:
    """Run a suite, write retrieval_<suite>.md/.json and two PNG plots under ``out``; return the tables."""
    from chunkers.evaluation import ChunkPerplexity, intrinsic_scores
    from chunkers.models import embed, load_causal_lm, load_embedder

    suite = SUITES[suite_name]
    load_causal_lm(), load_embedder()  # model loading is not chunking time
    registry, scorer = _Registry(), ChunkPerplexity()
    rows, intrinsic, sizes, counts = [], [], {}, {}
    for corpus in suite.corpora:
        text, questions = load(corpus)
        sizes[corpus], counts[corpus] = len(text), len(questions)
        query_vectors = embed([q for q, _ in questions])
        intrinsic_target = min(suite.targets, key=lambda t: abs(t - 400))
        for name, ours, make in registry.entries():
            is_llm = "LLMChunker" in name
            if is_llm and corpus not in suite.llm_corpora:
                continue
            if name.startswith("lmchunker") and (corpus not in suite.lmchunker_corpora or not LMCHUNKER.exists()):
                continue
            targets = suite.llm_targets if is_llm else suite.targets
            for target in targets:
                row, spans = _measure(corpus, target, name, ours, make(target), text, questions, query_vectors)
                rows.append(row)
                if target == min(targets, key=lambda t: abs(t - intrinsic_target)):
                    sample = [text[a:b] for a, b in spans if b <= suite.intrinsic_chars]
                    scores = intrinsic_scores(sample, scorer, window=suite.intrinsic_window)
                    intrinsic.append({"corpus": corpus, "target": target, "chunker": name, "chunks": len(sample),
                                      "mean_chars": sum(map(len, sample)) / max(len(sample), 1), **scores})  # fmt: skip
    code = build(suite.code_subpackages)
    query_vectors = embed([q for q, _ in code.questions])
    for name, ours, make in code_entries(code.files):
        for target in suite.code_targets:
            rows.append(_measure("code", target, name, ours, make(target), code.text, code.questions, query_vectors)[0])
    prose = [r for r in rows if r["corpus"] != "code"]
    match = matched(prose, list(suite.matched_sizes)) + matched([r for r in rows if r["corpus"] == "code"],
                                                                list(suite.code_matched))
    speeds = speed_rows(rows)
    setup = _setup(suite, sizes, counts) + (
        f" Intrinsic metrics on the chunks within each corpus's first {suite.intrinsic_chars} characters, pairs up "
        f"to {suite.intrinsic_window} chunks apart, dependence threshold 0.5. Code corpus ('code'): {code.description}"
        f"; each file chunked on its own by the code chunkers, at budgets {', '.join(map(str, suite.code_targets))} "
        f"in each chunker's own unit, compared at matched mean sizes {', '.join(map(str, suite.code_matched))} "
        "characters; same embedding, top-5 retrieval and character-level scores as the prose."
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"retrieval_{suite_name}"
    tables = {"rows": rows, "matched": match, "speed": speeds, "intrinsic": intrinsic}
    (out / f"{stem}.json").write_text(json.dumps({"setup": setup, **tables}, indent=2) + "\n", encoding="utf-8")
    (out / f"{stem}.md").write_text(markdown(suite_name, setup, rows, match, speeds, intrinsic), encoding="utf-8")
    plots(rows, speeds, out, stem)
    print((out / f"{stem}.md").read_text(encoding="utf-8"))
    return tables
