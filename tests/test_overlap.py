"""chunk_overlap with the peers' meaning, for every prose chunker and the document chunker: offsets exact, the cores
tile the source, the budget holds with the overlap, consecutive chunks share at most chunk_overlap of text (at
sentence or word starts), and a document's overlap stays inside its section."""

from __future__ import annotations

import itertools

import pytest
from chunker_cases import PROSE, _second_paragraph
from chunkers import (
    ASTChunker,
    BaseChunker,
    DocumentChunker,
    LLMChunker,
    PerplexityChunker,
    SentenceChunker,
    sentence_spans,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document as LCDocument
from llama_index.core import Document
from test_documents import markdown_documents

from langchain_chunkers import DocumentTextSplitter, SentenceTextSplitter
from llama_chunkers import DocumentNodeParser, PerplexityNodeParser


def assert_overlap_invariants(chunker: BaseChunker, text: str, overlap: int) -> None:
    chunks = chunker.chunk(text)
    measure = chunker.sizer.span_measure(text)
    position = 0
    for index, chunk in enumerate(chunks):
        assert text[chunk.start : chunk.end] == chunk.text and chunk.text.strip()
        assert chunker.sizer(chunk.text) <= chunker.max_size, chunk
        core_start, core_end = chunk.metadata["core_start"], chunk.metadata["core_end"]
        assert chunk.start <= core_start and core_end == chunk.end
        assert core_start >= position and not text[position:core_start].strip(), "the cores must tile the source"
        position = core_end
        if index:
            previous = chunks[index - 1]
            shared_from = chunk.start
            assert shared_from == core_start or previous.start < shared_from < previous.end
            if shared_from < core_start:
                assert measure(shared_from, previous.end) <= overlap
                sentence_starts = {a for a, _ in sentence_spans(text, previous.start, previous.end)}
                assert shared_from in sentence_starts or text[shared_from - 1].isspace()  # a sentence or word start
    assert not text[position:].strip()


CASES = [
    ("sentence-chars", lambda: SentenceChunker(max_size=80, chunk_overlap=25), 25, 150),
    ("sentence-non-whitespace", lambda: SentenceChunker(max_size=40, sizer="non_whitespace", chunk_overlap=10), 10,
     150),
    ("llm-scripted", lambda: LLMChunker(llm=_second_paragraph, group_tokens=12, max_size=60, min_tail=2,
                                        chunk_overlap=15), 15, 80),
    ("perplexity", lambda: PerplexityChunker(max_size=90, target_size=40, chunk_overlap=20), 20, 6),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "overlap", "examples"), CASES, ids=[c[0] for c in CASES])
def test_overlap_invariants_on_prose(name: str, make, overlap: int, examples: int) -> None:
    chunker = make()

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(PROSE)
    def check(text: str) -> None:
        assert_overlap_invariants(chunker, text, overlap)

    check()


def test_overlap_invariants_on_documents_and_sections_are_not_crossed() -> None:
    chunker = DocumentChunker(max_size=120, chunk_overlap=40)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(markdown_documents())
    def check(generated) -> None:
        assert_overlap_invariants(chunker, generated.text, 40)
        chunks = chunker.chunk(generated.text)
        for previous, chunk in itertools.pairwise(chunks):
            if chunk.start < chunk.metadata["core_start"]:
                assert previous.metadata["section"] == chunk.metadata["section"]

    check()


CODE_LINES = st.sampled_from(["def f(x):", "    return x", "class A:", "    pass", "", "x = 1  # note", "if x:",
                               "    y = [1,", "         2]", '    """doc', '    """'])  # fmt: skip


@pytest.mark.parametrize("sizer", ["chars", "non_whitespace"])
def test_code_overlap_is_whole_lines_within_the_budget(sizer: str) -> None:
    chunker = ASTChunker(language="python", max_size=60, sizer=sizer, chunk_overlap=20)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(CODE_LINES, max_size=60).map("\n".join))
    def check(text: str) -> None:
        assert_overlap_invariants(chunker, text, 20)
        for chunk in chunker.chunk(text):
            assert chunk.start == chunk.metadata["core_start"] or text[chunk.start - 1] == "\n"
            assert chunk.metadata["start_line"] == text.count("\n", 0, chunk.start) + 1

    check()


def test_overlap_must_be_smaller_than_the_budget() -> None:
    with pytest.raises(ValueError, match="chunk_overlap=100 must be smaller than max_size=100"):
        SentenceChunker(max_size=100, chunk_overlap=100)
    with pytest.raises(ValueError, match="chunk_overlap must be a non-negative integer"):
        DocumentChunker(chunk_overlap=-1)


@given(st.just(0))
def test_faces_take_the_peers_overlap_arguments_with_exact_offsets(_: int) -> None:
    text = "One sentence here. Two sentences now. Three of them follow. Four ends it all. " * 4
    docs = SentenceTextSplitter(chunk_size=60, chunk_overlap=20, add_start_index=True).create_documents([text])
    assert len(docs) > 2 and all(text[d.metadata["start_index"] : d.metadata["end_index"]] == d.page_content
                                 for d in docs)  # fmt: skip
    assert any(b.metadata["start_index"] < a.metadata["end_index"] for a, b in itertools.pairwise(docs))
    guide = "# Guide\n\n## Install\n\n" + text
    nodes = DocumentNodeParser(max_size=80, chunk_overlap=20).get_nodes_from_documents([Document(text=guide)])
    assert all(guide[n.start_char_idx : n.end_char_idx] == n.text for n in nodes)
    assert "core_start" in nodes[0].metadata and "core_start" not in nodes[0].get_content("embed")
    split = DocumentTextSplitter(max_size=80, chunk_overlap=20, add_start_index=True)
    assert all(guide[d.metadata["start_index"] : d.metadata["end_index"]] == d.page_content
               for d in split.split_documents([LCDocument(page_content=guide)]))  # fmt: skip
    assert PerplexityNodeParser(chunk_overlap=30).chunker.chunk_overlap == 30
