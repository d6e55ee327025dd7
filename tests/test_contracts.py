"""Framework contracts a drop-in user relies on: cache keys, fields set after construction, unknown keyword
arguments, the peers' option names and constructors, and the quickstart over a real source folder."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from chunkers import ASTChunker, LLMChunker, SentenceChunker
from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from llama_index.core import Document, SimpleDirectoryReader
from llama_index.core.ingestion import IngestionCache, IngestionPipeline
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback

from langchain_chunkers import (
    ASTTextSplitter,
    AutoTextSplitter,
    ChunkerTextSplitter,
    ChunkFilterCompressor,
    DocumentTextSplitter,
    LLMTextSplitter,
    PDFTextSplitter,
    PerplexityTextSplitter,
    RecordTextSplitter,
    SemanticTextSplitter,
    SentenceTextSplitter,
)
from llama_chunkers import (
    ASTNodeParser,
    AutoNodeParser,
    ChunkerNodeParser,
    ChunkFilterPostprocessor,
    DocumentNodeParser,
    LLMNodeParser,
    PDFNodeParser,
    PerplexityNodeParser,
    RecordNodeParser,
    SemanticNodeParser,
    SentenceNodeParser,
)

PROSE = "First sentence is here. Second sentence follows it. A third one ends the text."
PARAGRAPHS = "\n\n".join(f"Paragraph {i} is about topic {i // 2} and says so plainly." for i in range(6))
CODE = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"


class AnswerLLM(CustomLLM):
    """A fake remote LLM that always names one paragraph ID; its ``answer`` is part of its identity."""

    answer: int = 1

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=f"answer-{self.answer}")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=f"Answer: ID {self.answer}")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        yield self.complete(prompt)


def _texts(nodes: list[Any]) -> list[str]:
    return [n.text for n in nodes]


# 1. IngestionCache must never serve another configuration's nodes.


def test_ingestion_cache_keys_hold_the_wrapped_chunker_and_the_llm() -> None:
    cache = IngestionCache()
    docs = [Document(text=PROSE, id_="p")]
    wide = IngestionPipeline(transformations=[ChunkerNodeParser(chunker=SentenceChunker(max_size=1000))], cache=cache)
    narrow = IngestionPipeline(transformations=[ChunkerNodeParser(chunker=SentenceChunker(max_size=30))], cache=cache)
    assert len(wide.run(documents=docs)) == 1
    assert len(narrow.run(documents=docs)) == 3

    paragraphs = [Document(text=PARAGRAPHS, id_="q")]
    first = IngestionPipeline(transformations=[LLMNodeParser(llm=AnswerLLM(answer=1), min_tail=2)], cache=cache)
    third = IngestionPipeline(transformations=[LLMNodeParser(llm=AnswerLLM(answer=3), min_tail=2)], cache=cache)
    assert _texts(first.run(documents=paragraphs)) != _texts(third.run(documents=paragraphs))


# 2. A field set after construction takes effect.


def test_fields_set_after_construction_take_effect() -> None:
    parser = SentenceNodeParser(max_size=1000)
    parser.max_size = 30
    assert len(parser.get_nodes_from_documents([Document(text=PROSE)])) == 3
    assert parser.to_dict()["engine"]["max_size"] == 30
    splitter = SentenceTextSplitter(max_size=1000)
    splitter.max_size = 30
    assert len(splitter.split_text(PROSE)) == 3
    bad = SentenceNodeParser()
    bad.max_size = 0
    with pytest.raises(ValueError, match="max_size must be a positive integer"):
        bad.get_nodes_from_documents([Document(text=PROSE)])


# 3. Unknown keyword arguments raise; the peers' names work with their meaning.


@pytest.mark.parametrize(
    "make",
    [
        lambda: ASTNodeParser(language="python", max_sise=30),
        lambda: SentenceNodeParser(paragraph_sep=" "),
        lambda: PerplexityNodeParser(chunk_lines=3),
        lambda: LLMNodeParser(llm=AnswerLLM(), group_size=3),
        lambda: ChunkerNodeParser(chunker=SentenceChunker(), max_size=3),
        lambda: ChunkFilterPostprocessor(embeddings=None),
        lambda: SentenceTextSplitter(keep_separators=True),
        lambda: ASTTextSplitter(max_chars=30),
        lambda: PerplexityTextSplitter(chunk_lines=3),
        lambda: LLMTextSplitter(llm=lambda prompt: "ID 1", group_size=3),
        lambda: ChunkerTextSplitter(SentenceChunker(), max_size=3),
        lambda: ChunkFilterCompressor(embed_model=None),
        lambda: DocumentNodeParser(strip_headers=True),
        lambda: DocumentTextSplitter(header_levels=[("#", "Header 1")]),
    ],
)
def test_unknown_keyword_arguments_raise_type_error(make: Any) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        make()


def test_code_splitter_options_keep_their_meaning() -> None:
    import tree_sitter_language_pack

    by_chars = ASTNodeParser(language="python", max_chars=30)
    assert (by_chars.max_size, by_chars.sizer) == (30, "chars")
    assert by_chars.split_text(CODE) == ["def f():\n    return 1", "def g():\n    return 2"]
    by_lines = ASTNodeParser(language="python", chunk_lines=2)
    assert all(chunk.count("\n") < 2 for chunk in by_lines.split_text(CODE))
    parser = tree_sitter_language_pack.get_parser("python")
    with_parser = ASTNodeParser(parser=parser, max_size=20)
    assert with_parser.split_text(CODE) == by_chars.split_text(CODE)
    assert with_parser.chunker.chunk(CODE)[0].metadata["language"] == "python"
    lines = ASTNodeParser(language="python", chunk_lines=4, chunk_lines_overlap=1)  # overlap in whole lines
    assert (lines.chunker.max_size, lines.chunker.chunk_overlap, lines.chunker.sizer.name) == (4, 1, "lines")
    with pytest.raises(TypeError, match="drop chunk_lines_overlap for CodeSplitter's budget"):
        ASTNodeParser(language="python", max_chars=1500, chunk_lines_overlap=15)
    with pytest.raises(TypeError, match="one budget"):
        ASTNodeParser(language="python", chunk_lines=40, max_chars=1500)
    with pytest.raises(TypeError, match="got max_chars with chunk_lines and chunk_lines_overlap: CodeSplitter"):
        ASTNodeParser(language="python", chunk_lines=40, chunk_lines_overlap=15, max_chars=1500)  # LlamaIndex's docs
    with pytest.raises(TypeError, match="overlap_nodes"):
        ASTNodeParser(language="python", chunk_lines_overlap=15)
    with pytest.raises(TypeError, match="same setting"):
        ASTNodeParser(language="python", max_chars=40, max_size=1500)


def test_sentence_splitter_options_keep_their_meaning() -> None:
    from llama_index.core import Settings

    # SentenceSplitter counts chunk_size in tokens of the global tokenizer: so does the stand-in.
    parser = SentenceNodeParser(chunk_size=10, chunk_overlap=0)
    assert parser.max_size == 10
    nodes = parser.get_nodes_from_documents([Document(text=PROSE)])
    assert all(len(Settings.tokenizer(n.text)) <= 10 for n in nodes)
    assert len(nodes) == 2  # the wide setting (characters) would give one node
    assert len(SentenceNodeParser(max_size=10).get_nodes_from_documents([Document(text=PROSE)])) > 2
    overlapping = SentenceNodeParser(chunk_size=10, chunk_overlap=5).get_nodes_from_documents([Document(text=PROSE)])
    assert all(len(Settings.tokenizer(n.text)) <= 10 for n in overlapping)
    assert all(a.end_char_idx > b.start_char_idx for a, b in itertools.pairwise(overlapping))  # they share text
    with pytest.raises(ValueError, match="does not overlap"):
        RecordTextSplitter(chunk_overlap=5)  # records do not overlap
    lc = SentenceTextSplitter(chunk_size=30, chunk_overlap=0, length_function=len)
    assert (lc.max_size, lc.chunker.sizer.name) == (30, "chars")
    assert len(lc.split_text(PROSE)) == 3
    code = ASTTextSplitter.from_language("python", chunk_size=30)  # LangChain's chunk_size counts characters
    assert code.chunker.sizer.name == "chars" and code.split_text(CODE)[0] == "def f():\n    return 1"


# 4. split_text / split_texts on the CodeSplitter stand-in: covered above; 5. inherited constructors.


def test_inherited_langchain_constructors_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_index.core
    from chunkers.runtime.models import smollm2_dir
    from transformers import AutoTokenizer

    # tiktoken's cl100k_base as LlamaIndex ships it (no download).
    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    by_tiktoken = SentenceTextSplitter.from_tiktoken_encoder(encoding_name="cl100k_base", chunk_size=5)
    nodes = SentenceNodeParser(chunk_size=5).get_nodes_from_documents([Document(text=PROSE)])
    assert by_tiktoken.split_text(PROSE) == _texts(nodes)  # both count cl100k_base tokens

    tokenizer = AutoTokenizer.from_pretrained(str(smollm2_dir()), local_files_only=True)
    splitter = SentenceTextSplitter.from_huggingface_tokenizer(tokenizer, max_size=6)
    chunks = splitter.split_text(PROSE)
    assert len(chunks) > 1 and all(len(tokenizer.tokenize(c)) <= 6 for c in chunks)
    code = ASTTextSplitter.from_huggingface_tokenizer(tokenizer, language="python", max_size=12)
    assert all(len(tokenizer.tokenize(c)) <= 12 for c in code.split_text(CODE))

    def words(text: str) -> int:
        return len(text.split())

    counted = SentenceTextSplitter(length_function=words, chunk_size=4)
    assert all(words(c) <= 4 for c in counted.split_text(PROSE))


def test_sentence_splitter_from_language_cuts_at_the_languages_separators() -> None:
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

    source = (Path(__file__).parents[1] / "shared" / "chunkers" / "core" / "sizing.py").read_text(encoding="utf-8")
    peer = RecursiveCharacterTextSplitter.from_language(Language.PYTHON, chunk_size=400, chunk_overlap=0)
    ours = SentenceTextSplitter.from_language(Language.PYTHON, chunk_size=400, add_start_index=True)
    documents = ours.create_documents([source])
    starts = [d.metadata["start_index"] for d in documents]
    line_starts = [source[source.rfind("\n", 0, start) + 1 : start] for start in starts]
    assert not "".join(line_starts).strip()  # Python's separators cut between lines (indentation stripped)
    assert 1 < len(documents) <= len(peer.split_text(source)) and all(len(d.page_content) <= 400 for d in documents)


def test_tiktoken_without_its_encoding_offline_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import requests

    def offline(*args: Any, **kwargs: Any) -> None:  # no download, here or anywhere
        raise requests.ConnectionError("Max retries exceeded with url: /encodings/r50k_base.tiktoken")

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # an empty cache: tiktoken would download
    monkeypatch.setattr(requests, "get", offline)
    with pytest.raises(OSError, match="set TIKTOKEN_CACHE_DIR to a folder that holds it") as error:
        SentenceTextSplitter.from_tiktoken_encoder(chunk_size=500)
    assert error.value.__cause__ is None and "'gpt2'" in str(error.value)
    with pytest.raises(ValueError, match="Unknown encoding"):
        SentenceTextSplitter.from_tiktoken_encoder(encoding_name="no_such_encoding")


def test_the_peers_size_set_after_construction_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_index.core import Settings

    monkeypatch.setattr(Settings, "_node_parser", None)  # LlamaIndex's global, as it was, after the test
    parser = SentenceNodeParser(chunk_size=512)
    Settings.node_parser = parser
    assert Settings.chunk_size == 512
    Settings.chunk_size = 5  # tokens, as for SentenceSplitter
    assert _texts(parser.get_nodes_from_documents([Document(text=PROSE)])) == _texts(
        SentenceNodeParser(chunk_size=5).get_nodes_from_documents([Document(text=PROSE)])
    )
    by_chars = DocumentNodeParser(max_size=1000)
    by_chars.chunk_size = 5  # a size in characters becomes one in tokens: LlamaIndex's unit
    assert by_chars.to_dict()["engine"]["max_size"] == 5 and "tiktoken" in by_chars.to_dict()["engine"]["sizer"]
    wrapped = ChunkerNodeParser(chunker=SentenceChunker(max_size=300))
    with pytest.raises(AttributeError, match="its chunker's max_size"):
        wrapped.chunk_size = 100
    splitter = SentenceTextSplitter(chunk_size=1000)
    splitter.chunk_size = 30  # in units of length_function, as at construction
    assert splitter.split_text(PROSE) == SentenceTextSplitter(chunk_size=30).split_text(PROSE)
    by_words = SentenceTextSplitter(chunk_size=30, length_function=lambda text: len(text.split()))
    splitter.length_function = by_words.sizer
    by_chars = SentenceTextSplitter(chunk_size=30).split_text(PROSE)
    assert splitter.split_text(PROSE) == by_words.split_text(PROSE) != by_chars
    splitter._chunk_size = 1000  # LangChain's own attribute
    assert len(splitter.split_text(PROSE)) == 1


# 6. An empty query filters nothing, in the engine and in both faces.


def test_empty_query_passes_documents_through() -> None:
    from chunkers import ChunkFilter
    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_chunkers import LocalEmbeddings

    kept = ChunkFilter().filter("  ", ["one text", "another text"])
    assert [k.chunk.text for k in kept] == ["one text", "another text"]
    assert all(k.flags == ["empty_query"] for k in kept)
    store = InMemoryVectorStore(LocalEmbeddings())
    store.add_texts(["alpha beta", "gamma delta"])
    compressor = ChunkFilterCompressor()
    retriever = ContextualCompressionRetriever(base_compressor=compressor, base_retriever=store.as_retriever())
    assert len(retriever.invoke("")) == 2
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    nodes = [NodeWithScore(node=TextNode(text=text), score=0.3) for text in ("alpha", "beta")]
    assert ChunkFilterPostprocessor().postprocess_nodes(nodes, query_bundle=QueryBundle("")) == nodes


# 7. Non-string metadata keys are not duplicated; 8. atransform_documents takes any iterable.


async def test_langchain_metadata_keys_and_iterables() -> None:
    docs = SentenceTextSplitter(max_size=10).create_documents(["foo bar"], [{1: "x"}])
    assert docs[0].metadata == {1: "x", "chunker": "sentence"}
    splitter = SentenceTextSplitter(max_size=30)
    sources = [LCDocument(page_content=PROSE), LCDocument(page_content="Short. Text.")]
    expected = splitter.transform_documents(iter(sources))
    assert len(expected) == 4
    assert await splitter.atransform_documents(iter(sources)) == expected


# 9. min_tail=1 works (the last paragraph alone).


def test_llm_chunker_min_tail_one_through_the_engine_and_both_faces() -> None:
    chunks = LLMChunker(llm=lambda prompt: "Answer: ID 1", min_tail=1, group_tokens=30).chunk(PARAGRAPHS)
    assert "".join(c.text for c in chunks).replace("\n", "") == PARAGRAPHS.replace("\n", "")
    parser = LLMNodeParser(llm=AnswerLLM(), min_tail=1, group_tokens=30)
    nodes = parser.get_nodes_from_documents([Document(text=PARAGRAPHS)])
    assert _texts(nodes) == [c.text for c in chunks]
    splitter = LLMTextSplitter(llm=FakeListChatModel(responses=["Answer: ID 1"]), min_tail=1, group_tokens=30)
    assert splitter.split_text(PARAGRAPHS) == [c.text for c in chunks]


# 10. Packing fills the budget: the separator a chunk does not keep is not counted.


def test_packing_does_not_count_a_trimmed_separator() -> None:
    assert [c.text for c in SentenceChunker(max_size=3).chunk("a a foo")] == ["a a", "foo"]
    assert [c.text for c in SentenceChunker(max_size=7).chunk("One. Two. Three.")] == ["One.", "Two.", "Three."]
    assert [c.text for c in SentenceChunker(max_size=9).chunk("One. Two. Three.")] == ["One. Two.", "Three."]


# 11. The quickstart over a real source folder (README, setup.cfg, a script without an extension).


def test_quickstart_over_a_source_folder_with_non_code_files(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "README.txt").write_text("A demo package.\n\nIt has two functions.\n", encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = demo\n", encoding="utf-8")
    (tmp_path / "run").write_text("#!/usr/bin/env python3\nimport pkg\nprint(pkg.f())\n", encoding="utf-8")
    documents = SimpleDirectoryReader(str(tmp_path)).load_data()
    nodes = IngestionPipeline(transformations=[ASTNodeParser()]).run(documents=documents)
    by_file = {n.metadata["file_name"]: n for n in nodes}
    assert set(by_file) == {"pkg.py", "README.txt", "setup.cfg", "run"}
    assert by_file["pkg.py"].metadata["language"] == "python" and not by_file["pkg.py"].metadata["fallback"]
    assert by_file["run"].metadata["language"] == "python"
    assert (
        by_file["setup.cfg"].metadata["fallback"]
        and "cannot tell the language" in by_file["setup.cfg"].metadata["fallback_reason"]
    )
    assert ASTChunker().chunk(CODE, file_path="x.unknown")[0].metadata["fallback"]


# The sweep: every face, every output-changing setting.

LLAMA_FACES: list[tuple[Any, dict[str, Any], dict[str, Any]]] = [
    # (face, constructor arguments, {field: a different value})
    (SentenceNodeParser, {}, {"max_size": 30, "sizer": "non_whitespace", "chunk_overlap": 5, "separators": ["\n"]}),
    (SentenceNodeParser, {"separators": ["\n", " "]}, {"is_separator_regex": True, "keep_separator": "end"}),
    (RecordNodeParser, {}, {"max_size": 30, "format": "csv"}),
    (DocumentNodeParser, {"metadata_style": "llamaindex"}, {"header_path_separator": " > "}),
    (
        SemanticNodeParser,
        {},
        {
            "max_size": 300,
            "buffer_size": 2,
            "boundary": "threshold",
            "breakpoint_threshold_type": "gradient",
            "target_size": 100,
            "chunk_overlap": 20,
        },
    ),
    (
        ASTNodeParser,
        {"language": "python"},
        {
            "language": "javascript",
            "max_size": 20,
            "sizer": "chars",
            "overlap_nodes": 1,
            "expand_context": False,
            "chunk_overlap": 5,
        },
    ),
    (
        PerplexityNodeParser,
        {},
        {
            "model": "/elsewhere",
            "method": "margin",
            "threshold": 0.5,
            "dynamic_threshold": True,
            "max_size": 500,
            "target_size": 300,
            "sizer": "non_whitespace",
            "window_tokens": 512,
            "context_tokens": 64,
            "boundary": "threshold",
            "size_weight": 2.0,
        },
    ),
    (
        LLMNodeParser,
        {"llm": AnswerLLM()},
        {
            "llm": AnswerLLM(answer=2),
            "group_tokens": 100,
            "max_size": 500,
            "sizer": "non_whitespace",
            "max_retries": 3,
            "timeout": 5.0,
            "min_tail": 2,
        },
    ),
    (
        DocumentNodeParser,
        {},
        {"max_size": 300, "sizer": "non_whitespace", "format": "html", "metadata_style": "llamaindex"},
    ),
    (PDFNodeParser, {}, {"max_size": 300, "context_path": "none", "metadata_style": "llamaindex"}),
]


# Where a face's default differs from the engine's on purpose: measured for what the framework embeds.
# The budget counts the context wherever the face embeds it (context_in_budget follows embed_context).
ENGINE_DEFAULT_EXCEPTIONS: dict[Any, dict[str, Any]] = {
    ASTNodeParser: {"expand_context": True, "context_in_budget": True},
    DocumentNodeParser: {"context_in_budget": True},
    PDFNodeParser: {"context_in_budget": True},
    RecordNodeParser: {"context_in_budget": True},
}


@pytest.mark.parametrize(("face", "arguments", "changes"), LLAMA_FACES, ids=lambda v: getattr(v, "__name__", ""))
def test_sweep_llamaindex_cache_key_and_fields(face: Any, arguments: dict[str, Any], changes: dict[str, Any]) -> None:
    base = face(**arguments)
    for field, value in changes.items():
        changed = face(**{**arguments, field: value})
        assert changed.to_dict() != base.to_dict(), f"{face.__name__}.{field} is not in the cache key"
        late = face(**arguments)
        setattr(late, field, value)
        assert late.to_dict() == changed.to_dict(), f"{face.__name__}.{field} set late is not used"
        assert late.chunker.config() == changed.chunker.config()
    # Every engine setting is a field of the face (so none is unreachable or silently fixed), with the
    # engine's default (the face's defaults are the engine's).
    engine = type(base.chunker)
    missing = {type(base).renames.get(p, p) for p in base.chunker.params()} - set(type(base).model_fields)
    assert not missing, f"{face.__name__} lacks fields for {engine.__name__} settings {sorted(missing)}"
    engine_arguments = {k: v for k, v in arguments.items() if k != "llm"}
    if "llm" in arguments:
        engine_arguments["llm"] = base.chunker.llm
    defaults = {**ENGINE_DEFAULT_EXCEPTIONS.get(face, {}), **engine_arguments}
    assert base.chunker.config() == engine(**defaults).config(), f"{face.__name__} defaults differ from the engine's"


LANGCHAIN_FACES: list[tuple[Any, dict[str, Any], dict[str, Any]]] = [
    (SentenceTextSplitter, {}, {"max_size": 30, "sizer": "non_whitespace", "chunk_overlap": 5, "separators": ["\n"]}),
    (SentenceTextSplitter, {"separators": ["\n", " "]}, {"is_separator_regex": True, "keep_separator": "end"}),
    (RecordTextSplitter, {}, {"max_size": 30, "format": "csv"}),
    (SemanticTextSplitter, {}, {"max_size": 300, "buffer_size": 2, "boundary": "threshold", "chunk_overlap": 20}),
    (ASTTextSplitter, {"language": "python"}, {"language": "javascript", "max_size": 20, "overlap_nodes": 1}),
    (PerplexityTextSplitter, {}, {"method": "margin", "max_size": 500, "boundary": "threshold"}),
    (LLMTextSplitter, {"llm": lambda prompt: "ID 1"}, {"group_tokens": 100, "min_tail": 2, "max_retries": 3}),
    (DocumentTextSplitter, {}, {"max_size": 300, "format": "html", "metadata_style": "langchain"}),
    (PDFTextSplitter, {}, {"max_size": 300, "context_path": "none", "context_title": True}),
]


@pytest.mark.parametrize(("face", "arguments", "changes"), LANGCHAIN_FACES, ids=lambda v: getattr(v, "__name__", ""))
def test_sweep_langchain_settings(face: Any, arguments: dict[str, Any], changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        late = face(**arguments)
        setattr(late, field, value)
        assert late.chunker.config() == face(**{**arguments, field: value}).chunker.config(), field
    assert face.setting_names() == set(face(**arguments).chunker.params())


def test_sweep_auto_parsers_follow_their_routed_parsers() -> None:
    base = AutoNodeParser()
    for changed in (AutoNodeParser(options={"ast": {"max_size": 300}}), AutoNodeParser(text_method="semantic"),
                    AutoNodeParser(options={"document": {"embed_context": False}})):  # fmt: skip
        assert changed.to_dict() != base.to_dict()
        assert AutoNodeParser.from_dict(changed.to_dict()).to_dict() == changed.to_dict()
    late = AutoNodeParser()
    late.options = {"ast": {"max_size": 300}}
    assert late.to_dict() == AutoNodeParser(options={"ast": {"max_size": 300}}).to_dict()
    assert late.parser("ast").max_size == 300
    splitter = AutoTextSplitter()
    splitter.options = {"sentence": {"chunk_size": 50}}
    assert splitter.splitter("sentence").chunker.max_size == 50


def test_sweep_filters_follow_their_fields() -> None:
    postprocessor = ChunkFilterPostprocessor()
    postprocessor.top_k = 1
    postprocessor.threshold = None
    nodes = [scored_node(text) for text in ("The cat sat on the mat.", "Dogs bark at night.", "A cat naps all day.")]
    from llama_index.core.schema import QueryBundle

    assert len(postprocessor.postprocess_nodes(nodes, query_bundle=QueryBundle("cats"))) == 1
    compressor = ChunkFilterCompressor()
    compressor.top_k = 1
    compressor.threshold = None
    docs = [LCDocument(page_content=n.node.get_content()) for n in nodes]
    assert len(compressor.compress_documents(docs, "cats")) == 1
    compressor.scorer = "no such scorer"
    with pytest.raises(ValueError, match="scorer must be one of"):
        compressor.compress_documents(docs, "cats")


def scored_node(text: str) -> Any:
    from llama_index.core.schema import NodeWithScore, TextNode

    return NodeWithScore(node=TextNode(text=text), score=0.5)


def test_to_json_round_trips_a_tokenizer_sizer_and_names_what_cannot_be_rebuilt() -> None:
    import json

    from chunkers.code import get_language
    from chunkers.runtime.models import minilm_path
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    parser = SentenceNodeParser(sizer=tokenizer, max_size=40)
    data = json.loads(parser.to_json())
    assert data["sizer"] == str(minilm_path())  # the folder it was loaded from: a spec that rebuilds it
    restored = SentenceNodeParser.from_json(parser.to_json())
    text = "One sentence here. Another one follows it. And a third one, longer than the rest, ends it."
    assert restored.chunker.chunk(text) == parser.chunker.chunk(text)
    code = ASTNodeParser(language=get_language("python"))
    assert json.loads(code.to_json())["language"] == "python"
    assert ASTNodeParser.from_json(code.to_json()).chunker.chunk("x = 1\n")[0].metadata["language"] == "python"
    by_function = SentenceNodeParser(sizer=lambda text: len(text.split()), max_size=5)
    described = by_function.to_json()  # a cache key and JSON still work
    with pytest.raises(ValueError, match="field 'sizer'"):
        SentenceNodeParser.from_json(described)
    assert SentenceNodeParser.from_dict(json.loads(described), sizer="chars").max_size == 5


def test_langchain_faces_have_real_signatures() -> None:
    import inspect

    from chunkers import PerplexityChunker

    signature = inspect.signature(PerplexityTextSplitter)
    engine = inspect.signature(PerplexityChunker).parameters
    assert [p for p in signature.parameters if p not in ("add_start_index", "strip_whitespace")] == list(engine)
    assert all(signature.parameters[name].default == engine[name].default for name in engine)
    assert "context_in_content" in inspect.signature(ASTTextSplitter).parameters


def test_llamaindex_fields_are_the_engines_options_with_their_help() -> None:
    from chunkers import PerplexityChunker

    fields = PerplexityNodeParser.model_fields
    for name, help_text in PerplexityChunker.OPTIONS.items():
        assert fields[name].description == help_text
    assert ASTNodeParser.model_fields["expand_context"].default is True  # the face's measured default


@pytest.mark.parametrize("engine", ["SentenceChunker", "ASTChunker", "PerplexityChunker", "LLMChunker",
                                    "RecordChunker", "DocumentChunker"])  # fmt: skip
def test_every_engine_option_has_help(engine: str) -> None:
    import inspect

    import chunkers

    cls = getattr(chunkers, engine)
    assert set(cls.OPTIONS) == {p for p in inspect.signature(cls).parameters}
