"""`SemanticChunker`: embedding-based semantic chunking (Kamradt's method, as LangChain's ``SemanticChunker`` and
LlamaIndex's ``SemanticSplitterNodeParser`` do it) with a hard size cap and exact offsets.

Each boundary between sentences is scored by the cosine distance between the ``buffer_size + 1`` sentences that end
there and the ``buffer_size + 1`` that start after it (the peers embed each sentence with ``buffer_size`` neighbours
on both sides and compare consecutive groups, which share sentences and blur where the change is).
``boundary="dp"`` (the default when no threshold argument is given) picks the cuts with the highest total distance
by dynamic programming (`chunkers.core.segmentation_dp`), chunks averaging ``target_size``, none over ``max_size``;
``boundary="threshold"`` (the default when one is) is the peers' rule: a cut wherever the distance passes the
threshold ``breakpoint_threshold_type`` sets (a percentile of the distances, mean + k standard deviations, mean + k
interquartile ranges, or a percentile of their gradient; ``number_of_chunks`` instead: LangChain's percentile for
about that many chunks), a cut skipped while its chunk is under ``min_chunk_size``, a chunk over ``max_size`` then cut
at its largest internal distance until it fits. Sentences: our segmenter, or the peers' ``sentence_split_regex``
(LangChain) or ``sentence_splitter`` (LlamaIndex).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from ..core.base import CHUNK_OVERLAP, MAX_SIZE, SIZER, BaseChunker
from ..core.chunk import Chunk
from ..core.merge import Span, split_span, trim
from ..core.options import (
    Option,
    finite_non_negative,
    non_negative,
    number,
    one_of,
    options_of,
    positive_or_none,
)
from ..core.segment import sentence_spans
from ..core.segmentation_dp import mean_sized_segmentation, standardized
from .perplexity import capped

THRESHOLD_TYPES = ("percentile", "standard_deviation", "interquartile", "gradient")
DEFAULT_AMOUNTS = {"percentile": 95.0, "standard_deviation": 3.0, "interquartile": 1.5, "gradient": 95.0}
# The settings of the peers' threshold rule: giving one (and no boundary) chooses boundary="threshold".
THRESHOLD_SETTINGS = ("breakpoint_threshold_type", "breakpoint_threshold_amount", "number_of_chunks", "min_chunk_size")


def threshold_of(
    distances: list[float], kind: str, amount: float | None, number_of_chunks: int | None = None
) -> tuple[float, list[float]]:
    """The breakpoint threshold of the peers' rule and the values it applies to (the distances, or their gradient);
    with ``number_of_chunks``, LangChain's percentile for about that many chunks (``kind`` and ``amount`` unused)."""
    import numpy as np

    values = np.asarray(distances, dtype=float)
    if number_of_chunks is not None:
        return float(np.percentile(values, chunks_percentile(len(values), number_of_chunks))), values.tolist()
    amount = DEFAULT_AMOUNTS[kind] if amount is None else amount
    if kind == "gradient":
        values = np.gradient(values) if len(values) > 1 else values
        return float(np.percentile(values, amount)), values.tolist()
    if kind == "percentile":
        return float(np.percentile(values, amount)), values.tolist()
    if kind == "standard_deviation":
        return float(values.mean() + amount * values.std()), values.tolist()
    q1, q3 = np.percentile(values, [25, 75])
    return float(values.mean() + amount * (q3 - q1)), values.tolist()


def chunks_percentile(boundaries: int, number_of_chunks: int) -> float:
    """LangChain's percentile of the distances for about ``number_of_chunks`` chunks among ``boundaries + 1``
    sentences: 100 for one chunk, 0 for one per boundary, linear between."""
    if boundaries <= 1:
        return 100.0
    count = max(min(number_of_chunks, boundaries), 1)
    return min(max(100.0 * (count - boundaries) / (1 - boundaries), 0.0), 100.0)


def regex_check(name: str, value: Any) -> str | None:
    """None or a regular expression that compiles."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a regular expression (a str) or None, got {type(value).__name__}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{name} is not a valid regular expression: {exc}") from None
    return value


def callable_check(name: str, value: Any) -> Any:
    """None or a callable."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function str -> list[str] or None, got {type(value).__name__}")
    return value


def regex_sentences(text: str, pattern: str) -> list[Span]:
    """The spans between the matches of ``pattern`` (LangChain's ``re.split`` sentences), whitespace trimmed, empty
    ones left out."""
    spans, begin = [], 0
    for match in re.finditer(pattern, text):
        spans.append(trim(text, begin, match.start()))
        begin = match.end()
    spans.append(trim(text, begin, len(text)))
    return [(a, b) for a, b in spans if a < b]


