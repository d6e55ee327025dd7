"""The `LLM` protocol, the embedded local LLM, and the LLM-guided chunker (LumberChunker).

See ALGORITHMS.md, "LumberChunker". The engine imports no framework: LlamaIndex and LangChain models reach
it through small bridges in the face packages; a plain ``callable(prompt) -> str`` works too.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import partial
from typing import Any, Protocol, TypeAlias, runtime_checkable

from .base import BaseChunker, check_positive, validate_batch
from .chunk import Chunk
from .merge import Span, pack_spans, split_span, trim
from .segment import paragraph_spans, sentence_spans

logger = logging.getLogger(__name__)
_LOCK = threading.Lock()  # guards usage merges and gate creation across threads (held for microseconds)


@runtime_checkable
class LLM(Protocol):
    """Anything that completes a prompt: ``complete(prompt) -> str`` and ``async acomplete(prompt) -> str``.
    Optional: ``complete_batch(prompts) -> list[str]`` (the replies in order), which `LLMChunker.chunk_many` then
    uses for the prompts of several documents at once."""

    def complete(self, prompt: str) -> str: ...

    async def acomplete(self, prompt: str) -> str: ...


@dataclass
class LLMUsage:
    """What a run cost: calls, tokens, how replies were handled, and where boundaries came from.

    ``llm_boundaries`` counts boundaries taken from the LLM's answer, ``fallbacks`` those chosen by the
    embedding-similarity fallback after every attempt failed (boundaries, not chunks: a span cut further by
    ``max_size`` is one boundary).
    """

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0  # exceptions and timeouts
    retries: int = 0
    fallbacks: int = 0
    cache_hits: int = 0
    llm_boundaries: int = 0

    def add(self, other: LLMUsage) -> None:
        """Add ``other``'s counts to these."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


class CallableLLM:
    """Wraps a plain ``callable(prompt) -> str``."""

    def __init__(self, fn: Callable[[str], str], model_id: str | None = None) -> None:
        self.fn = fn
        self.model_id = model_id or getattr(fn, "__name__", "callable")

    def complete(self, prompt: str) -> str:
        return str(self.fn(prompt))

    async def acomplete(self, prompt: str) -> str:
        return await asyncio.to_thread(self.complete, prompt)


LOCAL_LLM = "local"
NO_LLM_HELP = (
    "pass llm=... : any LlamaIndex LLM or LangChain chat model (through the llama_chunkers / langchain_chunkers "
    "faces), an object with complete(prompt) -> str, or a callable(prompt) -> str; llm='local' runs the embedded "
    "SmolLM2-135M, an offline demo too small to follow these instructions well (measured)"
)


def as_llm(llm: Any) -> LLM:
    """``"local"`` -> the embedded `LocalLLM`; an `LLM` -> itself; a ``callable(str) -> str`` -> wrapped.

    There is no silent default: None raises a `ValueError` saying what to pass.
    """
    if llm is None:
        raise ValueError(f"an LLM is required: {NO_LLM_HELP}")
    if isinstance(llm, str):
        if llm != LOCAL_LLM:
            raise ValueError(f"llm={llm!r} is not a model name this library knows: {NO_LLM_HELP}")
        from .local_llm import LocalLLM

        return LocalLLM()
    if isinstance(llm, LLM):
        return llm
    if callable(llm):
        return CallableLLM(llm)
    raise TypeError(
        f"llm must provide complete(prompt) -> str (the chunkers.llm.LLM protocol) or be a callable, got "
        f"{type(llm).__name__}; LlamaIndex and LangChain models are accepted by the llama_chunkers / "
        "langchain_chunkers faces, which bridge them"
    )


LUMBER_PROMPT = (
    "You will receive a document as consecutive paragraphs, each on its own line as 'ID <number>: <text>'. "
    "Find the first paragraph, other than the first one, where the content clearly changes compared with the "
    "paragraphs before it. Do not let chunks grow very long. Reply only in the form 'Answer: ID <number>'.\n\n"
    "{paragraphs}"
)
STRICT_SUFFIX = "\n\nReply with exactly 'Answer: ID n' where n is one of: {ids}."
_ID = re.compile(r"ID\s*:?\s*(\d+)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")


def parse_reply(reply: str, valid: range) -> int | None:
    """The first paragraph ID in ``reply`` that lies in ``valid`` ('ID n' forms first, then bare numbers)."""
    for pattern in (_ID, _NUMBER):
        for match in pattern.finditer(reply or ""):
            value = int(match.group(1) if match.groups() else match.group(0))
            if value in valid:
                return value
    return None


PIECES_PER_GROUP = 4  # a paragraph longer than a group is cut into pieces of about a quarter group
Step: TypeAlias = str | Callable[[], Any]  # what `LLMChunker._steps` yields: a prompt, or CPU work to run


