"""Chunk filtering (ChunkRAG): score retrieved chunks against the query, drop near-duplicates and weak ones.

See ALGORITHMS.md, "ChunkRAG". The scorers live in `chunkers.filtering.scorers` (one protocol, `Scorer`; the default is
`EmbeddingScorer`, cosine similarity with any embedding model or the embedded MiniLM, the one measured to help: see
the README) and are importable from here too.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.chunk import Chunk
from ..runtime.embeddings import unit_rows
from .scorers import SCORERS as SCORERS
from .scorers import EmbeddingScorer, Scorer, make_scorer
from .scorers import LLMScorer as LLMScorer
from .scorers import LocalLMScorer as LocalLMScorer
from .scorers import parse_score as parse_score


@dataclass
class ScoredChunk:
    """A kept chunk, its relevance score (higher is better) and flags (e.g. "truncated", "llm_failed")."""

    chunk: Chunk
    score: float
    flags: list[str] = field(default_factory=list)


@dataclass
class DroppedChunk:
    """A chunk the filter removed, why ("below threshold 0.42", "duplicate of chunk 3", "beyond top_k"), and its
    scoring flags (e.g. "llm_failed", "truncated")."""

    chunk: Chunk
    score: float | None
    reason: str
    flags: list[str] = field(default_factory=list)


def largest_gap_threshold(scores: Sequence[float]) -> float:
    """The cut in the largest gap between consecutive sorted scores (keeps the top cluster)."""
    ordered = sorted(scores, reverse=True)
    if len(ordered) < 2:
        return -math.inf
    gaps = [(ordered[i] - ordered[i + 1], i) for i in range(len(ordered) - 1)]
    _, i = max(gaps)
    return (ordered[i] + ordered[i + 1]) / 2


class ChunkFilter:
    """Keeps the retrieved chunks that matter for a query, best first.

    1. Redundancy: in the given (retrieval) order, a chunk whose MiniLM similarity to an already kept chunk
       exceeds ``dedup_similarity`` is dropped (None: no deduplication).
    2. Scoring with ``scorer`` (default: embedding cosine similarity, `EmbeddingScorer`).
    3. Threshold: ``"dynamic"`` cuts at the largest gap between sorted scores (the query's own score
       distribution decides), a float keeps scores >= it, None keeps all; then at most ``top_k``.
    4. At least ``min_keep`` chunks (the best scoring ones) are always returned when there are any; such
       chunks carry the flag "kept_by_min_keep".
    `filter` returns the kept `ScoredChunk`s; `last_dropped` lists the others with the reason.
    ``scorer``: a `Scorer`, or "embedding" (default; ``embeddings`` is the model, any `Embeddings`, else the
    embedded MiniLM), "local" (the embedded SmolLM2's yes-probability: measured to make precision worse, kept
    for users who pass a capable local model) or "llm" (ChunkRAG's LLM scoring driven by ``llm``, required).
    An empty or blank query filters nothing: every chunk is kept, in the given order, with score 0 and the
    flag "empty_query".
    """

    def __init__(
        self,
        scorer: Any = None,
        threshold: str | float | None = "dynamic",
        top_k: int | None = None,
        min_keep: int = 1,
        dedup_similarity: float | None = 0.9,
        llm: Any = None,
        embeddings: Any = None,
    ) -> None:
        if not (threshold is None or threshold == "dynamic" or isinstance(threshold, (int, float))):
            raise ValueError(f"threshold must be 'dynamic', a number or None, got {threshold!r}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        if min_keep < 0:
            raise ValueError(f"min_keep must be >= 0, got {min_keep!r}")
        if scorer is None or isinstance(scorer, str):
            scorer = make_scorer(scorer or ("llm" if llm is not None else "embedding"), llm, embeddings)
        self.scorer = scorer
        self.llm, self.embeddings = llm, embeddings
        if not isinstance(self.scorer, Scorer):
            raise TypeError(f"scorer must have score(query, texts), got {type(self.scorer).__name__}")
        self.threshold, self.top_k, self.min_keep = threshold, top_k, min_keep
        self.dedup_similarity = dedup_similarity
        self.last_dropped: list[DroppedChunk] = []

    @staticmethod
    def _as_chunks(chunks: Sequence[Chunk | str]) -> list[Chunk]:
        out = []
        for item in chunks:
            if isinstance(item, Chunk):
                out.append(item)
            elif isinstance(item, str):
                out.append(Chunk(item, 0, len(item)))
            else:
                raise TypeError(f"chunks must be Chunk objects or strings, got {type(item).__name__}")
        return out

    def _embedder(self) -> EmbeddingScorer:
        return self.scorer if isinstance(self.scorer, EmbeddingScorer) else EmbeddingScorer(self.embeddings)

    def _deduplicate(self, chunks: list[Chunk], vectors: Any) -> tuple[list[int], list[DroppedChunk], Any]:
        """Indices kept, the duplicates dropped, and the chunks' unit embeddings (None when not computed)."""
        if self.dedup_similarity is None or len(chunks) < 2:
            return list(range(len(chunks))), [], vectors
        vectors = self._embedder().embed([c.text for c in chunks]) if vectors is None else unit_rows(vectors)
        kept: list[int] = []
        dropped = []
        for i in range(len(chunks)):
            twin = next((j for j in kept if float(vectors[i] @ vectors[j]) > self.dedup_similarity), None)
            if twin is None:
                kept.append(i)
            else:
                dropped.append(DroppedChunk(chunks[i], None, f"duplicate of chunk {twin}"))
        return kept, dropped, vectors

    def filter(
        self,
        query: str,
        chunks: Sequence[Chunk | str],
        query_embedding: Any = None,
        chunk_embeddings: Any = None,
    ) -> list[ScoredChunk]:
        """The chunks worth keeping for ``query``, best first (see the class docstring).

        ``query_embedding`` and ``chunk_embeddings`` (one row per chunk), when the caller already has them from
        the same embedding model (a retriever's), are used instead of embedding again.
        """
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, got {type(query).__name__}")
        candidates = self._as_chunks(chunks)
        self.last_dropped = []
        if not query.strip():
            return [ScoredChunk(c, 0.0, ["empty_query"]) for c in candidates]
        if not candidates:
            return []
        if chunk_embeddings is not None and len(chunk_embeddings) != len(candidates):
            raise ValueError(f"got {len(chunk_embeddings)} chunk embeddings for {len(candidates)} chunks")
        kept_indices, self.last_dropped, vectors = self._deduplicate(candidates, chunk_embeddings)
        survivors = [candidates[i] for i in kept_indices]
        if isinstance(self.scorer, EmbeddingScorer):  # embedded once, for both steps
            if vectors is None:
                vectors = self.scorer.embed([c.text for c in survivors])
            else:
                vectors = unit_rows(vectors)[kept_indices]
            query_vector = self.scorer.embed_query(query) if query_embedding is None else query_embedding
            scores, flags = self.scorer.score_vectors(query_vector, vectors), [[] for _ in survivors]
        else:
            scores, flags = self.scorer.score(query, [c.text for c in survivors])
        scored = sorted(
            (ScoredChunk(c, float(s), list(f)) for c, s, f in zip(survivors, scores, flags)),
            key=lambda sc: -sc.score,
        )
        if self.threshold == "dynamic":
            cut = largest_gap_threshold([sc.score for sc in scored])
        elif self.threshold is None:
            cut = -math.inf
        else:
            cut = float(self.threshold)
        kept = [sc for sc in scored if sc.score >= cut]
        rest = [sc for sc in scored if sc.score < cut]
        if self.top_k is not None:
            rest = kept[self.top_k :] + rest
            kept = kept[: self.top_k]
            reasons = {id(sc): "beyond top_k" for sc in rest if sc.score >= cut}
        else:
            reasons = {}
        while len(kept) < self.min_keep and rest:
            rescued = rest.pop(0)
            rescued.flags.append("kept_by_min_keep")
            kept.append(rescued)
        self.last_dropped += [
            DroppedChunk(sc.chunk, sc.score, reasons.get(id(sc), f"below threshold {cut:.3f}"), sc.flags) for sc in rest
        ]
        return kept

    async def afilter(
        self, query: str, chunks: Sequence[Chunk | str], query_embedding: Any = None, chunk_embeddings: Any = None
    ) -> list[ScoredChunk]:
        """`filter` without blocking the event loop."""
        return await asyncio.to_thread(self.filter, query, chunks, query_embedding, chunk_embeddings)
