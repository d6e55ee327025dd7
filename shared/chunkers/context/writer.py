"""LLM-written context for chunks: Anthropic's contextual retrieval. For each chunk the app's LLM reads the whole
document and the chunk, and writes one short text that situates the chunk in the document; the text is embedded
with the chunk (the chunk itself stays the exact source slice).

The document comes first in every prompt and the chunk last, so a provider's prompt caching serves the document
part after the first chunk; `ContextWriter.usage` counts calls and tokens (and ``cacheable_tokens``: the document
tokens such caching would serve). Calls go through `chunkers.llms.runner`: several at once in threads, in shared
batches for a local model, or on an event loop. In LlamaIndex, ``DocumentContextExtractor`` does this for nodes
and works on our nodes as they are; ``langchain_chunkers.ContextualDocumentTransformer`` brings it to LangChain.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.configurable import Configurable
from ..core.options import Option, positive, seconds_or_none
from ..llms.protocol import as_llm
from ..llms.runner import Step, StepRunner
from ..llms.usage import LLMUsage

logger = logging.getLogger(__name__)


def _prompt_check(name: str, value: Any) -> str:
    if not isinstance(value, str) or "{document}" not in value or "{chunk}" not in value:
        raise ValueError(f"{name} must contain the placeholders {{document}} and {{chunk}}")
    return value


CONTEXT_PROMPT = (  # Anthropic's contextual-retrieval prompt, the document first and the chunk last
    "<document>\n{document}\n</document>\n"
    "Here is the chunk we want to situate within the whole document\n<chunk>\n{chunk}\n</chunk>\n"
    "Please give a short succinct context to situate this chunk within the overall document for the purposes of "
    "improving search retrieval of the chunk. Answer only with the succinct context and nothing else."
)


@dataclass(eq=False)
class ContextWriter(Configurable):
    """Writes a situating context for each chunk of a document with ``llm`` (anything `chunkers.llms.as_llm` takes;
    there is no default model: pass the app's LLM, or ``"local"`` for the embedded SmolLM2-135M by name).

    ``prompt`` must contain ``{document}`` and ``{chunk}``. A document longer than ``max_document_chars`` is cut to
    a window of that many characters around each chunk (flagged in ``windowed``). ``timeout`` (seconds per call)
    and ``concurrency`` (calls in flight) as for the LLM chunker. A call that fails or times out leaves that chunk's
    context empty (counted in ``usage.failures``); the chunk itself is never lost.
    """

    llm: Any = Option(
        None,
        "The LLM that writes the context (anything chunkers.llms.as_llm takes; 'local': the embedded SmolLM2).",
        written=False,
    ).field()
    prompt: str = Option(CONTEXT_PROMPT, "The prompt, with the placeholders {document} and {chunk}.",
                         _prompt_check).field()  # fmt: skip
    max_document_chars: int = Option(
        40_000, "A longer document is cut to a window of this many characters around each chunk.", positive
    ).field()
    timeout: float | None = Option(None, "Seconds per call (None: no limit).", seconds_or_none,
                                   affects_output=False).field()  # fmt: skip
    concurrency: int = Option(8, "LLM calls in flight.", positive, affects_output=False).field()

    def _validate(self) -> None:
        if self.llm is None:
            raise TypeError("ContextWriter needs llm: the app's LLM, or 'local' for the embedded SmolLM2 by name")
        self.llm = as_llm(self.llm)
        self.runner = StepRunner(self.llm, self.timeout, self.concurrency)
        self.usage = LLMUsage()
        self.cacheable_tokens = 0  # document tokens a provider's prompt cache would serve after the first chunk
        self.windowed = 0  # chunks whose document was cut to a window around them
        self._lock = threading.Lock()  # the counters are updated from several threads

    def _tokens(self, text: str) -> int:
        count = getattr(self.llm, "count_tokens", None)
        return count(text) if callable(count) else round(1.2 * len(text.split()))

    def _document_for(self, document: str, start: int, end: int) -> str:
        if len(document) <= self.max_document_chars:
            return document
        with self._lock:
            self.windowed += 1
        half = max((self.max_document_chars - (end - start)) // 2, 0)
        begin = max(0, min(start - half, len(document) - self.max_document_chars))
        return document[begin : begin + self.max_document_chars]

    def _procedure(self, document: str, chunk: str, start: int, first: bool) -> Generator[Step, Any, str]:
        shown = self._document_for(document, start, start + len(chunk))
        prompt = self.prompt.format(document=shown, chunk=chunk)
        prompt_tokens, cacheable = self._tokens(prompt), 0 if first else self._tokens(shown)
        reply = yield prompt
        failed = isinstance(reply, BaseException)
        if failed:
            logger.warning("context call failed: %s: %s", type(reply).__name__, reply)
        reply = "" if failed else " ".join(str(reply).split())
        with self._lock:
            self.usage.add(LLMUsage(calls=1, prompt_tokens=prompt_tokens, failures=int(failed),
                                    completion_tokens=self._tokens(reply)))  # fmt: skip
            self.cacheable_tokens += cacheable
        return reply

    def _procedures(self, document: str, chunks: Sequence[Any]) -> list[Generator[Step, Any, str]]:
        spans = [(c, c.start) if hasattr(c, "start") else (c, max(document.find(c), 0)) for c in chunks]
        return [self._procedure(document, getattr(c, "text", c), start, i == 0) for i, (c, start) in enumerate(spans)]

    def contexts(self, document: str, chunks: Sequence[Any]) -> list[str]:
        """One context per chunk (a `Chunk` of ``document``, or its text), in order."""
        return self.runner.run_many(self._procedures(document, chunks))

    async def acontexts(self, document: str, chunks: Sequence[Any]) -> list[str]:
        """`contexts` on the running event loop, through the LLM's ``acomplete``."""
        import asyncio

        if self.runner.batches:
            return await asyncio.to_thread(self.contexts, document, chunks)
        return list(await asyncio.gather(*(self.runner.arun(p) for p in self._procedures(document, chunks))))
