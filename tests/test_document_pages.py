"""Markdown and HTML pages as people have them, through the engine and both faces: the context budget packed inside
the splitter, headings kept with their content, the section metadata of every chunk, HTML embedded as text."""

from __future__ import annotations

import re

import pytest
from chunkers import DocumentChunker, SentenceChunker
from chunkers.core.chunk import embedded_text
from chunkers.documents import html_text
from chunkers.documents.chunker import line_breaks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document as LCDocument
from llama_index.core import Document
from llama_index.core.schema import MetadataMode

from langchain_chunkers import DocumentTextSplitter
from llama_chunkers import DocumentNodeParser

ROWS = "".join(f"| item {i} | {i * 7} |\n" for i in range(2000))
TABLE_PAGE = "# Guide\n\n## Data\n\n| name | value |\n|---|---|\n" + ROWS


def embedded(chunk) -> str:
    return embedded_text(chunk.metadata.get("context_header") or "", chunk.text)


def test_the_context_budget_packs_a_table_evenly_in_the_face() -> None:
    nodes = DocumentNodeParser(max_size=1000).get_nodes_from_documents([Document(text=TABLE_PAGE)])
    sizes = [len(node.get_content(MetadataMode.EMBED)) for node in nodes]
    assert max(sizes) <= 1000
    context = nodes[1].metadata["context_header"]
    assert context == "Data\n| name | value |"  # the section and the table's header row
    same_budget = DocumentChunker(max_size=1000 - len(embedded_text(context, ""))).chunk(TABLE_PAGE)
    assert len(nodes) <= 1.1 * len(same_budget)
    row = max(len(line) + 1 for line in ROWS.splitlines())
    # The pieces of the split run differ by one row (and the share, re-divided after each piece, by a character).
    assert max(sizes[1:]) - min(sizes[1:]) <= row + 1


def test_a_wide_tables_header_row_is_noted_only_where_rows_still_fit_beside_it() -> None:
    header = "| " + " | ".join(f"column {i}" for i in range(12)) + " |\n"
    rows = "".join("| " + " | ".join(f"v{r}.{i}" for i in range(12)) + " |\n" for r in range(40))
    page = "# Stores\n\n## Support\n\n" + header + "|" + "---|" * 12 + "\n" + rows
    chunks = DocumentChunker(max_size=300, context_in_budget=True).chunk(page)
    assert all(len(embedded(c)) <= 300 and "context_truncated" not in c.metadata for c in chunks)
    assert all(c.metadata["context_header"] == "Support" for c in chunks[1:])  # the 130-character row: no room
    assert all(c.text.startswith("| v") and c.text.endswith(" |") for c in chunks[1:])  # whole rows
    wide = DocumentChunker(max_size=1000, context_in_budget=True).chunk(page)
    assert wide[1].metadata["context_header"] == "Support\n" + header.strip()


def test_context_names_only_the_sections_holding_the_whole_chunk() -> None:
    page = "# Mod\n\n" + "Intro text here. " * 5 + "\n\n## Use\n\n### See also\n\n- a\n- b\n\n## Pool\n\nPool text.\n"
    chunk = next(c for c in DocumentChunker(max_size=80).chunk(page) if "See also" in c.text)
    assert "Pool" in chunk.text and chunk.metadata["context_header"] == "" and chunk.metadata["header_path"] == ["Mod"]


def test_a_code_fence_note_stays_with_code() -> None:
    code = "```toml\n" + "".join(f"[section{i}]\nkey = {i}\n" for i in range(30)) + "```\n\n"
    page = "# Proxy\n\n## Traefik\n\n" + code + "This file configures it.\n\nNow start Traefik:\n\n" + code
    for chunk in DocumentChunker(max_size=200, context_in_budget=True).chunk(page):
        assert len(embedded(chunk)) <= 200
        if "```toml" in chunk.metadata["context_header"]:
            assert chunk.text.startswith("[section"), chunk


