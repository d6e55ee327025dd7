"""The LLM-guided chunker (LumberChunker): reply parsing, failure handling, caching, the real local model."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from chunkers.llm import LLM, CallableLLM, LLMChunker, LocalLLM, as_llm, parse_reply
from invariants import assert_invariants

WIKI = (Path(__file__).resolve().parents[1] / "examples" / "data" / "valkyria_chronicles_wikitext.md").read_text(
    encoding="utf-8"
)
PARAGRAPHS = "\n\n".join(f"Paragraph {i} talks about topic {i // 3} in a few plain words." for i in range(12))


def second_id(prompt: str) -> str:
    """A well-behaved LLM: the second paragraph of every group starts a new chunk."""
    ids = re.findall(r"ID (\d+):", prompt)
    return f"Answer: ID {ids[1]}"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Answer: ID 5", 5),
        ("Sure! Looking at it, the change is at ID: 6.", 6),
        ("I think 4 or 7", 4),
        ("Answer: ID 99", None),  # outside the group
        ("Answer: ID 3", None),  # the group's first paragraph
        ("", None),
        ("no idea", None),
    ],
)
def test_replies_are_parsed_leniently_but_only_ids_inside_the_group_count(reply: str, expected: int | None) -> None:
    assert parse_reply(reply, range(4, 9)) == expected


def test_well_behaved_llm_gives_llm_boundaries_and_tiles_the_text() -> None:
    chunker = LLMChunker(llm=second_id, group_tokens=40, min_tail=2)
    chunks = chunker.chunk(PARAGRAPHS)
    assert_invariants(chunker, PARAGRAPHS, chunks)
    assert [c.metadata["boundary"] for c in chunks][:-1] == ["llm"] * (len(chunks) - 1)
    assert chunker.usage.calls == len(chunks) - 1 and chunker.usage.fallbacks == 0


def test_garbage_exceptions_and_timeouts_retry_then_fall_back_without_losing_text() -> None:
    def garbage(prompt: str) -> str:
        return "I cannot answer that." if "exactly" not in prompt else "Answer: ID 0"

    def broken(prompt: str) -> str:
        raise RuntimeError("service unavailable")

    def slow(prompt: str) -> str:
        time.sleep(2)
        return second_id(prompt)

    for llm, timeout in ((garbage, None), (broken, None), (slow, 0.2)):
        chunker = LLMChunker(llm=llm, group_tokens=40, min_tail=2, max_retries=1, timeout=timeout)
        chunks = chunker.chunk(PARAGRAPHS)
        assert_invariants(chunker, PARAGRAPHS, chunks)
        assert {c.metadata["boundary"] for c in chunks} <= {"fallback", "end"}
        assert chunker.usage.fallbacks == len(chunks) - 1 >= 1
        assert chunker.usage.retries == chunker.usage.fallbacks
    assert chunker.usage.failures == 2 * chunker.usage.fallbacks  # every timed-out attempt counted


def test_cache_makes_a_rerun_free_and_settings_are_checked() -> None:
    cache: dict[str, str] = {}
    first = LLMChunker(llm=second_id, group_tokens=40, min_tail=2, cache=cache)
    chunks = first.chunk(PARAGRAPHS)
    offline = CallableLLM(lambda p: pytest.fail("the cache should answer"), model_id="second_id")
    again = LLMChunker(llm=offline, group_tokens=40, min_tail=2, cache=cache)
    assert again.chunk(PARAGRAPHS) == chunks and again.usage.calls == 0 and again.usage.cache_hits == first.usage.calls
    with pytest.raises(ValueError, match="placeholder"):
        LLMChunker(llm=second_id, prompt="no placeholder")
    with pytest.raises(TypeError, match="complete"):
        as_llm(42)
    assert isinstance(as_llm(second_id), CallableLLM) and isinstance(as_llm(second_id), LLM)


def test_max_size_is_a_hard_cap_and_chunk_many_runs_documents_concurrently() -> None:
    chunker = LLMChunker(llm=second_id, group_tokens=60, max_size=50, min_tail=2, concurrency=3)
    texts = [PARAGRAPHS, WIKI[:3000], ""]
    results = chunker.chunk_many(texts)
    for text, chunks in zip(texts, results):
        assert_invariants(chunker, text, chunks)
    assert results[2] == []


def test_real_embedded_model_drives_the_chunker() -> None:
    llm = LocalLLM()
    chunker = LLMChunker(llm=llm, group_tokens=250, min_tail=3)
    text = WIKI[:3500]
    chunks = chunker.chunk(text)
    assert_invariants(chunker, text, chunks)
    assert len(chunks) >= 2
    assert llm.usage.calls == chunker.usage.calls >= 1 and llm.usage.prompt_tokens > 0
    assert chunker.chunk(text) == chunks  # greedy decoding: deterministic
