"""Conformance of the generic framework faces (LlamaIndex NodeParser, LangChain TextSplitter)."""

from __future__ import annotations

import pytest
from chunkers import SentenceChunker
from langchain_core.documents import Document as LCDocument
from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import MetadataMode, NodeRelationship, TextNode

from langchain_chunkers import ChunkerTextSplitter, SentenceTextSplitter
from llama_chunkers import ChunkerNodeParser, SentenceNodeParser

# The same sentence twice: str.find-based offsets would point both chunks at the first copy.
TEXT = "Repeated sentence here. Repeated sentence here. A different ending follows now."


def test_llamaindex_offsets_relationships_and_metadata() -> None:
    parser = SentenceNodeParser(max_size=25)
    doc = Document(text=TEXT, metadata={"file_name": "a.txt"})
    nodes = parser.get_nodes_from_documents([doc])
    assert [n.get_content(MetadataMode.NONE) for n in nodes] == [
        "Repeated sentence here.",
        "Repeated sentence here.",
        "A different ending",
        "follows now.",
    ]
    for node in nodes:
        assert TEXT[node.start_char_idx : node.end_char_idx] == node.text
        assert node.metadata["file_name"] == "a.txt"
        assert node.metadata["chunker"] == "sentence"
        assert node.ref_doc_id == doc.doc_id
        # Metadata the chunker adds stays out of the embedded text; inherited metadata stays in.
        embedded = node.get_content(MetadataMode.EMBED)
        assert "file_name: a.txt" in embedded and "chunker" not in embedded
    assert nodes[1].start_char_idx == 24
    assert NodeRelationship.PREVIOUS not in nodes[0].relationships
    assert nodes[1].relationships[NodeRelationship.PREVIOUS].node_id == nodes[0].node_id
    assert nodes[1].relationships[NodeRelationship.NEXT].node_id == nodes[2].node_id
    assert NodeRelationship.NEXT not in nodes[-1].relationships


def test_llamaindex_offsets_of_a_node_inside_a_larger_document_are_absolute() -> None:
    parent = TextNode(text="Second part. Of the text.", start_char_idx=100, end_char_idx=125)
    nodes = SentenceNodeParser(max_size=15).get_nodes_from_documents([parent])
    assert [(n.start_char_idx, n.end_char_idx) for n in nodes] == [(100, 112), (113, 125)]


async def test_llamaindex_async_and_pipeline_match_sync() -> None:
    parser = SentenceNodeParser(max_size=30)
    docs = [Document(text=TEXT, id_="d1"), Document(text="Short one. Two.", id_="d2")]
    sync = parser.get_nodes_from_documents(docs)
    asynced = await parser.aget_nodes_from_documents(docs)
    piped = IngestionPipeline(transformations=[parser]).run(documents=docs)
    spans = [(n.ref_doc_id, n.start_char_idx, n.end_char_idx, n.text) for n in sync]
    assert spans == [(n.ref_doc_id, n.start_char_idx, n.end_char_idx, n.text) for n in asynced]
    assert spans == [(n.ref_doc_id, n.start_char_idx, n.end_char_idx, n.text) for n in piped]


def test_llamaindex_show_progress_and_serialisation_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    parser = SentenceNodeParser(max_size=40, sizer="non_whitespace", include_prev_next_rel=False)
    parser.get_nodes_from_documents([Document(text=TEXT)], show_progress=True)
    assert "Chunking nodes" in capsys.readouterr().err
    data = parser.to_dict()
    assert data["class_name"] == "SentenceNodeParser"
    clone = SentenceNodeParser.from_dict(data)
    assert (clone.max_size, clone.sizer, clone.include_prev_next_rel) == (40, "non_whitespace", False)
    assert SentenceNodeParser.from_json(parser.to_json()).max_size == 40


def test_llamaindex_generic_parser_wraps_any_engine_chunker() -> None:
    parser = ChunkerNodeParser(chunker=SentenceChunker(max_size=25))
    first = parser.get_nodes_from_documents([Document(text=TEXT)])[0]
    assert first.text == "Repeated sentence here."
    with pytest.raises(TypeError, match="needs chunker="):
        ChunkerNodeParser()
    with pytest.raises(ValueError, match="max_size must be a positive integer"):
        SentenceNodeParser(max_size=0)


def test_langchain_split_text_create_and_split_documents() -> None:
    splitter = SentenceTextSplitter(max_size=25, add_start_index=True)
    assert splitter.split_text(TEXT)[:2] == ["Repeated sentence here."] * 2
    source = {"source": "a.txt", "tags": ["x"]}
    docs = splitter.split_documents([LCDocument(page_content=TEXT, metadata=source)])
    assert [d.metadata["start_index"] for d in docs] == [0, 24, 48, 67]
    for doc in docs:
        start, end = doc.metadata["start_index"], doc.metadata["end_index"]
        assert TEXT[start:end] == doc.page_content
        assert doc.metadata["source"] == "a.txt" and doc.metadata["chunker"] == "sentence"
    docs[0].metadata["tags"].append("mutated")
    assert source["tags"] == ["x"] and docs[1].metadata["tags"] == ["x"]  # deep copies per chunk
    plain = SentenceTextSplitter(max_size=25).create_documents([TEXT])
    assert "start_index" not in plain[0].metadata


async def test_langchain_transform_and_generic_splitter() -> None:
    splitter = ChunkerTextSplitter(SentenceChunker(max_size=30))
    docs = [LCDocument(page_content=TEXT)]
    assert [d.page_content for d in splitter.transform_documents(docs)] == splitter.split_text(TEXT)
    assert [d.page_content for d in await splitter.atransform_documents(docs)] == splitter.split_text(TEXT)
    with pytest.raises(TypeError, match=r"chunkers\.BaseChunker"):
        ChunkerTextSplitter("not a chunker")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 texts but 1 metadata"):
        splitter.create_documents(["a", "b"], [{}])
