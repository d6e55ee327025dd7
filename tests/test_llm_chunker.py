"""The LLM-guided chunker (LumberChunker): reply parsing, failure handling, caching, concurrency (threads
and one event loop), usage counts, the real local model."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import re
import threading
from pathlib import Path

import pytest
from chunkers.llms import LLM, CallableLLM, as_llm
from chunkers.llms.local import LocalLLM
from chunkers.llms.usage import LLMUsage
from chunkers.prose.llm import LLMChunker
from chunkers.prose.lumber import parse_reply
from invariants import assert_invariants

WIKI = (Path(__file__).resolve().parents[1] / "examples" / "data" / "valkyria_chronicles_wikitext.md").read_text(
    encoding="utf-8"
)
PARAGRAPHS = "\n\n".join(f"Paragraph {i} talks about topic {i // 3} in a few plain words." for i in range(12))
# How long a test waits for something that happens at once unless the code under test is broken: a guard against
# hanging forever, never a measure of speed.
HANG_GUARD_S = 300


def second_id(prompt: str) -> str:
    """A well-behaved LLM: the second paragraph of every group starts a new chunk."""
    ids = re.findall(r"ID (\d+):", prompt)
    return f"Answer: ID {ids[1]}"


class InFlight:
    """Counts calls in progress (from threads or tasks) and the most seen at once."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


class AsyncSecondId:
    """`second_id` as a remote-like async LLM: only ``acomplete`` works. Its first calls hold their replies until
    ``expected`` calls are in flight at once (then every call answers at once), so a test sees how many calls run
    together without depending on how long anything takes."""

    model_id = "async-second-id"

    def __init__(self, expected: int = 1) -> None:
        self.expected = expected
        self.flight = InFlight()
        self._full: asyncio.Event | None = None

    def complete(self, prompt: str) -> str:
        raise AssertionError("the async path must call acomplete")

    async def acomplete(self, prompt: str) -> str:
        self._full = self._full or asyncio.Event()
        with self.flight:
            if self.flight.peak >= self.expected:
                self._full.set()
            try:
                await asyncio.wait_for(self._full.wait(), HANG_GUARD_S)
            except asyncio.TimeoutError:  # fewer calls ever ran together: let them all go (the test fails)
                self._full.set()
        return second_id(prompt)


def usage_dict(usage: LLMUsage) -> dict[str, int]:
    return dataclasses.asdict(usage)


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
    assert chunker.usage.calls == chunker.usage.llm_boundaries == len(chunks) - 1 and chunker.usage.fallbacks == 0


def test_garbage_exceptions_and_timeouts_retry_then_fall_back_without_losing_text() -> None:
    def garbage(prompt: str) -> str:
        return "I cannot answer that." if "exactly" not in prompt else "Answer: ID 0"

    def broken(prompt: str) -> str:
        raise RuntimeError("service unavailable")

    answer = threading.Event()  # the slow LLM's replies come only after the test is done: every call times out

    def slow(prompt: str) -> str:
        answer.wait()
        return second_id(prompt)

    try:
        for llm, timeout in ((garbage, None), (broken, None), (slow, 0.05)):
            chunker = LLMChunker(llm=llm, group_tokens=40, min_tail=2, max_retries=1, timeout=timeout)
            chunks = chunker.chunk(PARAGRAPHS)
            assert_invariants(chunker, PARAGRAPHS, chunks)
            assert {c.metadata["boundary"] for c in chunks} <= {"fallback", "end"}
            assert chunker.usage.fallbacks == len(chunks) - 1 >= 1 and chunker.usage.llm_boundaries == 0
            assert chunker.usage.retries == chunker.usage.fallbacks
        assert chunker.usage.failures == 2 * chunker.usage.fallbacks  # every timed-out attempt counted
    finally:
        answer.set()  # the abandoned calls finish in the background


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


