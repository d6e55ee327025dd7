"""`PerplexityChunker`: Meta-Chunking with a small causal LM (see ALGORITHMS.md, "Meta-Chunking").

Every sentence boundary gets a score from the LM: how much more perplexing the next sentence is than this one
("ppl"), or the LM's margin for splitting there ("margin"). ``boundary="dp"`` (default) picks the set of cuts with the
highest total score by dynamic programming (`chunkers.segmentation_dp`), chunks averaging ``target_size``, none over
``max_size``; ``boundary="threshold"`` is the paper's rule: cut after local minima (or where the margin passes a
threshold), then dynamic merging packs the meta-chunks up to ``target_size`` under the hard cap ``max_size``.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import MutableMapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .base import BaseChunker, check_positive, validate_text
from .chunk import Chunk
from .lm_losses import token_losses
from .merge import Span, pack, split_span
from .segment import sentence_spans
from .segmentation_dp import mean_sized_segmentation, standardized
from .sizing import SpanMeasure

MARGIN_PROMPT = (  # the Meta-Chunking reference's English prompt
    "This is a text chunking task. You are a text analysis expert. Please choose one of the following two options "
    "based on the logical structure and semantic content of the provided sentence:\n"
    '1. Split "{first} {second}" into "{first}" and "{second}" two parts;\n'
    '2. Keep "{first} {second}" unsplit in its original form;\n'
    "Please answer 1 or 2."
)


@dataclass
class _Document:
    text: str
    sentences: list[Span]
    token_ids: list[int]
    token_sentence: list[int]  # sentence index of every token


def rise_gains(ppl: list[float]) -> list[float]:
    """The score of a cut after each sentence i: how much more perplexing sentence i + 1 is than sentence i
    (``ppl[i + 1] - ppl[i]``, NaN where either is NaN): high where the next sentence is hard to predict from the
    text before it while this one was easy, the signal Meta-Chunking's local minima pick out."""
    return [after - before for before, after in pairwise(ppl)]