def test_pieces_sized_with_their_context_keep_their_own_section() -> None:
    page = "# Guide\n\nIntro.\n\n## Install\n\nRun pip install foo.\n\nThen import foo.\n"
    chunks = DocumentChunker(max_size=40, context_in_budget=True).chunk(page)
    assert all(len(embedded(c)) <= 40 for c in chunks)
    plain = DocumentChunker(max_size=40)
    for chunk in chunks:
        inside_install = chunk.start > page.index("## Install")
        assert chunk.metadata["header_path"] == (
            ["Guide", "Install"] if inside_install else ["Guide"][: chunk.start > 0]
        )
        assert chunk.metadata["section"] == (2 if chunk.start >= page.index("## Install") else 1)
    assert not any(c.text == "## Install" for c in chunks)
    assert plain.chunk(page)[0].metadata["header_path"] == []


TABLE_BLOCK = "| name | value |\n|---|---|\n" + "".join(f"| item {i} | {i} |\n" for i in range(100))
QUOTE_BLOCK = "".join(f"> quoted line {i} of the block.\n" for i in range(60))


@pytest.mark.parametrize("block", [TABLE_BLOCK, QUOTE_BLOCK])
def test_a_heading_opens_its_large_first_block_after_a_short_introduction(block: str) -> None:
    chunks = DocumentChunker(max_size=1000).chunk("# Guide\n\nIntro.\n\n## Data\n\n" + block)
    assert chunks[0].text.startswith("# Guide\n\nIntro.\n\n## Data\n\n" + block[:10])


def test_a_heading_never_stands_alone_when_its_first_words_fit_beside_it() -> None:
    page = "# Doc\n\nIntro.\n\n## Usage\n\nCall the function with the two arguments that it needs.\n"
    for size in (30, 45, 60, 80):
        texts = [c.text for c in DocumentChunker(max_size=size).chunk(page)]
        assert not any(t.endswith("## Usage") for t in texts), (size, texts)
        assert re.sub(r"\s", "", "".join(texts)) == re.sub(r"\s", "", page)


def test_no_cut_inside_a_url_or_a_tag_that_fits() -> None:
    texts = [c.text for c in SentenceChunker(max_size=40).chunk("See the docs at https://example.com/a/b/c for more.")]
    assert "https://example.com/a/b/c" in " ".join(texts) and not any(t.endswith("https:") for t in texts)
    page = '<p>See <a href="https://example.com/long/path/page.html" class="link">the docs</a> for more. ' + (
        "Words go here. " * 10 + "</p>")  # fmt: skip
    for size in (80, 100, 140):
        for chunk in DocumentChunker(max_size=size, format="html").chunk(page):
            assert chunk.text.count("<") == chunk.text.count(">"), (size, chunk.text)


def test_langchain_header_keys_name_the_sections_holding_the_whole_chunk() -> None:
    page = "# Main Header\n\nHeader 1 content\n\n# Header 2\nHeader 2 content\n"
    [both] = DocumentChunker(max_size=1000, metadata_style="langchain").chunk(page)
    assert "Header 1" not in both.metadata
    for chunk in DocumentChunker(max_size=30, metadata_style="langchain").chunk(page):
        title = "Main Header" if chunk.start < page.index("# Header 2") else "Header 2"
        assert chunk.metadata["Header 1"] == title


def test_line_numbers_count_commonmark_line_ends() -> None:
    page = "# A\rtext a\r\n# B\rtext b\r"
    chunks = DocumentChunker(max_size=12).chunk(page)
    assert [(c.text, c.metadata["start_line"], c.metadata["end_line"]) for c in chunks] == [
        ("# A\rtext a", 1, 2), ("# B\rtext b", 3, 4)]  # fmt: skip


