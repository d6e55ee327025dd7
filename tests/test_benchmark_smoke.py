"""Smoke test of the retrieval benchmark pipeline on a slice of the real evaluation data."""

from __future__ import annotations

import pytest
from chunkers import SentenceChunker

from benchmarks.retrieval_bench import DATA, evaluate, load


@pytest.mark.skipif(not (DATA / "questions.csv").exists(), reason="needs ../shared/data beside the checkout")
def test_pipeline_scores_a_real_corpus_within_range() -> None:
    text, questions = load("chatlogs")
    assert len(questions) == 56
    for _, evidence in questions[:5]:
        assert all(0 <= a < b <= len(text) for a, b in evidence)
    spans = [(c.start, c.end) for c in SentenceChunker(max_size=400).chunk(text)]
    scores = evaluate(text, questions[:8], spans)
    assert set(scores) == {"recall", "precision", "iou"}
    assert 0.2 < scores["recall"] <= 1.0 and 0.0 < scores["iou"] <= scores["precision"] <= 1.0