class LLMChunker(BaseChunker):
    """Lets an LLM decide where the topic shifts (LumberChunker).

    Paragraphs (blank-line separated; one per line when the text has no blank lines; a paragraph over
    ``group_tokens`` is cut into sentence packs of a quarter group) are numbered; from the current one, paragraphs
    join a group while it stays under ``group_tokens``; the LLM names the first paragraph where the content changes,
    which closes the chunk and starts the next group. Replies are parsed leniently (any 'ID n' or number) and only
    an ID inside the group after its first is accepted; otherwise the call is retried ``max_retries`` times with a
    stricter prompt, then the boundary falls back to the largest drop in embedding similarity between consecutive
    paragraphs (the embedded MiniLM). Exceptions and ``timeout`` (seconds, per call) count as failed attempts. When
    fewer than ``min_tail`` paragraphs remain they form the last chunk. ``max_size`` is a hard cap. Metadata per
    chunk: ``boundary`` ("llm", "fallback", "single" or "end"). ``usage`` counts calls, tokens, retries, failures,
    cache hits and boundaries from the LLM or the fallback, summed over every document this chunker has chunked;
    ``cache`` (any dict-like) maps (model id, prompt) to replies so re-runs are free.

    `chunk` and `chunk_many` call the LLM's ``complete`` (``chunk_many``: ``concurrency`` documents at a time,
    in threads; or, for an LLM with ``complete_batch(prompts) -> replies`` such as `LocalLLM`, every document's
    next prompt in one call, so a local model answers them in shared ``generate`` batches); `achunk` and
    `achunk_many` call its ``acomplete`` on the running event loop, with at most ``concurrency`` of this
    chunker's calls in flight on that loop however many documents run at once (an LLM with ``complete_batch``:
    as `chunk_many`, in a worker thread). Within a document, groups are asked one after the other (each group
    starts where the last boundary fell).
    """

    def __init__(
        self,
        llm: Any = None,
        group_tokens: int = 550,
        max_size: int = 4000,
        sizer: Any = "chars",
        prompt: str = LUMBER_PROMPT,
        max_retries: int = 1,
        timeout: float | None = None,
        cache: MutableMapping[str, str] | None = None,
        concurrency: int = 4,
        min_tail: int = 5,
    ) -> None:
        super().__init__(max_size, sizer)
        if "{paragraphs}" not in prompt:
            raise ValueError("prompt must contain the placeholder {paragraphs}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
        self.llm = as_llm(llm)
        self.group_tokens = check_positive("group_tokens", group_tokens)
        self.prompt = prompt
        self.max_retries = max(0, int(max_retries))
        self.timeout = timeout
        self.cache = cache
        self.concurrency = check_positive("concurrency", concurrency)
        self.min_tail = check_positive("min_tail", min_tail)
        self.usage = LLMUsage()
        self._gate: tuple[weakref.ref[asyncio.AbstractEventLoop], asyncio.Semaphore] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_gate": None}  # the gate belongs to one event loop and does not pickle

    # The procedure, once, as steps that a sync (`_run`) or an async (`_arun`) driver carries out.

    def _tokens(self, text: str) -> int:
        count = getattr(self.llm, "count_tokens", None)
        return count(text) if callable(count) else round(1.2 * len(text.split()))

    def _paragraphs(self, text: str) -> list[Span]:
        """Paragraphs; one longer than a group is cut into sentence packs of a quarter group, so that the LLM,
        not a size rule, picks where inside it a chunk ends."""
        paragraphs = paragraph_spans(text)
        if len(paragraphs) == 1 and "\n" in text.strip():
            paragraphs = paragraph_spans(text, single_newline=True)
        measure = lambda a, b: self._tokens(text[a:b])  # noqa: E731
        out: list[Span] = []
        for start, end in paragraphs:
            if measure(start, end) <= self.group_tokens:
                out.append((start, end))
            else:
                piece = max(self.group_tokens // PIECES_PER_GROUP, 1)
                out += pack_spans(text, sentence_spans(text, start, end), measure, piece)
        return out

    def _prepare(self, text: str) -> tuple[list[Span], list[int]]:
        """The paragraphs of ``text`` and their token counts."""
        paragraphs = self._paragraphs(text)
        return paragraphs, [self._tokens(text[a:b]) for a, b in paragraphs]

    def _steps(self, text: str, usage: LLMUsage) -> Generator[Step, Any, list[Chunk]]:
        """The chunks of one document, as a generator a driver runs: it yields a prompt and is sent the reply
        (or the exception the call raised), or yields a callable (CPU work: segmentation, the embedding
        fallback) and is sent its result. Counts go to ``usage``."""
        paragraphs, tokens = yield partial(self._prepare, text)
        boundaries: list[tuple[int, str]] = []  # (index of the first paragraph of the next chunk, source)
        start = 0
        while len(paragraphs) - start >= self.min_tail:
            end, total = start, 0
            while end < len(paragraphs):
                if end > start and total + tokens[end] > self.group_tokens:
                    break
                total += tokens[end]
                end += 1
            last = end - 1
            if last == start:
                boundaries.append((start + 1, "single"))
                start += 1
                continue
            group = "\n".join(f"ID {i}: {text[slice(*paragraphs[i])]}" for i in range(start, last + 1))
            answer = yield from self._ask(group, range(start + 1, last + 1), usage)
            if answer is None:
                usage.fallbacks += 1
                answer, source = (yield partial(self._fallback, text, paragraphs, start, last)), "fallback"
            else:
                usage.llm_boundaries += 1
                source = "llm"
            boundaries.append((answer, source))
            start = answer
        if start < len(paragraphs):
            boundaries.append((len(paragraphs), "end"))
        return self._assemble(text, paragraphs, boundaries)

    def _ask(self, group_text: str, valid: range, usage: LLMUsage) -> Generator[Step, Any, int | None]:
        """The paragraph ID the LLM names, after up to ``max_retries`` retries; None if none was usable."""
        for attempt in range(self.max_retries + 1):
            prompt = self.prompt.format(paragraphs=group_text)
            if attempt:
                usage.retries += 1
                prompt += STRICT_SUFFIX.format(ids=", ".join(map(str, valid)))
            reply = yield from self._reply(prompt, usage)
            answer = parse_reply(reply, valid) if reply is not None else None
            if answer is not None:
                return answer
            logger.info("LLM reply %r has no paragraph ID in %s", reply, valid)
        return None

    def _reply(self, prompt: str, usage: LLMUsage) -> Generator[Step, Any, str | None]:
        """The reply to ``prompt``, from the cache or the LLM; None if the call raised or timed out."""
        key = hashlib.sha256(f"{getattr(self.llm, 'model_id', type(self.llm).__name__)}\0{prompt}".encode()).hexdigest()
        if self.cache is not None and key in self.cache:
            usage.cache_hits += 1
            return self.cache[key]
        usage.calls += 1
        usage.prompt_tokens += self._tokens(prompt)
        reply = yield prompt
        if isinstance(reply, BaseException):  # a failing LLM must not lose the document: retry, then fall back
            usage.failures += 1
            logger.warning("LLM call failed: %s: %s", type(reply).__name__, reply)
            return None
        reply = str(reply)
        usage.completion_tokens += self._tokens(reply)
        if self.cache is not None:
            self.cache[key] = reply
        return reply

    def _fallback(self, text: str, paragraphs: list[Span], first: int, last: int) -> int:
        """The paragraph after the lowest embedding similarity between neighbours in [first, last]."""
        from .models import embed

        vectors = embed([text[a:b] for a, b in paragraphs[first : last + 1]])
        similarities = [float(vectors[i] @ vectors[i + 1]) for i in range(len(vectors) - 1)]
        return first + 1 + min(range(len(similarities)), key=similarities.__getitem__)

    def _assemble(self, text: str, paragraphs: list[Span], boundaries: list[tuple[int, str]]) -> list[Chunk]:
        """Chunks from the boundaries, each span cut further to fit ``max_size``."""
        chunks: list[Chunk] = []
        begin = 0
        measure = self.sizer.span_measure(text)
        for stop, source in boundaries:
            span_start, span_end = paragraphs[begin][0], paragraphs[stop - 1][1]
            for a, b in split_span(text, span_start, span_end, measure, self.max_size):
                a, b = trim(text, a, b)
                if a < b:
                    chunks.append(Chunk(text[a:b], a, b, {"chunker": "llm", "boundary": source}))
            begin = stop
        return chunks

    def _add_usage(self, usage: LLMUsage) -> None:
        with _LOCK:
            self.usage.add(usage)

    # The sync driver: the LLM's ``complete``, in the calling thread (no event loop involved).

    def _run(self, text: str) -> list[Chunk]:
        usage = LLMUsage()
        steps = self._steps(text, usage)
        try:
            step = next(steps)
            while True:
                step = steps.send(self._complete(step) if isinstance(step, str) else step())
        except StopIteration as done:
            return done.value
        finally:
            self._add_usage(usage)

    def _complete(self, prompt: str) -> str | Exception:
        """``llm.complete(prompt)``, or the exception it raised (a `TimeoutError` after ``timeout`` seconds)."""
        return self._call(self.llm.complete, prompt)

    def _call(self, function: Callable[[Any], Any], argument: Any) -> Any:
        """``function(argument)``, or the exception it raised (a `TimeoutError` after ``timeout`` seconds)."""
        try:
            if self.timeout is None:
                return function(argument)
            pool = ThreadPoolExecutor(max_workers=1)  # the abandoned call finishes in the background, unread
            try:
                return pool.submit(function, argument).result(timeout=self.timeout)
            finally:
                pool.shutdown(wait=False)
        except Exception as exc:
            return exc

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        return self._run(text)

    def _chunk_batch(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """Documents in lockstep through an LLM that batches (``complete_batch``), else in ``concurrency``
        threads."""
        if len(texts) > 1 and callable(getattr(self.llm, "complete_batch", None)):
            return self._run_batched(texts)
        if len(texts) <= 1 or self.concurrency == 1:
            return [self._run(text) for text in texts]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(texts))) as pool:
            return list(pool.map(self._run, texts))

    # The batch driver: every document's next prompt in one ``complete_batch`` call (a local model's generate).

    def _run_batched(self, texts: list[str]) -> list[list[Chunk]]:
        usages = [LLMUsage() for _ in texts]
        documents = [self._steps(text, usage) for text, usage in zip(texts, usages)]
        results: list[list[Chunk]] = [[] for _ in texts]
        prompts: dict[int, str] = {}  # document -> the prompt it waits on

        def advance(index: int, value: Any) -> None:
            """Send ``value`` to a document's steps and run its CPU steps until it asks a prompt or is done."""
            try:
                step = documents[index].send(value)
                while not isinstance(step, str):
                    step = documents[index].send(step())
                prompts[index] = step
            except StopIteration as done:
                results[index] = done.value

        try:
            for index in range(len(texts)):
                advance(index, None)
            while prompts:
                waiting = list(prompts)
                replies = self._complete_batch([prompts.pop(index) for index in waiting])
                for index, reply in zip(waiting, replies):
                    advance(index, reply)
        finally:
            for usage in usages:
                self._add_usage(usage)
        return results

    def _complete_batch(self, prompts: list[str]) -> list[str | Exception]:
        """``llm.complete_batch(prompts)``, or the exception it raised for each prompt (a `TimeoutError` after
        ``timeout`` seconds for the whole batch)."""
        replies = self._call(lambda batch: list(self.llm.complete_batch(batch)), prompts)
        return [replies] * len(prompts) if isinstance(replies, Exception) else replies

    # The async driver: the LLM's ``acomplete``, on the running event loop.

    async def _arun(self, text: str) -> list[Chunk]:
        usage = LLMUsage()
        steps = self._steps(text, usage)
        try:
            step = next(steps)
            while True:
                result = await (self._acomplete(step) if isinstance(step, str) else asyncio.to_thread(step))
                step = steps.send(result)
        except StopIteration as done:
            return done.value
        finally:
            self._add_usage(usage)

    def _loop_gate(self) -> asyncio.Semaphore:
        """The semaphore that keeps at most ``concurrency`` of this chunker's calls in flight on this loop."""
        loop = asyncio.get_running_loop()
        with _LOCK:
            if self._gate is None or self._gate[0]() is not loop:
                self._gate = (weakref.ref(loop), asyncio.Semaphore(self.concurrency))
            return self._gate[1]

    async def _acomplete(self, prompt: str) -> str | Exception:
        """``await llm.acomplete(prompt)``, or the exception it raised (a `TimeoutError` after ``timeout`` s)."""
        async with self._loop_gate():
            try:
                return await asyncio.wait_for(self.llm.acomplete(prompt), self.timeout)
            except Exception as exc:
                return exc

    async def achunk(self, text: str, **metadata: Any) -> list[Chunk]:
        """`chunk` on the running event loop, through the LLM's ``acomplete``."""
        return (await self.achunk_many([text], [metadata]))[0]

    async def achunk_many(
        self, texts: Iterable[str], metadatas: Sequence[dict[str, Any]] | None = None
    ) -> list[list[Chunk]]:
        """`chunk_many` on the running event loop: all documents at once, through the LLM's ``acomplete``; an LLM
        that batches (``complete_batch``, as `LocalLLM`) gets them in shared calls, from a worker thread."""
        texts, metadatas = validate_batch(texts, metadatas)
        if callable(getattr(self.llm, "complete_batch", None)):
            return await asyncio.to_thread(self.chunk_many, texts, metadatas)

        async def one(text: str, metadata: dict[str, Any]) -> list[Chunk]:
            if not text.strip():
                return []
            chunks = await self._arun(text)
            for chunk in chunks:
                chunk.metadata = {**metadata, **chunk.metadata}
            return chunks

        return list(await asyncio.gather(*map(one, texts, metadatas)))