def test_llamaindex_embeds_the_documents_metadata_with_labels_and_the_context_bare() -> None:
    page = "# Guide\n\nIntro.\n\n## Setup\n\n" + "Install the {thing} now. " * 40
    nodes = DocumentNodeParser(max_size=300).get_nodes_from_documents(
        [Document(text=page, metadata={"file_name": "a.md", "page": 3})]
    )
    for node in nodes:
        for mode in (MetadataMode.EMBED, MetadataMode.LLM):
            content = node.get_content(mode)
            assert content.startswith("file_name: a.md\npage: 3\n")
            if node.metadata["context_header"]:
                assert content.startswith(f"file_name: a.md\npage: 3\n{node.metadata['context_header']}\n\n")
            assert content.endswith(node.text)
    alone = DocumentNodeParser(max_size=300).get_nodes_from_documents([Document(text=page)])
    assert alone[1].get_content(MetadataMode.EMBED).startswith("Setup\n\nInstall")


HTML_PAGE = (
    "<html><head><title>T</title><script>var x = 1 < 2;</script><style>p {color: red}</style></head><body>"
    "<h1>Top</h1><p>first<br>second, if x < 3 and y > 2 then z</p><table><tr><th>Col1</th><th>Col2</th></tr>"
    + "".join(f"<tr><td>a{i}</td><td>b{i}</td></tr>" for i in range(40))
    + "</table></body></html>"
)


def test_html_chunks_are_embedded_as_text_and_point_at_their_source() -> None:
    nodes = DocumentNodeParser(max_size=150).get_nodes_from_documents([Document(text=HTML_PAGE)])
    assert len(nodes) > 2
    for node in nodes:
        assert "<" not in node.text.replace("x < 3", "") and "color" not in node.text and "var x" not in node.text
        assert node.text == html_text(HTML_PAGE, node.start_char_idx, node.end_char_idx)[0]
        assert len(node.get_content(MetadataMode.EMBED)) <= 150
    assert "first\nsecond, if x < 3 and y > 2 then z" in nodes[0].text
    assert nodes[1].metadata["context_header"] == "Top\nCol1 | Col2"  # the header row noted as text
    splitter = DocumentTextSplitter(max_size=150, context_in_content=True, add_start_index=True)
    docs = splitter.split_documents([LCDocument(HTML_PAGE)])
    assert [d.metadata["start_index"] for d in docs] == [n.start_char_idx for n in nodes]
    assert all("<td>" not in d.page_content and len(d.page_content) <= 150 for d in docs)


# Property tests: generated pages with the shapes that broke, through the engine and both faces.
WORD = st.sampled_from(["alpha", "beta", "gamma", "Mr.", "naïve", "数据", "x" * 25, "end.", "https://ex.com/a:b"])
SENTENCE = st.lists(WORD, min_size=1, max_size=10).map(lambda w: " ".join(w) + ".")
HEADING = st.tuples(st.integers(1, 3), st.lists(WORD, min_size=1, max_size=3), st.booleans()).map(
    lambda h: "#" * h[0] + " " + " ".join(h[1]).replace("#", "") + (" { #anchor }" if h[2] else "")
)
TABLE = st.lists(st.tuples(WORD, WORD), min_size=1, max_size=30).map(
    lambda rows: "| name | value |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)
)
QUOTE = st.lists(SENTENCE, min_size=1, max_size=8).map(lambda lines: "".join(f"> {s}\n" for s in lines))
DEFINITIONS = st.lists(st.sampled_from(["[a]: http://a.example", "[^1]: note", "[b]: <http://b> 'B'"]), min_size=1,
                       max_size=3).map("\n".join)  # fmt: skip
BLOCK = st.one_of(HEADING, HEADING, SENTENCE, st.lists(SENTENCE, max_size=6).map(" ".join), TABLE, QUOTE, DEFINITIONS)
PAGE = st.tuples(
    st.lists(BLOCK, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(), st.booleans()
).map(lambda p: ("\ufeff" if p[2] else "") + ("\n" if p[3] else "\n\n").join(p[0]).replace("\n", p[1]))
LINE = re.compile(r"\r\n|\r|\n")
HEADING_LINE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*)$")


