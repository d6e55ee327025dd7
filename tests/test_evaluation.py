"""Evaluation metrics on hand-checked examples."""

from __future__ import annotations

import math

import pytest
from chunkers import Chunk
from chunkers.evaluation import dcg_at_k, mrr_at_k, overlap_scores, recall_at_k, relevant_flags, size_stats
from chunkers.evaluation.retrieval import merge_spans


def test_spans_are_merged_before_measuring() -> None:
    assert merge_spans([(5, 10), (0, 3), (8, 12), (3, 4), (7, 7)]) == [(0, 4), (5, 12)]


def test_overlap_scores_by_hand() -> None:
    # evidence 10..20 (10 chars); retrieved 0..15 and 12..30, union 0..30 (30 chars); shared 10..20 = 10
    scores = overlap_scores([(0, 15), (12, 30)], [(10, 20)])
    assert scores == pytest.approx({"recall": 1.0, "precision": 10 / 30, "iou": 10 / 30})
    half = overlap_scores([(0, 15)], [(10, 20)])  # shared 5, union 20
    assert half == pytest.approx({"recall": 0.5, "precision": 5 / 15, "iou": 5 / 20})
    assert overlap_scores([], [(0, 5)]) == {"recall": 0.0, "precision": 0.0, "iou": 0.0}


def test_rank_metrics_by_hand() -> None:
    flags = relevant_flags([(0, 5), (10, 20), (30, 40)], [(12, 14), (35, 36)])
    assert flags == [False, True, True]
    assert recall_at_k(flags, 2) == 0.5 and recall_at_k(flags, 3) == 1.0 and recall_at_k(flags, 2, 4) == 0.25
    assert mrr_at_k(flags, 3) == 0.5 and mrr_at_k(flags, 1) == 0.0
    assert dcg_at_k(flags, 3) == pytest.approx(1 / math.log2(3) + 1 / math.log2(4))


def test_size_stats() -> None:
    chunks = [Chunk("ab", 0, 2), Chunk("abcd", 2, 6), Chunk("abcdef", 6, 12)]
    stats = size_stats(chunks, max_size=5)
    assert stats["count"] == 3 and stats["mean"] == 4 and stats["max"] == 6
    assert stats["pct_over"] == pytest.approx(100 / 3)
    assert size_stats([])["count"] == 0
