"""Late chunking with the real MiniLM: chunk vectors pooled from the whole document's token vectors through exact
character offsets (CRLF, CJK, emoji, text past the window), the windows of a long document, and the faces in a real
IngestionPipeline with a cache, a VectorStoreIndex, an InMemoryVectorStore and FAISS."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from chunkers import Chunk, DocumentChunker, LateChunkingEmbedder, SentenceChunker
from chunkers.context.late import document_of, windows
from langchain_core.documents import Document as LCDocument
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.ingestion import IngestionCache, IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import TextNode

from langchain_chunkers import DocumentTextSplitter, LateChunkingEmbeddings, SentenceTextSplitter
from llama_chunkers import DocumentNodeParser, LateChunkingEmbedding, SentenceNodeParser

MIXED = "Line one ends here.\r\nSecond line, café crème. 🙂 Then 数据处理很快。\r\n\r\nA new paragraph with more words."


@pytest.fixture(scope="module")
def late() -> LateChunkingEmbedder:
    return LateChunkingEmbedder()


def reference(embedder: LateChunkingEmbedder, text: str, start: int, end: int) -> np.ndarray:
    """One forward pass over the whole (short) text, the span's tokens found from the tokenizer's own offsets."""
    encoder = embedder.encoder
    encoding = encoder.tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping")[0].tolist()
    with torch.inference_mode():
        hidden = encoder.module(**encoding).last_hidden_state[0].numpy()
    rows = [i for i, (a, b) in enumerate(offsets) if b > a and a < end and b > start]  # specials have (0, 0)
    vector = hidden[rows].mean(axis=0)
    return vector / np.linalg.norm(vector)


def test_a_chunk_vector_is_the_mean_of_its_tokens_through_exact_offsets(late: LateChunkingEmbedder) -> None:
    chunks = SentenceChunker(max_size=40).chunk(MIXED)
    assert len(chunks) >= 3
    vectors = late.embed_chunks(MIXED, chunks)
    for chunk, vector in zip(chunks, vectors):
        assert np.allclose(vector, reference(late, MIXED, chunk.start, chunk.end), atol=1e-5), chunk
        assert abs(np.linalg.norm(vector) - 1) < 1e-5
    assert late.embed_chunks(MIXED, [(c.start, c.end) for c in chunks]) == vectors  # spans work as well


def test_windows_cover_every_token_once_with_context_on_both_sides() -> None:
    assert windows(10, 20, 4) == [(0, 10, 0, 10)]
    for count, size, overlap in [(1000, 254, 64), (300, 100, 0), (257, 254, 200)]:
        spans = windows(count, size, overlap)
        kept = [i for _, _, a, b in spans for i in range(a, b)]
        assert kept == list(range(count))
        assert all(b - a == size for a, b, _, _ in spans)
        for start, end, keep_from, keep_to in spans[1:-1]:
            assert keep_from - start >= overlap // 2 - 1 and end - keep_to >= overlap // 2 - 1


def test_text_past_the_window_and_whitespace_chunks(late: LateChunkingEmbedder) -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(400))  # ~3,600 tokens
    chunks = SentenceChunker(max_size=300).chunk(text)
    vectors = np.array(late.embed_chunks(text, chunks))
    assert vectors.shape == (len(chunks), 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert len({tuple(np.round(v, 4)) for v in vectors}) == len(chunks)
    blank = Chunk(text="   ", start=0, end=3)
    padded = "   " + text
    whitespace_vector = late.embed_chunks(padded, [blank])[0]
    assert np.allclose(whitespace_vector, late.embed_documents(["   "])[0], atol=1e-6)  # the ordinary embedding
    with pytest.raises(ValueError, match="outside the text"):
        late.embed_chunks("short", [(0, 99)])


def test_with_context_averages_the_late_vector_with_the_context_line_and_text(late: LateChunkingEmbedder) -> None:
    text = "## Pruning\n\nCut roses in late winter.\n\n## Pests\n\nWash aphids off with water.\n"
    chunks = DocumentChunker(max_size=40, context_in_budget=False).chunk(text)
    mixed = LateChunkingEmbedder()  # with_context is the default
    got = np.array(mixed.embed_chunks(text, chunks))
    pooled = np.array(LateChunkingEmbedder(with_context=False).embed_chunks(text, chunks))
    framed = np.array(late.embed_documents([f"{c.metadata['context_header']}\n\n{c.text}" for c in chunks]))
    want = (pooled + framed) / np.linalg.norm(pooled + framed, axis=1, keepdims=True)
    assert all(c.metadata["context_header"] for c in chunks)
    assert np.allclose(got, want, atol=1e-5) and not np.allclose(got, pooled, atol=1e-3)
    contexts = [[c.metadata["context_header"] for c in chunks]]
    spans = [[(c.start, c.end) for c in chunks]]
    assert np.allclose(mixed.embed_many([text], spans, contexts)[0], got, atol=1e-6)  # spans with their contexts
    nodes = DocumentNodeParser(max_size=40, context_in_budget=False).get_nodes_from_documents([Document(text=text)])
    LateChunkingEmbedding()(nodes)  # the face reads each node's context_header
    assert np.allclose([n.embedding for n in nodes], got, atol=1e-5)
    with pytest.raises(ValueError, match="context lists"):
        mixed.embed_many([text], spans, [])


def test_a_document_is_rebuilt_from_tiling_chunks_with_exact_offsets() -> None:
    text = "First part.\n\n  Second part.\tThird."
    chunks = SentenceChunker(max_size=12).chunk(text)
    rebuilt = document_of([(c.start, c.end, c.text) for c in chunks])
    assert rebuilt is not None and all(rebuilt[c.start : c.end] == c.text for c in chunks)
    assert document_of([(0, 5, "abcde"), (3, 6, "xyz")]) is None  # disagreeing overlap


def test_llamaindex_pipeline_with_cache_and_index(late: LateChunkingEmbedder) -> None:
    text = (
        "# Garden\n\nRoses need sun.\n\n## Pruning\n\nCut roses in late winter, above an outward bud.\n\n"
        "## Pests\n\nAphids gather on new shoots; wash them off with water.\n"
    )
    embedding = LateChunkingEmbedding()
    cache = IngestionCache()
    pipeline = IngestionPipeline(transformations=[SentenceNodeParser(max_size=60), embedding], cache=cache)
    nodes = pipeline.run(documents=[Document(text=text, id_="garden")])
    chunks = SentenceChunker(max_size=60).chunk(text)
    assert [n.embedding for n in nodes] == late.embed_chunks(text, chunks)  # the late vectors, node for node
    again = IngestionPipeline(transformations=[SentenceNodeParser(max_size=60), embedding], cache=cache)
    cached = again.run(documents=[Document(text=text, id_="garden")])
    assert [n.embedding for n in cached] == [n.embedding for n in nodes]
    index = VectorStoreIndex(nodes, embed_model=embedding)
    found = index.as_retriever(similarity_top_k=1).retrieve("When should I prune roses?")
    assert "late winter" in found[0].node.text
    # Nodes of another parser with consistent offsets get late vectors too; a node with no source, ordinary ones.
    theirs = SentenceSplitter(chunk_size=30, chunk_overlap=0).get_nodes_from_documents([Document(text=text)])
    embedding(theirs)
    assert all(n.embedding is not None for n in theirs)
    loose = TextNode(text="Roses need sun.")
    with pytest.warns(UserWarning, match="plain .not late. vectors to 1 of 1 nodes: 1 no start_char_idx"):
        embedding([loose])
    assert np.allclose(loose.embedding, late.embed_documents(["Roses need sun."])[0], atol=1e-6)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        LateChunkingEmbedding(window=3)
    embedding.overlap_tokens = 8  # a field set late takes effect
    assert embedding.embedder.overlap_tokens == 8 and embedding.to_dict()["overlap_tokens"] == 8


def test_langchain_vector_stores_get_the_late_vectors(late: LateChunkingEmbedder) -> None:
    text = "# Garden\n\nRoses need sun.\n\n## Pruning\n\nCut roses in late winter, above an outward bud.\n"
    splitter = DocumentTextSplitter(max_size=60, add_start_index=True)
    embeddings = LateChunkingEmbeddings(splitter)
    docs = embeddings.split_documents([LCDocument(page_content=text, metadata={"source": "garden.md"})])
    chunks = DocumentChunker(max_size=60).chunk(text, source="garden.md")
    expected = late.embed_chunks(text, chunks)
    store = InMemoryVectorStore.from_documents(docs, embeddings)
    stored = [store.store[i]["vector"] for i in store.store]
    assert [list(v) for v in stored] == expected
    assert "late winter" in store.similarity_search("When should I prune roses?", k=1)[0].page_content
    with pytest.warns(UserWarning, match="plain .not late. vectors to 1 of 1 texts: 1 not among the chunks"):
        assert embeddings.embed_documents(["not split here"]) == late.embed_documents(["not split here"])
    from langchain_community.vectorstores import FAISS

    faiss_store = FAISS.from_documents(embeddings.split_documents([LCDocument(page_content=text)]), embeddings)
    assert "late winter" in faiss_store.similarity_search("When should I prune roses?", k=1)[0].page_content


# Two documents that share their first chunk's text: its late vectors differ, since each saw its own document.
CATS = "Read this first. Cats sleep for most of the day. Kittens play with string all afternoon."
STARS = "Read this first. Stars fuse hydrogen in their cores. Neutron stars are extremely dense."


def stored_vectors(store: InMemoryVectorStore) -> list[list[float]]:
    return [list(store.store[i]["vector"]) for i in store.store]


def test_langchain_late_vectors_go_only_to_their_own_split(late: LateChunkingEmbedder) -> None:
    splitter = SentenceTextSplitter(max_size=40)
    cats_chunks, stars_chunks = (SentenceChunker(max_size=40).chunk(text) for text in (CATS, STARS))
    cats_late, stars_late = late.embed_chunks(CATS, cats_chunks), late.embed_chunks(STARS, stars_chunks)
    assert cats_chunks[0].text == stars_chunks[0].text and cats_late[0] != stars_late[0]
    embeddings = LateChunkingEmbeddings(splitter)
    cats = embeddings.split_documents([LCDocument(page_content=CATS)])
    stars = embeddings.split_documents([LCDocument(page_content=STARS)])
    assert embeddings.pending == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every text is placed: no warning
        # The later split first: its own vectors, though the earlier split queued the same first text.
        assert stored_vectors(InMemoryVectorStore.from_documents(stars, embeddings)) == stars_late
        store = InMemoryVectorStore(embeddings)
        store.add_documents(cats[:2])  # in batches, in order
        store.add_documents(cats[2:])
        assert stored_vectors(store) == cats_late
    assert (embeddings.late_vectors, embeddings.plain_vectors, embeddings.pending) == (6, 0, 0)
    # Everything was handed out once: an unrelated call gets plain vectors, and says so.
    with pytest.warns(UserWarning, match="plain .not late. vectors to 1 of 1 texts: 1 not among the chunks"):
        assert embeddings.embed_documents(["Read this first."]) == late.embed_documents(["Read this first."])
    assert embeddings.plain_vectors == 1
    # Splitting the same documents twice leaves one queue: the earlier split's vectors are dropped.
    embeddings.split_documents([LCDocument(page_content=CATS)])
    again = embeddings.split_documents([LCDocument(page_content=CATS)])
    assert embeddings.pending == 3
    assert stored_vectors(InMemoryVectorStore.from_documents(again, embeddings)) == cats_late
    assert embeddings.pending == 0


def test_langchain_texts_it_cannot_place_get_plain_vectors_with_a_warning(late: LateChunkingEmbedder) -> None:
    embeddings = LateChunkingEmbeddings(SentenceTextSplitter(max_size=40))
    cats = embeddings.split_documents([LCDocument(page_content=CATS)])
    stars = embeddings.split_documents([LCDocument(page_content=STARS)])
    # The first text alone is the next chunk of both splits, whose vectors differ: neither is guessed.
    with pytest.warns(UserWarning, match="1 of 1 texts: 1 the next chunk of several splits") as caught:
        embeddings.embed_documents(["Read this first."])
    assert len(caught) == 1 and "split_documents returned, embedded in its order" in str(caught[0].message)
    # With the texts that follow it, the first text is placed: the split whose next chunks match them all.
    stars_late = late.embed_chunks(STARS, SentenceChunker(max_size=40).chunk(STARS))
    assert embeddings.embed_documents([d.page_content for d in stars]) == stars_late
    # Reordered documents: a text out of order gets a plain vector (and is counted), the others their late ones.
    texts = [d.page_content for d in cats]
    with pytest.warns(UserWarning, match="1 of 3 texts: 1 not the next chunk of its split") as caught:
        vectors = embeddings.embed_documents([texts[0], texts[2], texts[1]])
    assert len(caught) == 1
    cats_late = late.embed_chunks(CATS, SentenceChunker(max_size=40).chunk(CATS))
    assert vectors == [cats_late[0], late.embed_documents([texts[2]])[0], cats_late[1]]
    assert (embeddings.late_vectors, embeddings.plain_vectors, embeddings.pending) == (5, 2, 1)
    assert embeddings.embed_documents([]) == []


def test_llamaindex_nodes_it_cannot_place_get_plain_vectors_with_a_warning() -> None:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo

    embedding = LateChunkingEmbedding()
    nodes = SentenceNodeParser(max_size=40).get_nodes_from_documents([Document(text=CATS, id_="cats")])
    no_offsets = TextNode(text="Read this first.")
    no_offsets.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id="cats")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        embedding(nodes)
    assert (embedding.late_vectors, embedding.plain_vectors) == (3, 0)
    with pytest.warns(UserWarning, match="plain .not late. vectors to 1 of 4 nodes: 1 no start_char_idx") as caught:
        embedding([*nodes, no_offsets])
    assert len(caught) == 1 and "IngestionPipeline" in str(caught[0].message)
    assert (embedding.late_vectors, embedding.plain_vectors) == (6, 1)
    # Nodes with no embedding yet, given to an index: embedded as texts, plainly, and said so.
    bare = SentenceNodeParser(max_size=40).get_nodes_from_documents([Document(text=STARS)])
    with pytest.warns(UserWarning, match="3 of 3 texts: 3 embedded as texts"):
        VectorStoreIndex(bare, embed_model=embedding)
    assert embedding.plain_vectors == 4


def test_the_command_line_writes_late_vectors_and_eval_measures_the_context_axes(tmp_path, late) -> None:
    import json

    from chunkers.apps.cli import main
    from chunkers.apps.evaluation import compare

    source = tmp_path / "guide.md"
    source.write_text("# Guide\n\nIntro here.\n\n## Install\n\nRun the installer, then restart it.\n", encoding="utf-8")
    out = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(source), "--embed", "late", "--out", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    chunks = DocumentChunker().chunk(source.read_text(encoding="utf-8"))
    assert [r["embedding"] for r in records] == late.embed_chunks(source.read_text(encoding="utf-8"), chunks)
    questions = [{"question": "How do I install it?", "evidence": ["Run the installer, then restart it."]}]
    documents = [{"id": "guide.md", "text": source.read_text(encoding="utf-8")}]
    contexts = ["none", "chunker", "full-path", "late"]
    result = compare(documents, questions, chunkers=["document"], sizes=[40, 80], contexts=contexts)
    names = {r["chunker"] for r in result.rows}
    assert names == {"rag-chunkers DocumentChunker", "rag-chunkers DocumentChunker + chunker",
                     "rag-chunkers DocumentChunker + full-path", "rag-chunkers DocumentChunker + late"}  # fmt: skip
