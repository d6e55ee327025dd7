"""`SemanticChunker` with the real MiniLM: boundaries where consecutive sentences drift apart, a hard cap, the peers'
threshold rules, and the faces as drop-ins for LangChain's SemanticChunker and LlamaIndex's semantic splitter: every
argument of theirs works with their meaning or raises at construction."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from chunkers import SemanticChunker
from chunkers.prose.semantic import threshold_of
from langchain_core.documents import Document as LCDocument
from llama_index.core import Document, Settings
from llama_index.core.ingestion import IngestionCache, IngestionPipeline

from langchain_chunkers import LocalEmbeddings, SemanticTextSplitter
from llama_chunkers import SemanticNodeParser

CATS = ("Cats sleep for most of the day. A cat grooms its fur with its tongue. Kittens play with string. "
        "Cats purr when they are content. ")  # fmt: skip
STARS = ("Stars fuse hydrogen into helium in their cores. A supernova ends the life of a massive star. "
         "Neutron stars are extremely dense. Light from distant galaxies is red-shifted. ")  # fmt: skip
STITCHED = CATS + STARS + CATS.replace("Cats", "House cats")


def test_the_cut_falls_where_the_topic_changes_and_the_cap_holds() -> None:
    chunker = SemanticChunker(max_size=len(CATS) + 40, target_size=len(CATS))
    chunks = chunker.chunk(STITCHED)
    assert any(c.start == STITCHED.index("Stars fuse") for c in chunks)
    assert all(len(c.text) <= chunker.max_size for c in chunks)
    assert all(STITCHED[c.start : c.end] == c.text for c in chunks)
    scored = [c.metadata["boundary_score"] for c in chunks if c.metadata["boundary_score"] is not None]
    assert scored and all(0 <= s <= 2 for s in scored)


def test_the_peers_threshold_rules() -> None:
    distances = [0.1, 0.2, 0.15, 0.9, 0.12, 0.11]
    assert threshold_of(distances, "percentile", 80)[0] == pytest.approx(0.2 + 0.6 * 0.35, abs=0.3)
    for kind in ("percentile", "standard_deviation", "interquartile", "gradient"):
        threshold, values = threshold_of(distances, kind, None)
        assert any(v > threshold for v in values) or kind == "standard_deviation"
    capped = SemanticChunker(max_size=120, boundary="threshold", breakpoint_threshold_type="standard_deviation")
    chunks = capped.chunk(STITCHED)
    assert all(len(c.text) <= 120 for c in chunks) and chunks[0].start == 0
    with pytest.raises(ValueError, match="breakpoint_threshold_type must be one of"):
        SemanticChunker(breakpoint_threshold_type="median")


def test_a_langchain_semantic_chunker_call_works_on_ours() -> None:
    embeddings = LocalEmbeddings()
    # The call LangChain's experimental SemanticChunker takes, as it is (plus our cap):
    splitter = SemanticTextSplitter(embeddings, buffer_size=1, breakpoint_threshold_type="percentile",
                                    breakpoint_threshold_amount=95, add_start_index=True, max_size=300)  # fmt: skip
    docs = splitter.split_documents([LCDocument(page_content=STITCHED, metadata={"source": "s.txt"})])
    assert all(STITCHED[d.metadata["start_index"] : d.metadata["end_index"]] == d.page_content for d in docs)
    assert all(len(d.page_content) <= 300 and d.metadata["source"] == "s.txt" for d in docs)
    splitter.max_size = 150  # a setting changed later takes effect
    assert all(len(t) <= 150 for t in splitter.split_text(STITCHED))


def test_llamaindex_semantic_node_parser_in_a_cached_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    from chunkers.runtime.models import minilm_path
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    model = HuggingFaceEmbedding(model_name=str(minilm_path()))
    monkeypatch.setattr(Settings, "_embed_model", model)  # the app's embedding model is the one used
    parser = SemanticNodeParser(buffer_size=1, breakpoint_percentile_threshold=90, max_size=250)
    assert parser.chunker.embeddings is model and parser.chunker.breakpoint_threshold_amount == 90
    cache = IngestionCache()
    nodes = IngestionPipeline(transformations=[parser], cache=cache).run(documents=[Document(text=STITCHED, id_="s")])
    assert all(STITCHED[n.start_char_idx : n.end_char_idx] == n.text and len(n.text) <= 250 for n in nodes)
    other = IngestionPipeline(transformations=[SemanticNodeParser(max_size=120)], cache=cache)
    assert len(other.run(documents=[Document(text=STITCHED, id_="s")])) != len(nodes)  # not read from the cache
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        SemanticNodeParser(number_of_clusters=3)


# LangChain's regex split keeps a trailing empty "sentence" after a final space, which adds a distance: compare on the
# stripped text, where both sides have the same sentences.
PEER_TEXT = STITCHED.strip()
PARAGRAPHS = "\n\n".join(part.strip() for part in (CATS, STARS, CATS.replace("Cats", "House cats")))
PARAGRAPH_STARTS = {0, PARAGRAPHS.index("Stars fuse"), PARAGRAPHS.index("House cats")}


@pytest.fixture(scope="module")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings()


@pytest.fixture(scope="module")
def embed_model() -> Any:
    from chunkers.runtime.models import minilm_path
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(minilm_path()))


def test_langchain_threshold_arguments_cut_as_langchains_semantic_chunker(embeddings: LocalEmbeddings) -> None:
    from langchain_experimental.text_splitter import SemanticChunker as LangChainSemanticChunker

    # The README's call: a threshold argument selects the threshold rule (no boundary="threshold" needed), and the
    # percentile rules cut as many times as LangChain's (they depend only on the ranks of the distances).
    counts = []
    for amount in (30, 80, 95):
        arguments = {"breakpoint_threshold_type": "percentile", "breakpoint_threshold_amount": amount}
        ours = SemanticTextSplitter(embeddings, **arguments).split_text(PEER_TEXT)
        assert len(ours) == len(LangChainSemanticChunker(embeddings, **arguments).split_text(PEER_TEXT)), amount
        counts.append(len(ours))
    assert counts[0] > counts[1] > counts[2] >= 1  # a higher percentile: fewer, larger chunks
    for number in (2, 4, 8):
        ours = SemanticTextSplitter(embeddings, number_of_chunks=number).split_text(PEER_TEXT)
        assert len(ours) == len(LangChainSemanticChunker(embeddings, number_of_chunks=number).split_text(PEER_TEXT))
    assert len(SemanticTextSplitter(embeddings, number_of_chunks=4).split_text(PEER_TEXT)) == 4
    # min_chunk_size: a cut is skipped while its chunk is under the size (the last chunk may be smaller).
    loose = SemanticTextSplitter(embeddings, breakpoint_threshold_amount=30).split_text(PEER_TEXT)
    held = SemanticTextSplitter(embeddings, breakpoint_threshold_amount=30, min_chunk_size=120).split_text(PEER_TEXT)
    assert len(held) < len(loose) and all(len(chunk) >= 120 for chunk in held[:-1])
    # A threshold setting set after construction switches the rule too.
    splitter = SemanticTextSplitter(embeddings)
    assert splitter.chunker.boundary == "dp"
    splitter.breakpoint_threshold_amount = 30
    assert splitter.chunker.boundary == "threshold" and splitter.split_text(PEER_TEXT) == loose


def test_langchain_sentence_split_regex_and_start_index(embeddings: LocalEmbeddings) -> None:
    arguments = {"breakpoint_threshold_amount": 40, "add_start_index": True}
    by_paragraph = SemanticTextSplitter(embeddings, sentence_split_regex=r"\n\n", **arguments)
    docs = by_paragraph.split_documents([LCDocument(page_content=PARAGRAPHS)])
    assert len(docs) > 1 and {d.metadata["start_index"] for d in docs} <= PARAGRAPH_STARTS
    assert all(PARAGRAPHS[d.metadata["start_index"] : d.metadata["end_index"]] == d.page_content for d in docs)
    by_sentence = SemanticTextSplitter(embeddings, **arguments).split_documents([LCDocument(page_content=PARAGRAPHS)])
    assert {d.metadata["start_index"] for d in by_sentence} - PARAGRAPH_STARTS  # our sentences: cuts inside too
    langchains = SemanticTextSplitter(embeddings, sentence_split_regex=r"(?<=[.?!])\s+", number_of_chunks=3)
    assert len(langchains.split_text(PEER_TEXT)) == 3
    with pytest.raises(ValueError, match="not a valid regular expression"):
        SemanticTextSplitter(embeddings, sentence_split_regex="(")


def test_llamaindex_arguments_cut_as_the_semantic_splitter_node_parser(embed_model: Any) -> None:
    from llama_index.core.node_parser import SemanticSplitterNodeParser
    from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer
    from llama_index.core.schema import NodeRelationship

    document = Document(text=STITCHED, metadata={"source": "s.txt"})
    counts = []
    for percentile in (30, 80, 95):
        ours = SemanticNodeParser(embed_model=embed_model, breakpoint_percentile_threshold=percentile)
        theirs = SemanticSplitterNodeParser(embed_model=embed_model, breakpoint_percentile_threshold=percentile)
        nodes = ours.get_nodes_from_documents([document])
        assert len(nodes) == len(theirs.get_nodes_from_documents([document])), percentile
        counts.append(len(nodes))
    assert counts[0] > counts[1] > counts[2] >= 1  # a higher percentile: fewer, larger nodes
    # buffer_size: the sentences embedded around each boundary, so the distances change.
    scores = [
        [n.metadata["boundary_score"] for n in SemanticNodeParser(embed_model=embed_model, buffer_size=size,
                                                                  breakpoint_percentile_threshold=50)
         .get_nodes_from_documents([document])]
        for size in (0, 2)
    ]  # fmt: skip
    assert scores[0] != scores[1]
    # sentence_splitter: LlamaIndex's own, or any function returning the text's sentences in order.
    nltk = SemanticNodeParser(embed_model=embed_model, breakpoint_percentile_threshold=50,
                              sentence_splitter=split_by_sentence_tokenizer())  # fmt: skip
    nodes = nltk.get_nodes_from_documents([document])
    assert len(nodes) > 1 and all(STITCHED[n.start_char_idx : n.end_char_idx] == n.text for n in nodes)
    paragraphs = SemanticNodeParser(embed_model=embed_model, breakpoint_percentile_threshold=40,
                                    sentence_splitter=lambda text: text.split("\n\n"))  # fmt: skip
    nodes = paragraphs.get_nodes_from_documents([Document(text=PARAGRAPHS)])
    assert len(nodes) > 1 and {n.start_char_idx for n in nodes} <= PARAGRAPH_STARTS
    rewriting = SemanticNodeParser(embed_model=embed_model, sentence_splitter=lambda text: text.upper().split(". "))
    with pytest.raises(ValueError, match="not the next part of the text"):
        rewriting.get_nodes_from_documents([document])
    # include_metadata and include_prev_next_rel as in every LlamaIndex node parser.
    bare = SemanticNodeParser(embed_model=embed_model, max_size=200, include_metadata=False,
                              include_prev_next_rel=False)  # fmt: skip
    node = bare.get_nodes_from_documents([document])[0]
    assert "source" not in node.metadata and NodeRelationship.NEXT not in node.relationships
    full = SemanticNodeParser(embed_model=embed_model, max_size=200).get_nodes_from_documents([document])
    assert full[0].metadata["source"] == "s.txt" and NodeRelationship.NEXT in full[0].relationships


def test_llamaindex_from_defaults_and_round_trips(embed_model: Any) -> None:
    from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer

    # SemanticSplitterNodeParser.from_defaults' arguments, as a user passes them.
    splitter = split_by_sentence_tokenizer()
    parser = SemanticNodeParser.from_defaults(
        embed_model=embed_model, breakpoint_percentile_threshold=80, buffer_size=1, sentence_splitter=splitter,
        include_metadata=True, include_prev_next_rel=True, callback_manager=None, id_func=None,
    )  # fmt: skip
    assert parser.chunker.boundary == "threshold" and parser.chunker.breakpoint_threshold_amount == 80
    with pytest.raises(TypeError, match="original_text_metadata_key"):
        SemanticNodeParser.from_defaults(embed_model=embed_model, original_text_metadata_key="original_text")
    with pytest.raises(ValueError, match="sentence_splitter"):  # a function cannot be written down: asked for by name
        SemanticNodeParser.from_dict(parser.to_dict())
    again = SemanticNodeParser.from_dict(parser.to_dict(), embed_model=embed_model, sentence_splitter=splitter)
    assert again.to_dict() == parser.to_dict()
    for settings in ({"breakpoint_percentile_threshold": 70}, {"number_of_chunks": 3, "min_chunk_size": 50},
                     {"sentence_split_regex": r"\n\n", "breakpoint_threshold_type": "gradient"}, {}):  # fmt: skip
        parser = SemanticNodeParser(embed_model=embed_model, **settings)
        again = SemanticNodeParser.from_dict(parser.to_dict(), embed_model=embed_model)
        assert again.to_dict() == parser.to_dict() and again.chunker.config() == parser.chunker.config()


def test_every_peer_argument_is_taken_or_refused_by_name(embeddings: LocalEmbeddings) -> None:
    from langchain_experimental.text_splitter import SemanticChunker as LangChainSemanticChunker
    from llama_index.core.node_parser import SemanticSplitterNodeParser

    langchains = set(inspect.signature(LangChainSemanticChunker.__init__).parameters) - {"self"}
    assert langchains <= set(inspect.signature(SemanticTextSplitter).parameters)
    llamas = set(SemanticSplitterNodeParser.model_fields) | set(
        inspect.signature(SemanticSplitterNodeParser.from_defaults).parameters
    )
    translated = {"breakpoint_percentile_threshold"}  # breakpoint_threshold_amount of the percentile rule
    refused = {"original_text_metadata_key"}  # accepted and never used by SemanticSplitterNodeParser
    assert llamas - translated - refused <= set(SemanticNodeParser.model_fields)
    # A setting of one rule given with the other rule raises, naming what to use.
    with pytest.raises(ValueError, match="leave boundary out or pass boundary='threshold'"):
        SemanticTextSplitter(embeddings, boundary="dp", breakpoint_threshold_amount=90)
    with pytest.raises(ValueError, match="boundary='dp' places the cuts by the DP"):
        SemanticNodeParser(boundary="dp", breakpoint_percentile_threshold=90)
    with pytest.raises(ValueError, match="boundary='dp' places the cuts by the DP"):
        SemanticChunker(boundary="dp", min_chunk_size=100)
    with pytest.raises(ValueError, match="target_size=100 sizes the chunks of boundary='dp'"):
        SemanticChunker(boundary="threshold", target_size=100)
    with pytest.raises(ValueError, match=r"size_weight=2\.0 applies to boundary='dp' only"):
        SemanticChunker(breakpoint_threshold_amount=90, size_weight=2.0)
    with pytest.raises(ValueError, match="number_of_chunks sets the threshold itself"):
        SemanticTextSplitter(embeddings, number_of_chunks=3, breakpoint_threshold_amount=90)
    with pytest.raises(ValueError, match="pass breakpoint_threshold_amount instead"):
        SemanticNodeParser(breakpoint_percentile_threshold=90, breakpoint_threshold_type="standard_deviation")
    with pytest.raises(ValueError, match="not both"):
        SemanticChunker(sentence_split_regex=r"\n", sentence_splitter=str.splitlines)
    with pytest.raises(TypeError, match="sentence_splitter must be a function"):
        SemanticChunker(sentence_splitter="nltk")
    assert SemanticChunker().boundary == "dp" and SemanticChunker(number_of_chunks=2).boundary == "threshold"
