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
from collections.abc import Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .base import BaseChunker, check_positive
from .chunk import Chunk
from .merge import Span, pack_spans, split_span, trim
from .segment import paragraph_spans, sentence_spans

logger = logging.getLogger(__name__)


@runtime_checkable
class LLM(Protocol):
    """Anything that completes a prompt: ``complete(prompt) -> str`` and ``async acomplete(prompt) -> str``."""

    def complete(self, prompt: str) -> str: ...

    async def acomplete(self, prompt: str) -> str: ...


@dataclass
class LLMUsage:
    """What a run cost: calls, tokens, and how replies were handled."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0  # exceptions and timeouts
    retries: int = 0
    fallbacks: int = 0
    cache_hits: int = 0


class LocalLLM:
    """The embedded SmolLM2-135M-Instruct (or any local causal LM), chat template, greedy decoding."""

    def __init__(self, model: Any = None, tokenizer: Any = None, max_new_tokens: int = 16, device: str | None = None):
        self._spec = (model, tokenizer, device)
        self._loaded: tuple[Any, Any] | None = None
        self.max_new_tokens = check_positive("max_new_tokens", max_new_tokens)
        self.usage = LLMUsage()
        self._lock = threading.Lock()
        self.model_id = str(model) if isinstance(model, str) else "smollm2-135m-instruct"

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from .models import load_causal_lm

            self._loaded = load_causal_lm(*self._spec)
        return self._loaded

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model."""
        return len(self._model()[1].encode(text, add_special_tokens=False))

    def complete(self, prompt: str) -> str:
        import torch

        model, tokenizer = self._model()
        messages = [{"role": "user", "content": prompt}]
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with self._lock, torch.inference_mode():
            output = model.generate(
                **inputs.to(next(model.parameters()).device),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        self.usage.calls += 1
        self.usage.prompt_tokens += int(inputs["input_ids"].shape[1])
        self.usage.completion_tokens += len(new_tokens)
        return tokenizer.decode(new_tokens, skip_special_tokens=True)

    async def acomplete(self, prompt: str) -> str:
        return await asyncio.to_thread(self.complete, prompt)


class CallableLLM:
    """Wraps a plain ``callable(prompt) -> str``."""

    def __init__(self, fn: Callable[[str], str], model_id: str | None = None) -> None:
        self.fn = fn
        self.model_id = model_id or getattr(fn, "__name__", "callable")

    def complete(self, prompt: str) -> str:
        return str(self.fn(prompt))

    async def acomplete(self, prompt: str) -> str:
        return await asyncio.to_thread(self.complete, prompt)


def as_llm(llm: Any) -> LLM:
    """None -> the embedded `LocalLLM`; an `LLM` -> itself; a ``callable(str) -> str`` -> wrapped."""
    if llm is None:
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


class LLMChunker(BaseChunker):
    """Lets an LLM decide where the topic shifts (LumberChunker).

    Paragraphs (blank-line separated; one per line when the text has no blank lines; a paragraph over
    ``group_tokens`` is split by sentences first) are numbered; from the current one, paragraphs join a group
    while it stays under ``group_tokens``; the LLM names the first paragraph where the content changes, which
    closes the chunk and starts the next group. Replies are parsed leniently (any 'ID n' or number) and only an
    ID inside the group after its first is accepted; otherwise the call is retried ``max_retries`` times with
    a stricter prompt, then the boundary falls back to the largest drop in embedding similarity between
    consecutive paragraphs (the embedded MiniLM). Exceptions and ``timeout`` (seconds, per call) count as
    failed attempts. When fewer than ``min_tail`` paragraphs remain they form the last chunk.
    ``max_size`` is a hard cap. Metadata per chunk: ``boundary`` ("llm", "fallback", "single" or "end").
    ``usage`` counts calls, tokens, retries, fallbacks and cache hits; ``cache`` (any dict-like) maps
    (model id, prompt, group) to replies so re-runs are free.
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
        self.llm = as_llm(llm)
        self.group_tokens = check_positive("group_tokens", group_tokens)
        self.prompt = prompt
        self.max_retries = max(0, int(max_retries))
        self.timeout = timeout
        self.cache = cache
        self.concurrency = check_positive("concurrency", concurrency)
        self.min_tail = check_positive("min_tail", min_tail)
        self.usage = LLMUsage()

    def _tokens(self, text: str) -> int:
        count = getattr(self.llm, "count_tokens", None)
        return count(text) if callable(count) else round(1.2 * len(text.split()))

    def _paragraphs(self, text: str) -> list[Span]:
        paragraphs = paragraph_spans(text)
        if len(paragraphs) == 1 and "\n" in text.strip():
            paragraphs = paragraph_spans(text, single_newline=True)
        measure = lambda a, b: self._tokens(text[a:b])  # noqa: E731
        out: list[Span] = []
        for start, end in paragraphs:
            if measure(start, end) <= self.group_tokens:
                out.append((start, end))
            else:
                out += pack_spans(text, sentence_spans(text, start, end), measure, self.group_tokens)
        return out

    def _ask(self, group_text: str, valid: range) -> int | None:
        prompt = self.prompt.format(paragraphs=group_text)
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.usage.retries += 1
                prompt = self.prompt.format(paragraphs=group_text) + STRICT_SUFFIX.format(
                    ids=", ".join(map(str, valid))
                )
            reply = self._complete(prompt)
            answer = parse_reply(reply, valid) if reply is not None else None
            if answer is not None:
                return answer
            logger.info("LLM reply %r has no paragraph ID in %s", reply, valid)
        return None

    def _complete(self, prompt: str) -> str | None:
        key = hashlib.sha256(f"{getattr(self.llm, 'model_id', type(self.llm).__name__)}\0{prompt}".encode()).hexdigest()
        if self.cache is not None and key in self.cache:
            self.usage.cache_hits += 1
            return self.cache[key]
        self.usage.calls += 1
        self.usage.prompt_tokens += self._tokens(prompt)
        try:
            if self.timeout is None:
                reply = self.llm.complete(prompt)
            else:  # the abandoned call finishes in the background; its reply is dropped
                pool = ThreadPoolExecutor(max_workers=1)
                try:
                    reply = pool.submit(self.llm.complete, prompt).result(timeout=self.timeout)
                finally:
                    pool.shutdown(wait=False)
        except (Exception, FutureTimeout) as exc:  # a failing LLM must not lose the document: retry, then fall back
            self.usage.failures += 1
            logger.warning("LLM call failed: %s: %s", type(exc).__name__, exc)
            return None
        reply = str(reply)
        self.usage.completion_tokens += self._tokens(reply)
        if self.cache is not None:
            self.cache[key] = reply
        return reply

    def _fallback(self, text: str, paragraphs: list[Span], first: int, last: int) -> int:
        """The paragraph after the lowest embedding similarity between neighbours in [first, last]."""
        from .models import embed

        self.usage.fallbacks += 1
        vectors = embed([text[a:b] for a, b in paragraphs[first : last + 1]])
        similarities = [float(vectors[i] @ vectors[i + 1]) for i in range(len(vectors) - 1)]
        return first + 1 + min(range(len(similarities)), key=similarities.__getitem__)

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        paragraphs = self._paragraphs(text)
        boundaries: list[tuple[int, str]] = []  # (index of the first paragraph of the next chunk, source)
        start = 0
        while len(paragraphs) - start >= self.min_tail:
            end, total = start, 0
            while end < len(paragraphs):
                tokens = self._tokens(text[slice(*paragraphs[end])])
                if end > start and total + tokens > self.group_tokens:
                    break
                total += tokens
                end += 1
            last = end - 1
            if last == start:
                boundaries.append((start + 1, "single"))
                start += 1
                continue
            group = "\n".join(f"ID {i}: {text[slice(*paragraphs[i])]}" for i in range(start, last + 1))
            answer = self._ask(group, range(start + 1, last + 1))
            if answer is None:
                answer, source = self._fallback(text, paragraphs, start, last), "fallback"
            else:
                source = "llm"
            boundaries.append((answer, source))
            start = answer
        boundaries.append((len(paragraphs), "end"))
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

    def _chunk_batch(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """Documents run concurrently (``concurrency`` at a time); each one's groups stay sequential."""
        if len(texts) == 1 or self.concurrency == 1:
            return super()._chunk_batch(texts, metadatas)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._chunk, texts, metadatas))
