"""`SemanticChunker`: embedding-based semantic chunking (Kamradt's method, as LangChain's ``SemanticChunker`` and
LlamaIndex's ``SemanticSplitterNodeParser`` do it) with a hard size cap and exact offsets.

Each boundary between sentences is scored by the cosine distance between the ``buffer_size + 1`` sentences that end
there and the ``buffer_size + 1`` that start after it (the peers embed each sentence with ``buffer_size`` neighbours
on both sides and compare consecutive groups, which share sentences and blur where the change is).
``boundary="dp"`` (default) picks the cuts with the highest total distance by dynamic programming
(`chunkers.core.segmentation_dp`), chunks averaging ``target_size``, none over ``max_size``; ``boundary="threshold"``
is the peers' rule: a cut wherever the distance passes the threshold ``breakpoint_threshold_type`` sets (a
percentile of the distances, mean + k standard deviations, mean + k interquartile ranges, or a percentile of their
gradient), a chunk over ``max_size`` then cut at its largest internal distance until it fits.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from ..core.base import CHUNK_OVERLAP, MAX_SIZE, SIZER, BaseChunker
from ..core.chunk import Chunk
from ..core.merge import Span, split_span
from ..core.options import Option, finite_non_negative, non_negative, number, one_of, positive_or_none
from ..core.segment import sentence_spans
from ..core.segmentation_dp import mean_sized_segmentation, standardized
from .perplexity import capped

THRESHOLD_TYPES = ("percentile", "standard_deviation", "interquartile", "gradient")
DEFAULT_AMOUNTS = {"percentile": 95.0, "standard_deviation": 3.0, "interquartile": 1.5, "gradient": 95.0}


def threshold_of(distances: list[float], kind: str, amount: float | None) -> tuple[float, list[float]]:
    """The breakpoint threshold of the peers' rule and the values it applies to (the distances, or their gradient)."""
    import numpy as np

    amount = DEFAULT_AMOUNTS[kind] if amount is None else amount
    values = np.asarray(distances, dtype=float)
    if kind == "gradient":
        values = np.gradient(values) if len(values) > 1 else values
        return float(np.percentile(values, amount)), values.tolist()
    if kind == "percentile":
        return float(np.percentile(values, amount)), values.tolist()
    if kind == "standard_deviation":
        return float(values.mean() + amount * values.std()), values.tolist()
    q1, q3 = np.percentile(values, [25, 75])
    return float(values.mean() + amount * (q3 - q1)), values.tolist()


