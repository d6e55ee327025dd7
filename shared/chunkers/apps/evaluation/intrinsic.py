"""Intrinsic chunk-quality metrics from MoC ("Mixtures of Text Chunking Learners"), scored with a small causal
LM (the embedded SmolLM2-135M by default). They need no gold data, so they apply to any corpus.

- Boundary clarity of the boundary between chunks d and q (q follows d): ppl(q | d) / ppl(q). Close to 1 (or
  above): reading d does not help predict q, a clean cut. Lower: q leans on d, the cut split one thought.
- Chunk stickiness: a graph whose nodes are chunks and whose edges join a chunk d to a later chunk q when the
  semantic dependence (ppl(q) - ppl(q | d)) / ppl(q) exceeds ``threshold``; stickiness is the graph's
  structural entropy -sum(p_i log2 p_i) over nodes with p_i = degree_i / sum of degrees (0 with no edge).
  Lower is better: chunks are more self-contained.

Perplexity here is exp(mean token loss). ppl(q) is scored after a neutral start token, ppl(q | d) with d
(truncated to its last ``max_tokens`` tokens) before q. Any fluent context lowers a small LM's perplexity of
the text after it (with SmolLM2-135M, an unrelated English paragraph lowers it by about half), hence the default
edge ``threshold`` of 0.5 rather than MoC's smaller one. Compare chunkings at similar mean chunk size: both
metrics move with size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ...core.chunk import Chunk
from ...core.configurable import Configurable
from ...core.options import Option, positive
from ...runtime.model_options import ModelOptions


@dataclass(eq=False)
class ChunkPerplexity(ModelOptions, Configurable):
    """Perplexity of a chunk alone and given another chunk before it, from a local causal LM.

    ``model``, ``tokenizer`` and the runtime options as for every model here (`chunkers.runtime.ModelOptions`;
    None: the embedded SmolLM2 on the runtime `chunkers.runtime` chooses, int8 on CPU). Each text is truncated to
    ``max_tokens`` tokens (the chunk's first ones; the context's last ones).
    """

    max_tokens: int = Option(256, "Tokens of each text scored (a chunk's first, a context's last).", positive).field()

    def _validate(self) -> None:
        self._lm = self.causal_lm()

    def perplexities(self, pairs: Sequence[tuple[str | None, str]]) -> list[float]:
        """ppl(q | d) for each ``(d, q)``; ``d=None`` gives ppl(q) alone."""
        from ...runtime.losses import token_losses

        model, tokenizer = self._lm.load()
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        streams, firsts = [], []
        for context, text in pairs:
            before = [start]
            if context is not None:
                before += tokenizer.encode(context, add_special_tokens=False)[-self.max_tokens :]
            target = tokenizer.encode(text, add_special_tokens=False)[: self.max_tokens] or [start]
            streams.append(before + target)
            firsts.append(len(before))
        losses = token_losses(model, tokenizer, streams, window_tokens=2 * self.max_tokens + 2, context_tokens=0)
        return [math.exp(sum(row[first:]) / len(row[first:])) for row, first in zip(losses, firsts)]


def _texts(chunks: Sequence[Chunk | str]) -> list[str]:
    return [c.text if isinstance(c, Chunk) else c for c in chunks]


def dependence_matrix(
    chunks: Sequence[Chunk | str], scorer: ChunkPerplexity | None = None, window: int | None = None
) -> dict[tuple[int, int], float]:
    """``(i, j) -> (ppl(q_j) - ppl(q_j | d_i)) / ppl(q_j)`` for every i < j with ``j - i <= window`` (None: all
    pairs), chunks in text order. Positive: chunk i helps predict chunk j."""
    texts = _texts(chunks)
    scorer = scorer or ChunkPerplexity()
    pairs = [(i, j) for j in range(len(texts)) for i in range(j) if window is None or j - i <= window]
    alone = scorer.perplexities([(None, text) for text in texts])
    given = scorer.perplexities([(texts[i], texts[j]) for i, j in pairs])
    return {(i, j): (alone[j] - g) / alone[j] for (i, j), g in zip(pairs, given)}


def boundary_clarity(dependence: dict[tuple[int, int], float], count: int) -> float:
    """Mean ppl(q | d) / ppl(q) over the ``count - 1`` boundaries of adjacent chunks (NaN with one chunk), from
    a `dependence_matrix` (ratio = 1 - dependence)."""
    ratios = [1 - dependence[(i, i + 1)] for i in range(count - 1)]
    return sum(ratios) / len(ratios) if ratios else math.nan


def chunk_stickiness(dependence: dict[tuple[int, int], float], threshold: float = 0.5) -> float:
    """Structural entropy (bits) of the graph of chunk pairs whose dependence exceeds ``threshold``."""
    degrees: dict[int, int] = {}
    for (i, j), value in dependence.items():
        if value > threshold:
            degrees[i] = degrees.get(i, 0) + 1
            degrees[j] = degrees.get(j, 0) + 1
    total = sum(degrees.values())
    return -sum(d / total * math.log2(d / total) for d in degrees.values()) if total else 0.0


def intrinsic_scores(
    chunks: Sequence[Chunk | str],
    scorer: ChunkPerplexity | None = None,
    window: int | None = 4,
    threshold: float = 0.5,
) -> dict[str, float]:
    """Boundary clarity and chunk stickiness of a chunking (chunks in text order), from one `dependence_matrix`
    over pairs up to ``window`` chunks apart."""
    dependence = dependence_matrix(chunks, scorer, window)
    return {
        "boundary_clarity": boundary_clarity(dependence, len(chunks)),
        "stickiness": chunk_stickiness(dependence, threshold),
    }
