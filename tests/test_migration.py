"""A migrating user's calls: each peer argument in our faces, with the peer's meaning (its effect on real text) or a
construction-time error that names what to use instead. Nothing is accepted and ignored."""

from __future__ import annotations

import itertools
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from chunkers import ASTChunker, DocumentChunker, SentenceChunker
from chunkers.documents import html_text
from langchain_core.documents import Document as LCDocument
from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
from llama_index.core import Document, Settings
from llama_index.core.ingestion import IngestionCache, IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter

from benchmarks.paths import ROOT
from langchain_chunkers import (
    ASTTextSplitter,
    AutoTextSplitter,
    DocumentTextSplitter,
    PerplexityTextSplitter,
    RecordTextSplitter,
    SentenceTextSplitter,
)
from llama_chunkers import (
    ASTNodeParser,
    AutoNodeParser,
    DocumentNodeParser,
    LLMNodeParser,
    PerplexityNodeParser,
    RecordNodeParser,
    SemanticNodeParser,
    SentenceNodeParser,
)

DATA = ROOT / "examples" / "data"
WIKI = (DATA / "valkyria_chronicles_wikitext.md").read_text(encoding="utf-8")
CODE = (DATA / "textwrap.py").read_text(encoding="utf-8")
MARKDOWN = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")  # real Markdown, three heading levels


def paragraphs_text() -> str:
    """Real prose whose paragraphs each fit 600 characters (blank lines between them)."""
    paragraphs = [p.strip() for p in WIKI.splitlines() if 80 < len(p.strip()) < 600]
    return "\n\n".join(paragraphs[:12])


# ---- LangChain's TextSplitter and RecursiveCharacterTextSplitter arguments --------------------------------------


def test_separators_cut_where_recursive_character_text_splitter_cuts() -> None:
    text = paragraphs_text()
    ours = SentenceTextSplitter(chunk_size=600, separators=["\n\n"]).split_text(text)
    peer = RecursiveCharacterTextSplitter(chunk_size=600, chunk_overlap=0, separators=["\n\n"]).split_text(text)
    assert ours == peer
    assert all(text.count(chunk) == 1 for chunk in ours)
    assert ours != SentenceTextSplitter(chunk_size=600, separators=[" , "]).split_text(text)  # they choose the cuts


def test_separators_hold_the_cap_where_the_peer_would_pass_a_piece_through() -> None:
    text = "x" * 500 + "\n\n" + "y" * 50
    assert max(map(len, RecursiveCharacterTextSplitter(chunk_size=100, chunk_overlap=0, separators=["\n\n"])
                   .split_text(text))) == 500  # fmt: skip
    assert max(map(len, SentenceTextSplitter(chunk_size=100, separators=["\n\n"]).split_text(text))) <= 100


@pytest.mark.parametrize("keep", [True, "start", "end", False])
def test_keep_separator_puts_the_separator_where_langchain_does(keep: Any) -> None:
    text = "; ".join(f"clause number {i} of the list" for i in range(30))
    splitter = SentenceTextSplitter(chunk_size=80, separators=[";"], keep_separator=keep, add_start_index=True)
    documents = splitter.create_documents([text])
    chunks = [d.page_content for d in documents]
    assert len(chunks) > 3
    for document in documents:
        start = document.metadata["start_index"]
        assert text[start : start + len(document.page_content)] == document.page_content
    if keep == "end":
        assert all(c.endswith(";") for c in chunks[:-1])
    elif keep is False:
        assert not any(c.startswith(";") or c.endswith(";") for c in chunks)
    else:
        assert all(c.startswith(";") for c in chunks[1:])


def test_is_separator_regex_reads_separators_as_patterns() -> None:
    text = "\n".join(f"item {i}: {'word ' * 8}" for i in range(40))
    literal = SentenceTextSplitter(chunk_size=120, separators=[r"\n(?=item)"]).split_text(text)
    pattern = SentenceTextSplitter(chunk_size=120, separators=[r"\n(?=item)"], is_separator_regex=True)
    cut = pattern.split_text(text)
    assert cut != literal and all(c.startswith("item") for c in cut)


def test_strip_whitespace_false_keeps_the_whitespace_and_tiles_exactly() -> None:
    text = paragraphs_text()
    for splitter_class in (SentenceTextSplitter, DocumentTextSplitter):
        splitter = splitter_class(chunk_size=300, strip_whitespace=False, add_start_index=True)
        documents = splitter.create_documents([text])
        assert "".join(d.page_content for d in documents) == text
        assert all(len(d.page_content) <= 300 for d in documents)
        assert any(d.page_content.endswith("\n\n") for d in documents)
        assert all(text[d.metadata["start_index"] :].startswith(d.page_content) for d in documents)
    stripped = SentenceTextSplitter(chunk_size=300, strip_whitespace=True).split_text(text)
    assert all(c == c.strip() for c in stripped)


