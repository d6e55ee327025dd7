"""Evaluation metrics on hand-checked examples."""

from __future__ import annotations

import math

import pytest
from chunkers import Chunk
from chunkers.evaluation import (
    ChunkPerplexity,
    boundary_clarity,
    chunk_stickiness,
    dcg_at_k,
    dependence_matrix,
    intrinsic_scores,
    mrr_at_k,
    overlap_scores,
    recall_at_k,
    relevant_flags,
    size_stats,
)
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


def test_stickiness_is_the_structural_entropy_of_the_kept_edges() -> None:
    # edges kept (> 0.5): 0-1, 0-2, 1-2 -> degrees 2, 2, 2 -> log2(3) bits; 2-3 (0.4) is left out
    dependence = {(0, 1): 0.9, (0, 2): 0.6, (1, 2): 0.7, (2, 3): 0.4, (0, 3): 0.1, (1, 3): 0.0}
    assert chunk_stickiness(dependence) == pytest.approx(math.log2(3))
    # one edge: two nodes of degree 1 -> 1 bit; no edge -> 0 (fully self-contained chunks)
    assert chunk_stickiness({(0, 1): 0.9, (1, 2): 0.1}) == pytest.approx(1.0)
    assert chunk_stickiness({(0, 1): 0.1}) == 0.0
    # clarity: mean of 1 - dependence over adjacent pairs only
    assert boundary_clarity(dependence, 4) == pytest.approx(((1 - 0.9) + (1 - 0.7) + (1 - 0.4)) / 3)
    assert math.isnan(boundary_clarity({}, 1))


@pytest.mark.slow
def test_intrinsic_metrics_with_the_embedded_model_see_topic_continuity() -> None:
    cat = "The cat slept on the warm windowsill. It purred softly in the afternoon sun."
    more_cat = "Its fur was orange and white, and the cat stretched lazily before sleeping again."
    rates = "Interest rates rose by half a percent as the central bank cited persistent inflation."
    scorer = ChunkPerplexity()
    dependence = dependence_matrix([cat, more_cat, rates], scorer)
    assert set(dependence) == {(0, 1), (0, 2), (1, 2)}
    assert dependence[(0, 1)] > dependence[(0, 2)]  # the cat text helps predict more cat, not interest rates
    # a cut inside one topic is less clear than a cut between topics
    inside = intrinsic_scores([cat, more_cat], scorer)["boundary_clarity"]
    between = intrinsic_scores([more_cat, rates], scorer)["boundary_clarity"]
    assert 0 < inside < between
    assert dependence_matrix([cat, more_cat, rates], scorer, window=1).keys() == {(0, 1), (1, 2)}
