"""`html_text`, the tag-free text view of an HTML span: line breaks between blocks, " | " between table cells,
markup read as `html.parser` reads it (a bare "<" is text), hidden contents and markup dropped, entities decoded,
``<pre>`` kept, and every character mapped back to the source; one-line heading titles."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import pairwise

from chunkers.documents import html_text
from chunkers.documents.html import html_blocks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def assert_maps_back(source: str, text: str, positions: list[int], start: int = 0, end: int | None = None) -> None:
    """Each character comes from its offset: the same character, a decoded entity, a separator from a tag, or a
    space from whitespace; offsets in ``[start, end)`` and non-decreasing."""
    end = len(source) if end is None else end
    assert len(positions) == len(text)
    assert all(start <= at < end for at in positions)
    assert all(a <= b for a, b in pairwise(positions))
    for char, at in zip(text, positions):
        origin = source[at]
        assert (
            origin == char or origin == "&" or (origin == "<" and char in "\n |") or (char == " " and origin.isspace())
        ), (char, at, source[at : at + 10])


def test_blocks_are_lines_and_cells_are_separated() -> None:
    source = "<h1>Top</h1><p>first<br>second</p><table><tr><td>Col1</td><td>Col2</td></tr></table>"
    text, positions = html_text(source)
    assert text == "Top\nfirst\nsecond\nCol1 | Col2"
    assert_maps_back(source, text, positions)
    assert source.startswith("</h1>", positions[3]) and source.startswith("<br>", positions[text.index("\nsecond")])
    assert source.startswith("<td>", positions[text.index(" | ")])


def test_rows_and_list_items_are_lines() -> None:
    source = "<table><tr><th>a</th> <th>b</th></tr>\n<tr><td>1<td>2</table><ul><li>one<li>two</ul>"
    assert html_text(source)[0] == "a | b\n1 | 2\none\ntwo"


def test_a_bare_angle_bracket_is_text() -> None:
    source = "<p>if x < 3 and y > 2 then z</p>"
    text, positions = html_text(source)
    assert text == "if x < 3 and y > 2 then z"
    assert_maps_back(source, text, positions)
    assert html_text("a <3 b")[0] == "a <3 b"


def test_inline_tags_separate_nothing() -> None:
    assert html_text("<b>bo</b>ld")[0] == "bold"
    assert html_text("<p>a <em>b</em> <a href='#'>c</a><span>d</span></p>")[0] == "a b cd"


def test_whitespace_collapses_and_no_separator_at_the_ends() -> None:
    assert html_text("  <div> <p>  lots   of\n\n  space </p>\n<p>\tb </p> </div> ")[0] == "lots of space\nb"


def test_heading_titles_are_one_line() -> None:
    blocks, title = html_blocks("<html><head><title>The\npage</title></head><body><h2>A<br>B</h2><p>x</p></body>")
    assert title == "The page"
    assert [block.title for block in blocks if block.kind == "heading"] == ["A B"]
    assert html_text("<html><head><title>The page</title></head><body><p>x</p></body>")[0] == "x"  # not shown


def test_pre_text_is_kept() -> None:
    source = "<p>Run:</p><pre><code>def f():\n    return  1\n</code></pre><p>Done.</p>"
    text, positions = html_text(source)
    assert text == "Run:\ndef f():\n    return  1\nDone."
    assert_maps_back(source, text, positions)
    assert html_text("<pre>    indented\n  x</pre>")[0] == "    indented\n  x"


def test_hidden_contents_and_markup_are_dropped() -> None:
    source = (
        "<!DOCTYPE html><?xml-stylesheet href='a'?><html><head><style>p { color: red }</style>"
        "<script>if (a < b && c) { x('</p>') }</script></head><body><!-- a comment -->"
        "<template><p>inert</p></template><p>seen<!-- inline --> too</p><![CDATA[gone]]><![foo[ bogus ]]>"
        "</body></html>"
    )
    text, positions = html_text(source)
    assert text == "seen too"
    assert_maps_back(source, text, positions)


def test_entities_are_decoded_and_map_to_the_entity() -> None:
    source = "<p>fish &amp; chips &lt;3 &#x41;&#66; caf&eacute; &nbsp;x</p>"
    text, positions = html_text(source)
    assert text == "fish & chips <3 AB café x"
    assert_maps_back(source, text, positions)
    assert source.startswith("&amp;", positions[5]) and source.startswith("&eacute;", positions[text.index("é")])


def test_a_span_is_read_alone_and_maps_into_the_source() -> None:
    source = "<p>before</p><div><p>a <b>b</b> &amp;</p><p>c</p></div><p>after</p>"
    start, end = source.index("<div>"), source.index("<p>after")
    text, positions = html_text(source, start, end)
    assert text == "a b &\nc"
    assert_maps_back(source, text, positions, start, end)
    alone, alone_positions = html_text(source[start:end])
    assert (alone, [at + start for at in alone_positions]) == (text, positions)
    assert html_text(source, 5, 5) == ("", [])


def test_a_large_page_is_read_in_linear_time() -> None:
    row = "<tr><td>x &lt; 3</td><td>a <b>b</b> &amp; c</td></tr>\n"
    page = "<html><body>" + "<p>text < more > text</p><div>\n   words   here\n</div>" * 1500 + row * 1500
    began = time.perf_counter()
    text, positions = html_text(page)
    assert time.perf_counter() - began < 5  # a fraction of a second; a quadratic reading takes minutes
    assert len(page) > 150_000 and len(text) == len(positions)


# ---- generated HTML ---------------------------------------------------------------------------------------------

WORDS = [  # (source, as shown)
    ("alpha", "alpha"), ("naïve", "naïve"), ("数据", "数据"), ("x&amp;y", "x&y"), ("&lt;b&gt;", "<b>"),
    ("&#65;BC", "ABC"), ("3<4", "3<4"), ("a>b", "a>b"), ("<", "<"), ("end.", "end."), ("&copy;2024", "©2024"),
]  # fmt: skip
SPACE = st.sampled_from([" ", "\n  ", " \t "])
BLOCK_TAG = st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<br>", "<li>", "<h2>", "</h2>", "<hr/>", "</tr>"])
INLINE_TAG = st.sampled_from(["<b>", "</b>", "<span class='x'>", "</span>", "<a href='#'>", "</a>", "<!-- c -->"])
HIDDEN = st.sampled_from(["<script>if (a < b) hidden()</script>", "<style>p { hidden: 1 }</style>"])
JOINTS = {  # kind -> what goes between two words
    "space": SPACE,
    "block": st.tuples(st.sampled_from(["", " "]), st.lists(BLOCK_TAG, min_size=1, max_size=3), SPACE).map(
        lambda parts: parts[0] + "".join(parts[1]) + parts[2]
    ),
    "cell": st.sampled_from(["<td>", "</td><td>", " <th> "]),
    "inline": st.tuples(SPACE, st.lists(INLINE_TAG, min_size=1, max_size=2)).map(lambda p: p[0] + "".join(p[1])),
    "hidden": st.tuples(SPACE, HIDDEN, SPACE).map("".join),
    "glue": st.lists(INLINE_TAG, min_size=1, max_size=2).map("".join),  # no whitespace: the words join
}


@dataclass
class Page:
    source: str = ""
    words: list[tuple[int, str]] = field(default_factory=list)  # (source offset, shown) of each word
    joints: list[str] = field(default_factory=list)  # the kind of joint before each word after the first


@st.composite
def pages(draw: st.DrawFn) -> Page:
    page = Page(draw(st.sampled_from(["", "<body>", "<p>", "<!DOCTYPE html><div>"])))
    for index in range(draw(st.integers(1, 25))):
        if index:
            kind = draw(st.sampled_from(sorted(JOINTS)))
            page.joints.append(kind)
            page.source += draw(JOINTS[kind])
        raw, shown = draw(st.sampled_from(WORDS))
        page.words.append((len(page.source), shown))
        page.source += raw
    page.source += draw(st.sampled_from(["", "</p>", "</div></body>"]))
    return page


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_generated_pages_keep_every_word_apart_and_map_back(page: Page) -> None:
    text, positions = html_text(page.source)
    assert_maps_back(page.source, text, positions)
    assert "hidden" not in text
    # Words joined by glue (inline tags, no whitespace) show as one token; all others stay apart.
    expected: list[tuple[int, str]] = [page.words[0]]
    kinds: list[str] = []
    for kind, (at, shown) in zip(page.joints, page.words[1:]):
        if kind == "glue":
            expected[-1] = (expected[-1][0], expected[-1][1] + shown)
        else:
            expected.append((at, shown))
            kinds.append(kind)
    found, index = [], 0
    for at, shown in expected:
        index = text.index(shown, index)
        assert positions[index] == at, (shown, text)
        found.append((index, index + len(shown)))
        index += len(shown)
    assert [token for token in text.split() if token != "|"] == [shown for _, shown in expected]
    for kind, (_, before_end), (after_start, _) in zip(kinds, found, found[1:]):
        between = text[before_end:after_start]
        if kind == "block":
            assert between == "\n", (between, text)
        elif kind == "cell":
            assert between in (" | ", "\n"), (between, text)
        else:
            assert between == " ", (between, text)


@settings(max_examples=40, deadline=None)
@given(pages(), st.sampled_from(["<p>junk ", "x &amp; <div>"]), st.sampled_from([" junk</p>", "<b>y"]))
def test_generated_spans_read_alone(page: Page, prefix: str, suffix: str) -> None:
    source = prefix + page.source + suffix
    start, end = len(prefix), len(prefix) + len(page.source)
    text, positions = html_text(source, start, end)
    assert_maps_back(source, text, positions, start, end)
    alone, alone_positions = html_text(page.source)
    assert (text, positions) == (alone, [at + start for at in alone_positions])