def splitter_sentences(text: str, pieces: list[str]) -> list[Span]:
    """The spans of the sentences a splitter returned, found in order in ``text``; a `ValueError` when a piece is not
    the next part of the text (a splitter that rewrites or drops text)."""
    spans, cursor = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor)
        if found < 0 or text[cursor:found].strip():
            raise ValueError(
                f"sentence_splitter returned {piece[:40]!r}, which is not the next part of the text: it must return "
                "the text's sentences in order and unchanged (as LlamaIndex's split_by_sentence_tokenizer does)"
            )
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    if text[cursor:].strip():
        raise ValueError(f"sentence_splitter left out the end of the text ({text[cursor:][:40]!r}...)")
    return spans


@dataclass(eq=False)
class SemanticChunker(BaseChunker):
    """Cuts prose where the meaning of consecutive sentences drifts apart most (see the module docstring), never
    over ``max_size``. ``embeddings``: any embedding model (a LangChain ``Embeddings``, a LlamaIndex ``BaseEmbedding``,
    a sentence-transformers model or folder, a callable ``list[str] -> vectors``; None: the embedded MiniLM), asked
    for all of a document's sentence groups in batches; ``cache`` (any dict-like) keeps their vectors, so re-chunking
    at another size embeds nothing again. Chunk metadata: ``boundary_score`` (the distance at the cut that ends the
    chunk, None for the last and for a cut inside a sentence), ``sentences``.

    ``boundary`` left at None is ``"threshold"`` when a setting of the peers' threshold rule is given
    (``breakpoint_threshold_type``, ``breakpoint_threshold_amount``, ``number_of_chunks``, ``min_chunk_size``), else
    ``"dp"``. A setting of one rule given with the other rule (``boundary="dp"`` with a threshold amount,
    ``boundary="threshold"`` with ``target_size`` or ``size_weight``) raises `ValueError`: nothing is ignored."""

    embeddings: Any = Option(None, "The embedding model (LangChain, LlamaIndex, sentence-transformers, a callable); "
                             "None: the embedded MiniLM.", written=False).field()  # fmt: skip
    max_size: int = MAX_SIZE.field(1000)
    sizer: Any = SIZER.field()
    buffer_size: int = Option(1, "Sentences embedded with each one on its side of a boundary.", non_negative).field()
    boundary: str | None = Option(None, "'dp' (the best cuts under the size limits) or 'threshold' (the peers' rule, "
                                  "capped); None: 'threshold' when a threshold setting is given, else 'dp'.",
                                  one_of("dp", "threshold", none=True)).field()  # fmt: skip
    breakpoint_threshold_type: str | None = Option(None, "Threshold rule: 'percentile', 'standard_deviation', "
                                                   "'interquartile' or 'gradient'; None: 'percentile'.",
                                                   one_of(*THRESHOLD_TYPES, none=True)).field()  # fmt: skip
    breakpoint_threshold_amount: float | None = Option(None, "Threshold rule: the percentile or k; None: 95, 3, "
                                                       "1.5, 95 by type.", lambda n, v: None if v is None else
                                                       number(n, v)).field()  # fmt: skip
    number_of_chunks: int | None = Option(None, "Threshold rule (LangChain's): the percentile for about this many "
                                          "chunks (before the max_size cap), instead of a threshold amount.",
                                          positive_or_none).field()  # fmt: skip
    min_chunk_size: int | None = Option(None, "Threshold rule (LangChain's): a cut is skipped while the chunk it "
                                        "ends is under this size (sizer units).", positive_or_none).field()  # fmt: skip
    target_size: int | None = Option(None, "boundary='dp': mean chunk size aimed at; None: max_size // 2.",
                                     positive_or_none).field()  # fmt: skip
    size_weight: float = Option(16.0, "boundary='dp': how strongly sizes are kept near target_size.",
                                finite_non_negative).field()  # fmt: skip
    sentence_split_regex: str | None = Option(None, "LangChain's: sentences are the text between the matches of "
                                              r"this regex (theirs: r'(?<=[.?!])\s+'); None: our sentence "
                                              "segmenter.", regex_check).field()  # fmt: skip
    sentence_splitter: Callable[[str], list[str]] | None = Option(None, "LlamaIndex's: a function returning the "
                                                                  "text's sentences in order; None: our sentence "
                                                                  "segmenter.", callable_check).field()  # fmt: skip
    cache: MutableMapping[str, Any] | None = Option(None, "Dict-like store of sentence-group vectors (speed only).",
                                                    affects_output=False, written=False).field()  # fmt: skip
    chunk_overlap: int = CHUNK_OVERLAP.field()

    def _validate(self) -> None:
        if self.sentence_split_regex is not None and self.sentence_splitter is not None:
            raise ValueError("pass sentence_split_regex (LangChain's) or sentence_splitter (LlamaIndex's), not both")
        given = [name for name in THRESHOLD_SETTINGS if getattr(self, name) is not None]
        if self.boundary is None:
            self.boundary = "threshold" if given else "dp"
        if self.boundary == "dp":
            self._validate_dp(given)
        else:
            self._validate_threshold()

    def _validate_dp(self, threshold_settings: list[str]) -> None:
        """No threshold setting with the DP; ``target_size`` within ``max_size`` (None: half of it)."""
        if threshold_settings:
            name = threshold_settings[0]
            raise ValueError(
                f"{name}={getattr(self, name)!r} is a setting of the threshold rule, but boundary='dp' places the "
                "cuts by the DP (sized by target_size and size_weight): leave boundary out or pass "
                f"boundary='threshold' to use {name}, or drop it"
            )
        if self.target_size is None:
            self.target_size = max(self.max_size // 2, 1)
        elif self.target_size > self.max_size:
            raise ValueError(f"target_size={self.target_size} exceeds max_size={self.max_size}")

    def _validate_threshold(self) -> None:
        """No DP setting with the threshold rule; ``number_of_chunks`` instead of a threshold amount."""
        if self.target_size is not None:
            raise ValueError(
                f"target_size={self.target_size} sizes the chunks of boundary='dp', but the threshold rule cuts where "
                "the distance passes the threshold: pass boundary='dp' (without threshold settings), or set "
                "breakpoint_threshold_amount / number_of_chunks / min_chunk_size instead"
            )
        if self.size_weight != options_of(type(self))["size_weight"].default:
            raise ValueError(f"size_weight={self.size_weight} applies to boundary='dp' only; drop it or pass "
                             "boundary='dp' (without threshold settings)")  # fmt: skip
        if self.number_of_chunks is not None and (
            self.breakpoint_threshold_amount is not None or self.breakpoint_threshold_type not in (None, "percentile")
        ):
            raise ValueError(
                "number_of_chunks sets the threshold itself (a percentile of the distances, as LangChain's "
                "SemanticChunker does): drop breakpoint_threshold_amount and breakpoint_threshold_type"
            )
        if self.breakpoint_threshold_type is None:
            self.breakpoint_threshold_type = "percentile"

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

    def sentences(self, text: str) -> list[Span]:
        """The spans of the sentences of ``text``: from ``sentence_split_regex``, ``sentence_splitter``, or our
        segmenter."""
        if self.sentence_split_regex is not None:
            return regex_sentences(text, self.sentence_split_regex)
        if self.sentence_splitter is not None:
            return splitter_sentences(text, list(self.sentence_splitter(text)))
        return sentence_spans(text)

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        measure = self.sizer.span_measure(text)
        units: list[Span] = []
        owner: list[int] = []  # the sentence of each unit (a sentence over the budget is cut into several)
        for s, (start, end) in enumerate(self.sentences(text)):
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
        """The peers' breakpoints (a cut skipped while its chunk is under ``min_chunk_size``), then every segment over
        the budget cut at its largest internal distance."""
        cuts: list[int] = []
        if distances:
            kind, amount = self.breakpoint_threshold_type, self.breakpoint_threshold_amount
            threshold, values = threshold_of(distances, kind, amount, self.number_of_chunks)  # type: ignore[arg-type]
            cuts = [i for i, value in enumerate(values) if value > threshold and not inside[i]]
        segments, begin = [], 0
        for i in cuts:
            if self.min_chunk_size is not None and measure(units[begin][0], units[i][1]) < self.min_chunk_size:
                continue  # LangChain's rule: the small chunk runs on into the next
            segments.append((begin, i + 1))
            begin = i + 1
        if begin < len(units):
            segments.append((begin, len(units)))
        weakness = [-d for d in distances] + [math.inf]  # `capped` cuts at the lowest score: the largest distance
        out: list[tuple[int, int]] = []
        for first, last in segments:
            out += [group for _, group in capped(text, units, weakness, first, last, measure, self.core_size)]
        return out
