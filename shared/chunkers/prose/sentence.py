"""`SentenceChunker`: packs whole sentences under a size budget (the simple baseline), or, given ``separators``,
splits as LangChain's ``RecursiveCharacterTextSplitter`` does, under a hard cap."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.base import CHUNK_OVERLAP, MAX_SIZE, SIZER, BaseChunker
from ..core.chunk import Chunk
from ..core.merge import pack_spans, split_span, trim
from ..core.options import Option
from ..core.segment import sentence_spans

KEEP_SEPARATOR = (True, False, "start", "end")


def separators_check(name: str, value: Any) -> tuple[str, ...] | None:
    """None, or a list of strings (the empty string, LangChain's "cut anywhere", is the last resort anyway)."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(s, str) for s in value):
        raise TypeError(
            f"{name} must be a list of strings, coarsest first (e.g. ['\\n\\n', '\\n', ' ']), got {value!r}"
        )
    return tuple(value)


def keep_separator_check(name: str, value: Any) -> bool | str:
    """True ("start"), "end" or False, as LangChain's ``keep_separator``."""
    if value not in KEEP_SEPARATOR or value is None:
        raise ValueError(
            f"{name} must be True or 'start' (with the next piece), 'end', or False (dropped), got {value!r}"
        )
    return value


SEPARATORS = Option(None, "Where to cut, coarsest first, as RecursiveCharacterTextSplitter's separators (a piece too "
                    "large is cut at the next one, then by characters); None: at paragraphs and sentences.",
                    separators_check)  # fmt: skip
IS_SEPARATOR_REGEX = Option(False, "The separators are regular expressions (else literal strings).")
KEEP_SEPARATOR_OPTION = Option(True, "Where a separator goes: True or 'start' (opens the next piece), 'end' (closes "
                               "the piece before) or False (dropped at chunk edges). With separators only.",
                               keep_separator_check)  # fmt: skip


@dataclass(eq=False)
class SentenceChunker(BaseChunker):
    """Packs consecutive sentences into chunks of at most ``max_size`` (measured by ``sizer``).

    A sentence longer than the budget is split at clauses, spaces, then characters. With ``separators`` the pieces
    are LangChain's ``RecursiveCharacterTextSplitter``'s instead: the text is cut at the first separator it holds,
    a piece still too large at the next, and so on, then packed greedily; the cap always holds (characters last).
    """

    max_size: int = MAX_SIZE.field(1000)
    sizer: Any = SIZER.field()
    chunk_overlap: int = CHUNK_OVERLAP.field()
    separators: Any = SEPARATORS.field()
    is_separator_regex: bool = IS_SEPARATOR_REGEX.field()
    keep_separator: Any = KEEP_SEPARATOR_OPTION.field()

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.separators is None:
            given = [n for n, default in (("is_separator_regex", False), ("keep_separator", True))
                     if getattr(self, n) != default or type(getattr(self, n)) is not type(default)]  # fmt: skip
            if given:
                raise ValueError(
                    f"{given[0]}={getattr(self, given[0])!r} applies to separators=[...]; without separators the "
                    "chunks are cut at paragraphs and sentence ends"
                )

    def _separator_patterns(self) -> list[re.Pattern[str]]:
        """The separators as patterns, coarsest first (LangChain's "" left out: characters are the last resort)."""
        return [re.compile(s if self.is_separator_regex else re.escape(s)) for s in self.separators if s]

    def _cut_patterns(self, separators: list[re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
        """Patterns whose match ends are the cuts: after each separator ("end"), else before it."""
        if self.keep_separator == "end":
            return tuple(separators)
        return tuple(re.compile(f"(?={s.pattern})") for s in separators)

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        measure = self.sizer.span_measure(text)
        if self.separators is None:
            spans = pack_spans(text, sentence_spans(text), measure, self.core_size)
        else:
            spans = self._separated(text, measure)
        return [Chunk.from_span(text, start, end, chunker="sentence") for start, end in spans]

    def _separated(self, text: str, measure: Any) -> list[tuple[int, int]]:
        """Chunks cut at the separators (see the class docstring), trimmed, separators dropped at edges if asked."""
        separators = self._separator_patterns()
        spans = []
        for start, end in split_span(text, 0, len(text), measure, self.core_size, self._cut_patterns(separators)):
            start, end = trim(text, start, end)
            if self.keep_separator is False:
                start, end = trim(text, _past_separator(text, start, end, separators), end)
            if start < end:
                spans.append((start, end))
        return spans


def _past_separator(text: str, start: int, end: int, separators: Sequence[re.Pattern[str]]) -> int:
    """``start`` moved past a separator that opens ``text[start:end]`` (keep_separator=False)."""
    for separator in separators:
        found = separator.match(text, start, end)
        if found and found.end() > start:
            return found.end()
    return start