class PerplexityChunker(BaseChunker):
    """Cuts prose where a causal LM finds the logic changes.

    ``method="ppl"``: each sentence's perplexity given the text before it comes from one forward pass per
    token of the document (overlapping windows of ``window_tokens`` with ``context_tokens`` of carried
    context, so cost is linear and memory bounded); a chunk ends after each local minimum whose drop from a
    neighbour is at least ``threshold`` (``dynamic_threshold=True``: the running mean of the drops seen so
    far, once 5 are seen). ``method="margin"``: for each next sentence the LM is asked whether it starts a
    new chunk (the reference's prompt); cut where margin = P(split) - P(keep) >= ``threshold`` (dynamic: the mean
    of the previous 5 margins, as the reference does).

    ``boundary="dp"`` (default): the cuts maximise the sum of the standardized boundary scores (``method="ppl"``:
    the perplexity rise ``ppl[i + 1] - ppl[i]``; "margin": the margins) minus ``size_weight`` times the sum over
    chunks of ((size - target_size) / target_size)², with a per-chunk cost set so that chunks average
    ``target_size`` (default: ``max_size // 2``); no chunk exceeds ``max_size`` (a sentence over it is split
    first). ``size_weight=0``: only the scores and the mean size matter; larger: more even sizes.
    ``boundary="threshold"``: the threshold rules above; meta-chunks are merged while they fit ``target_size``
    (default: ``max_size``); a larger one is split after its lowest-perplexity sentence, then inside sentences.
    Chunk metadata: ``boundary_score`` (the perplexity drop, rise or margin of the boundary that ends the chunk,
    None for the last and for a cut inside a sentence), ``mean_ppl``, ``sentences``.
    ``model``: None (the embedded SmolLM2-135M-Instruct), a local model folder, or a loaded transformers
    causal LM (then pass ``tokenizer`` too). ``device`` (None: CUDA, then MPS, then CPU), ``dtype`` (None:
    bfloat16/float16 on GPU, float32 on CPU) and ``quantize`` (None: `chunkers.models.CPU_DEFAULT_QUANTIZE`,
    "int8", on CPU when ``dtype`` is not given: 1.7x faster, boundary F1 >= 0.98 against float32; "none" or
    ``dtype="float32"``: the float32 torch path) are resolved by
    `chunkers.models.resolve_runtime`; ``runtime`` tells the choice.
    ``batch_tokens``: tokens per forward pass (None: the device's default); ``batch_size`` (deprecated) caps
    the windows per pass. ``cache`` (any dict-like) keeps each document's sentence scores,
    keyed by model, windowing and text, so re-chunking with another ``target_size``, ``max_size`` or
    ``threshold`` does not run the model again.
    """

    def __init__(
        self,
        model: Any = None,
        tokenizer: Any = None,
        method: str = "ppl",
        threshold: float = 0.0,
        dynamic_threshold: bool = False,
        max_size: int = 1000,
        target_size: int | None = None,
        sizer: Any = "chars",
        window_tokens: int = 1024,
        context_tokens: int = 256,
        batch_size: int | None = None,
        device: str | None = None,
        dtype: str | None = None,
        quantize: str | bool | None = None,
        batch_tokens: int | None = None,
        cache: MutableMapping[str, list[float]] | None = None,
        boundary: str = "dp",
        size_weight: float = 16.0,
    ) -> None:
        super().__init__(max_size, sizer)
        if method not in ("ppl", "margin"):
            raise ValueError(f"method must be 'ppl' or 'margin', got {method!r}")
        if boundary not in ("dp", "threshold"):
            raise ValueError(f"boundary must be 'dp' or 'threshold', got {boundary!r}")
        if not isinstance(size_weight, (int, float)) or not size_weight >= 0 or math.isinf(size_weight):
            raise ValueError(f"size_weight must be a finite number >= 0, got {size_weight!r}")
        self.boundary, self.size_weight = boundary, float(size_weight)
        if not isinstance(threshold, (int, float)) or math.isnan(threshold):
            raise ValueError(f"threshold must be a number, got {threshold!r}")
        default_target = max(max_size // 2, 1) if boundary == "dp" else max_size
        self.target_size = check_positive("target_size", target_size) if target_size is not None else default_target
        if self.target_size > max_size:
            raise ValueError(f"target_size={target_size} exceeds max_size={max_size}")
        self.window_tokens = check_positive("window_tokens", window_tokens)
        self.context_tokens = check_positive("context_tokens", context_tokens) if context_tokens else 0
        self.batch_size = check_positive("batch_size", batch_size) if batch_size is not None else None
        self.batch_tokens = check_positive("batch_tokens", batch_tokens) if batch_tokens is not None else None
        self.dtype, self.quantize = dtype, quantize
        self.method, self.threshold, self.dynamic_threshold = method, float(threshold), dynamic_threshold
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self._loaded: tuple[Any, Any] | None = None
        self.cache = cache
        self.tokens_scored = 0  # tokens given a loss, plus each document's first (for inspection and tests)

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from .models import load_causal_lm

            self._loaded = load_causal_lm(self.model, self.tokenizer, self.device, self.dtype, self.quantize)
        return self._loaded

    @property
    def runtime(self) -> Any:
        """The `chunkers.models.Runtime` the model runs with (device, dtype, quantize, batch_tokens), as chosen
        by `chunkers.models.resolve_runtime` from ``device``/``dtype``/``quantize``/``batch_tokens``; loads it."""
        from .models import runtime_of

        return runtime_of(self._model()[0], self.batch_tokens)

    def __repr__(self) -> str:
        runtime = f", runtime=({self.runtime})" if self._loaded is not None else ""
        return f"{super().__repr__()[:-1]}, method={self.method!r}{runtime})"

    # ---- chunking -------------------------------------------------------------------------------------

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        return self._chunk_batch([text], [metadata])[0]

    def _chunk_batch(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """Chunk several documents, their windows going through the model in shared batches."""
        documents = [self._prepare(text) for text in texts]
        scores = self._sentence_perplexities(documents)
        if self.boundary == "dp":
            gains = [rise_gains(ppl) for ppl in scores] if self.method == "ppl" else [
                self._margins(document)[0] for document in documents]  # fmt: skip
            return [self._assemble_dp(d, ppl, g) for d, ppl, g in zip(documents, scores, gains)]
        if self.method == "ppl":
            cuts = [self._ppl_boundaries(ppl) for ppl in scores]
        else:
            cuts = [self._margins(document)[1] for document in documents]
        return [self._assemble(d, ppl, c) for d, ppl, c in zip(documents, scores, cuts)]

    def _prepare(self, text: str) -> _Document:
        sentences = sentence_spans(text)
        encoding = self._model()[1](text, add_special_tokens=False, return_offsets_mapping=True)
        ends = [end for _, end in sentences]
        last = len(sentences) - 1
        token_sentence = [min(bisect_right(ends, max(a, b - 1)), last) for a, b in encoding["offset_mapping"]]
        return _Document(text, sentences, list(encoding["input_ids"]), token_sentence)

    # ---- perplexity -------------------------------------------------------------------------------------

    def sentence_perplexities(self, text: str) -> list[tuple[int, int, float]]:
        """``(start, end, score)`` for every sentence of ``text``: its mean token loss (log-perplexity) given
        all the text before it, as the "ppl" method sees it (NaN for a sentence with no scored token). For
        inspecting and plotting where boundaries fall and tuning ``threshold``."""
        text = validate_text(text)
        if not text.strip():
            return []
        document = self._prepare(text)
        scores = self._sentence_perplexities([document])[0]
        return [(start, end, score) for (start, end), score in zip(document.sentences, scores)]

    def _cache_key(self, document: _Document) -> str:
        model = getattr(getattr(self._model()[0], "config", None), "_name_or_path", None) or str(self.model)
        digest = hashlib.sha256(document.text.encode("utf-8")).hexdigest()
        runtime = self.runtime  # int8 and half precision score slightly differently: keyed apart
        return f"{model}|{runtime.dtype}|{runtime.quantize}|{self.window_tokens}|{self.context_tokens}|{digest}"

    def _sentence_perplexities(self, documents: list[_Document]) -> list[list[float]]:
        """Mean token loss of every sentence given all text before it (NaN for a sentence with no scored token)."""
        cache = self.cache if self.cache is not None else {}
        keys = [self._cache_key(d) for d in documents]
        todo = [i for i, key in enumerate(keys) if key not in cache]
        model, tokenizer = self._model()
        streams = [documents[i].token_ids for i in todo]
        losses = token_losses(
            model, tokenizer, streams, self.window_tokens, self.context_tokens, self.batch_tokens, self.batch_size
        )
        for i, stream_losses in zip(todo, losses):
            document = documents[i]
            self.tokens_scored += sum(not math.isnan(loss) for loss in stream_losses) + bool(stream_losses)
            totals = [0.0] * len(document.sentences)
            counts = [0] * len(document.sentences)
            for position, loss in enumerate(stream_losses):
                if math.isnan(loss):
                    continue  # the first token has nothing before it
                sentence = document.token_sentence[position]
                totals[sentence] += loss
                counts[sentence] += 1
            cache[keys[i]] = [t / c if c else math.nan for t, c in zip(totals, counts)]
        return [cache[key] for key in keys]

    def _ppl_boundaries(self, ppl: list[float]) -> dict[int, float]:
        """Sentence index -> drop, for every sentence after which a chunk ends."""
        cuts: dict[int, float] = {}
        drops: list[float] = []
        for i in range(1, len(ppl) - 1):
            left, here, right = ppl[i - 1], ppl[i], ppl[i + 1]
            if math.isnan(left) or math.isnan(here) or math.isnan(right):
                continue
            theta = self.threshold
            if self.dynamic_threshold and len(drops) >= 5:
                theta = sum(drops) / len(drops)
            drop = max(left - here, right - here)
            is_minimum = here < left and (here < right or (here == right and left - here >= theta))
            if is_minimum and drop >= theta:
                cuts[i] = drop
                drops.append(drop)
        return cuts

    def _margins(self, document: _Document) -> tuple[list[float], dict[int, float]]:
        """Margin sampling as in Meta-Chunking: for each next sentence, the LM chooses between splitting the current
        chunk and that sentence apart (1) or keeping them together (2); margin = P(1) - P(2) from the next-token
        distribution. Returns every sentence boundary's margin (index i: between sentences i and i + 1) and the
        cuts (index -> margin) where the margin reaches the threshold (dynamic: the mean of the previous 5 margins,
        as the reference does), the current chunk restarting at each cut."""
        import torch

        model, tokenizer = self._model()
        text, sentences = document.text, document.sentences
        answer_ids = [tokenizer.encode(a, add_special_tokens=False)[-1] for a in ("1", "2")]
        cuts: dict[int, float] = {}
        margins: list[float] = []
        chunk_start = 0
        for i in range(len(sentences) - 1):
            current = text[sentences[chunk_start][0] : sentences[i][1]][-2000:]
            following = text[slice(*sentences[i + 1])][:1000]
            messages = [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": MARGIN_PROMPT.format(first=current, second=following)},
            ]
            prompt = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            with torch.inference_mode():
                device = next(model.parameters()).device
                logits = model(**prompt.to(device), logits_to_keep=1).logits[0, -1].float()
            probabilities = torch.softmax(logits, dim=-1)
            margin = float(probabilities[answer_ids[0]] - probabilities[answer_ids[1]])
            recent = margins[-5:]
            theta = sum(recent) / 5 if self.dynamic_threshold and len(recent) == 5 else self.threshold
            margins.append(margin)
            if margin >= theta:
                cuts[i] = margin
                chunk_start = i + 1
        return margins, cuts

    # ---- assembling chunks --------------------------------------------------------------------------------

    def _assemble(self, document: _Document, ppl: list[float], cuts: dict[int, float]) -> list[Chunk]:
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
            pieces += self._capped(text, sentences, ppl, first, last, measure)
        spans = [span for span, _ in pieces]
        chunks = []
        for i, j in pack(spans, measure, self.target_size, allow_oversized=True):
            start, end = spans[i][0], spans[j - 1][1]
            last_sentence = pieces[j - 1][1][1] - 1
            values = [ppl[s] for s in range(pieces[i][1][0], pieces[j - 1][1][1]) if not math.isnan(ppl[s])]
            chunks.append(
                Chunk(
                    text[start:end],
                    start,
                    end,
                    {
                        "chunker": f"perplexity-{self.method}",
                        "boundary_score": cuts.get(last_sentence),
                        "mean_ppl": sum(values) / len(values) if values else None,
                        "sentences": pieces[j - 1][1][1] - pieces[i][1][0],
                    },
                )
            )
        return chunks

    def _assemble_dp(self, document: _Document, ppl: list[float], gains: list[float]) -> list[Chunk]:
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
            pieces = split_span(text, start, end, measure, self.max_size)
            units += pieces
            owner += [s] * len(pieces)
            unit_gains += [floor] * (len(pieces) - 1) + [z[s] if s < len(z) else 0.0]
        chunks = []
        segments = mean_sized_segmentation(
            units, unit_gains, measure, self.max_size, self.target_size, self.size_weight
        )
        for i, j in segments:
            start, end, first, last = units[i][0], units[j - 1][1], owner[i], owner[j - 1]
            at_sentence_end = j < len(units) and owner[j] != last
            values = [ppl[s] for s in range(first, last + 1) if not math.isnan(ppl[s])]
            metadata = {
                "chunker": f"perplexity-{self.method}",
                "boundary_score": gains[last] if at_sentence_end else None,
                "mean_ppl": sum(values) / len(values) if values else None,
                "sentences": last - first + 1,
            }
            chunks.append(Chunk(text[start:end], start, end, metadata))
        return chunks

    def _capped(
        self, text: str, sentences: list[Span], ppl: list[float], first: int, last: int, measure: SpanMeasure
    ) -> list[tuple[Span, tuple[int, int]]]:
        """The meta-chunk of sentences [first, last) as pieces within ``max_size``, in order: a piece too large
        is split after its lowest-perplexity sentence (its weakest internal boundary) until it fits; a lone
        sentence too large is split inside (its pieces keep the sentence range)."""
        out: list[tuple[Span, tuple[int, int]]] = []
        todo = [(first, last)]
        while todo:
            first, last = todo.pop()
            start, end = sentences[first][0], sentences[last - 1][1]
            if measure(start, end) <= self.max_size:
                out.append(((start, end), (first, last)))
            elif last - first == 1:
                out += [(piece, (first, last)) for piece in split_span(text, start, end, measure, self.max_size)]
            else:
                cut = min(range(first, last - 1), key=lambda s: (math.inf if math.isnan(ppl[s]) else ppl[s], s))
                todo += [(cut + 1, last), (first, cut + 1)]  # the left part is processed first
        return out
