"""`chunkers.documents.markdown` through `DocumentChunker`: link reference definitions (and footnote-style ones) are
blocks of their own, not part of the heading before them; a leading byte order mark does not hide the first heading;
heading attributes (``## Title { #anchor }``) are not part of the title. Offsets stay exact throughout."""

from __future__ import annotations

from dataclasses import dataclass, field

from chunkers import DocumentChunker
from chunkers.documents.markdown import markdown_blocks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BOM = "\ufeff"


def test_link_reference_definitions_after_a_heading_are_in_its_section() -> None:
    text = "# Links\n[a]: http://a\n[b]: http://b\n\nSome text [a].\n"
    chunks = DocumentChunker(max_size=20).chunk(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].text.startswith("# Links\n[a]")  # the heading opens its section's first words
    assert all(c.metadata["header_path"] == ["Links"] for c in chunks[1:])
    assert "[b]: http://b" in [c.text for c in chunks]


def test_footnote_style_definitions_are_blocks_too() -> None:
    text = "Intro [^1].\n\n## Notes\n[^1]: note\n"
    assert [b.kind for b in markdown_blocks(text)] == ["paragraph", "heading", "paragraph"]
    chunks = DocumentChunker(max_size=10).chunk(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert [c.metadata["header_path"] for c in chunks if c.text.startswith("[^1]:")] == [["Notes"]]


def test_uncovered_text_becomes_one_paragraph_per_run() -> None:
    text = "[a]: http://a\n[b]: http://b\n\n# H\n\ntext\n\n[c]: http://c\n"
    blocks = markdown_blocks(text)
    assert [(b.kind, text[b.start : b.end]) for b in blocks] == [
        ("paragraph", "[a]: http://a\n[b]: http://b"),
        ("heading", "# H\n"),
        ("paragraph", "text\n"),
        ("paragraph", "[c]: http://c"),
    ]


def test_a_byte_order_mark_does_not_hide_the_first_heading() -> None:
    text = f"{BOM}# Foo\n\nfoo()\n"
    sections = DocumentChunker().sections(text)
    assert [s.title for s in sections] == ["", "Foo"]
    chunks = DocumentChunker(max_size=6).chunk(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].text.startswith(BOM)
    assert chunks[-1].metadata["header_path"] == ["Foo"]


def test_offsets_after_a_byte_order_mark_stay_exact_with_non_ascii_text() -> None:
    text = f"{BOM}# Über {{ #uber }}\n[ü]: http://ü\n\nnaïve 数据 🙂 [ü].\n"
    blocks = markdown_blocks(text)
    assert [(b.kind, text[b.start : b.end].strip()) for b in blocks] == [
        ("heading", "# Über { #uber }"),
        ("paragraph", "[ü]: http://ü"),
        ("paragraph", "naïve 数据 🙂 [ü]."),
    ]
    assert blocks[0].title == "Über"


def test_heading_attributes_are_not_in_the_title() -> None:
    text = "# A\n\n## Setup { #setup }\n\ntext\n"
    heading = markdown_blocks(text)[1]
    assert (heading.title, text[heading.start : heading.end]) == ("Setup", "## Setup { #setup }\n")
    chunks = DocumentChunker(max_size=10).chunk(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert all("{" not in c.metadata["context_header"] for c in chunks)
    assert [c.metadata["header_path"] for c in chunks if c.text == "text"] == [["A", "Setup"]]
    whole = DocumentChunker().chunk(text)
    assert [s.title for s in DocumentChunker().sections(text)] == ["", "A", "Setup"]
    assert all("{" not in c.metadata["context_header"] for c in whole)


WORD = st.sampled_from(["alpha", "beta", "gamma", "naïve", "数据", "end"])
TITLE = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
PARAGRAPH = st.lists(st.lists(WORD, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=3).map("\n".join)


@dataclass
class Page:
    """A generated page and, for each definition line in it, its offset and the title of the heading before it."""

    text: str = ""
    definitions: list[tuple[int, str | None]] = field(default_factory=list)


def _definition(draw: st.DrawFn, number: int) -> str:
    """A link reference definition or a footnote-style one."""
    if draw(st.booleans()):
        return f"[^{number}]: {draw(WORD)}"
    title = draw(st.sampled_from(["", ' "a title"', " (t)"]))
    return f"[{draw(WORD)}{number}]: http://example.com/{number}{title}"


@st.composite
def pages(draw: st.DrawFn) -> Page:
    """Headings (some with ``{ #id }``), paragraphs and definitions in any order, after an optional BOM."""
    page = Page(BOM if draw(st.booleans()) else "")
    heading: str | None = None
    for number in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["heading", "paragraph", "definition", "definition"]))
        if kind == "heading":
            heading = draw(TITLE)
            anchor = draw(st.sampled_from(["", " { #a }", " {#b .c}"]))
            element = f"{'#' * draw(st.integers(1, 4))} {heading}{anchor}"
        elif kind == "paragraph":
            element = draw(PARAGRAPH)
        else:
            page.definitions.append((len(page.text), heading))
            element = _definition(draw, number)
        page.text += element + draw(st.sampled_from(["\n", "\n\n", "\n \n\n"]))
    return page


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages(), st.integers(40, 400))
def test_generated_pages_keep_offsets_text_and_definition_sections(page: Page, max_size: int) -> None:
    text = page.text
    chunks = DocumentChunker(max_size=max_size, format="markdown").chunk(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert "".join("".join(c.text.split()) for c in chunks) == "".join(text.split())
    assert all("{" not in c.metadata["context_header"] for c in chunks)
    after = dict(page.definitions)
    for chunk in chunks:
        if chunk.start in after:
            title = after[chunk.start]
            assert chunk.metadata["header_path"][-1:] == ([title] if title else []), (chunk, title)
