"""Chunk filtering (ChunkRAG): score retrieved chunks against the query, drop near-duplicates and weak ones.

See docs/algorithms.md, "ChunkRAG". The scorers live in `chunkers.filtering.scorers` (one protocol, `Scorer`; the
default is `EmbeddingScorer`, cosine similarity with any embedding model or the embedded MiniLM, the one measured to
help: see docs/filtering.md) and are importable from here too.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.chunk import Chunk
from ..core.configurable import Configurable
from ..core.options import Option
from ..runtime.embeddings import unit_rows
from .scorers import EmbeddingScorer, Scorer, make_scorer


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


def threshold_check(name: str, value: Any) -> Any:
    """'dynamic', a number or None."""
    if value is None or value == "dynamic" or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise ValueError(f"{name} must be 'dynamic', a number or None, got {value!r}")


def top_k_check(name: str, value: Any) -> Any:
    """None or a positive integer."""
    if value is not None and value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    return value


def min_keep_check(name: str, value: Any) -> Any:
    """An integer >= 0."""
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def largest_gap_threshold(scores: Sequence[float]) -> float:
    """The cut in the largest gap between consecutive sorted scores (keeps the top cluster)."""
    ordered = sorted(scores, reverse=True)
    if len(ordered) < 2:
        return -math.inf
    gaps = [(ordered[i] - ordered[i + 1], i) for i in range(len(ordered) - 1)]
    _, i = max(gaps)
    return (ordered[i] + ordered[i + 1]) / 2


@dataclass(eq=False)
class ChunkFilter(Configurable):
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

    scorer: Any = Option(
        None, "'embedding', 'local', 'llm' or a Scorer; None: 'llm' if llm is given, else 'embedding'."
    ).field()
    threshold: str | float | None = Option(
        "dynamic", "'dynamic' (the largest score gap), a number or None.", threshold_check
    ).field()
    top_k: int | None = Option(None, "Keep at most this many.", top_k_check).field()
    min_keep: int = Option(1, "Always keep at least this many.", min_keep_check).field()
    dedup_similarity: float | None = Option(
        0.9, "Drop chunks more similar than this to a kept one; None: no deduplication."
    ).field()
    llm: Any = Option(None, "The LLM of scorer='llm'.", written=False).field()
    embeddings: Any = Option(
        None,
        "The embedding model of scorer='embedding' and of deduplication; None: the embedded MiniLM.",
        written=False,
    ).field()

    def _validate(self) -> None:
        if self.scorer is None or isinstance(self.scorer, str):
            kind = self.scorer or ("llm" if self.llm is not None else "embedding")
            self.scorer = make_scorer(kind, self.llm, self.embeddings)
        if not isinstance(self.scorer, Scorer):
            raise TypeError(f"scorer must have score(query, texts), got {type(self.scorer).__name__}")
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
