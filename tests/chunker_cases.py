"""Every engine chunker, registered once for the shared property tests (tests/test_invariants.py).

A new chunker adds one `Case` to `CASES`: a factory, the hypothesis strategy of texts it is tested on
and how many examples it can afford (model-driven chunkers take fewer).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chunkers import (
    ASTChunker,
    BaseChunker,
    DocumentChunker,
    LLMChunker,
    NonWhitespaceSizer,
    PDFChunker,
    PerplexityChunker,
    RecordChunker,
    SemanticChunker,
    SentenceChunker,
)
from hypothesis import strategies as st

# Prose-like text: words, punctuation (Western and CJK), newlines and blank lines, odd whitespace.
_WORDS = st.sampled_from(["the", "a", "Mr.", "e.g.", "data", "chunk", "你好", "世界", "é", "🙂", "x" * 40, "\t", "  "])
_PUNCT = st.sampled_from([" ", " ", " ", ". ", "! ", "? ", "。", "！", ", ", "\n", "\n\n", "\r\n", "\u3000", ""])
PROSE = st.lists(st.tuples(_WORDS, _PUNCT), max_size=120).map(lambda parts: "".join(w + p for w, p in parts))
# Record files: JSON Lines and CSV with quoted fields (line breaks and quotes inside), blank and CRLF lines.
_QUOTED = st.text(max_size=12).map(lambda t: '"' + t.replace('"', '""') + '"')
_FIELD = st.one_of(st.sampled_from(["a", "b c", "12", "", "x" * 30]), _QUOTED)
_ROW = st.lists(_FIELD, min_size=1, max_size=4).map(",".join)
RECORDS = st.lists(st.tuples(_ROW, st.sampled_from(["\n", "\r\n", "\n\n"])), max_size=40).map(
    lambda rows: "".join(r + end for r, end in rows)
)
ANY_TEXT = st.one_of(PROSE, st.text(max_size=400).filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)))


def _second_paragraph(prompt: str) -> str:
    """A scripted LLM that always names the group's second paragraph."""
    return "Answer: ID " + re.findall(r"ID (\d+):", prompt)[1]


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], BaseChunker]
    texts: st.SearchStrategy[str] = ANY_TEXT
    max_examples: int = 150
    tiling: bool = True


CASES: list[Case] = [
    Case("sentence-chars", lambda: SentenceChunker(max_size=60)),
    Case("sentence-tiny-budget", lambda: SentenceChunker(max_size=3)),
    Case("sentence-non-whitespace", lambda: SentenceChunker(max_size=25, sizer=NonWhitespaceSizer())),
    Case("sentence-separators", lambda: SentenceChunker(max_size=40, separators=["\n\n", "\n", " "])),
    Case(
        "sentence-separators-regex-end",
        lambda: SentenceChunker(
            max_size=30, separators=[r"[.!?。]", r"\s"], is_separator_regex=True, keep_separator="end"
        ),
    ),
    Case(
        "sentence-separators-dropped",
        lambda: SentenceChunker(max_size=30, separators=["\n", " "], keep_separator=False),
    ),
    Case("ast-python", lambda: ASTChunker(language="python", max_size=40)),
    Case("ast-javascript-chars", lambda: ASTChunker(language="javascript", max_size=30, sizer="chars")),
    Case("ast-unknown-language-fallback", lambda: ASTChunker(max_size=30)),  # no language, path or shebang
    Case("document-markdown", lambda: DocumentChunker(max_size=80), max_examples=80),
    Case("document-html", lambda: DocumentChunker(max_size=80, format="html"), max_examples=40),
    Case("pdf-markdown", lambda: PDFChunker(max_size=80), max_examples=40),
    Case("records-lines", lambda: RecordChunker(max_size=50), st.one_of(RECORDS, ANY_TEXT)),
    Case("records-csv", lambda: RecordChunker(max_size=40, format="csv"), st.one_of(RECORDS, ANY_TEXT)),
    Case("perplexity", lambda: PerplexityChunker(max_size=80, target_size=40), max_examples=6),
    Case("semantic-dp", lambda: SemanticChunker(max_size=70, cache={}), max_examples=40),
    Case(
        "semantic-threshold-capped",
        lambda: SemanticChunker(max_size=50, boundary="threshold", breakpoint_threshold_type="interquartile"),
        PROSE,
        25,
    ),
    Case("llm-scripted", lambda: LLMChunker(llm=_second_paragraph, group_tokens=12, max_size=60, min_tail=2), PROSE),
]