@dataclass(eq=False)
class SemanticChunker(BaseChunker):
    """Cuts prose where the meaning of consecutive sentences drifts apart most (see the module docstring), never
    over ``max_size``. ``embeddings``: any embedding model (a LangChain ``Embeddings``, a LlamaIndex ``BaseEmbedding``,
    a sentence-transformers model or folder, a callable ``list[str] -> vectors``; None: the embedded MiniLM), asked
    for all of a document's sentence groups in batches; ``cache`` (any dict-like) keeps their vectors, so re-chunking
    at another size embeds nothing again. Chunk metadata: ``boundary_score`` (the distance at the cut that ends the
    chunk, None for the last and for a cut inside a sentence), ``sentences``."""

    embeddings: Any = Option(None, "The embedding model (LangChain, LlamaIndex, sentence-transformers, a callable); "
                             "None: the embedded MiniLM.", written=False).field()  # fmt: skip
    max_size: int = MAX_SIZE.field(1000)
    sizer: Any = SIZER.field()
    buffer_size: int = Option(1, "Sentences embedded with each one on its side of a boundary.", non_negative).field()
    boundary: str = Option("dp", "'dp' (the best cuts under the size limits) or 'threshold' (the peers' rule, "
                           "capped).", one_of("dp", "threshold")).field()  # fmt: skip
    breakpoint_threshold_type: str = Option("percentile", "boundary='threshold': 'percentile', "
                                            "'standard_deviation', 'interquartile' or 'gradient'.",
                                            one_of(*THRESHOLD_TYPES)).field()  # fmt: skip
    breakpoint_threshold_amount: float | None = Option(None, "boundary='threshold': the percentile or k; None: 95, 3, "
                                                       "1.5, 95 by type.", lambda n, v: None if v is None else
                                                       number(n, v)).field()  # fmt: skip
    target_size: int | None = Option(None, "boundary='dp': mean chunk size aimed at; None: max_size // 2.",
                                     positive_or_none).field()  # fmt: skip
    size_weight: float = Option(16.0, "boundary='dp': how strongly sizes are kept near target_size.",
                                finite_non_negative).field()  # fmt: skip
    cache: MutableMapping[str, Any] | None = Option(None, "Dict-like store of sentence-group vectors (speed only).",
                                                    affects_output=False, written=False).field()  # fmt: skip
    chunk_overlap: int = CHUNK_OVERLAP.field()

    def _validate(self) -> None:
        if self.target_size is None:
            self.target_size = max(self.max_size // 2, 1)
        elif self.target_size > self.max_size:
            raise ValueError(f"target_size={self.target_size} exceeds max_size={self.max_size}")

    def _vectors(self, texts: list[str]) -> Any:
        from ..runtime.embeddings import UnitEmbeddings

        return UnitEmbeddings(self.embeddings, memo=self.cache if self.cache is not None else True).documents(texts)

    def distances(self, text: str, units: list[Span]) -> list[float]:
        """For every boundary between ``units``: the cosine distance between the ``buffer_size + 1`` sentences that
        end there and the ``buffer_size + 1`` that start after it (side by side, never sharing a sentence, so the
        largest distance falls on the boundary itself)."""
        if len(units) < 2:
            return []
        b, last = self.buffer_size, len(units) - 1
        ending = [text[units[max(i - b, 0)][0] : units[i][1]] for i in range(last)]
        starting = [text[units[i + 1][0] : units[min(i + 1 + b, last)][1]] for i in range(last)]
        vectors = self._vectors(list(dict.fromkeys(ending + starting)))
        index = {group: row for row, group in enumerate(dict.fromkeys(ending + starting))}
        return [1.0 - float(vectors[index[a]] @ vectors[index[z]]) for a, z in zip(ending, starting)]

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        measure = self.sizer.span_measure(text)
        units: list[Span] = []
        owner: list[int] = []  # the sentence of each unit (a sentence over the budget is cut into several)
        for s, (start, end) in enumerate(sentence_spans(text)):
            pieces = split_span(text, start, end, measure, self.core_size)
            units += pieces
            owner += [s] * len(pieces)
        distances = self.distances(text, units)
        inside = [owner[i] == owner[i + 1] for i in range(len(units) - 1)]  # a cut inside a sentence
        if self.boundary == "dp":
            z = standardized([d for d, cut in zip(distances, inside) if not cut])
            low = min(z, default=0.0)
            it = iter(z)
            gains = [low if cut else next(it) for cut in inside]
            target = min(self.target_size, self.core_size)  # type: ignore[type-var]
            segments = mean_sized_segmentation(units, gains, measure, self.core_size, target, self.size_weight)
        else:
            segments = self._threshold_segments(text, units, distances, inside, measure)
        chunks = []
        for i, j in segments:
            score = distances[j - 1] if j < len(units) and not inside[j - 1] else None
            sentences = owner[j - 1] - owner[i] + 1
            chunks.append(Chunk.from_span(text, units[i][0], units[j - 1][1], chunker="semantic",
                                          boundary_score=score, sentences=sentences))  # fmt: skip
        return chunks

    def _threshold_segments(
        self, text: str, units: list[Span], distances: list[float], inside: list[bool], measure: Any
    ) -> list[tuple[int, int]]:
        """The peers' breakpoints, then every segment over the budget cut at its largest internal distance."""
        cuts: list[int] = []
        if distances:
            kind, amount = self.breakpoint_threshold_type, self.breakpoint_threshold_amount
            threshold, values = threshold_of(distances, kind, amount)
            cuts = [i for i, value in enumerate(values) if value > threshold and not inside[i]]
        segments, begin = [], 0
        for i in [*cuts, len(units) - 1]:
            segments.append((begin, i + 1))
            begin = i + 1
        weakness = [-d for d in distances] + [math.inf]  # `capped` cuts at the lowest score: the largest distance
        out: list[tuple[int, int]] = []
        for first, last in segments:
            out += [group for _, group in capped(text, units, weakness, first, last, measure, self.core_size)]
        return out
