"""Chunk filtering (ChunkRAG) on Chroma's chunking evaluation (benchmarks/data/chroma-general): a plain retriever
(rag-chunkers SentenceChunker at 400 characters, the embedded all-MiniLM-L6-v2, top 10 chunks by cosine) feeds
each filter the same 10 chunks per question; the chunks a filter keeps are scored against the gold evidence
(character-level precision, recall and IoU), beside the unfiltered top 10 and top 5.

Filters, all driven by the same local models (SmolLM2-135M-Instruct for the LLM-driven ones, MiniLM for the
embedding ones): rag-chunkers `ChunkFilter` with its three scorers, LangChain `EmbeddingsFilter` and
`LLMChainFilter`, LlamaIndex `SimilarityPostprocessor` and `LLMRerank`. Question pools are nested and evenly
spaced: methods that generate text run on the LLM subsample (``--llm-questions`` per corpus), the LocalLMScorer
(one forward pass per pair) on the LM subsample (``--lm-questions``), the rest on all questions (``--questions``);
each table reports every method that ran on its pool over exactly the same questions.

    python -m benchmarks.filter_bench [--questions N] [--lm-questions L] [--llm-questions M] [--threads T]
                                      [--corpora chatlogs wikitexts] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chunkers import Chunk
from chunkers.apps.evaluation import overlap_scores
from chunkers.apps.evaluation.retrieval import Span

from benchmarks.retrieval_bench import DATA, ROOT, load

CHUNK_SIZE = 400  # characters, rag-chunkers SentenceChunker
RETRIEVE_K = 10
LANGCHAIN_CUTOFFS = (0.76, 0.6)  # EmbeddingsFilter: LangChain's documented example value, and a MiniLM-scale one
LLAMAINDEX_CUTOFFS = (0.7, 0.5)  # SimilarityPostprocessor: LlamaIndex's documented example value, and a lower one
RERANK_NEW_TOKENS = 80  # LLMRerank must list several "Doc: n, Relevance: m" lines
DEFAULT_CORPORA = ("chatlogs", "wikitexts")
ALL, LM, LLM = 0, 1, 2  # question pools, nested: the LLM subsample lies inside the LM subsample
TIER_NAMES = {ALL: "all questions", LM: "LM subsample", LLM: "LLM subsample"}


@dataclass
class Question:
    """One question with its evidence and the retriever's top chunks (best first) and their cosines."""

    corpus: str
    index: int
    query: str
    evidence: list[Span]
    chunks: list[Chunk]
    cosines: list[float]


@dataclass
class Outcome:
    """What a filter kept for one question; ``failed``: the method gave no usable answer (the kept list is
    then its fallback, see the method's notes); ``failed_pairs``: (query, chunk) pairs without a usable score."""

    kept: list[Chunk]
    failed: bool = False
    failed_pairs: int = 0


FilterFn = Callable[[Question], Outcome]


@dataclass
class Method:
    name: str
    settings: str
    run: FilterFn
    tier: int = ALL  # which questions it runs on: ALL, LM (forward passes) or LLM (generation) subsample
    llm: Any = None  # the LocalLLM driving it, for call counts
    warm: bool = True  # run once before timing (model loading is not counted)


# --------------------------------------------------------------------------------------------------------------
# Retrieval


def retrieve(corpus: str, text: str, questions: list[tuple[str, list[Span]]], k: int = RETRIEVE_K) -> list[Question]:
    """The top ``k`` SentenceChunker chunks per question by MiniLM cosine."""
    from chunkers import SentenceChunker
    from chunkers.runtime.models import embed

    chunks = SentenceChunker(max_size=CHUNK_SIZE).chunk(text)
    vectors = embed([c.text for c in chunks])
    queries = embed([q for q, _ in questions])
    out = []
    for i, ((query, evidence), vector) in enumerate(zip(questions, queries)):
        sims = vectors @ vector
        top = sims.argsort()[::-1][:k]
        out.append(Question(corpus, i, query, evidence, [chunks[j] for j in top], [float(sims[j]) for j in top]))
    return out


