"""The scorers of chunk filtering (`chunkers.filtering.ChunkFilter`): how relevant each retrieved chunk is to the
query. `EmbeddingScorer` (cosine similarity with any embedding model, through `chunkers.runtime.embeddings`),
`LocalLMScorer` (a local causal LM's yes-probability, held by `chunkers.runtime.models.CausalLM`), `LLMScorer`
(ChunkRAG's LLM rating, reflection and critic, with the app's LLM through `chunkers.llms`)."""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..core.configurable import Configurable
from ..core.options import Option, number, positive, positive_or_none
from ..llms.protocol import as_llm
from ..runtime.embeddings import as_embeddings, unit_rows
from ..runtime.model_options import ModelOptions

logger = logging.getLogger(__name__)


@runtime_checkable
class Scorer(Protocol):
    """Scores (query, text) pairs; returns one score per text and may add flags per text."""

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]: ...


class EmbeddingScorer:
    """Cosine similarity between query and chunk embeddings.

    ``model``: anything `chunkers.runtime.embeddings.as_embeddings` accepts (None: the embedded all-MiniLM-L6-v2;
    a LangChain ``Embeddings``, a LlamaIndex ``BaseEmbedding``, a local sentence-transformers folder or model, a
    callable).
    """

    def __init__(self, model: Any = None) -> None:
        self.model = model
        self.embeddings = as_embeddings(model)

    def embed(self, texts: list[str]) -> Any:
        """Unit vectors of ``texts`` (rows), for comparing chunks with each other and with the query."""
        return self.embeddings.documents(texts)

    def embed_query(self, query: str) -> Any:
        """The unit vector of ``query``."""
        return self.embeddings.query(query)

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        return self.score_vectors(self.embed_query(query), self.embed(texts)), [[] for _ in texts]

    @staticmethod
    def score_vectors(query_vector: Any, vectors: Any) -> list[float]:
        """Cosine similarity of a query vector to chunk vectors (rows); neither needs to be normalised."""
        return [float(v) for v in unit_rows(vectors) @ unit_rows(query_vector)]


RELEVANCE_QUESTION = (
    "Question: {query}\n\nPassage: {passage}\n\nDoes the passage help answer the question? Answer Yes or No."
)


@dataclass(eq=False)
class LocalLMScorer(ModelOptions, Configurable):
    """P("Yes") / (P("Yes") + P("No")) for the next token after a relevance question, from a local causal LM
    (the embedded SmolLM2-135M-Instruct by default): batched forward passes, logits of the last position
    only, no generation. Passages longer than ``max_passage_tokens`` are truncated for scoring (flag
    "truncated"). ``device``/``dtype``/``quantize`` (None: auto) are resolved by
    `chunkers.runtime.resolve_runtime` (``runtime`` tells the choice); prompts of similar length share
    batches of up to ``batch_tokens`` padded tokens (None: the device's default), at most ``batch_size``
    prompts if given."""

    batch_size: int | None = Option(None, "Most prompts per forward pass.", positive_or_none).field()
    max_passage_tokens: int = Option(384, "Passages are cut to this many tokens for scoring.", positive).field()

    def _validate(self) -> None:
        self._lm = self.causal_lm()

    @property
    def runtime(self) -> Any:
        """The `chunkers.runtime.Runtime` the model runs with (loads it)."""
        return self._lm.runtime

    def score(self, query: str, texts: list[str]) -> tuple[list[float], list[list[str]]]:
        import torch

        model, tokenizer = self._lm.load()
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


def _weights_check(name: str, value: Any) -> tuple[float, float, float]:
    weights = tuple(value) if isinstance(value, (list, tuple)) else ()
    if len(weights) != 3 or not all(isinstance(w, (int, float)) and w >= 0 for w in weights) or not sum(weights):
        raise ValueError(f"{name} must be three non-negative numbers, not all zero, got {value!r}")
    return tuple(float(w) for w in weights)  # type: ignore[return-value]


@dataclass(eq=False)
class LLMScorer(Configurable):
    """ChunkRAG's LLM scoring: an initial 0-10 rating, a self-reflection pass on it, and a critic's rating,
    combined as a weighted mean (``weights`` for initial, reflection, critic). Calls run concurrently
    (``concurrency``). A pass that fails or gives no number is left out of the mean; a chunk with no usable
    pass gets ``failure_score`` and the flag "llm_failed"."""

    llm: Any = Option(None, "The judging LLM (anything chunkers.llms.as_llm takes).", written=False).field()
    weights: tuple[float, float, float] = Option((0.3, 0.3, 0.4), "Weights of the initial, reflection and critic "
                                                 "ratings.", _weights_check).field()  # fmt: skip
    concurrency: int = Option(4, "LLM calls in flight.", positive, affects_output=False).field()
    max_passage_chars: int = Option(4000, "A longer passage is cut to this many characters (flag 'truncated').",
                                    positive).field()  # fmt: skip
    failure_score: float = Option(0.0, "The score of a chunk with no usable rating (flag 'llm_failed').",
                                  number).field()  # fmt: skip

    def _validate(self) -> None:
        self.llm = as_llm(self.llm)

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
        with ThreadPoolExecutor(max_workers=1) as pool:  # called from inside an event loop
            return pool.submit(asyncio.run, self.ascore(query, texts)).result()


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
