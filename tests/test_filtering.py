"""Chunk filtering (ChunkRAG): scorers, deduplication, thresholds, failures, and both framework faces."""

from __future__ import annotations

import pytest
from chunkers.filtering import (
    ChunkFilter,
    EmbeddingScorer,
    LLMScorer,
    LocalLMScorer,
    largest_gap_threshold,
    make_scorer,
    parse_score,
)
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.runnables import RunnableLambda
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.schema import QueryBundle
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from langchain_chunkers import ChunkFilterCompressor, LocalEmbeddings
from llama_chunkers import ChunkFilterPostprocessor

QUERY = "What is the capital of France?"
RELEVANT = "Paris is the capital and largest city of France."
PASSAGES = [
    RELEVANT,
    "The mitochondria is the powerhouse of the cell.",
    "Bananas are rich in potassium.",
    "Paris is the capital and the largest city of France.",  # a near-duplicate of the first
]


@pytest.mark.parametrize("scorer", [EmbeddingScorer(), LocalLMScorer()], ids=["minilm", "smollm2"])
def test_real_scorers_rank_the_relevant_passage_first_and_duplicates_go(scorer: object) -> None:
    chunk_filter = ChunkFilter(scorer=scorer, threshold=None)
    kept = chunk_filter.filter(QUERY, PASSAGES)
    assert kept[0].chunk.text == RELEVANT
    assert len(kept) == 3 and kept[0].score > kept[1].score >= kept[2].score
    assert [(d.chunk.text, d.reason) for d in chunk_filter.last_dropped] == [(PASSAGES[3], "duplicate of chunk 0")]


def test_dynamic_threshold_top_k_and_min_keep() -> None:
    assert largest_gap_threshold([0.9, 0.85, 0.2, 0.1]) == pytest.approx(0.525)
    dynamic = ChunkFilter(scorer=EmbeddingScorer(), dedup_similarity=None)
    kept = dynamic.filter(QUERY, PASSAGES)
    assert {k.chunk.text for k in kept} == {PASSAGES[0], PASSAGES[3]}
    assert all(d.reason.startswith("below threshold") for d in dynamic.last_dropped)
    strict = ChunkFilter(scorer=EmbeddingScorer(), threshold=0.99, min_keep=2)
    kept = strict.filter(QUERY, PASSAGES)
    assert len(kept) == 2 and all("kept_by_min_keep" in k.flags for k in kept)
    capped = ChunkFilter(scorer=EmbeddingScorer(), threshold=None, top_k=1, dedup_similarity=None)
    assert len(capped.filter(QUERY, PASSAGES)) == 1
    assert sum(d.reason == "beyond top_k" for d in capped.last_dropped) == 3
    nothing = ChunkFilter(scorer=EmbeddingScorer(), threshold=0.99, min_keep=0)
    assert nothing.filter(QUERY, PASSAGES) == []


def test_bad_input_is_refused_clearly() -> None:
    chunk_filter = ChunkFilter(scorer=EmbeddingScorer())
    assert chunk_filter.filter(QUERY, []) == []
    with pytest.raises(TypeError, match="query must be a string"):
        chunk_filter.filter(None, PASSAGES)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Chunk objects or strings"):
        chunk_filter.filter(QUERY, [42])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="threshold must be"):
        ChunkFilter(scorer=EmbeddingScorer(), threshold="auto")
    with pytest.raises(ValueError, match="scorer must be one of 'embedding', 'local', 'llm'"):
        make_scorer("bm25")
    with pytest.raises(ValueError, match="an LLM is required"):
        ChunkFilter(scorer="llm")  # no silent tiny model
    with pytest.raises(ValueError, match="scorer='llm' only"):
        ChunkFilter(scorer="embedding", llm=lambda prompt: "7")


def test_long_chunks_are_truncated_for_scoring_with_a_flag() -> None:
    long_text = RELEVANT + " " + "Filler words about nothing in particular. " * 200
    chunk_filter = ChunkFilter(scorer=LocalLMScorer(max_passage_tokens=64), threshold=None)
    kept = chunk_filter.filter(QUERY, [long_text, PASSAGES[2]])
    flags = {k.chunk.text[:10]: k.flags for k in kept}
    assert "truncated" in flags[long_text[:10]] and flags[PASSAGES[2][:10]] == []