@pytest.mark.parametrize(
    "splitter", [DocumentTextSplitter, ASTTextSplitter, RecordTextSplitter, PerplexityTextSplitter]
)
@pytest.mark.parametrize("argument", [{"separators": ["\n\n"]}, {"keep_separator": True}, {"is_separator_regex": True}])
def test_separator_arguments_raise_where_the_chunker_has_no_separators(splitter: Any, argument: dict) -> None:
    with pytest.raises(TypeError, match="SentenceTextSplitter takes separators"):
        splitter(**argument)


def test_keep_separator_without_separators_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="applies to separators"):
        SentenceTextSplitter(keep_separator=False)
    with pytest.raises(ValueError, match="applies to separators"):
        SentenceChunker(is_separator_regex=True)


def test_from_language_with_the_peers_overlap_overlaps_code_at_whole_lines() -> None:
    splitter = ASTTextSplitter.from_language(Language.PYTHON, chunk_size=1000, chunk_overlap=200, add_start_index=True)
    documents = splitter.split_documents([LCDocument(page_content=CODE, metadata={"source": "textwrap.py"})])
    assert all(len(d.page_content) <= 1000 for d in documents)  # chunk_size counts characters, as the peer's
    shared = 0
    for previous, document in itertools.pairwise(documents):
        start, core = document.metadata["start_index"], document.metadata["core_start"]
        assert CODE[start : start + len(document.page_content)] == document.page_content
        assert start == core or CODE[start - 1] == "\n"  # overlap starts at a whole line
        assert len(CODE[start : previous.metadata["end_index"]]) <= 200  # the text both chunks hold
        shared += start < core
    assert shared >= len(documents) // 2
    with pytest.raises(ValueError, match="not both"):
        ASTChunker(overlap_nodes=1, chunk_overlap=10)


# ---- LlamaIndex's SentenceSplitter, MarkdownNodeParser, HTMLNodeParser arguments --------------------------------

SENTENCE_SPLITTER_CALL = {
    "chunk_size": 128,
    "chunk_overlap": 16,
    "separator": " ",
    "paragraph_separator": "\n\n\n",
    "secondary_chunking_regex": "[^,.;。？！]+[,.;。？！]?",
    "include_metadata": True,
    "include_prev_next_rel": True,
    "callback_manager": None,
}


@pytest.mark.parametrize(
    "parser",
    [SentenceNodeParser, ASTNodeParser, DocumentNodeParser, RecordNodeParser, PerplexityNodeParser, SemanticNodeParser],
)
def test_from_defaults_builds_every_parser(parser: Any) -> None:
    built = parser.from_defaults(max_size=400, callback_manager=None)
    assert isinstance(built, parser) and built.to_dict() == parser(max_size=400).to_dict()


def test_the_sentence_splitter_call_works_as_written_and_counts_tokens() -> None:
    parser = SentenceNodeParser.from_defaults(**SENTENCE_SPLITTER_CALL)
    nodes = parser.get_nodes_from_documents([Document(text=WIKI)])
    assert all(len(Settings.tokenizer(n.text)) <= 128 for n in nodes)
    assert all(WIKI[n.start_char_idx : n.end_char_idx] == n.text for n in nodes)
    peer = SentenceSplitter.from_defaults(**SENTENCE_SPLITTER_CALL).get_nodes_from_documents([Document(text=WIKI)])
    assert 0.7 < len(nodes) / len(peer) < 1.3


def test_sentence_splitter_levels_at_other_values_change_the_cuts() -> None:
    text = "\n---\n".join(f"Part {i}. It has two sentences here" for i in range(20))
    default = SentenceNodeParser(chunk_size=30).get_nodes_from_documents([Document(text=text)])
    parts = SentenceNodeParser(chunk_size=30, paragraph_separator="\n---\n").get_nodes_from_documents(
        [Document(text=text)]
    )
    assert [n.text for n in parts] != [n.text for n in default]
    assert all(n.text.startswith("Part") for n in parts)
    with pytest.raises(TypeError, match="separators"):
        SentenceNodeParser(chunking_tokenizer_fn=lambda text: [text])