def check_page(page: str, chunks: list, max_size: int, counted: bool) -> None:
    """Exact offsets, no lost text, the budget with the context, line numbers, and no heading ending a chunk while
    its content's first word would fit after it."""
    assert "".join(re.sub(r"\s", "", c.text) for c in chunks) == re.sub(r"\s", "", page)
    sections = DocumentChunker(format="markdown").sections(page)
    for chunk, following in zip(chunks, [*chunks[1:], None]):
        assert page[chunk.start : chunk.end] == chunk.text
        assert len(embedded(chunk) if counted else chunk.text) <= max_size
        assert chunk.metadata["start_line"] == 1 + line_breaks(page, 0, chunk.start)
        for key, title in chunk.metadata.items():  # LangChain's keys: sections that hold the whole chunk
            if key.startswith("Header "):
                holding = [s for s in sections if s.start <= chunk.start and chunk.end <= s.end]
                assert any(s.level == int(key[7:]) and s.title == title for s in holding), (key, chunk.text)
        last = LINE.split(chunk.text)[-1]
        if following is None or not HEADING_LINE.match(last) or "{" in last or page[chunk.end] not in "\r\n":
            continue  # no heading line ends the chunk (or a heading too long for the budget was cut)
        heading = chunk.end - len(last)
        opened = max((s for s in sections if s.level and s.start <= heading < s.end), key=lambda s: s.start)
        if following.start >= opened.end:
            continue  # an empty section: nothing of its own follows its heading
        first_word = following.text.split()[0]
        joined = page[chunk.start : following.start] + first_word
        cost = len(embedded_text(chunk.metadata["context_header"], "")) if counted else 0
        assert len(joined.strip()) + cost > max_size, (max_size, chunk.text, following.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAGE, st.integers(60, 600), st.booleans())
def test_generated_pages_through_the_engine(page: str, max_size: int, counted: bool) -> None:
    chunker = DocumentChunker(
        max_size=max_size, context_in_budget=counted, format="markdown", metadata_style="langchain"
    )
    check_page(page, chunker.chunk(page), max_size, counted)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAGE, st.integers(80, 600))
def test_generated_pages_through_both_faces(page: str, max_size: int) -> None:
    nodes = DocumentNodeParser(max_size=max_size).get_nodes_from_documents([Document(text=page, metadata={})])
    engine = DocumentChunker(max_size=max_size, context_in_budget=True, format="markdown").chunk(page)
    assert [(n.start_char_idx, n.end_char_idx) for n in nodes] == [(c.start, c.end) for c in engine]
    for node in nodes:
        assert node.text == page[node.start_char_idx : node.end_char_idx]
        assert len(node.get_content(MetadataMode.EMBED)) <= max_size
    splitter = DocumentTextSplitter(max_size=max_size, context_in_content=True, add_start_index=True)
    docs = splitter.split_documents([LCDocument(page_content=page, metadata={"source": "page.md"})])
    assert [d.metadata["start_index"] for d in docs] == [c.start for c in engine]
    assert all(len(d.page_content) <= max_size for d in docs)


INLINE = st.sampled_from(["<b>bold</b>", '<a href="https://ex.com/p?q=1&amp;r=2">link text</a>', "x < 3 and y > 2",
                          "<br>", "&amp; more", "<code>f(x)</code>", "plain words here."])  # fmt: skip
