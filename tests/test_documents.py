"""`DocumentChunker` on Markdown and HTML: exact offsets, tiling and the cap on generated documents, section paths
against a reference computed from how the document was generated, tables split between rows with the header row
as context, CRLF, and bad input."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from chunkers import DocumentChunker
from chunkers.documents import html_text
from chunkers.runtime.models import minilm_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import assert_invariants

WORDS = st.sampled_from(["alpha", "beta", "Mr.", "naïve", "数据", "🙂", "x" * 30, "end."])
SENTENCE = st.lists(WORDS, min_size=1, max_size=12).map(lambda words: " ".join(words) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=5).map(" ".join)
FENCE = st.lists(st.sampled_from(["# not a heading", "def f(x):", "    return x", "## nor this", ""]), max_size=8).map(
    lambda lines: "```python\n" + "\n".join(lines) + "\n```"
)
LIST = st.lists(st.tuples(st.integers(0, 3), SENTENCE), min_size=1, max_size=8).map(
    lambda items: "\n".join("  " * depth + "- " + text for depth, text in items)
)
TABLE = st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=12).map(
    lambda rows: "| name | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
)
QUOTE = PARAGRAPH.map(lambda p: "> " + p)
BLOCK = st.one_of(PARAGRAPH, PARAGRAPH, FENCE, LIST, TABLE, QUOTE, st.just("<div>\nraw html\n</div>"), st.just("---"))
TITLE = st.lists(st.sampled_from(["Setup", "Usage", "API", "Notes", "Über", "FAQ"]), min_size=1, max_size=3).map(
    " ".join
)


@dataclass
class Generated:
    text: str
    headings: list[tuple[int, int, int, str]]  # (start, end of the heading line, level, title)


@st.composite
def markdown_documents(draw: st.DrawFn) -> Generated:
    parts: list[str] = []
    headings = []
    if draw(st.booleans()):
        parts.append("---\ntitle: Doc\n---\n\n")
    for _ in range(draw(st.integers(0, 8))):
        level, title = draw(st.integers(1, 4)), draw(TITLE)
        setext = level <= 2 and draw(st.booleans())
        line = f"{title}\n{('=' if level == 1 else '-') * 4}" if setext else f"{'#' * level} {title}"
        start = sum(map(len, parts))
        parts.append(line + "\n\n")
        headings.append((start, start + len(line), level, title))
        for block in draw(st.lists(BLOCK, max_size=4)):
            parts.append(block + "\n\n")
    text = "".join(parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
        headings = [(_crlf(text, s), _crlf(text, e), lv, t) for s, e, lv, t in headings]
    return Generated(text, headings)


def _crlf(text: str, offset_in_lf: int) -> int:
    """The offset in the CRLF text of what was at ``offset_in_lf`` in the LF text."""
    count, position = 0, 0
    while count < offset_in_lf:
        position += 2 if text.startswith("\r\n", position) else 1
        count += 1
    return position


def expected_path(generated: Generated, start: int, end: int | None = None) -> list[str]:
    """The titles of the headings before ``start`` whose sections are still open there (and up to ``end``: hold the
    whole chunk), outermost first (no parser)."""
    stack: list[tuple[int, str]] = []
    for heading_start, heading_end, level, title in generated.headings:
        if heading_start > start:
            if end is not None and heading_start < end:  # a heading inside the chunk ends the sections it closes
                while stack and stack[-1][0] >= level:
                    stack.pop()
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        if heading_end <= start:  # else the chunk starts with this heading: it is in the chunk, not around it
            stack.append((level, title))
    return [title for _, title in stack]


SIZERS = [("chars", 120), ("non_whitespace", 90)]


@pytest.mark.parametrize(("sizer", "budget"), SIZERS)
def test_markdown_offsets_tiling_cap_and_section_paths(sizer: str, budget: int) -> None:
    chunker = DocumentChunker(max_size=budget, sizer=sizer, format="markdown")

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(markdown_documents())
    def check(generated: Generated) -> None:
        chunks = chunker.chunk(generated.text)
        assert_invariants(chunker, generated.text, chunks)
        for chunk in chunks:
            assert chunk.metadata["header_path"] == expected_path(generated, chunk.start, chunk.end), chunk

    check()


def test_token_budgets_hold_with_the_embedding_models_tokenizer() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    chunker = DocumentChunker(max_size=64, sizer=tokenizer)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(markdown_documents())
    def check(generated: Generated) -> None:
        assert_invariants(chunker, generated.text, chunker.chunk(generated.text))

    check()


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "# Guide\n\nIntro.\n\n```bash\n# install it\npip install x\n```\n\n## Next\n\nMore text here.\n"
    chunks = DocumentChunker(max_size=16).chunk(text)
    paths = {chunk.text.splitlines()[0]: chunk.metadata["header_path"] for chunk in chunks}
    assert all("install it" not in " ".join(path) for path in paths.values())
    assert paths["More text here."] == ["Guide", "Next"]


def test_a_table_splits_between_rows_and_its_pieces_carry_the_header_row() -> None:
    rows = "\n".join(f"| item {i} | value number {i} |" for i in range(60))
    text = f"# Prices\n\n| name | value |\n|---|---|\n{rows}\n\nAfter the table.\n"
    chunker = DocumentChunker(max_size=200, context_title=True, context_path="enclosing")  # the 0.1 context line
    chunks = chunker.chunk(text)
    assert_invariants(chunker, text, chunks)
    table_chunks = [c for c in chunks if "| item" in c.text]
    assert len(table_chunks) > 3
    for chunk in table_chunks:
        rows = [line for line in chunk.text.splitlines() if "|" in line]
        assert all(line.startswith("|") and line.endswith("|") for line in rows), "a row was cut"
        if "| name |" not in chunk.text:
            assert chunk.metadata["context_header"] == "Prices\n| name | value |"


def test_crlf_documents_chunk_like_lf_ones() -> None:
    lf = "# A\n\nFirst paragraph here. It goes on.\n\n## B\n\n- one\n- two\n\n| x | y |\n|---|---|\n| 1 | 2 |\n"
    crlf = lf.replace("\n", "\r\n")
    chunker = DocumentChunker(max_size=24, sizer="non_whitespace")  # a line break costs nothing either way
    one, two = chunker.chunk(lf), chunker.chunk(crlf)
    assert [c.text.replace("\r\n", "\n") for c in two] == [c.text for c in one]
    assert [c.metadata["header_path"] for c in two] == [c.metadata["header_path"] for c in one]
    assert_invariants(chunker, crlf, two)


def test_a_section_that_fits_is_one_chunk_and_tails_never_run_into_the_next_heading() -> None:
    long = " ".join(f"Sentence number {i} is here." for i in range(40))
    text = f"# Doc\n\n## Small\n\nShort text.\n\n## Big\n\n{long}\n\n## Next\n\nTail section.\n"
    chunks = DocumentChunker(max_size=300).chunk(text)
    assert any(c.text == "# Doc\n\n## Small\n\nShort text." for c in chunks)  # whole sections share a chunk
    for chunk in chunks:
        if "Sentence number" in chunk.text:
            assert "## Next" not in chunk.text
    assert chunks[-1].text == "## Next\n\nTail section." and chunks[-1].metadata["header_path"] == ["Doc"]


def test_code_is_split_by_its_syntax_with_the_fence_and_signatures_as_context() -> None:
    body = "\n".join(f"    def method_{i}(self):\n        return {i} * {i} + {i}\n" for i in range(30))
    text = f"# Code\n\n```python\nclass Widget:\n{body}\n```\n"
    chunks = DocumentChunker(max_size=300, context_title=True, context_path="enclosing").chunk(text)
    assert_invariants(DocumentChunker(max_size=300, context_title=True, context_path="enclosing"), text, chunks)
    middle = [c for c in chunks if not c.text.startswith(("# Code", "```"))]
    assert middle and all(c.metadata["context_header"] == "Code\n```python\nclass Widget:" for c in middle)
    assert all(re.match(r"\s*def method_\d+", c.text) for c in middle)


def test_a_fence_in_no_known_language_is_split_as_text() -> None:
    body = "\n".join(f"    def method_{i}(self):\n        return {i}\n" for i in range(30))
    text = f"# Code\n\n```pyhton\nclass Widget:\n{body}\n```\n\nAfter.\n"
    chunker = DocumentChunker(max_size=200)
    chunks = chunker.chunk(text)  # a typo in the page's fence never stops the document
    assert_invariants(chunker, text, chunks)
    assert len(chunks) > 3 and chunks[-1].text.endswith("After.")


def test_metadata_styles_of_the_peers() -> None:
    text = "# Top\n\n## Mid\n\n### Low\n\nBody text of the lowest section.\n"
    li = DocumentChunker(max_size=30, metadata_style="llamaindex").chunk(text)[-1].metadata
    lc = DocumentChunker(max_size=30, metadata_style="langchain").chunk(text)[-1].metadata
    assert li["header_path"] == "/Top/Mid/Low/"
    assert (lc["Header 1"], lc["Header 2"], lc["Header 3"]) == ("Top", "Mid", "Low")


def test_a_parent_chunks_path_is_continued() -> None:
    text = "## Inner\n\nSome words in here. And more words follow them here."
    chunks = DocumentChunker(max_size=40).chunk(text, header_path=["Outer"])
    assert [c.metadata["header_path"] for c in chunks] == [["Outer"], ["Outer", "Inner"]]


# ---- HTML ---------------------------------------------------------------------------------------------------


HTML_BLOCK = st.one_of(
    PARAGRAPH.map(lambda p: f"<p>{p}</p>"),
    st.lists(SENTENCE, min_size=1, max_size=5).map(lambda items: "<ul>" + "".join(f"<li>{i}" for i in items) + "</ul>"),
    st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=8).map(
        lambda rows: (
            "<table><thead><tr><th>k</th><th>v</th></tr></thead><tbody>"
            + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
            + "</tbody></table>"
        )
    ),
    st.just('<pre><code class="language-python">def f():\n    return 1\n</code></pre>'),
    PARAGRAPH.map(lambda p: f"<div><span>{p}</span></div>"),
)


@st.composite
def html_documents(draw: st.DrawFn) -> Generated:
    parts = ["<!DOCTYPE html><html><head><title>Page</title></head><body>\n"]
    headings = []
    for _ in range(draw(st.integers(0, 6))):
        level, title = draw(st.integers(1, 4)), draw(TITLE)
        start = sum(map(len, parts))
        line = f"<h{level}>{title}</h{level}>"
        parts.append(line + "\n")
        headings.append((start, start + len(line), level, title))
        parts.extend(block + "\n" for block in draw(st.lists(HTML_BLOCK, max_size=4)))
    parts.append("</body></html>\n")
    return Generated("".join(parts), headings)


def test_html_offsets_tiling_cap_and_section_paths() -> None:
    chunker = DocumentChunker(max_size=150, format="html", context_title=True, context_path="enclosing")

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(html_documents())
    def check(generated: Generated) -> None:
        chunks = chunker.chunk(generated.text)
        assert_invariants(chunker, generated.text, chunks)
        for chunk in chunks:
            path = expected_path(generated, chunk.start, chunk.end)
            assert chunk.metadata["header_path"] == path, chunk
            assert chunk.metadata["context_header"].split("\n")[0] == " > ".join(["Page", *path])

    check()


def test_html_sections_end_with_their_section_element_and_the_text_view_maps_back() -> None:
    text = "<body><section><h2>Inside</h2><p>In it.</p></section><p>Outside &amp; after.</p></body>"
    chunks = DocumentChunker(max_size=20, format="html").chunk(text)
    outside = next(c for c in chunks if "Outside" in c.text)
    assert outside.metadata["header_path"] == []
    plain, positions = html_text(text, outside.start, outside.end)
    assert plain == "Outside & after."
    assert text[positions[0] : positions[0] + 7] == "Outside" and text[positions[8]] == "&"


def test_malformed_html_gets_chunks_that_tile_it() -> None:
    text = "<html><body><h1>T</h1><p>one<p>two<div><h2>S</h2><ul><li>a<li>b</ul></div></span>" + "<div>" * 5000 + "x"
    chunker = DocumentChunker(max_size=5, format="html")  # of text: the view of the page is "T one two S a b x"
    chunks = chunker.chunk(text)
    assert_invariants(chunker, text, chunks)
    assert chunks[-1].metadata["header_path"] == ["T", "S"]


# ---- bad input ---------------------------------------------------------------------------------------------


BAD_MARKDOWN = {
    "unclosed fence": "# A\n\ntext\n\n```python\ndef f():\n    # not a heading\n" + "x = 1\n" * 300,
    "heading only": "# Title\n",
    "headings only": "".join(f"{'#' * (i % 6 + 1)} H{i}\n" for i in range(2000)),
    "10,000 nested quotes": "> " * 10_000 + "deep",
    "3,000 nested lists": "\n".join("  " * i + "- x" for i in range(3_000)),  # 9 MB, 3x the recursion limit
    "binary": bytes(range(256)).decode("latin-1") * 100,
    "mixed line endings": "# A\r\n\r\npara one.\rtwo.\n\n## B\r\n| a | b |\r\n|---|---|\n| 1 | 2 |\r\n",
}


@pytest.mark.parametrize("name", BAD_MARKDOWN)
def test_bad_markdown_gets_chunks_that_tile_it(name: str) -> None:
    chunker = DocumentChunker(max_size=200, format="markdown")
    text = BAD_MARKDOWN[name]
    assert_invariants(chunker, text, chunker.chunk(text))


def test_a_ten_megabyte_table_is_chunked_between_rows() -> None:
    rows = "".join(f"| {i} | value {i} | a longer description of row {i} |\n" for i in range(200_000))
    text = "| id | value | description |\n|---|---|---|\n" + rows
    assert len(text) > 10_000_000
    chunks = DocumentChunker(max_size=2000).chunk(text)
    assert_invariants(DocumentChunker(max_size=2000), text, chunks)
    assert all(c.text.endswith("|") for c in chunks) and chunks[1].metadata["context_header"].startswith("| id |")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="format must be"):
        DocumentChunker(format="rst")
    with pytest.raises(ValueError, match="metadata_style must be"):
        DocumentChunker(metadata_style="haystack")


def test_the_document_title_opens_the_context_unless_turned_off() -> None:
    text = "# Guide\n\nIntro text that is long enough.\n\n## Setup\n\nInstall it with pip, then run it.\n"
    first, *rest = DocumentChunker(max_size=40, context_title=True, context_path="enclosing").chunk(text)
    assert first.metadata["context_header"] == "Guide" and rest[-1].metadata["context_header"] == "Guide > Setup"
    untitled = DocumentChunker(max_size=40, context_title=False).chunk(text)
    assert untitled[0].metadata["context_header"] == "" and untitled[-1].metadata["context_header"] == "Setup"
    front = "---\ntitle: Handbook\n---\n\n## Setup\n\nInstall it with pip.\n"
    titled = DocumentChunker(max_size=60, context_title=True).chunk(front)
    assert titled[-1].metadata["context_header"].startswith("Handbook")