def test_id_func_and_include_prev_next_rel_carry_their_meaning() -> None:
    parser = SentenceNodeParser(chunk_size=64, include_prev_next_rel=False, id_func=lambda i, node: f"n{i}")
    nodes = parser.get_nodes_from_documents([Document(text=WIKI[:3000])])
    assert [n.node_id for n in nodes] == [f"n{i}" for i in range(len(nodes))]
    assert all(n.prev_node is None and n.next_node is None for n in nodes)


@pytest.mark.parametrize("parser", [SentenceNodeParser, DocumentNodeParser])
def test_chunk_size_counts_tokens_and_round_trips_through_from_dict(parser: Any) -> None:
    built = parser(chunk_size=512)
    assert built.to_dict()["sizer"] == "tiktoken:cl100k_base"
    restored = parser.from_dict(built.to_dict())
    assert restored.to_dict() == built.to_dict()
    nodes = restored.get_nodes_from_documents([Document(text=MARKDOWN, metadata={"file_name": "architecture.md"})])
    assert all(len(Settings.tokenizer(n.text)) <= 512 for n in nodes)


def test_callback_manager_none_parses() -> None:
    for parser in (SentenceNodeParser(callback_manager=None), DocumentNodeParser(callback_manager=None)):
        assert parser.get_nodes_from_documents([Document(text=WIKI[:2000])])


def test_markdown_and_html_parser_arguments() -> None:
    parser = DocumentNodeParser(header_path_separator=" | ", max_size=400)
    nodes = parser.get_nodes_from_documents([Document(text=MARKDOWN, metadata={"file_name": "architecture.md"})])
    deep = [n.metadata["header_path"] for n in nodes if n.metadata["header_path"].count(" | ") >= 2]
    assert deep and all(p.startswith(" | ") and p.endswith(" | ") for p in deep)
    with pytest.raises(TypeError, match="has no tags"):
        DocumentNodeParser(tags=["p", "h1"])
    with pytest.raises(ValueError, match="metadata_style='llamaindex'"):
        DocumentChunker(header_path_separator=" | ")


# ---- no silent ignore ---------------------------------------------------------------------------------------------


def test_code_files_are_not_read_as_markdown() -> None:
    source = "# Licensed MIT\nimport os\n\n\ndef main():\n    return os.getcwd()\n"
    with pytest.warns(UserWarning, match="AutoNodeParser"):
        nodes = DocumentNodeParser().get_nodes_from_documents([Document(text=source, metadata={"file_path": "m.py"})])
    assert all(n.metadata["format"] == "text" and n.metadata["header_path"] == [] for n in nodes)


def test_the_file_path_is_embedded_once_and_exclusions_are_honoured() -> None:
    path = "pkg/sub/mod.py"
    source = "class A:\n" + "".join(f"    def f{i}(self):\n        return {i}\n" for i in range(60))
    nodes = ASTNodeParser(max_size=200).get_nodes_from_documents([Document(text=source, metadata={"file_path": path})])
    inner = [n for n in nodes if n.metadata["ancestors"]]
    assert inner
    for node in nodes:
        assert node.get_content(metadata_mode="embed").count(path) == 1
    assert "class A:" in inner[0].get_content(metadata_mode="embed")
    hidden = Document(text=source, metadata={"file_path": path}, excluded_embed_metadata_keys=["file_path"])
    for node in ASTNodeParser(max_size=200).get_nodes_from_documents([hidden]):
        assert path not in node.get_content(metadata_mode="embed")


def test_peer_arguments_that_cannot_hold_name_what_to_use() -> None:
    with pytest.raises(TypeError, match="overlap_nodes"):
        ASTNodeParser(language="python", chunk_lines_overlap=15)
    with pytest.raises(TypeError, match="has no chunking_tokenizer_fn"):
        SentenceNodeParser(chunking_tokenizer_fn=str.split)


# ---- one parser for a mixed folder ------------------------------------------------------------------------------


