"""LumberChunker's conversation with the LLM: the prompt, the lenient reading of replies, retries with a stricter
prompt, and the reply cache. `chunkers.prose.llm.LLMChunker` walks the paragraph groups and asks through this."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Generator, MutableMapping
from typing import Any

from ..llms.protocol import model_id
from ..llms.runner import Step
from ..llms.usage import LLMUsage

logger = logging.getLogger(__name__)

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


class LumberPrompter:
    """Asks ``llm`` where the content of a numbered paragraph group changes: ``prompt`` (with ``{paragraphs}``),
    then up to ``max_retries`` retries with a stricter prompt; replies come from ``cache`` (any dict-like, keyed by
    model and prompt) when it has them. ``count_tokens`` measures prompts and replies for the usage counts."""

    def __init__(
        self, llm: Any, prompt: str, max_retries: int, cache: MutableMapping[str, str] | None, count_tokens: Any
    ) -> None:
        if "{paragraphs}" not in prompt:
            raise ValueError("prompt must contain the placeholder {paragraphs}")
        self.llm, self.prompt, self.max_retries, self.cache = llm, prompt, max_retries, cache
        self.count_tokens = count_tokens

    def ask(self, group_text: str, valid: range, usage: LLMUsage) -> Generator[Step, Any, int | None]:
        """The paragraph ID the LLM names, after up to ``max_retries`` retries; None if none was usable."""
        for attempt in range(self.max_retries + 1):
            prompt = self.prompt.format(paragraphs=group_text)
            if attempt:
                usage.retries += 1
                prompt += STRICT_SUFFIX.format(ids=", ".join(map(str, valid)))
            reply = yield from self.reply(prompt, usage)
            answer = parse_reply(reply, valid) if reply is not None else None
            if answer is not None:
                return answer
            logger.info("LLM reply %r has no paragraph ID in %s", reply, valid)
        return None

    def reply(self, prompt: str, usage: LLMUsage) -> Generator[Step, Any, str | None]:
        """The reply to ``prompt``, from the cache or the LLM; None if the call raised or timed out."""
        key = hashlib.sha256(f"{model_id(self.llm)}\0{prompt}".encode()).hexdigest()
        if self.cache is not None and key in self.cache:
            usage.cache_hits += 1
            return self.cache[key]
        usage.calls += 1
        usage.prompt_tokens += self.count_tokens(prompt)
        reply = yield prompt
        if isinstance(reply, BaseException):  # a failing LLM must not lose the document: retry, then fall back
            usage.failures += 1
            logger.warning("LLM call failed: %s: %s", type(reply).__name__, reply)
            return None
        reply = str(reply)
        usage.completion_tokens += self.count_tokens(reply)
        if self.cache is not None:
            self.cache[key] = reply
        return reply
