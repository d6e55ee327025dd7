"""The perplexity chunker (Meta-Chunking) with the real embedded SmolLM2-135M."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from chunker_cases import PROSE
from chunkers.prose.perplexity import PerplexityChunker, rise_gains
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import assert_invariants
from llama_index.core import Document

from langchain_chunkers import PerplexityTextSplitter
from llama_chunkers import PerplexityNodeParser

WIKI = (Path(__file__).resolve().parents[1] / "examples" / "data" / "valkyria_chronicles_wikitext.md").read_text(
    encoding="utf-8"
)[:3000]
TOPICS = (
    "The cat slept on the warm windowsill. It purred softly in the afternoon sun. Its fur was orange and white. "
    "Interest rates rose by half a percent. The central bank cited persistent inflation. Markets fell sharply. "
    "The volcano erupted at dawn. Ash covered the nearby villages. Thousands of residents were evacuated."
)


@pytest.fixture(scope="module")
def chunker() -> PerplexityChunker:
    return PerplexityChunker(max_size=400)


def test_chunks_keep_invariants_and_report_boundary_scores(chunker: PerplexityChunker) -> None:
    chunks = chunker.chunk(WIKI)
    assert_invariants(chunker, WIKI, chunks)
    assert len(chunks) >= 5
    scored = [c.metadata["boundary_score"] for c in chunks if c.metadata["boundary_score"] is not None]
    # the DP (default) cuts where the next sentence is more perplexing than this one: its cuts' rises beat the mean
    rises = [r for r in rise_gains([p for _, _, p in chunker.sentence_perplexities(WIKI)]) if not math.isnan(r)]
    assert scored and sum(scored) / len(scored) > sum(rises) / len(rises)
    minima = PerplexityChunker(max_size=400, boundary="threshold")
    drops = [c.metadata["boundary_score"] for c in minima.chunk(WIKI) if c.metadata["boundary_score"] is not None]
    assert drops and all(drop >= 0 for drop in drops)  # the threshold rule's boundaries are local minima
    assert all(c.metadata["mean_ppl"] > 0 and c.metadata["sentences"] >= 1 for c in chunks)


def test_every_token_is_scored_once_linear_cost(chunker: PerplexityChunker) -> None:
    tokenizer = chunker.scorer.lm.load()[1]
    tokens = len(tokenizer(WIKI, add_special_tokens=False)["input_ids"])
    small_windows = PerplexityChunker(max_size=400, window_tokens=64, context_tokens=16)
    small_windows.chunk(WIKI)
    assert small_windows.tokens_scored == tokens


def test_windows_with_carried_context_approximate_one_long_pass(chunker: PerplexityChunker) -> None:
    document = chunker.scorer.prepare(WIKI)
    full = chunker.scorer.perplexities([document])[0]
    windowed = PerplexityChunker(window_tokens=128, context_tokens=128)
    approx = windowed.scorer.perplexities([document])[0]
    close = [abs(a - b) < 0.35 * a for a, b in zip(full, approx) if not math.isnan(a)]
    assert sum(close) / len(close) > 0.9


def test_boundaries_follow_topic_changes(chunker: PerplexityChunker) -> None:
    tight = PerplexityChunker(max_size=400, target_size=120, boundary="threshold")
    chunks = tight.chunk(TOPICS)
    assert [c.text.split(". ")[-1] for c in chunks] == [
        "Its fur was orange and white.",
        "Markets fell sharply.",
        "Thousands of residents were evacuated.",
    ]


def test_target_size_merges_and_max_size_caps(chunker: PerplexityChunker) -> None:
    merged = PerplexityChunker(max_size=1000, target_size=800)
    small = chunker.chunk(WIKI)
    large = merged.chunk(WIKI)
    assert len(large) < len(small)
    assert_invariants(merged, WIKI, large)
    with pytest.raises(ValueError, match="target_size=2000 exceeds max_size=1000"):
        PerplexityChunker(max_size=1000, target_size=2000)
    with pytest.raises(ValueError, match="method must be 'ppl' or 'margin'"):
        PerplexityChunker(method="entropy")
    with pytest.raises(ValueError, match="boundary must be 'dp' or 'threshold'"):
        PerplexityChunker(boundary="minima")
    with pytest.raises(ValueError, match="size_weight must be a finite number >= 0"):
        PerplexityChunker(size_weight=-1)


def test_hard_inputs_no_punctuation_one_huge_sentence_chinese_and_empty(chunker: PerplexityChunker) -> None:
    no_punctuation = " ".join(["word"] * 400)
    huge_sentence = "This sentence goes on " + "and on " * 300 + "until it ends."
    chinese = "今天天气很好。我们去公园散步吧！公园里有很多人。有的人在跑步，有的人在唱歌。晚上我们回家吃饭。" * 8
    for text in (no_punctuation, huge_sentence, chinese, "One.", "One. Two."):
        assert_invariants(chunker, text, chunker.chunk(text))
    assert chunker.chunk("") == [] and chunker.chunk(" \n ") == []


def test_margin_method_with_dynamic_threshold(chunker: PerplexityChunker) -> None:
    margin = PerplexityChunker(method="margin", dynamic_threshold=True, max_size=400, target_size=60)
    chunks = margin.chunk(TOPICS)
    assert_invariants(margin, TOPICS, chunks)
    assert chunks[0].metadata["chunker"] == "perplexity-margin"
    assert any(c.metadata["boundary_score"] is not None for c in chunks)


def test_chunk_many_batches_documents_and_matches_chunk(chunker: PerplexityChunker) -> None:
    texts = [WIKI[:1500], "", TOPICS]
    many = chunker.chunk_many(texts, [{"i": 0}, {"i": 1}, {"i": 2}])
    assert many[1] == []
    for text, chunks, meta in zip(texts, many, range(3)):
        assert [(c.start, c.end) for c in chunks] == [(c.start, c.end) for c in chunker.chunk(text)]
        assert all(c.metadata["i"] == meta for c in chunks)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROSE)
def test_invariants_on_generated_prose(text: str) -> None:
    chunker = PerplexityChunker(max_size=50, target_size=30)
    assert_invariants(chunker, text, chunker.chunk(text))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROSE, st.sampled_from(["chars", "non_whitespace"]), st.sampled_from([0.0, 1.0, 8.0]))
def test_dp_invariants_on_generated_prose_any_sizer_and_weight(text: str, sizer: str, size_weight: float) -> None:
    chunker = PerplexityChunker(max_size=60, target_size=25, sizer=sizer, size_weight=size_weight)
    assert_invariants(chunker, text, chunker.chunk(text))
    minima = PerplexityChunker(max_size=60, target_size=25, sizer=sizer, boundary="threshold")
    assert_invariants(minima, text, minima.chunk(text))


def test_dp_cuts_at_the_strongest_rises_of_a_hand_made_curve(chunker: PerplexityChunker) -> None:
    document = chunker.scorer.prepare(TOPICS)  # 9 sentences, 3 topics of 3
    ppl = [3.0, 2.0, 1.0, 4.0, 2.5, 1.5, 4.5, 2.0, 1.8]  # the steepest rises: into sentences 3 and 6
    dp = PerplexityChunker(max_size=400, target_size=len(TOPICS) // 3, size_weight=0.5)
    chunks = dp._assemble_dp(document, ppl, rise_gains(ppl))
    assert [c.metadata["sentences"] for c in chunks] == [3, 3, 3]
    assert [c.metadata["boundary_score"] for c in chunks] == [3.0, 3.0, None]
    assert_invariants(dp, TOPICS, chunks)
    flat = dp._assemble_dp(document, ppl, [0.0] * 8)  # no signal: sizes alone, still 3 chunks near the target
    assert len(flat) == 3 and max(len(c.text) for c in flat) <= 400


def test_params_rebuild_the_dp_chunker(chunker: PerplexityChunker) -> None:
    dp = PerplexityChunker(max_size=300, size_weight=2.0)
    params = dp.params()
    assert (params["boundary"], params["size_weight"], params["target_size"]) == ("dp", 2.0, 150)
    rebuilt = PerplexityChunker(**params)
    assert [(c.start, c.end) for c in rebuilt.chunk(WIKI)] == [(c.start, c.end) for c in dp.chunk(WIKI)]


def test_faces(chunker: PerplexityChunker) -> None:
    face = PerplexityNodeParser(max_size=400, boundary=chunker.boundary, size_weight=chunker.size_weight)
    nodes = face.get_nodes_from_documents([Document(text=WIKI)])
    assert [(n.start_char_idx, n.end_char_idx) for n in nodes] == [(c.start, c.end) for c in chunker.chunk(WIKI)]
    assert "boundary_score" in nodes[0].metadata
    docs = PerplexityTextSplitter(max_size=400, add_start_index=True).create_documents([WIKI])
    assert all(WIKI[d.metadata["start_index"] : d.metadata["end_index"]] == d.page_content for d in docs)
    assert PerplexityNodeParser.from_dict(PerplexityNodeParser(max_size=300).to_dict()).max_size == 300


def test_sentence_perplexities_explain_the_boundaries(chunker: PerplexityChunker) -> None:
    scores = chunker.sentence_perplexities(TOPICS)
    assert len(scores) == 9 and all(TOPICS[a:b].strip() for a, b, _ in scores)
    assert math.isnan(scores[0][2]) is False and all(s > 0 for _, _, s in scores)
    values = [s for _, _, s in scores]
    minima_ends = {scores[i][1] for i in range(1, 8) if values[i] < values[i - 1] and values[i] < values[i + 1]}
    fine = PerplexityChunker(max_size=400, target_size=1, boundary="threshold")
    assert {c.end for c in fine.chunk(TOPICS)[:-1]} == minima_ends
    assert chunker.sentence_perplexities("  ") == []


def test_cache_reuses_sentence_scores_across_settings(chunker: PerplexityChunker) -> None:
    cache: dict = {}
    first = PerplexityChunker(max_size=400, target_size=120, cache=cache)
    small = first.chunk(TOPICS)
    scored = first.tokens_scored
    assert scored > 0 and len(cache) == 1
    second = PerplexityChunker(max_size=400, target_size=300, cache=cache)
    large = second.chunk(TOPICS)
    assert second.tokens_scored == 0  # the model did not run again
    assert len(large) < len(small)
    uncached = PerplexityChunker(max_size=400, target_size=300)
    assert [(c.start, c.end) for c in uncached.chunk(TOPICS)] == [(c.start, c.end) for c in large]
