"""Chunk filtering (ChunkRAG): score retrieved chunks against the query, drop near-duplicates and weak ones.

See ALGORITHMS.md, "ChunkRAG". Scorers share one protocol (`Scorer`); the default is `EmbeddingScorer`
(cosine similarity, with any embedding model or the embedded MiniLM), the one measured to help: see the README.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .chunk import Chunk
from .llm import as_llm

logger = logging.getLogger(__name__)


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


@runtime_checkable
class Scorer(Protocol):
    """Scores (query, text) pairs; returns one score per text and may add flags per text."""

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]: ...


@runtime_checkable
class Embeddings(Protocol):
    """An embedding model: LangChain's ``Embeddings`` interface (any LangChain embedding object fits it)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class LocalEmbeddings:
    """`Embeddings` from a local sentence-transformers model (None: the embedded all-MiniLM-L6-v2)."""

    def __init__(self, model: Any = None) -> None:
        self.model = model

    def embed_documents(self, texts: list[str]) -> Any:
        from .models import embed

        return embed(list(texts), self.model)

    def embed_query(self, text: str) -> Any:
        return self.embed_documents([text])[0]


def _unit_rows(vectors: Any) -> Any:
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


class EmbeddingScorer:
    """Cosine similarity between query and chunk embeddings.

    ``model``: any `Embeddings` (a LangChain embedding object, or a bridged LlamaIndex one), a local
    sentence-transformers model or folder, or None for the embedded all-MiniLM-L6-v2.
    """

    def __init__(self, model: Any = None) -> None:
        self.model = model
        self.embeddings: Embeddings = model if isinstance(model, Embeddings) else LocalEmbeddings(model)

    def embed(self, texts: list[str]) -> Any:
        """Unit vectors of ``texts`` (rows), for comparing chunks with each other and with the query."""
        return _unit_rows(self.embeddings.embed_documents(list(texts)))

    def embed_query(self, query: str) -> Any:
        """The unit vector of ``query``."""
        return _unit_rows(self.embeddings.embed_query(query))

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        return self.score_vectors(self.embed_query(query), self.embed(texts)), [[] for _ in texts]

    @staticmethod
    def score_vectors(query_vector: Any, vectors: Any) -> list[float]:
        """Cosine similarity of a query vector to chunk vectors (rows); neither needs to be normalised."""
        return [float(v) for v in _unit_rows(vectors) @ _unit_rows(query_vector)]


RELEVANCE_QUESTION = (
    "Question: {query}\n\nPassage: {passage}\n\nDoes the passage help answer the question? Answer Yes or No."
)