def test_llm_scorer_combines_passes_and_survives_failures() -> None:
    assert parse_score("I'd give it 7/10.") == 0.7 and parse_score("10") == 1.0 and parse_score("n/a") is None

    def judge(prompt: str) -> str:
        if "Bananas" in prompt:
            raise RuntimeError("rate limited")
        if "mitochondria" in prompt:
            return "hmm"
        return "9" if "strict critic" in prompt else "Score: 8"

    scorer = LLMScorer(llm=judge)
    kept = ChunkFilter(scorer=scorer, threshold=None, dedup_similarity=None).filter(QUERY, PASSAGES[:3])
    by_text = {k.chunk.text: k for k in kept}
    assert by_text[RELEVANT].score == pytest.approx(0.3 * 0.8 + 0.3 * 0.8 + 0.4 * 0.9)
    for failed in PASSAGES[1:3]:
        assert by_text[failed].score == 0.0 and "llm_failed" in by_text[failed].flags
    dynamic = ChunkFilter(scorer=scorer, dedup_similarity=None)
    dynamic.filter(QUERY, PASSAGES[:3])
    assert {d.chunk.text for d in dynamic.last_dropped} == set(PASSAGES[1:3])
    assert all("llm_failed" in d.flags for d in dynamic.last_dropped)  # dropped chunks keep their flags


def test_embedding_filter_scores_from_the_dedup_vectors_as_from_scratch() -> None:
    scorer = EmbeddingScorer()
    kept = ChunkFilter(scorer=scorer, threshold=None).filter(QUERY, PASSAGES)  # dedup embeds once, reused
    direct, _ = scorer.score(QUERY, PASSAGES[:3])
    assert {k.chunk.text: k.score for k in kept} == pytest.approx(dict(zip(PASSAGES[:3], direct)), abs=1e-5)


def test_llm_scorer_with_the_real_local_model_when_asked_for_by_name() -> None:
    kept = ChunkFilter(scorer=LLMScorer(llm="local"), threshold=None, dedup_similarity=None).filter(QUERY, PASSAGES[:2])
    assert len(kept) == 2 and all(0.0 <= k.score <= 1.0 for k in kept)


def test_llamaindex_postprocessor_in_a_retriever_pipeline() -> None:
    from chunkers.runtime.models import minilm_path

    embed_model = HuggingFaceEmbedding(model_name=str(minilm_path()))
    index = VectorStoreIndex.from_documents([Document(text=t) for t in PASSAGES[:3]], embed_model=embed_model)
    postprocessor = ChunkFilterPostprocessor(scorer="embedding")
    retriever = index.as_retriever(similarity_top_k=3)
    nodes = postprocessor.postprocess_nodes(retriever.retrieve(QUERY), query_bundle=QueryBundle(QUERY))
    assert nodes[0].node.get_content() == RELEVANT and nodes[0].score > 0.5  # the MiniLM cosine, written back
    assert len(nodes) < 3
    llm_scored = ChunkFilterPostprocessor(llm=MockLLM(max_tokens=2), threshold=None, dedup_similarity=None)
    assert len(llm_scored.postprocess_nodes(retriever.retrieve(QUERY), query_str=QUERY)) == 3
    with pytest.raises(ValueError, match="needs the query"):
        postprocessor.postprocess_nodes(retriever.retrieve(QUERY))


async def test_langchain_compressor_in_contextual_compression_retriever_and_lcel() -> None:
    store = InMemoryVectorStore(LocalEmbeddings())
    store.add_documents([LCDocument(page_content=t, metadata={"i": i}) for i, t in enumerate(PASSAGES[:3])])
    compressor = ChunkFilterCompressor(scorer="embedding")
    retriever = ContextualCompressionRetriever(base_compressor=compressor, base_retriever=store.as_retriever(k=3))
    docs = retriever.invoke(QUERY)
    assert docs[0].page_content == RELEVANT and docs[0].metadata["i"] == 0 and "relevance_score" in docs[0].metadata
    assert len(docs) < 3
    chain = store.as_retriever(k=3) | RunnableLambda(lambda d: compressor.compress_documents(d, QUERY))
    assert [d.page_content for d in chain.invoke(QUERY)] == [d.page_content for d in docs]
    assert [d.page_content for d in await retriever.ainvoke(QUERY)] == [d.page_content for d in docs]
    chat = ChunkFilterCompressor(llm=FakeListChatModel(responses=["8"]), threshold=None, dedup_similarity=None)
    assert len(chat.compress_documents(store.similarity_search(QUERY, k=3), QUERY)) == 3
