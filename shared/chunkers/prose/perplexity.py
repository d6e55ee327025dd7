"""`PerplexityChunker`: Meta-Chunking with a small causal LM (docs/algorithms.md, "Meta-Chunking").

Every sentence boundary gets a score from the LM (`chunkers.prose.perplexity_scores`): how much more perplexing the next
sentence is than this one ("ppl"), or the LM's margin for splitting there ("margin"). This module picks the cuts:
``boundary="dp"`` (default) the set with the highest total score by dynamic programming
(`chunkers.core.segmentation_dp`), chunks averaging ``target_size``, none over ``max_size``; ``boundary="threshold"``
the paper's rule: cut after local minima (or where the margin passes a threshold), then dynamic merging packs the
meta-chunks up to ``target_size`` under the hard cap ``max_size``.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from ..core.base import CHUNK_OVERLAP, MAX_SIZE, SIZER, BaseChunker, validate_text
from ..core.chunk import Chunk
from ..core.faces import Derived
from ..core.merge import Span, pack, split_span
from ..core.options import Option, finite_non_negative, number, one_of, positive, positive_or_none
from ..core.segmentation_dp import mean_sized_segmentation, standardized
from ..core.sizing import SpanMeasure
from ..runtime.model_options import MODEL, TOKENIZER, ModelOptions
from .perplexity_scores import MARGIN_PROMPT, ScoredText, SentenceScorer, mean_of, rise_gains, threshold_cuts

__all__ = ["MARGIN_PROMPT", "PerplexityChunker", "rise_gains"]


def tokens_or_zero(name: str, value: Any) -> int:
    """0 (none) or a positive number of tokens."""
    return positive(name, value) if value else 0


@dataclass(eq=False)
class PerplexityChunker(ModelOptions, BaseChunker):
    """Cuts prose where a causal LM finds the logic changes.

    ``method="ppl"``: each sentence's perplexity given the text before it comes from one forward pass per
    token of the document (overlapping windows of ``window_tokens`` with ``context_tokens`` of carried
    context, so cost is linear and memory bounded). ``method="margin"``: for each next sentence the LM is asked
    whether it starts a new chunk (the reference's prompt); margin = P(split) - P(keep).

    ``boundary="dp"`` (default): the cuts maximise the sum of the standardized boundary scores (``method="ppl"``:
    the perplexity rise ``ppl[i + 1] - ppl[i]``; "margin": the margins) minus ``size_weight`` times the sum over
    chunks of ((size - target_size) / target_size)², with a per-chunk cost set so that chunks average
    ``target_size`` (default: ``max_size // 2``); no chunk exceeds ``max_size`` (a sentence over it is split
    first). ``size_weight=0``: only the scores and the mean size matter; larger: more even sizes.
    ``boundary="threshold"``: a chunk ends after each local minimum whose drop from a neighbour is at least
    ``threshold`` ("margin": where the margin reaches it); ``dynamic_threshold=True``: the running mean of the drops
    seen (after 5; "margin": the mean of the previous 5 margins, as the reference does). Meta-chunks are merged
    while they fit ``target_size`` (default: ``max_size``); a larger one is split after its lowest-perplexity
    sentence, then inside sentences. Chunk metadata: ``boundary_score`` (the drop, rise or margin of the boundary
    that ends the chunk, None for the last and for a cut inside a sentence), ``mean_ppl``, ``sentences``.

    ``model``: None (the embedded SmolLM2-135M-Instruct), a local model folder, or a loaded transformers causal LM
    (then pass ``tokenizer`` too). ``device``, ``dtype`` and ``quantize`` (None: chosen by
    `chunkers.runtime.resolve_runtime`: CUDA, then MPS, then CPU; half precision on GPU; int8 on CPU when ``dtype``
    is not given) and ``batch_tokens`` (tokens per forward pass; None: the device's default); ``runtime`` tells
    the choice. ``batch_size`` (deprecated) caps the windows per pass. ``cache`` (any dict-like) keeps each
    document's sentence scores, so re-chunking with another ``target_size``, ``max_size``, ``boundary``,
    ``size_weight`` or ``threshold`` does not run the model again.
    """

    model: Any = MODEL.field(help="Local causal LM folder or loaded model; None: the embedded SmolLM2-135M.")
    tokenizer: Any = TOKENIZER.field()
    method: str = Option(
        "ppl", "'ppl' (perplexity rise) or 'margin' (the LM's split/keep margin).", one_of("ppl", "margin")
    ).field()
    threshold: float = Option(0.0, "boundary='threshold': the minimum drop or margin of a cut.", number).field()
    dynamic_threshold: bool = Option(False, "boundary='threshold': adapt the threshold as it runs.").field()
    max_size: int = MAX_SIZE.field(1000)
    target_size: int | None = Option(
        None, "Mean chunk size aimed at; None: max_size // 2 (dp) or max_size (threshold).", positive_or_none
    ).field()
    sizer: Any = SIZER.field()
    window_tokens: int = Option(1024, "Tokens scored per model window.", positive).field()
    context_tokens: int = Option(256, "Tokens of left context carried into each window.", tokens_or_zero).field()
    batch_size: int | None = Option(
        None, "Most windows per forward pass (deprecated: batch_tokens).", positive_or_none
    ).field()
    cache: MutableMapping[str, list[float]] | None = Option(
        None, "Dict-like store of sentence scores (speed only; not in cache keys).", affects_output=False, written=False
    ).field()
    boundary: str = Option(
        "dp",
        "'dp' (the best cuts under the size limits) or 'threshold' (the paper's minima rule).",
        one_of("dp", "threshold"),
    ).field()
    size_weight: float = Option(
        16.0, "boundary='dp': how strongly sizes are kept near target_size.", finite_non_negative
    ).field()
    chunk_overlap: int = CHUNK_OVERLAP.field()

    def _validate(self) -> None:
        default_target = max(self.max_size // 2, 1) if self.boundary == "dp" else self.max_size
        if self.target_size is None:
            self.target_size = default_target
        elif self.target_size > self.max_size:
            raise ValueError(f"target_size={self.target_size} exceeds max_size={self.max_size}")
        self._lm = self.causal_lm()
        self._scorers: Derived[SentenceScorer] = Derived()

    @property
    def scorer(self) -> SentenceScorer:
        """The sentence scorer for the current settings (it holds the model and the cache)."""
        settings = {"window_tokens": self.window_tokens, "context_tokens": self.context_tokens,
                    "batch_tokens": self.batch_tokens, "batch_size": self.batch_size, "cache": self.cache}  # fmt: skip
        return self._scorers.get(lambda **kw: SentenceScorer(self._lm, **kw), settings)

    @property
    def runtime(self) -> Any:
        """The `chunkers.runtime.Runtime` the model runs with (device, dtype, quantize, batch_tokens); loads it."""
        return self._lm.runtime

    @property
    def tokens_scored(self) -> int:
        """Tokens given a loss so far, plus each document's first (for inspection and tests)."""
        return self.scorer.tokens_scored

    def __repr__(self) -> str:
        runtime = f", runtime=({self.runtime})" if self._lm.loaded else ""
        return f"{super().__repr__()[:-1]}, method={self.method!r}{runtime})"

    def sentence_perplexities(self, text: str) -> list[tuple[int, int, float]]:
        """``(start, end, score)`` for every sentence of ``text``: its mean token loss (log-perplexity) given
        all the text before it, as the "ppl" method sees it (NaN for a sentence with no scored token). For
        inspecting and plotting where boundaries fall and tuning ``threshold``."""
        text = validate_text(text)
        if not text.strip():
            return []
        document = self.scorer.prepare(text)
        scores = self.scorer.perplexities([document])[0]
        return [(start, end, score) for (start, end), score in zip(document.sentences, scores)]

    # ---- chunking -------------------------------------------------------------------------------------------

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        return self._chunk_batch([text], [metadata])[0]

    def _chunk_batch(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """Chunk several documents, their windows going through the model in shared batches."""
        scorer = self.scorer
        documents = [scorer.prepare(text) for text in texts]
        scores = scorer.perplexities(documents)
        margins = [scorer.margins(d, self.threshold, self.dynamic_threshold) for d in documents] if (
            self.method == "margin") else None  # fmt: skip
        if self.boundary == "dp":
            gains = [rise_gains(ppl) for ppl in scores] if margins is None else [m[0] for m in margins]
            return [self._assemble_dp(d, ppl, g) for d, ppl, g in zip(documents, scores, gains)]
        if margins is None:
            cuts = [threshold_cuts(ppl, self.threshold, self.dynamic_threshold) for ppl in scores]
        else:
            cuts = [m[1] for m in margins]
        return [self._assemble(d, ppl, c) for d, ppl, c in zip(documents, scores, cuts)]

    def _metadata(self, ppl: list[float], first: int, last: int, score: float | None) -> dict[str, Any]:
        """A chunk's metadata: sentences ``first..last`` (inclusive), the score of the boundary that ends it."""
        return {"chunker": f"perplexity-{self.method}", "boundary_score": score,
                "mean_ppl": mean_of(ppl[first : last + 1]), "sentences": last - first + 1}  # fmt: skip

    def _assemble(self, document: ScoredText, ppl: list[float], cuts: dict[int, float]) -> list[Chunk]:
        """The threshold rule's chunks: meta-chunks capped at ``max_size`` and packed up to ``target_size``."""
        text, sentences = document.text, document.sentences
        measure = self.sizer.span_measure(text)
        groups, begin = [], 0  # meta-chunks as sentence index ranges
        for i in sorted(cuts):
            groups.append((begin, i + 1))
            begin = i + 1
        if begin < len(sentences):
            groups.append((begin, len(sentences)))
        pieces: list[tuple[Span, tuple[int, int]]] = []
        for first, last in groups:
            pieces += capped(text, sentences, ppl, first, last, measure, self.core_size)
        spans = [span for span, _ in pieces]
        chunks = []
        for i, j in pack(spans, measure, min(self.target_size, self.core_size), allow_oversized=True):
            start, end = spans[i][0], spans[j - 1][1]
            first, last = pieces[i][1][0], pieces[j - 1][1][1] - 1
            chunks.append(Chunk(text[start:end], start, end, self._metadata(ppl, first, last, cuts.get(last))))
        return chunks

    def _assemble_dp(self, document: ScoredText, ppl: list[float], gains: list[float]) -> list[Chunk]:
        """Chunks from `mean_sized_segmentation` over the sentences: the cuts with the highest standardized
        ``gains`` (``gains[i]``: the score of a cut after sentence i), chunk sizes averaging ``target_size`` and kept
        near it by ``size_weight``, none over ``max_size``. A sentence over ``max_size`` is split into pieces first;
        a cut inside it gets the lowest gain."""
        text, sentences = document.text, document.sentences
        measure = self.sizer.span_measure(text)
        z = standardized(gains[: len(sentences) - 1])
        floor = min(z, default=0.0)
        units: list[Span] = []
        owner: list[int] = []  # the sentence of each unit
        unit_gains: list[float] = []
        for s, (start, end) in enumerate(sentences):
            pieces = split_span(text, start, end, measure, self.core_size)
            units += pieces
            owner += [s] * len(pieces)
            unit_gains += [floor] * (len(pieces) - 1) + [z[s] if s < len(z) else 0.0]
        chunks = []
        segments = mean_sized_segmentation(
            units, unit_gains, measure, self.core_size, min(self.target_size, self.core_size), self.size_weight
        )
        for i, j in segments:
            start, end, first, last = units[i][0], units[j - 1][1], owner[i], owner[j - 1]
            at_sentence_end = j < len(units) and owner[j] != last
            score = gains[last] if at_sentence_end else None
            chunks.append(Chunk(text[start:end], start, end, self._metadata(ppl, first, last, score)))
        return chunks


def capped(
    text: str, sentences: list[Span], ppl: list[float], first: int, last: int, measure: SpanMeasure, max_size: int
) -> list[tuple[Span, tuple[int, int]]]:
    """The meta-chunk of sentences [first, last) as pieces within ``max_size``, in order: a piece too large
    is split after its lowest-perplexity sentence (its weakest internal boundary) until it fits; a lone
    sentence too large is split inside (its pieces keep the sentence range)."""
    out: list[tuple[Span, tuple[int, int]]] = []
    todo = [(first, last)]
    while todo:
        first, last = todo.pop()
        start, end = sentences[first][0], sentences[last - 1][1]
        if measure(start, end) <= max_size:
            out.append(((start, end), (first, last)))
        elif last - first == 1:
            out += [(piece, (first, last)) for piece in split_span(text, start, end, measure, max_size)]
        else:
            cut = min(range(first, last - 1), key=lambda s: (math.inf if math.isnan(ppl[s]) else ppl[s], s))
            todo += [(cut + 1, last), (first, cut + 1)]  # the left part is processed first
    return out