def mixed_folder(root: Path) -> Path:
    """A small project: code, docs, a CSV, JSON Lines and a plain-text note."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "textwrap.py").write_text(CODE, encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "wiki.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "docs" / "page.html").write_text(
        "<html><head><title>T</title></head><body><h1>Guide</h1><p>Install it.</p><h2>Use</h2><p>Run it.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    (root / "data.csv").write_text("name,value\n" + "".join(f"item {i},{i}\n" for i in range(200)), encoding="utf-8")
    (root / "rows.jsonl").write_text("".join(f'{{"id": {i}, "text": "row {i}"}}\n' for i in range(100)))
    (root / "notes.txt").write_text("# Not a heading\nPlain notes. " * 40, encoding="utf-8")
    return root


EXPECTED = {"textwrap.py": "ast", "wiki.md": "document", "page.html": "document", "data.csv": "records",
            "rows.jsonl": "records", "notes.txt": "sentence"}  # fmt: skip


def test_auto_node_parser_routes_a_mixed_folder_through_a_cached_pipeline(tmp_path: Path) -> None:
    from llama_index.core import SimpleDirectoryReader

    documents = SimpleDirectoryReader(str(mixed_folder(tmp_path / "project")), recursive=True).load_data()
    parser = AutoNodeParser(options={"ast": {"max_size": 800}, "document": {"max_size": 600}})
    cache = IngestionCache()
    nodes = IngestionPipeline(transformations=[parser], cache=cache).run(documents=documents)
    texts = {d.doc_id: d.text for d in documents}
    seen: dict[str, set[str]] = {}
    for node in nodes:
        source = texts[node.ref_doc_id][node.start_char_idx : node.end_char_idx]
        assert (html_text(source)[0] if node.metadata["file_name"].endswith(".html") else source) == node.text
        name = node.metadata["file_name"]
        seen.setdefault(name, set()).add("ast" if "language" in node.metadata else node.metadata["chunker"])
    assert seen == {name: {method} for name, method in EXPECTED.items()}
    ast_nodes = [n for n in nodes if "language" in n.metadata]
    assert max(len(re.sub(r"\s", "", n.text)) for n in ast_nodes) <= 800
    # the cache key follows the routed parsers' settings; the parser round-trips through to_dict
    again = IngestionPipeline(transformations=[AutoNodeParser.from_dict(parser.to_dict())], cache=cache)
    assert [n.text for n in again.run(documents=documents)] == [n.text for n in nodes]
    assert AutoNodeParser(options={"ast": {"max_size": 400}}).to_dict() != parser.to_dict()
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        AutoNodeParser(options={"ast": {"max_sise": 400}})
    with pytest.raises(ValueError, match="no method 'code'"):
        AutoNodeParser(options={"code": {}})


def test_auto_text_splitter_routes_documents_in_order(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path / "project")
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    documents = [LCDocument(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)}) for p in paths]
    splitter = AutoTextSplitter(
        options={"document": {"max_size": 500, "context_in_content": True}}, add_start_index=True
    )
    chunks = splitter.split_documents(documents)
    order = [Path(c.metadata["source"]).name for c in chunks]
    assert order == sorted(order, key=[p.name for p in paths].index)  # documents come back in order
    for chunk in chunks:
        source = Path(chunk.metadata["source"]).read_text(encoding="utf-8")
        start, end = chunk.metadata["start_index"], chunk.metadata["end_index"]
        name = Path(chunk.metadata["source"]).name
        method = "ast" if "language" in chunk.metadata else chunk.metadata["chunker"]
        assert method == EXPECTED[name], name
        shown = html_text(source[start:end])[0] if name.endswith(".html") else source[start:end]  # its text view
        if method == "document" and chunk.metadata.get("context_header"):
            assert chunk.page_content.endswith(shown)
        else:
            assert chunk.page_content == shown
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing goes to a chunker that is not its own
        AutoTextSplitter().split_documents(documents)
    assert AutoTextSplitter(text_method="ppl").splitter("ppl").__class__.__name__ == "PerplexityTextSplitter"
    with pytest.raises(ValueError, match="text_method"):
        AutoTextSplitter(text_method="ast")
    with pytest.raises(ValueError, match="text_method"):
        AutoNodeParser(text_method="records")
    assert isinstance(AutoNodeParser(text_method="llm", options={"llm": {"llm": lambda p: "ID 1"}}).parser("llm"),
                      LLMNodeParser)  # fmt: skip


# ---- found by a new user on a real repository (pallets/click) ---------------------------------------------------


def test_routing_parsers_skip_what_the_command_line_skips(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from llama_index.core import SimpleDirectoryReader

    folder = mixed_folder(tmp_path / "project")
    plt.figure()
    plt.plot([3, 1, 2])
    # a PNG under a name no reader of SimpleDirectoryReader claims: read as text, NUL characters and all
    plt.savefig(folder / "docs" / "plot.dat", format="png")
    plt.close()
    (folder / "uv.lock").write_text('version = 1\n[[package]]\nname = "click"\n' * 50, encoding="utf-8")
    (folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>\n', encoding="utf-8")
    documents = SimpleDirectoryReader(str(folder), recursive=True).load_data()
    parser = AutoNodeParser()
    with pytest.warns(UserWarning, match="skipped 3 of") as caught:
        nodes = parser.get_nodes_from_documents(documents)
    assert "uv.lock (generated (a lockfile))" in str(caught[0].message)
    assert {Path(p).name for p, _ in parser.last_skipped} == {"plot.dat", "uv.lock", "logo.svg"}
    assert {n.metadata["file_name"] for n in nodes} == set(EXPECTED)
    kept = AutoNodeParser(include_generated=True)
    with pytest.warns(UserWarning, match="skipped 1 of"):  # binaries never
        names = {n.metadata["file_name"] for n in kept.get_nodes_from_documents(documents)}
    assert {"uv.lock", "logo.svg"} <= names and "plot.dat" not in names
    lc = [LCDocument(page_content=d.text, metadata={"source": d.metadata["file_path"]}) for d in documents]
    splitter = AutoTextSplitter()
    with pytest.warns(UserWarning, match="skipped 3 of"):
        chunks = splitter.split_documents(lc)
    assert {Path(c.metadata["source"]).name for c in chunks} == set(EXPECTED)


def test_json_lines_with_long_records_are_records_not_minified(tmp_path: Path) -> None:
    from chunkers.io.files import skip_reason

    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(f'{{"id": {i}, "text": "{"word " * 450}"}}\n' for i in range(5)), encoding="utf-8")
    assert skip_reason(articles) is None
    minified = tmp_path / "bundle.js"
    minified.write_text("var a=1;" * 2000, encoding="utf-8")
    assert skip_reason(minified).startswith("minified")


def test_shared_sizes_and_shebang_scripts_in_the_routing_parsers() -> None:
    parser = AutoNodeParser(chunk_size=256, chunk_overlap=32)  # SentenceSplitter's call: every parser, in tokens
    assert parser.parser("sentence").chunker.chunk_overlap == 32 and parser.parser("records").max_size == 256
    assert parser.parser("ast").chunker.sizer.describe() == "tiktoken:cl100k_base"
    assert AutoNodeParser(chunk_size=256, options={"ast": {"max_size": 900}}).parser("ast").max_size == 900
    splitter = AutoTextSplitter(chunk_size=1000, chunk_overlap=200)  # RecursiveCharacterTextSplitter's call
    assert splitter.splitter("document").chunker.chunk_overlap == 200
    assert splitter.splitter("records").chunker.max_size == 1000
    script = LCDocument(page_content="#!/bin/sh\nset -e\necho hello\n", metadata={"source": "scripts/check"})
    assert splitter.method_of(script.metadata, script.page_content) == "ast"
    node = Document(text="#!/usr/bin/env python3\nprint(1)\n", metadata={"file_path": "bin/run"})
    assert AutoNodeParser().method_of(node) == "ast"


def test_more_peer_calls_work_or_name_what_to_use() -> None:
    assert ASTNodeParser(language="python", chunk_size=512).chunker.sizer.describe() == "tiktoken:cl100k_base"
    assert RecordNodeParser(chunk_overlap=0).chunker.max_size == 1000
    with pytest.raises(ValueError, match="does not overlap"):
        RecordNodeParser(chunk_overlap=50)
    text = (DATA / "pubmed_abstracts.md").read_text(encoding="utf-8")[:4000]
    chunks = SentenceNodeParser(chunk_size=128).split_text(text)  # SentenceSplitter.split_text
    assert len(chunks) > 3 and all(c in text for c in chunks)
    assert SentenceNodeParser().split_texts([text, text]) == chunks * 0 + SentenceNodeParser().split_text(text) * 2
    with pytest.raises(TypeError, match="metadata_style='langchain'"):
        DocumentTextSplitter(headers_to_split_on=[("#", "Header 1")])


def test_from_dict_asks_for_an_object_it_cannot_rebuild() -> None:
    from llama_index.core.embeddings import MockEmbedding

    embed_model = MockEmbedding(embed_dim=8)
    parser = SemanticNodeParser(embed_model=embed_model)
    with pytest.raises(ValueError, match="'embed_model'"):
        SemanticNodeParser.from_dict(parser.to_dict())
    restored = SemanticNodeParser.from_dict(parser.to_dict(), embed_model=embed_model)
    assert restored.to_dict() == parser.to_dict()
    assert SemanticNodeParser.from_dict(SemanticNodeParser().to_dict()).to_dict() == SemanticNodeParser().to_dict()
    routed = AutoNodeParser(text_method="llm", options={"llm": {"llm": lambda prompt: "ID 1"}})
    with pytest.raises(ValueError, match="'options'"):
        AutoNodeParser.from_dict(routed.to_dict())
    assert AutoNodeParser.from_dict(routed.to_dict(), options=routed.options).parser("llm").llm is not None
