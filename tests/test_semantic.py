"""`SemanticChunker` with the real MiniLM: boundaries where consecutive sentences drift apart, a hard cap, the peers'
threshold rules, and the faces as drop-ins for LangChain's SemanticChunker and LlamaIndex's semantic splitter."""

from __future__ import annotations

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
        SemanticNodeParser(number_of_chunks=3)