def spaced(n: int, m: int | None) -> list[int]:
    """``m`` evenly spaced indices out of ``range(n)`` (all of them when m is None or >= n)."""
    if m is None or m >= n:
        return list(range(n))
    return sorted({(i * n) // m for i in range(m)})


# --------------------------------------------------------------------------------------------------------------
# Framework LLM wrappers around the embedded SmolLM2 (chunkers.LocalLLM: chat template, greedy)


def langchain_llm(engine: Any) -> Any:
    """A LangChain `LLM` whose completions come from ``engine.complete`` (a `chunkers.LocalLLM`)."""
    from langchain_core.language_models.llms import LLM as LangChainLLM

    class LocalLangChainLLM(LangChainLLM):
        engine: Any = None

        @property
        def _llm_type(self) -> str:
            return "rag-chunkers-local"

        def _call(self, prompt: str, stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any) -> str:
            return self.engine.complete(prompt)

    return LocalLangChainLLM(engine=engine)


def llamaindex_llm(engine: Any) -> Any:
    """A LlamaIndex `CustomLLM` (completion model) whose completions come from ``engine.complete``."""
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    class LocalLlamaIndexLLM(CustomLLM):
        engine: Any = None

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=8192, num_output=self.engine.max_new_tokens, model_name="smollm2-135m")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            return CompletionResponse(text=self.engine.complete(prompt))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            text = self.engine.complete(prompt)
            yield CompletionResponse(text=text, delta=text)

    return LocalLlamaIndexLLM(engine=engine)


# --------------------------------------------------------------------------------------------------------------
# Methods


def reference(k: int) -> Method:
    return Method(f"unfiltered top {k}", f"the retriever's first {k}", lambda q: Outcome(q.chunks[:k]), warm=False)


def ours(scorer: str) -> Method:
    from chunkers import ChunkFilter

    chunk_filter = ChunkFilter(scorer=scorer)
    flags_seen: list[list[str]] = []
    score = chunk_filter.scorer.score

    def recording_score(query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        scores, flags = score(query, texts)
        flags_seen.extend(flags)  # DroppedChunk carries no flags: count "llm_failed" here
        return scores, flags

    chunk_filter.scorer.score = recording_score

    def run(q: Question) -> Outcome:
        flags_seen.clear()
        kept = chunk_filter.filter(q.query, q.chunks)
        return Outcome([s.chunk for s in kept], failed_pairs=sum("llm_failed" in f for f in flags_seen))

    label = {"local": "LocalLMScorer", "embedding": "EmbeddingScorer", "llm": "LLMScorer"}[scorer]
    llm = getattr(chunk_filter.scorer, "llm", None)
    return Method(
        f'rag-chunkers ChunkFilter(scorer="{scorer}")',
        f"{label}, threshold dynamic (largest gap), dedup > 0.9, min_keep 1"
        + (", SmolLM2 max_new_tokens 16, 3 calls per pair (initial, reflection, critic)" if scorer == "llm" else ""),
        run,
        tier={"local": LM, "embedding": ALL, "llm": LLM}[scorer],
        llm=llm,
    )


def embeddings_filter(threshold: float) -> Method:
    from langchain_classic.retrievers.document_compressors import EmbeddingsFilter
    from langchain_core.documents import Document

    from langchain_chunkers.embeddings import LocalEmbeddings

    compressor = EmbeddingsFilter(embeddings=LocalEmbeddings(), similarity_threshold=threshold, k=None)

    def run(q: Question) -> Outcome:
        docs = [Document(page_content=c.text, metadata={"position": i}) for i, c in enumerate(q.chunks)]
        kept = compressor.compress_documents(docs, q.query)
        return Outcome([q.chunks[d.metadata["position"]] for d in kept])

    return Method(
        f"LangChain EmbeddingsFilter (> {threshold})",
        f"similarity_threshold {threshold} (cosine >), k None, MiniLM via langchain_chunkers LocalEmbeddings",
        run,
    )


def similarity_postprocessor(cutoff: float) -> Method:
    from llama_index.core.postprocessor import SimilarityPostprocessor
    from llama_index.core.schema import NodeWithScore, TextNode

    postprocessor = SimilarityPostprocessor(similarity_cutoff=cutoff)

    def run(q: Question) -> Outcome:
        nodes = [
            NodeWithScore(node=TextNode(text=c.text, id_=str(i)), score=s)
            for i, (c, s) in enumerate(zip(q.chunks, q.cosines))
        ]
        kept = postprocessor.postprocess_nodes(nodes, query_str=q.query)
        return Outcome([q.chunks[int(n.node.node_id)] for n in kept])

    return Method(
        f"LlamaIndex SimilarityPostprocessor (>= {cutoff})",
        f"similarity_cutoff {cutoff} on the retriever's MiniLM cosines (score >=)",
        run,
        warm=False,
    )


def llm_chain_filter() -> Method:
    from chunkers import LocalLLM
    from langchain_classic.retrievers.document_compressors import LLMChainFilter
    from langchain_core.documents import Document

    engine = LocalLLM(max_new_tokens=16)
    compressor = LLMChainFilter.from_llm(langchain_llm(engine))

    def run(q: Question) -> Outcome:
        # One compress_documents call per (question, chunk): the replies are the same as in one batched call
        # (greedy decoding, same prompt), but one unparseable reply then voids only its own chunk. A batched call
        # raises on the first unparseable reply, so as designed the whole question fails: that is what `failed`
        # records; the kept list is the lenient reading (an unparseable reply drops its chunk).
        kept, failed_pairs = [], 0
        for chunk in q.chunks:
            try:
                if compressor.compress_documents([Document(page_content=chunk.text)], q.query):
                    kept.append(chunk)
            except Exception:
                failed_pairs += 1
        return Outcome(kept, failed=failed_pairs > 0, failed_pairs=failed_pairs)

    return Method(
        "LangChain LLMChainFilter",
        "default prompt and BooleanOutputParser (YES/NO), SmolLM2 through a LangChain LLM subclass, "
        "max_new_tokens 16, one call per pair",
        run,
        tier=LLM,
        llm=engine,
    )


def llm_rerank() -> Method:
    from chunkers import LocalLLM
    from llama_index.core.postprocessor import LLMRerank
    from llama_index.core.schema import NodeWithScore, TextNode

    engine = LocalLLM(max_new_tokens=RERANK_NEW_TOKENS)
    reranker = LLMRerank(llm=llamaindex_llm(engine), choice_batch_size=RETRIEVE_K, top_n=RETRIEVE_K)

    def run(q: Question) -> Outcome:
        nodes = [
            NodeWithScore(node=TextNode(text=c.text, id_=str(i)), score=s)
            for i, (c, s) in enumerate(zip(q.chunks, q.cosines))
        ]
        try:
            chosen = reranker.postprocess_nodes(nodes, query_str=q.query)
        except Exception:
            chosen = []
        if not chosen:  # nothing parseable in the reply: keep the unfiltered list, count the failure
            return Outcome(list(q.chunks), failed=True)
        positions = list(dict.fromkeys(int(n.node.node_id) for n in chosen))  # a doc named twice counts once
        return Outcome([q.chunks[i] for i in positions])

    return Method(
        "LlamaIndex LLMRerank",
        f"default choice-select prompt, choice_batch_size {RETRIEVE_K} (one call per question), top_n "
        f"{RETRIEVE_K}, SmolLM2 through a LlamaIndex CustomLLM, max_new_tokens {RERANK_NEW_TOKENS}; a question whose "
        "reply names no document keeps the unfiltered top 10 (counted as failed)",
        run,
        tier=LLM,
        llm=engine,
    )


def build_methods(names: Sequence[str] | None = None) -> list[Method]:
    """The methods by key (all when None): top10, top5, top3, ours-local, ours-embedding, ours-llm, lc-embeddings,
    li-similarity, lc-llmchain, li-llmrerank."""
    factories: dict[str, Callable[[], list[Method]]] = {
        "top10": lambda: [reference(RETRIEVE_K)],
        "top5": lambda: [reference(5)],
        "top3": lambda: [reference(3)],  # about the mean kept count of the dynamic-threshold filters
        "ours-local": lambda: [ours("local")],
        "ours-embedding": lambda: [ours("embedding")],
        "lc-embeddings": lambda: [embeddings_filter(t) for t in LANGCHAIN_CUTOFFS],
        "li-similarity": lambda: [similarity_postprocessor(c) for c in LLAMAINDEX_CUTOFFS],
        "ours-llm": lambda: [ours("llm")],
        "lc-llmchain": lambda: [llm_chain_filter()],
        "li-llmrerank": lambda: [llm_rerank()],
    }
    return [m for key in (names or factories) for m in factories[key]()]


# --------------------------------------------------------------------------------------------------------------
# Measuring


def measure(method: Method, questions: list[Question]) -> list[dict[str, Any]]:
    """One record per question: the kept set's scores against the evidence, sizes, failures and seconds."""
    records = []
    for q in questions:
        started = time.perf_counter()
        outcome = method.run(q)
        seconds = time.perf_counter() - started
        scores = overlap_scores([(c.start, c.end) for c in outcome.kept], q.evidence)
        records.append({
            "corpus": q.corpus, "question": q.index, "pairs": len(q.chunks), "kept": len(outcome.kept),
            "hit": scores["recall"] > 0, "failed": outcome.failed, "failed_pairs": outcome.failed_pairs,
            "seconds": seconds, **scores,
        })  # fmt: skip
    return records


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    seconds = sum(r["seconds"] for r in records)
    pairs = sum(r["pairs"] for r in records)
    return {
        "questions": n,
        "precision": sum(r["precision"] for r in records) / n,
        "recall": sum(r["recall"] for r in records) / n,
        "iou": sum(r["iou"] for r in records) / n,
        "mean_kept": sum(r["kept"] for r in records) / n,
        "hit_rate": sum(r["hit"] for r in records) / n,
        "empty": sum(r["kept"] == 0 for r in records),
        "failed_questions": sum(r["failed"] for r in records),
        "failed_pairs": sum(r["failed_pairs"] for r in records),
        "pairs": pairs,
        "seconds": seconds,
        "pairs_per_s": pairs / seconds if seconds > 0 else None,
    }


def _load_avg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def pools(questions: list[Question], lm_questions: int | None, llm_questions: int | None) -> dict[int, list[Question]]:
    """The nested question pools of one corpus: all, the LM subsample (evenly spaced in all), the LLM subsample
    (evenly spaced in the LM subsample)."""
    lm = [questions[i] for i in spaced(len(questions), lm_questions)]
    llm = [lm[i] for i in spaced(len(lm), llm_questions)]
    return {ALL: questions, LM: lm, LLM: llm}


def run(
    corpora: Sequence[str],
    out: Path,
    max_questions: int | None = None,
    lm_questions: int | None = 20,
    llm_questions: int | None = 4,
    methods: Sequence[str] | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    import torch

    if threads:
        torch.set_num_threads(threads)
    started = time.perf_counter()
    load_before = _load_avg()
    by_corpus: dict[str, dict[int, list[Question]]] = {}
    for corpus in corpora:
        text, pairs = load(corpus)
        chosen = spaced(len(pairs), max_questions)
        retrieved = retrieve(corpus, text, [pairs[i] for i in chosen])
        for q, i in zip(retrieved, chosen):
            q.index = i
        by_corpus[corpus] = pools(retrieved, lm_questions, llm_questions)
    depth = {(q.corpus, q.index): tier for c in corpora for tier in (ALL, LM, LLM) for q in by_corpus[c][tier]}
    rows: list[dict[str, Any]] = []
    for method in build_methods(methods):
        first = next((qs[method.tier][0] for qs in by_corpus.values() if qs[method.tier]), None)
        if method.warm and first is not None:  # load the models outside the timing
            method.run(Question("warm-up", -1, first.query, [], first.chunks[:2], first.cosines[:2]))
        calls_before = method.llm.usage.calls if method.llm is not None else 0
        records = [r for c in corpora for r in measure(method, by_corpus[c][method.tier])]
        for r in records:
            r["pool"] = depth[(r["corpus"], r["question"])]
        calls = method.llm.usage.calls - calls_before if method.llm is not None else None
        rows.append({"method": method.name, "settings": method.settings, "tier": method.tier, "llm_calls": calls,
                     "records": records})  # fmt: skip
        print(f"{method.name} [{method.settings[:50]}]: {summarize(records)}", flush=True)
    result = {
        "machine": {"machine": platform.machine(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "python": platform.python_version(), "load_avg_before": load_before, "load_avg_after": _load_avg()},
        "retriever": f"rag-chunkers SentenceChunker(max_size={CHUNK_SIZE}), all-MiniLM-L6-v2 cosine, top {RETRIEVE_K}",
        "corpora": {c: {TIER_NAMES[t]: len(by_corpus[c][t]) for t in (ALL, LM, LLM)} for c in corpora},
        "seconds": time.perf_counter() - started,
        "rows": rows,
    }  # fmt: skip
    write(result, corpora, out)
    return result


def summaries(rows: list[dict[str, Any]], corpora: Sequence[str]) -> dict[str, Any]:
    """pool -> "pooled" or corpus -> method -> `summarize` of its records on that pool."""
    return {
        TIER_NAMES[t]: {
            scope: {row["method"]: summarize(recs) for row in rows
                    if (recs := select(row, t, None if scope == "pooled" else [scope]))}
            for scope in ["pooled", *corpora]
        }
        for t in (LLM, LM, ALL)
    }  # fmt: skip


RECORD_FIELDS = ("corpus", "question", "pool", "pairs", "kept", "hit", "failed", "failed_pairs", "seconds",
                 "precision", "recall", "iou")  # fmt: skip


def to_json(result: dict[str, Any], corpora: Sequence[str]) -> str:
    """The result with summaries; per-question records as compact rows of RECORD_FIELDS (floats rounded), one
    per line."""
    records = [
        [
            json.dumps([round(r[f], 4) if isinstance(r[f], float) else r[f] for f in RECORD_FIELDS])
            for r in row["records"]
        ]
        for row in result["rows"]
    ]
    rows = [
        {**{k: v for k, v in row.items() if k != "records"}, "record_fields": RECORD_FIELDS, "records": f"@records{i}@"}
        for i, row in enumerate(result["rows"])
    ]
    text = json.dumps({**result, "summary": summaries(result["rows"], corpora), "rows": rows}, indent=1)
    for i, lines in enumerate(records):
        text = text.replace(f'"@records{i}@"', "[\n  " + ",\n  ".join(lines) + "\n ]")
    return text


def select(row: dict[str, Any], tier: int, corpora: Sequence[str] | None) -> list[dict[str, Any]]:
    """The row's records on the questions of pool ``tier`` (none if the method did not run on that pool)."""
    if row["tier"] > tier:
        return []
    return [r for r in row["records"] if r["pool"] >= tier and (corpora is None or r["corpus"] in corpora)]


def _table(rows: list[dict[str, Any]], tier: int, corpora: Sequence[str] | None, settings: bool = True) -> list[str]:
    lines = [
        "| method |" + (" settings |" if settings else "") + " P | R | IoU | mean kept | any evidence kept | failures "
        "| pairs/s |",
        "|---|" + ("---|" if settings else "") + "---|---|---|---|---|---|---|",
    ]
    for row in rows:
        recs = select(row, tier, corpora)
        if not recs:
            continue
        s = summarize(recs)
        failures = ""
        if row["tier"] == LLM or s["failed_pairs"]:
            failures = f"{s['failed_questions']}/{s['questions']} q, {s['failed_pairs']}/{s['pairs']} pairs"
        if row["method"].startswith("unfiltered"):
            speed = ""
        elif s["pairs_per_s"] is None or s["pairs_per_s"] > 10_000:
            speed = "(no model)"
        else:
            speed = f"{s['pairs_per_s']:.1f}"
        lines.append(
            f"| {row['method']} |" + (f" {row['settings']} |" if settings else "") + f" {s['precision']:.3f} | "
            f"{s['recall']:.3f} | {s['iou']:.3f} | {s['mean_kept']:.2f} | {s['hit_rate']:.2f} | {failures} | {speed} |"
        )
    return lines


def write(result: dict[str, Any], corpora: Sequence[str], out: Path) -> None:
    m = result["machine"]
    counts = "; ".join(
        f"{c}: {v[TIER_NAMES[ALL]]} questions, LM subsample {v[TIER_NAMES[LM]]}, LLM subsample {v[TIER_NAMES[LLM]]}"
        for c, v in result["corpora"].items()
    )
    rows = result["rows"]
    lines = [
        "# Chunk filtering benchmark",
        "",
        f"Chroma's chunking evaluation ({counts}). Retriever: {result['retriever']}; every filter gets the same 10 "
        "chunks per question and is scored on the chunks it keeps: character-level precision (P), recall (R) and "
        "IoU against the gold evidence, averaged over questions (an empty kept set scores 0). Any evidence kept: "
        "share of questions where a kept chunk overlaps the evidence. pairs/s: (query, chunk) pairs filtered per "
        "second of wall time, model loading excluded, embedding of the chunks included where a filter embeds them. "
        "Question pools are nested and evenly spaced in each corpus's question list: methods that generate text run "
        "on the LLM subsample, the LocalLMScorer (forward passes) on the LM subsample, the rest on all questions; "
        "each table compares every method that ran on its pool on exactly the same questions.",
        "",
        f"Machine: {m['machine']}, {m['cpus']} CPU threads, torch {m['torch_threads']} thread(s), Python "
        f"{m['python']}, no GPU; load average {m['load_avg_before']} before and {m['load_avg_after']} after the run "
        "(other jobs shared the CPU: speeds are indicative and comparable between rows, not absolute). Whole run: "
        f"{result['seconds'] / 60:.1f} min. Models: SmolLM2-135M-Instruct (embedded, float32, greedy) for every "
        "LLM-driven method, all-MiniLM-L6-v2 for every embedding one.",
        "",
    ]
    for tier in (LLM, LM, ALL):
        lines += [f"## {TIER_NAMES[tier]}, all corpora pooled", "", *_table(rows, tier, None), ""]
    for corpus in corpora:
        for tier in (LLM, LM, ALL):
            lines += [f"## {corpus}, {TIER_NAMES[tier]}", "", *_table(rows, tier, [corpus], settings=False), ""]
    lines += [
        "Notes: failures: questions / (query, chunk) pairs without a usable answer. rag-chunkers LLMScorer: a pair "
        "whose three ratings all fail to parse gets score 0 (flag llm_failed) and the dynamic threshold still "
        "applies. LangChain LLMChainFilter is called once per pair (same prompt, same greedy replies as one batched "
        "call); a batched call, its normal use, raises on any reply with neither YES nor NO (or both), so a question "
        "counts as failed when any of its replies was unparseable; the scores shown are the lenient reading, where "
        "such a reply drops its chunk. LlamaIndex LLMRerank: a question whose reply names no document keeps the "
        "unfiltered top 10 and counts as failed. EmbeddingsFilter and SimilarityPostprocessor are the same fixed "
        "cosine cut (MiniLM, same vectors): their rows form one cutoff curve.",
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "filter_bench.json").write_text(to_json(result, corpora) + "\n", encoding="utf-8")
    (out / "filter_bench.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=None, help="questions per corpus, evenly spaced (all)")
    parser.add_argument("--lm-questions", type=int, default=20, help="per-corpus subsample for the LocalLMScorer")
    parser.add_argument("--llm-questions", type=int, default=4, help="per-corpus subsample for generating methods")
    parser.add_argument(
        "--corpora", nargs="+", default=list(DEFAULT_CORPORA), choices=["chatlogs", "wikitexts", "pubmed"]
    )
    parser.add_argument("--methods", nargs="+", default=None, help="method keys (default: all); see build_methods")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if not (DATA / "questions.csv").exists():
        parser.error(f"{DATA} is missing (the vendored evaluation data: benchmarks/data, or $RAG_CHUNKERS_DATA)")
    run(args.corpora, args.out, args.questions, args.lm_questions, args.llm_questions, args.methods, args.threads)


if __name__ == "__main__":
    main()
