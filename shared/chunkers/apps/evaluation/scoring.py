"""Scoring one chunking of a corpus: embed its chunks, retrieve the top k per question by cosine, and measure
the retrieved characters against the evidence (recall, precision, IoU, MRR@k, as in Chroma's evaluation) and
the retrieved documents against the relevant ones (document recall@k and MRR@k)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .documents import Corpus, EvaluationInputError
from .questions import Question
from .retrieval import Span, mrr_at_k, overlap_scores, relevant_flags
from .setting import Setting
from .store import Embedder

CONTEXTS = ("none", "chunker", "path", "full-path", "title+path", "late")
"""What is embedded for a chunk (``chunkers eval --context``): its text alone ("none"); after the chunker's own
``context_header`` ("chunker"); after the section path at its start, from the document's headings, for any chunker's
spans ("path": the sections whose headings come before it; "full-path": its own heading too; "title+path": the
document's title first); or its late-chunking vector ("late": pooled from the whole document's token vectors)."""


def chunk_corpus(
    corpus: Corpus, setting: Setting, headers: list[str] | None = None
) -> tuple[list[Span], list[int], list[dict[str, str]], float]:
    """Chunk every document on its own: global chunk spans, each chunk's document position, one error record
    per document the chunker raised on (its text then has no chunks), and the seconds spent chunking. ``headers``,
    when given, receives each chunk's own ``context_header`` ("" for spans and chunks without one)."""
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
        pairs = [_span_and_header(c) for c in local]
        kept = [(corpus.to_global(position, span), header) for span, header in pairs if span[1] > span[0]]
        spans += [span for span, _ in kept]
        owners += [position] * len(kept)
        if headers is not None:
            headers += [header for _, header in kept]
    return spans, owners, errors, seconds


def chunk_vectors(
    corpus: Corpus, spans: Sequence[Span], owners: Sequence[int], embedder: Embedder, context: str = "none",
    headers: Sequence[str] | None = None, late: Any = None,
) -> Any:  # fmt: skip
    """The vectors retrieval compares with the queries, one row per chunk, for one of `CONTEXTS` (``headers``: the
    chunks' own context_header, for "chunker"; ``late``: the `chunkers.context.LateChunkingEmbedder`, for "late")."""
    import numpy as np

    from ...core.chunk import embedded_text

    if context not in CONTEXTS:
        raise EvaluationInputError(f"unknown context {context!r}; choose from {', '.join(CONTEXTS)}")
    local = [(o, a - corpus.bases[o], b - corpus.bases[o]) for (a, b), o in zip(spans, owners)]
    texts = [corpus.documents[o].text[a:b] for o, a, b in local]
    if not texts:
        return None
    if context == "late":
        by_document: dict[int, list[int]] = {}
        for index, (owner, _, _) in enumerate(local):
            by_document.setdefault(owner, []).append(index)
        order = list(by_document)
        pooled = late.embed_many([corpus.documents[o].text for o in order],
                                 [[local[i][1:] for i in by_document[o]] for o in order])  # fmt: skip
        vectors = np.zeros((len(texts), len(pooled[0][0])), dtype=np.float32)
        for owner, rows in zip(order, pooled):
            vectors[by_document[owner]] = rows
        return vectors
    if context == "none":
        return embedder.documents(texts)
    contexts = list(headers) if context == "chunker" else section_contexts(corpus, local, context)
    return embedder.documents([embedded_text(c, t) for c, t in zip(contexts, texts)])


def section_contexts(corpus: Corpus, local: Sequence[tuple[int, int, int]], context: str) -> list[str]:
    """The section context line at each chunk's start (``(document, start, end)``), from its document's headings
    (`chunkers.documents.context`)."""
    from ...documents import parse, sniff_format
    from ...documents.chunker import EXTENSION_FORMATS
    from ...documents.context import SectionPaths, context_line

    outlines: dict[int, SectionPaths] = {}
    out = []
    for owner, start, _ in local:
        if owner not in outlines:
            document = corpus.documents[owner]
            kind = EXTENSION_FORMATS.get(Path(document.id).suffix.lower()) or sniff_format(document.text)
            outlines[owner] = SectionPaths(parse(document.text, kind))
        sections = outlines[owner]
        path = sections.path(start, "full" if context == "full-path" else "enclosing")
        out.append(context_line(sections.title, path, context == "title+path"))
    return out


def _span_and_header(chunk: Any) -> tuple[Span, str]:
    """A chunk's span and its own context_header ("" for a plain span)."""
    if hasattr(chunk, "start"):
        return (chunk.start, chunk.end), chunk.metadata.get("context_header") or ""
    return (int(chunk[0]), int(chunk[1])), ""


def score(
    corpus: Corpus,
    questions: Sequence[Question],
    spans: Sequence[Span],
    owners: Sequence[int],
    embedder: Embedder,
    query_vectors: Any,
    top_k: int = 5,
    vectors: Any = None,
) -> dict[str, float | None]:
    """Mean metrics over the questions. Span metrics (recall, precision, IoU, MRR) over the questions with
    evidence spans (None when there are none); document recall@k and MRR@k over every question. ``vectors``: the
    chunks' vectors when they are not their texts' embeddings (`chunk_vectors`)."""
    if vectors is None:
        vectors = chunk_vectors(corpus, spans, owners, embedder)
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
    contexts: Sequence[str] = ("none",),
    late: Any = None,
) -> tuple[list[dict[str, Any]], list[Span]]:
    """One setting on the corpus, chunked once and scored for each of ``contexts`` (`CONTEXTS`): a result row per
    context (chunk count, mean size, speed, metrics, per-document errors, ``context``) and the global chunk spans."""
    headers: list[str] = []
    spans, owners, errors, seconds = chunk_corpus(corpus, setting, headers)
    chunked = sum(len(d.text) for d in corpus.documents if d.id not in {e["document"] for e in errors})
    row = {
        "setting": setting.label,
        "chunks": len(spans),
        "mean_chars": sum(b - a for a, b in spans) / len(spans) if spans else 0.0,
        "seconds": seconds,
        "chars_per_s": chunked / seconds if seconds > 0 else float("inf"),
        "notes": setting.notes(),
        "errors": errors,
    }
    rows = []
    for context in contexts:
        vectors = chunk_vectors(corpus, spans, owners, embedder, context, headers, late)
        rows.append({**row, "context": context,
                     **score(corpus, questions, spans, owners, embedder, query_vectors, top_k, vectors)})  # fmt: skip
    return rows, spans
