"""Sentence scores from a causal LM, the signal of the perplexity chunker (`chunkers.prose.perplexity`; Meta-Chunking,
docs/algorithms.md): each sentence's perplexity given all the text before it ("ppl"), or the LM's margin for
starting a new chunk before the next sentence ("margin"). The model is held by a `chunkers.runtime.models.CausalLM`; the
per-token losses come from `chunkers.runtime.losses`."""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import MutableMapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ..core.merge import Span
from ..core.segment import sentence_spans
from ..runtime.losses import token_losses
from ..runtime.models import CausalLM

MARGIN_PROMPT = (  # the Meta-Chunking reference's English prompt
    "This is a text chunking task. You are a text analysis expert. Please choose one of the following two options "
    "based on the logical structure and semantic content of the provided sentence:\n"
    '1. Split "{first} {second}" into "{first}" and "{second}" two parts;\n'
    '2. Keep "{first} {second}" unsplit in its original form;\n'
    "Please answer 1 or 2."
)


@dataclass
class ScoredText:
    """A text's sentences and tokens, as the scorer sees them."""

    text: str
    sentences: list[Span]
    token_ids: list[int]
    token_sentence: list[int]  # sentence index of every token


def rise_gains(ppl: list[float]) -> list[float]:
    """The score of a cut after each sentence i: how much more perplexing sentence i + 1 is than sentence i
    (``ppl[i + 1] - ppl[i]``, NaN where either is NaN): high where the next sentence is hard to predict from the
    text before it while this one was easy, the signal Meta-Chunking's local minima pick out."""
    return [after - before for before, after in pairwise(ppl)]


class SentenceScorer:
    """Scores the sentences of texts with ``lm``: token streams go through the model in windows of
    ``window_tokens`` that carry ``context_tokens`` of preceding text, windows of all texts sharing batches of
    ``batch_tokens`` (at most ``batch_size`` windows). ``cache`` (any dict-like) keeps each text's sentence
    perplexities, keyed by model, precision, windowing and text."""

    def __init__(
        self,
        lm: CausalLM,
        window_tokens: int,
        context_tokens: int,
        batch_tokens: int | None = None,
        batch_size: int | None = None,
        cache: MutableMapping[str, list[float]] | None = None,
    ) -> None:
        self.lm, self.window_tokens, self.context_tokens = lm, window_tokens, context_tokens
        self.batch_tokens, self.batch_size, self.cache = batch_tokens, batch_size, cache
        self.tokens_scored = 0  # tokens given a loss, plus each text's first (for inspection and tests)

    def prepare(self, text: str) -> ScoredText:
        """The sentences and tokens of ``text``, every token mapped to its sentence."""
        sentences = sentence_spans(text)
        encoding = self.lm.load()[1](text, add_special_tokens=False, return_offsets_mapping=True)
        ends = [end for _, end in sentences]
        last = len(sentences) - 1
        token_sentence = [min(bisect_right(ends, max(a, b - 1)), last) for a, b in encoding["offset_mapping"]]
        return ScoredText(text, sentences, list(encoding["input_ids"]), token_sentence)

    def cache_key(self, document: ScoredText) -> str:
        """The key of ``document``'s sentence scores in ``cache``: model, precision, windowing and text."""
        digest = hashlib.sha256(document.text.encode("utf-8")).hexdigest()
        runtime = self.lm.runtime  # int8 and half precision score slightly differently: keyed apart
        return f"{self.lm.name}|{runtime.dtype}|{runtime.quantize}|{self.window_tokens}|{self.context_tokens}|{digest}"

    def perplexities(self, documents: list[ScoredText]) -> list[list[float]]:
        """Mean token loss of every sentence given all text before it (NaN for a sentence with no scored token)."""
        cache = self.cache if self.cache is not None else {}
        keys = [self.cache_key(d) for d in documents]
        todo = [i for i, key in enumerate(keys) if key not in cache]
        model, tokenizer = self.lm.load()
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

    def margins(
        self, document: ScoredText, threshold: float, dynamic_threshold: bool
    ) -> tuple[list[float], dict[int, float]]:
        """Margin sampling as in Meta-Chunking: for each next sentence, the LM chooses between splitting the current
        chunk and that sentence apart (1) or keeping them together (2); margin = P(1) - P(2) from the next-token
        distribution. Returns every sentence boundary's margin (index i: between sentences i and i + 1) and the
        cuts (index -> margin) where the margin reaches ``threshold`` (dynamic: the mean of the previous 5 margins,
        as the reference does), the current chunk restarting at each cut."""
        import torch

        model, tokenizer = self.lm.load()
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
            theta = sum(recent) / 5 if dynamic_threshold and len(recent) == 5 else threshold
            margins.append(margin)
            if margin >= theta:
                cuts[i] = margin
                chunk_start = i + 1
        return margins, cuts


def threshold_cuts(ppl: list[float], threshold: float, dynamic_threshold: bool) -> dict[int, float]:
    """The paper's rule on sentence perplexities: sentence index -> drop, for every local minimum after which a
    chunk ends (the drop from a neighbour at least ``threshold``; dynamic: the mean of the drops seen, after 5)."""
    cuts: dict[int, float] = {}
    drops: list[float] = []
    for i in range(1, len(ppl) - 1):
        left, here, right = ppl[i - 1], ppl[i], ppl[i + 1]
        if math.isnan(left) or math.isnan(here) or math.isnan(right):
            continue
        theta = threshold
        if dynamic_threshold and len(drops) >= 5:
            theta = sum(drops) / len(drops)
        drop = max(left - here, right - here)
        is_minimum = here < left and (here < right or (here == right and left - here >= theta))
        if is_minimum and drop >= theta:
            cuts[i] = drop
            drops.append(drop)
    return cuts


def mean_of(values: Any) -> float | None:
    """The mean of the values that are not NaN (None if there are none)."""
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else None