HTML_BLOCK = st.one_of(
    st.tuples(st.integers(1, 3), st.lists(INLINE, min_size=1, max_size=2)).map(
        lambda h: f"<h{h[0]}>{' '.join(h[1])}</h{h[0]}>"),
    st.lists(INLINE, min_size=1, max_size=8).map(lambda p: "<p>" + " ".join(p) + "</p>"),
    st.lists(st.tuples(INLINE, INLINE), min_size=1, max_size=12).map(
        lambda rows: "<table><tr><th>A</th><th>B</th></tr>"
        + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows) + "</table>"),
    st.lists(INLINE, min_size=1, max_size=6).map(lambda items: "<ul>" + "".join(f"<li>{i}" for i in items) + "</ul>"),
    st.just("<script>if (a < b) { go(); }</script>"),
)  # fmt: skip
HTML = st.lists(HTML_BLOCK, min_size=1, max_size=10).map(
    lambda blocks: "<html><body>" + "\n".join(blocks) + "</body></html>"
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HTML, st.integers(60, 500))
def test_generated_html_through_the_engine_and_both_faces(page: str, max_size: int) -> None:
    chunks = DocumentChunker(max_size=max_size, context_in_budget=True, format="html").chunk(page)
    assert "".join(re.sub(r"\s", "", c.text) for c in chunks) == re.sub(r"\s", "", page)
    for chunk in chunks:
        shown = html_text(page, chunk.start, chunk.end)[0]  # what is embedded: max_size counts it
        assert page[chunk.start : chunk.end] == chunk.text
        assert len(embedded_text(chunk.metadata["context_header"], shown)) <= max_size
        assert not re.search(r"<[A-Za-z/][^<>]*>", chunk.metadata["context_header"])
        tags = [m.span() for m in re.finditer(r"<[A-Za-z/][^<>]*>", page) if m.end() - m.start() < max_size // 2]
        assert not any(a < chunk.start < b or a < chunk.end < b for a, b in tags), chunk.text
    nodes = DocumentNodeParser(max_size=max_size).get_nodes_from_documents([Document(text=page, metadata={})])
    shown = [c for c in chunks if html_text(page, c.start, c.end)[0].strip()]
    assert [(n.start_char_idx, n.end_char_idx) for n in nodes] == [(c.start, c.end) for c in shown]
    for node in nodes:
        assert node.text == html_text(page, node.start_char_idx, node.end_char_idx)[0]
        assert not re.search(r"</?[a-z]+[ >]", node.text) and len(node.get_content(MetadataMode.EMBED)) <= max_size
    docs = DocumentTextSplitter(max_size=max_size, context_in_content=True).split_documents(
        [LCDocument(page_content=page, metadata={"source": "page.html"})]
    )
    assert [d.page_content for d in docs] == [embedded_text(n.metadata["context_header"], n.text) for n in nodes]


def test_several_h1_are_chapters_each_named_in_its_chunks_context() -> None:
    page = "# Cats\n\n" + "Cats purr. " * 20 + "\n\n# Dogs\n\n" + "Dogs bark. " * 20
    contexts = {c.text.split()[-1]: c.metadata["context_header"] for c in DocumentChunker(max_size=120).chunk(page)}
    assert contexts["purr."] == "Cats" and contexts["bark."] == "Dogs"
    single = DocumentChunker(max_size=120).chunk("# Cats\n\n" + "Cats purr. " * 20)
    assert single[-1].metadata["context_header"] == ""  # one H1 is the title, left out of the context line


def test_llamaindex_counts_the_documents_embedded_metadata_in_the_budget(tmp_path) -> None:
    from llama_index.core import SimpleDirectoryReader

    (tmp_path / "guide.md").write_text("# Guide\n\nIntro.\n\n## Setup\n\n" + "Install the thing now. " * 80)
    documents = SimpleDirectoryReader(str(tmp_path)).load_data()  # file_path is embedded with every node
    nodes = DocumentNodeParser(max_size=300).get_nodes_from_documents(documents)
    assert all(len(n.get_content(mode)) <= 300 for n in nodes for mode in (MetadataMode.EMBED, MetadataMode.LLM))
    assert nodes[1].get_content(MetadataMode.EMBED).startswith(f"file_path: {tmp_path / 'guide.md'}\nSetup\n\n")
    with pytest.warns(UserWarning, match="over half of max_size=60"):
        DocumentNodeParser(max_size=60).get_nodes_from_documents(documents)


def test_langchain_split_text_gives_what_split_documents_embeds() -> None:
    page = "# Guide\n\nIntro.\n\n## Setup\n\n" + "Install the thing now. " * 40
    splitter = DocumentTextSplitter(max_size=200, context_in_content=True)
    assert splitter.split_text(page) == [d.page_content for d in splitter.create_documents([page])]
    assert splitter.split_text(page)[1].startswith("Setup\n\nInstall")
