"""Scoring one chunking of a corpus: embed its chunks, retrieve the top k per question by cosine, and measure
the retrieved characters against the evidence (recall, precision, IoU, MRR@k, as in Chroma's evaluation) and
the retrieved documents against the relevant ones (document recall@k and MRR@k)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .documents import Corpus
from .embedding import Embedder
from .questions import Question
from .retrieval import Span, mrr_at_k, overlap_scores, relevant_flags
from .setting import Setting


def chunk_corpus(corpus: Corpus, setting: Setting) -> tuple[list[Span], list[int], list[dict[str, str]], float]:
    """Chunk every document on its own: global chunk spans, each chunk's document position, one error record
    per document the chunker raised on (its text then has no chunks), and the seconds spent chunking."""
    spans: list[Span] = []
    owners: list[int] = []
    errors: list[dict[str, str]] = []
    seconds = 0.0
    for position, document in enumerate(corpus.documents):
        if not document.text.strip():
            continue
        started = time.perf_counter()
        try:
            local = setting.chunk(document.text)
        except Exception as exc:  # one bad document must not stop the comparison: record it
            errors.append({"document": document.id, "error": f"{type(exc).__name__}: {exc}"})
            continue
        finally:
            seconds += time.perf_counter() - started
        pairs = [(c.start, c.end) if hasattr(c, "start") else (c[0], c[1]) for c in local]  # Chunks or spans
        kept = [corpus.to_global(position, (a, b)) for a, b in pairs if b > a]
        spans += kept
        owners += [position] * len(kept)
    return spans, owners, errors, seconds


def score(
    corpus: Corpus,
    questions: Sequence[Question],
    spans: Sequence[Span],
    owners: Sequence[int],
    embedder: Embedder,
    query_vectors: Any,
    top_k: int = 5,
) -> dict[str, float | None]:
    """Mean metrics over the questions. Span metrics (recall, precision, IoU, MRR) over the questions with
    evidence spans (None when there are none); document recall@k and MRR@k over every question."""
    texts = [corpus.documents[o].text[a - corpus.bases[o] : b - corpus.bases[o]] for (a, b), o in zip(spans, owners)]
    vectors = embedder.documents(texts) if texts else None
    totals = dict.fromkeys(("recall", "precision", "iou", "mrr", "doc_recall", "doc_mrr"), 0.0)
    with_spans = 0
    for question, query in zip(questions, query_vectors):
        ranked = list((vectors @ query).argsort()[::-1][:top_k]) if vectors is not None else []
        relevant = {corpus.find(d) for d in question.documents}
        found = [owners[i] in relevant for i in ranked]
        totals["doc_recall"] += len({owners[i] for i in ranked} & relevant) / len(relevant)
        totals["doc_mrr"] += mrr_at_k(found, top_k)
        if question.spans:
            with_spans += 1
            evidence = [corpus.to_global(corpus.find(d), (a, b)) for d, a, b in question.spans]
            top = [spans[i] for i in ranked]
            for name, value in overlap_scores(top, evidence).items():
                totals[name] += value
            totals["mrr"] += mrr_at_k(relevant_flags(top, evidence), top_k)
    out: dict[str, float | None] = {}
    for name, total in totals.items():
        count = len(questions) if name.startswith("doc_") else with_spans
        out[name] = total / count if count else None
    return out


def measure(
    corpus: Corpus,
    questions: Sequence[Question],
    setting: Setting,
    embedder: Embedder,
    query_vectors: Any,
    top_k: int = 5,
) -> tuple[dict[str, Any], list[Span]]:
    """One setting on the corpus: its result row (chunk count, mean size, speed, metrics, per-document errors)
    and its global chunk spans."""
    spans, owners, errors, seconds = chunk_corpus(corpus, setting)
    chunked = sum(len(d.text) for d in corpus.documents if d.id not in {e["document"] for e in errors})
    row = {
        "setting": setting.label,
        "chunks": len(spans),
        "mean_chars": sum(b - a for a, b in spans) / len(spans) if spans else 0.0,
        "seconds": seconds,
        "chars_per_s": chunked / seconds if seconds > 0 else float("inf"),
        "notes": setting.notes(),
        **score(corpus, questions, spans, owners, embedder, query_vectors, top_k),
        "errors": errors,
    }
    return row, spans
