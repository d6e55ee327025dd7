"""`LLMChunker`: LLM-guided chunking (LumberChunker; docs/algorithms.md, "LumberChunker").

This module walks the paragraph groups and assembles the chunks; the conversation with the LLM (prompt, reading
replies, retries, cache) is `chunkers.prose.lumber`'s, and how calls are made (sync, threads, shared batches, async,
timeouts) is `chunkers.llms.runner`'s. The `LLM` protocol and `as_llm` live in `chunkers.llms`.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..core.base import CHUNK_OVERLAP, MAX_SIZE, SIZER, BaseChunker, validate_batch
from ..core.chunk import Chunk
from ..core.faces import Derived
from ..core.merge import Span, fitted, pack_spans
from ..core.options import Option, positive, seconds_or_none
from ..core.segment import paragraph_spans, sentence_spans
from ..llms.protocol import as_llm
from ..llms.runner import Step, StepRunner
from ..llms.usage import LLMUsage
from .lumber import LUMBER_PROMPT, LumberPrompter

_LOCK = threading.Lock()  # guards usage merges across threads (held for microseconds)
PIECES_PER_GROUP = 4  # a paragraph longer than a group is cut into pieces of about a quarter group


@dataclass(eq=False)
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

    llm: Any = Option(
        None,
        "Any LLM (complete(prompt) -> str), a callable, or 'local' (the embedded SmolLM2-135M).",
        lambda name, value: as_llm(value),
        written=False,
    ).field()
    group_tokens: int = Option(550, "Token budget of each paragraph group shown to the LLM.", positive).field()
    max_size: int = MAX_SIZE.field(4000)
    sizer: Any = SIZER.field()
    prompt: str = Option(LUMBER_PROMPT, "The instruction; must contain {paragraphs}.").field()
    max_retries: int = Option(
        1, "Retries with a stricter prompt before the embedding fallback.", lambda name, value: max(0, int(value))
    ).field()
    timeout: float | None = Option(None, "Seconds per LLM call; None: no limit.", seconds_or_none).field()
    cache: MutableMapping[str, str] | None = Option(
        None, "Dict-like store of replies, keyed by model and prompt (speed only).", affects_output=False, written=False
    ).field()
    concurrency: int = Option(
        4, "LLM calls in flight at once (threads, or async calls).", positive, affects_output=False
    ).field()
    min_tail: int = Option(5, "Fewer paragraphs than this left: they form the last chunk.", positive).field()
    chunk_overlap: int = CHUNK_OVERLAP.field()

    def _validate(self) -> None:
        self.usage = LLMUsage()
        self._prompter()  # checks the prompt now
        self._runners: Derived[StepRunner] = Derived()

    def _prompter(self) -> LumberPrompter:
        return LumberPrompter(self.llm, self.prompt, self.max_retries, self.cache, self._tokens)

    def _runner(self) -> StepRunner:
        """The runner for the current ``llm``, ``timeout`` and ``concurrency`` (one per chunker, so the limit on
        calls in flight holds across the documents of every call)."""
        settings = {"llm": self.llm, "timeout": self.timeout, "concurrency": self.concurrency}
        return self._runners.get(StepRunner, settings)

    # ---- the procedure for one document, as steps a runner carries out -------------------------------------

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

    def _document(self, text: str) -> Generator[Step, Any, list[Chunk]]:
        """The chunks of one document; its counts are added to ``usage`` when it ends (or is abandoned)."""
        usage = LLMUsage()
        try:
            return (yield from self._steps(text, usage))
        finally:
            with _LOCK:
                self.usage.add(usage)

    def _steps(self, text: str, usage: LLMUsage) -> Generator[Step, Any, list[Chunk]]:
        """The chunks of one document: the group walk, asking the LLM at each group (counts go to ``usage``)."""
        paragraphs, tokens = yield partial(self._prepare, text)
        prompter = self._prompter()
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
            answer = yield from prompter.ask(group, range(start + 1, last + 1), usage)
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

    def _fallback(self, text: str, paragraphs: list[Span], first: int, last: int) -> int:
        """The paragraph after the lowest embedding similarity between neighbours in [first, last]."""
        from ..runtime.embeddings import as_embeddings

        vectors = as_embeddings().documents([text[a:b] for a, b in paragraphs[first : last + 1]])
        similarities = [float(vectors[i] @ vectors[i + 1]) for i in range(len(vectors) - 1)]
        return first + 1 + min(range(len(similarities)), key=similarities.__getitem__)

    def _assemble(self, text: str, paragraphs: list[Span], boundaries: list[tuple[int, str]]) -> list[Chunk]:
        """Chunks from the boundaries, each span cut further to fit ``max_size``."""
        chunks: list[Chunk] = []
        begin = 0
        measure = self.sizer.span_measure(text)
        for stop, source in boundaries:
            span_start, span_end = paragraphs[begin][0], paragraphs[stop - 1][1]
            for a, b in fitted(text, span_start, span_end, measure, self.core_size):
                chunks.append(Chunk(text[a:b], a, b, {"chunker": "llm", "boundary": source}))
            begin = stop
        return chunks

    # ---- the faces every chunker has ---------------------------------------------------------------------------

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        return self._runner().run(self._document(text))

    def _chunk_batch(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """Documents in lockstep through an LLM that batches (``complete_batch``), else in ``concurrency``
        threads."""
        return self._runner().run_many([self._document(text) for text in texts])

    async def achunk(self, text: str, **metadata: Any) -> list[Chunk]:
        """`chunk` on the running event loop, through the LLM's ``acomplete``."""
        return (await self.achunk_many([text], [metadata]))[0]

    async def achunk_many(
        self, texts: Iterable[str], metadatas: Sequence[dict[str, Any]] | None = None
    ) -> list[list[Chunk]]:
        """`chunk_many` on the running event loop: all documents at once, through the LLM's ``acomplete``; an LLM
        that batches (``complete_batch``, as `LocalLLM`) gets them in shared calls, from a worker thread."""
        import asyncio

        texts, metadatas = validate_batch(texts, metadatas)
        runner = self._runner()
        if runner.batches:
            return await asyncio.to_thread(self.chunk_many, texts, metadatas)

        async def one(text: str, metadata: dict[str, Any]) -> list[Chunk]:
            if not text.strip():
                return []
            chunks = await runner.arun(self._document(text))
            for chunk in chunks:
                chunk.metadata = {**metadata, **chunk.metadata}
            return chunks

        return list(await asyncio.gather(*map(one, texts, metadatas)))