def test_threaded_chunk_many_overlaps_documents_and_usage_is_the_sum_over_documents() -> None:
    flight = InFlight()
    overlapped = threading.Event()  # set once two calls are in flight at once; the first calls wait for it

    def slow_second_id(prompt: str) -> str:
        with flight:
            if flight.peak > 1:
                overlapped.set()
            if not overlapped.wait(HANG_GUARD_S):  # documents never overlapped: let every call go (the test fails)
                overlapped.set()
        return second_id(prompt)

    texts = [PARAGRAPHS, WIKI[:2500], PARAGRAPHS[40:], WIKI[3000:5000]] * 2
    chunker = LLMChunker(llm=slow_second_id, group_tokens=60, min_tail=2, concurrency=4)
    results = chunker.chunk_many(texts)
    assert flight.peak > 1  # documents did overlap
    singles = [LLMChunker(llm=second_id, group_tokens=60, min_tail=2) for _ in texts]
    assert results == [single.chunk(text) for single, text in zip(singles, texts)]
    total = LLMUsage()
    for single in singles:
        total.add(single.usage)
    assert usage_dict(chunker.usage) == usage_dict(total) and total.llm_boundaries > len(texts)


async def test_achunk_many_runs_documents_concurrently_on_one_loop_through_acomplete() -> None:
    llm = AsyncSecondId(expected=3)
    chunker = LLMChunker(llm=llm, group_tokens=60, min_tail=2, concurrency=3)
    texts = [PARAGRAPHS, WIKI[:2500], "  ", PARAGRAPHS[40:], WIKI[3000:5000]]
    metadatas = [{"doc": i} for i in range(len(texts))]
    results = await chunker.achunk_many(texts, metadatas)
    assert llm.flight.peak == 3  # bounded by concurrency, and more than one at a time
    expected = LLMChunker(llm=second_id, group_tokens=60, min_tail=2).chunk_many(texts, metadatas)
    assert results == expected and results[2] == []
    for text, chunks in zip(texts, results):
        assert_invariants(chunker, text, chunks)
    total = LLMUsage()
    for text in texts:  # the same documents one at a time, each with its own chunker
        single = LLMChunker(llm=second_id, group_tokens=60, min_tail=2)
        single.chunk(text)
        total.add(single.usage)
    assert usage_dict(chunker.usage) == usage_dict(total)
    assert (
        chunker.usage.calls
        == chunker.usage.llm_boundaries
        == sum(c.metadata["boundary"] == "llm" for chunks in results for c in chunks)
    )
    with pytest.raises(TypeError, match="bytes"):
        await chunker.achunk_many([b"raw"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="metadata"):
        await chunker.achunk_many(["a", "b"], [{}])


async def test_gathered_achunk_calls_share_the_concurrency_limit() -> None:
    llm = AsyncSecondId(expected=2)
    chunker = LLMChunker(llm=llm, group_tokens=40, min_tail=2, concurrency=2)
    results = await asyncio.gather(*(chunker.achunk(PARAGRAPHS, doc=i) for i in range(5)))
    assert llm.flight.peak == 2
    for i, chunks in enumerate(results):
        assert [(c.start, c.end) for c in chunks] == [(c.start, c.end) for c in results[0]]
        assert {c.metadata["doc"] for c in chunks} == {i}
    assert chunker.usage.calls == chunker.usage.llm_boundaries == 5 * (len(results[0]) - 1)


async def test_a_chunker_that_ran_on_a_loop_still_pickles() -> None:
    chunker = LLMChunker(llm=second_id, group_tokens=40, min_tail=2)
    chunks = await chunker.achunk(PARAGRAPHS)
    clone = pickle.loads(pickle.dumps(chunker))
    assert clone.chunk(PARAGRAPHS) == chunks and await clone.achunk(PARAGRAPHS) == chunks


async def test_async_timeouts_and_exceptions_count_as_failures_and_fall_back() -> None:
    class Hangs(AsyncSecondId):
        """A remote LLM whose replies never come; counts the calls given up on (cancelled)."""

        abandoned = 0

        async def acomplete(self, prompt: str) -> str:
            try:
                await asyncio.Event().wait()  # never set
            except asyncio.CancelledError:
                self.abandoned += 1
                raise
            return second_id(prompt)

    class Raises(AsyncSecondId):
        async def acomplete(self, prompt: str) -> str:
            raise ConnectionError("remote closed the connection")

    for llm, timeout in ((Hangs(), 0.05), (Raises(), None)):
        chunker = LLMChunker(llm=llm, group_tokens=40, min_tail=2, max_retries=1, timeout=timeout, concurrency=4)
        results = await chunker.achunk_many([PARAGRAPHS, PARAGRAPHS])  # returns at all: nobody waited for replies
        for chunks in results:
            assert_invariants(chunker, PARAGRAPHS, chunks)
            assert {c.metadata["boundary"] for c in chunks} == {"fallback", "end"}
        usage = chunker.usage
        assert usage.fallbacks == sum(len(chunks) - 1 for chunks in results) and usage.llm_boundaries == 0
        assert usage.failures == usage.calls == 2 * usage.fallbacks and usage.retries == usage.fallbacks
        if isinstance(llm, Hangs):
            assert llm.abandoned == usage.calls  # every call that timed out was cancelled, none left waiting


async def test_chunk_works_inside_a_running_event_loop() -> None:
    asyncio.get_running_loop()  # as in Jupyter: the sync API is called from a coroutine
    chunker = LLMChunker(llm=second_id, group_tokens=40, min_tail=2, concurrency=2)
    chunks = chunker.chunk(PARAGRAPHS)
    assert_invariants(chunker, PARAGRAPHS, chunks)
    assert chunker.chunk_many([PARAGRAPHS, PARAGRAPHS]) == [chunks, chunks]
    assert await chunker.achunk(PARAGRAPHS) == chunks


def test_real_embedded_model_drives_the_chunker() -> None:
    llm = LocalLLM()
    chunker = LLMChunker(llm=llm, group_tokens=250, min_tail=3)
    text = WIKI[:1500]  # two calls
    chunks = chunker.chunk(text)
    assert_invariants(chunker, text, chunks)
    assert len(chunks) >= 2
    assert llm.usage.calls == chunker.usage.calls >= 1 and llm.usage.prompt_tokens > 0
    assert chunker.chunk(text) == chunks  # greedy decoding: deterministic


class BatchingSecondId:
    """`second_id` behind ``complete_batch``, the way a local model answers several prompts per generate call;
    ``fail`` makes every batch raise (a crashed generate)."""

    model_id = "batching-second-id"

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[int] = []
        self.fail = fail

    def complete(self, prompt: str) -> str:
        raise AssertionError("chunk_many must hand the prompts of several documents to complete_batch")

    async def acomplete(self, prompt: str) -> str:
        raise AssertionError("achunk_many must hand the prompts of several documents to complete_batch")

    def complete_batch(self, prompts: list[str]) -> list[str]:
        self.batches.append(len(prompts))
        if self.fail:
            raise RuntimeError("generate crashed")
        return [second_id(prompt) for prompt in prompts]


async def test_a_batching_llm_gets_the_prompts_of_all_documents_in_shared_calls() -> None:
    texts = [PARAGRAPHS, WIKI[:2500], "", PARAGRAPHS[40:], WIKI[3000:5000]]
    llm = BatchingSecondId()
    chunker = LLMChunker(llm=llm, group_tokens=60, min_tail=2)
    results = chunker.chunk_many(texts, [{"doc": i} for i in range(len(texts))])
    singles = [LLMChunker(llm=second_id, group_tokens=60, min_tail=2) for _ in texts]
    assert results == [single.chunk(text, doc=i) for i, (single, text) in enumerate(zip(singles, texts))]
    per_document = [single.usage.calls for single in singles]
    assert sum(llm.batches) == sum(per_document) and len(llm.batches) == max(per_document)  # one call per round
    assert llm.batches[0] == 4  # every non-blank document's first prompt in the first call
    assert chunker.usage.llm_boundaries == sum(single.usage.llm_boundaries for single in singles)
    assert await chunker.achunk_many(texts, [{"doc": i} for i in range(len(texts))]) == results

    failing = LLMChunker(llm=BatchingSecondId(fail=True), group_tokens=60, min_tail=2)
    for text, chunks in zip(texts, failing.chunk_many(texts)):  # every prompt failed: fallback, no text lost
        assert_invariants(failing, text, chunks)
        assert {c.metadata["boundary"] for c in chunks} <= {"fallback", "end", "single"}
    assert failing.usage.failures == failing.usage.calls > 0 and failing.usage.llm_boundaries == 0


def test_local_llm_batches_prompts_of_several_documents_with_the_boundaries_of_one_at_a_time() -> None:
    texts = [WIKI[:1500], WIKI[1500:2800]]  # two calls each
    one_at_a_time = LLMChunker(llm=LocalLLM(), group_tokens=250, min_tail=3)
    want = [one_at_a_time.chunk(text) for text in texts]
    llm = LocalLLM()
    batched = LLMChunker(llm=llm, group_tokens=250, min_tail=3)
    got = batched.chunk_many(texts)
    for text, chunks in zip(texts, got):
        assert_invariants(batched, text, chunks)
    spans = lambda results: [[(c.start, c.end) for c in chunks] for chunks in results]  # noqa: E731
    assert spans(got) == spans(want)
    assert llm.usage.calls == batched.usage.calls == one_at_a_time.usage.calls
    replies = llm.complete_batch(["Say yes.", "Name one colour. " * 30, "Say yes."])
    assert replies[0] == replies[2] == llm.complete("Say yes.")  # order kept, padding changes nothing


class StopsWhenCancelled:
    """An LLM whose call runs until it is told to stop (``cancel``), as the local model's generation does."""

    model_id = "stops-when-cancelled"

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.stopped_calls = 0

    def complete(self, prompt: str) -> str:
        self.stop.wait()
        self.stopped_calls += 1
        return "stopped"

    def cancel(self) -> None:
        self.stop.set()


def test_a_timed_out_call_is_abandoned_and_the_llm_told_to_stop() -> None:
    from chunkers.llms.runner import StepRunner

    llm = StopsWhenCancelled()
    runner = StepRunner(llm, timeout=0.05)  # the call cannot end before the runner gives up on it
    try:
        result = runner.call(llm.complete, "Count from 1 to 1000.")
        assert isinstance(result, TimeoutError)  # abandoned: the caller has its answer (an exception) ...
        assert llm.stop.is_set()  # ... and the LLM was told to stop the call it was running
    finally:
        llm.stop.set()


@pytest.mark.slow
def test_a_cancelled_local_generation_stops_at_its_next_token_and_frees_the_model() -> None:
    llm = LocalLLM(max_new_tokens=2000)
    model, _ = llm._lm.load()
    generating, go_on = threading.Event(), threading.Event()

    def hold_the_first_step(module: object, args: object, output: object) -> None:
        generating.set()
        go_on.wait()  # the generation waits here, holding the model, until the test has cancelled it

    hook = model.register_forward_hook(hold_the_first_step)
    replies: list[str] = []
    worker = threading.Thread(target=lambda: replies.append(llm.complete("Count from 1 to 1000, in words.")))
    worker.start()
    try:
        assert generating.wait(HANG_GUARD_S), "the generation never started"
        assert llm._lock.locked()  # a generation is running and holds the model
        llm.cancel()  # what a caller's timeout does (chunkers.llms.runner.StepRunner.call)
    finally:
        go_on.set()
    worker.join()
    hook.remove()
    assert not llm._lock.locked() and replies  # the call returned and let go of the model ...
    assert llm.usage.calls == 1 and llm.usage.completion_tokens <= 2  # ... at its next token, not 2000 later
    assert llm.complete("Reply with the word yes.").strip()  # later calls run as usual
