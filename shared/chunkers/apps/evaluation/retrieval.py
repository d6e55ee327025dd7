"""Retrieval metrics over character spans, as in Chroma's "Evaluating Chunking Strategies for Retrieval"
(computed on characters of the corpus rather than tokens), plus rank metrics.

Spans are ``(start, end)`` character offsets into one corpus; sets of spans are merged before measuring, so
overlapping chunks or evidence are not counted twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Span = tuple[int, int]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """The union of ``spans`` as sorted, disjoint, non-empty spans."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(spans: list[Span]) -> int:
    return sum(end - start for start, end in spans)


def _intersection(a: list[Span], b: list[Span]) -> int:
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def overlap_scores(retrieved: Iterable[Span], evidence: Iterable[Span]) -> dict[str, float]:
    """Character-level recall (evidence covered), precision (retrieved text that is evidence) and IoU."""
    got, gold = merge_spans(retrieved), merge_spans(evidence)
    shared = _intersection(got, gold)
    union = _length(got) + _length(gold) - shared
    return {
        "recall": shared / _length(gold) if gold else 0.0,
        "precision": shared / _length(got) if got else 0.0,
        "iou": shared / union if union else 0.0,
    }


def relevant_flags(ranked: Sequence[Span], evidence: Iterable[Span]) -> list[bool]:
    """For each ranked chunk span, whether it overlaps any evidence span."""
    gold = merge_spans(evidence)
    return [_intersection([span], gold) > 0 for span in ranked]


def recall_at_k(flags: Sequence[bool], k: int, relevant_total: int | None = None) -> float:
    """Share of the relevant items found in the top k (``relevant_total`` defaults to those in ``flags``)."""
    total = sum(flags) if relevant_total is None else relevant_total
    return sum(flags[:k]) / total if total else 0.0


def mrr_at_k(flags: Sequence[bool], k: int) -> float:
    """Reciprocal rank of the first relevant item in the top k (0 if none)."""
    return next((1.0 / (rank + 1) for rank, flag in enumerate(flags[:k]) if flag), 0.0)


def dcg_at_k(flags: Sequence[bool], k: int) -> float:
    """Discounted cumulative gain of binary relevance in the top k."""
    return sum(1.0 / math.log2(rank + 2) for rank, flag in enumerate(flags[:k]) if flag)
