"""Smoke test of the chunk-filtering benchmark on a few real questions (embedding-driven methods only)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_filters_keep_subsets_and_score_within_range(tmp_path) -> None:
    pytest.importorskip("langchain_community", reason="LangChain's EmbeddingsFilter needs langchain-community")
    from benchmarks import filter_bench

    result = filter_bench.run(
        ["chatlogs"],
        tmp_path,
        max_questions=4,
        lm_questions=2,
        llm_questions=1,
        methods=["top10", "top5", "ours-embedding", "lc-embeddings"],
    )
    names = [row["method"] for row in result["rows"]]
    assert names[:3] == ["unfiltered top 10", "unfiltered top 5", 'rag-chunkers ChunkFilter(scorer="embedding")']
    assert sum(n.startswith("LangChain EmbeddingsFilter") for n in names) == len(filter_bench.LANGCHAIN_CUTOFFS)
    for row in result["rows"]:
        assert len(row["records"]) == 4
        for record in row["records"]:
            assert 0 <= record["kept"] <= record["pairs"] == filter_bench.RETRIEVE_K
            assert all(0.0 <= record[m] <= 1.0 for m in ("precision", "recall", "iou"))
            assert record["iou"] <= min(record["precision"], record["recall"]) + 1e-12
    ours = result["rows"][2]["records"]
    assert all(r["kept"] >= 1 for r in ours)  # min_keep 1
    top10 = result["rows"][0]["records"]
    assert all(o["recall"] <= t["recall"] + 1e-12 for o, t in zip(ours, top10))  # a subset covers no more
    assert (tmp_path / "filter_bench.md").read_text(encoding="utf-8").startswith("# Chunk filtering benchmark")
    assert (tmp_path / "filter_bench.json").exists()