class LocalLMScorer:
    """P("Yes") / (P("Yes") + P("No")) for the next token after a relevance question, from a local causal LM
    (the embedded SmolLM2-135M-Instruct by default): batched forward passes, logits of the last position
    only, no generation. Passages longer than ``max_passage_tokens`` are truncated for scoring (flag
    "truncated"). ``device``/``dtype``/``quantize`` (None: auto) are resolved by
    `chunkers.models.resolve_runtime` (``runtime`` tells the choice); prompts of similar length share
    batches of up to ``batch_tokens`` padded tokens (None: the device's default), at most ``batch_size``
    prompts if given."""

    def __init__(
        self,
        model: Any = None,
        tokenizer: Any = None,
        batch_size: int | None = None,
        max_passage_tokens: int = 384,
        device: str | None = None,
        dtype: str | None = None,
        quantize: str | bool | None = None,
        batch_tokens: int | None = None,
    ) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.device, self.dtype, self.quantize = device, dtype, quantize
        self._loaded: tuple[Any, Any] | None = None
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.max_passage_tokens = max_passage_tokens

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from .models import load_causal_lm

            self._loaded = load_causal_lm(self.model, self.tokenizer, self.device, self.dtype, self.quantize)
        return self._loaded

    @property
    def runtime(self) -> Any:
        """The `chunkers.models.Runtime` the model runs with (loads it)."""
        from .models import runtime_of

        return runtime_of(self._model()[0], self.batch_tokens)

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        import torch

        model, tokenizer = self._model()
        yes, no = (tokenizer.encode(word, add_special_tokens=False)[0] for word in ("Yes", "No"))
        prompts, flags = [], []
        for text in texts:
            ids = tokenizer.encode(text, add_special_tokens=False)
            flags.append(["truncated"] if len(ids) > self.max_passage_tokens else [])
            passage = tokenizer.decode(ids[: self.max_passage_tokens])
            messages = [{"role": "user", "content": RELEVANCE_QUESTION.format(query=query, passage=passage)}]
            prompts.append(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
        encoded = tokenizer(prompts)["input_ids"] if prompts else []
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]), reverse=True)
        budget, cap = self.runtime.batch_tokens, self.batch_size or len(prompts)
        scores = [0.0] * len(prompts)
        side = tokenizer.padding_side
        tokenizer.padding_side = "left"  # the next-token position is then the last one in every row
        try:
            first = 0
            while first < len(order):  # longest first: a batch holds as many rows as fit its token budget
                rows = order[first : first + max(1, min(cap, budget // len(encoded[order[first]])))]
                batch = tokenizer.pad({"input_ids": [encoded[i] for i in rows]}, return_tensors="pt")
                with torch.inference_mode():
                    device = next(model.parameters()).device
                    logits = model(**batch.to(device), logits_to_keep=1).logits[:, -1].float()
                pair = torch.softmax(logits[:, [yes, no]], dim=-1)
                for row, value in zip(rows, pair[:, 0].tolist()):
                    scores[row] = value
                first += len(rows)
        finally:
            tokenizer.padding_side = side
        return scores, flags


SCORE_PROMPT = (
    "Rate from 0 to 10 how relevant the passage is to the question (10: it answers it; 0: unrelated). "
    "Reply with the number only.\n\nQuestion: {query}\n\nPassage: {passage}"
)
REFLECT_PROMPT = (
    "You rated the passage's relevance to the question as {score}/10. Reconsider carefully and reply with your "
    "final rating from 0 to 10, the number only.\n\nQuestion: {query}\n\nPassage: {passage}"
)
CRITIC_PROMPT = (
    "You are a strict critic. Rate from 0 to 10 how relevant the passage is to the question. Reply with the "
    "number only.\n\nQuestion: {query}\n\nPassage: {passage}"
)
_SCORE = re.compile(r"(?<![\d.])(10|\d(?:\.\d+)?)(?:\s*/\s*10)?(?![\d])")


def parse_score(reply: str) -> float | None:
    """The first 0-10 rating in ``reply``, scaled to 0-1 (None if there is none)."""
    match = _SCORE.search(reply or "")
    return float(match.group(1)) / 10 if match else None


class LLMScorer:
    """ChunkRAG's LLM scoring: an initial 0-10 rating, a self-reflection pass on it, and a critic's rating,
    combined as a weighted mean (``weights`` for initial, reflection, critic). Calls run concurrently
    (``concurrency``). A pass that fails or gives no number is left out of the mean; a chunk with no usable
    pass gets ``failure_score`` and the flag "llm_failed"."""

    def __init__(
        self,
        llm: Any = None,
        weights: tuple[float, float, float] = (0.3, 0.3, 0.4),
        concurrency: int = 4,
        max_passage_chars: int = 4000,
        failure_score: float = 0.0,
    ) -> None:
        self.llm = as_llm(llm)
        self.weights = weights
        self.concurrency = concurrency
        self.max_passage_chars = max_passage_chars
        self.failure_score = failure_score

    async def _ask(self, prompt: str, gate: asyncio.Semaphore) -> float | None:
        async with gate:
            try:
                return parse_score(await self.llm.acomplete(prompt))
            except Exception as exc:  # one failing call must not sink the batch
                logger.warning("LLM scoring call failed: %s: %s", type(exc).__name__, exc)
                return None

    async def _score_one(self, query: str, text: str, gate: asyncio.Semaphore) -> tuple[float, list[str]]:
        flags = ["truncated"] if len(text) > self.max_passage_chars else []
        passage = text[: self.max_passage_chars]
        initial, critic = await asyncio.gather(
            self._ask(SCORE_PROMPT.format(query=query, passage=passage), gate),
            self._ask(CRITIC_PROMPT.format(query=query, passage=passage), gate),
        )
        reflected = None
        if initial is not None:
            prompt = REFLECT_PROMPT.format(score=round(initial * 10, 1), query=query, passage=passage)
            reflected = await self._ask(prompt, gate)
        parts = [(w, s) for w, s in zip(self.weights, (initial, reflected, critic)) if s is not None]
        if not parts:
            return self.failure_score, [*flags, "llm_failed"]
        return sum(w * s for w, s in parts) / sum(w for w, _ in parts), flags

    async def ascore(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        gate = asyncio.Semaphore(self.concurrency)
        results = await asyncio.gather(*(self._score_one(query, t, gate) for t in texts))
        return [r[0] for r in results], [r[1] for r in results]

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.ascore(query, texts))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:  # called from inside an event loop
            return pool.submit(asyncio.run, self.ascore(query, texts)).result()


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
        vectors = self._embedder().embed([c.text for c in chunks]) if vectors is None else _unit_rows(vectors)
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
                vectors = _unit_rows(vectors)[kept_indices]
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


SCORERS = ("embedding", "local", "llm")


def make_scorer(kind: str = "embedding", llm: Any = None, embeddings: Any = None) -> Scorer:
    """A scorer by name: "embedding" (`EmbeddingScorer` over ``embeddings``; None: the embedded MiniLM),
    "local" (`LocalLMScorer`, the embedded SmolLM2) or "llm" (`LLMScorer` driven by ``llm``, required)."""
    if kind == "llm":
        return LLMScorer(llm)
    if kind not in SCORERS:
        raise ValueError(f"scorer must be one of {', '.join(map(repr, SCORERS))}, got {kind!r}")
    if llm is not None:
        raise ValueError(f"llm=... is used by scorer='llm' only, but scorer={kind!r}: pass scorer='llm'")
    return EmbeddingScorer(embeddings) if kind == "embedding" else LocalLMScorer()
