"""`DocumentNodeParser` and `DocumentTextSplitter` in the frameworks: the context embedded with each chunk, a cached
IngestionPipeline, AutoMergingRetriever over parent sections in a real VectorStoreIndex + docstore, LangChain's
ParentDocumentRetriever with our splitter as parent and child, and LlamaIndex's DocumentContextExtractor."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chunkers.runtime.models import minilm_path
from langchain_classic.retrievers import ParentDocumentRetriever
from langchain_core.documents import Document as LCDocument
from langchain_core.stores import InMemoryStore
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.core.extractors import DocumentContextExtractor
from llama_index.core.ingestion import IngestionCache, IngestionPipeline
from llama_index.core.llms import MockLLM
from llama_index.core.node_parser import get_leaf_nodes, get_root_nodes
from llama_index.core.retrievers import AutoMergingRetriever
from llama_index.core.schema import MetadataMode, NodeRelationship
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from langchain_chunkers import DocumentTextSplitter, LocalEmbeddings
from llama_chunkers import DocumentNodeParser

GUIDE = """# Garden guide

How to keep a small garden alive through the year.

## Watering

Water tomatoes deeply twice a week. Tomatoes crack when watering is irregular.
Water in the morning so the leaves dry before night. Morning watering prevents mildew on tomato leaves.
Use a soaker hose for tomatoes planted in rows. A soaker hose keeps tomato roots evenly moist.

## Pruning

Prune roses in late winter before new growth starts. Cut rose canes just above an outward bud.
Remove dead wood from roses first. Thin crowded rose canes to let light and air reach the centre.

### Tools

Keep pruning shears sharp and clean. Wipe the blades with alcohol between rose bushes.
"""


def test_the_context_header_is_embedded_and_shown_to_the_llm_and_offsets_are_exact() -> None:
    document = Document(text=GUIDE, metadata={"file_name": "guide.md"})
    nodes = DocumentNodeParser(max_size=160).get_nodes_from_documents([document])
    inner = next(n for n in nodes if n.metadata["header_path"] == ["Garden guide", "Pruning"])
    assert inner.metadata["context_header"] == "Pruning"  # the section path, no title (the measured default)
    for mode in (MetadataMode.EMBED, MetadataMode.LLM):
        shown = inner.get_content(metadata_mode=mode)
        assert "Pruning" in shown.split("\n") and "header_path" not in shown and "context_header" not in shown
    assert all(GUIDE[n.start_char_idx : n.end_char_idx] == n.text for n in nodes)


def test_a_cached_ingestion_pipeline_reuses_nodes_until_a_setting_changes() -> None:
    cache = IngestionCache()
    document = Document(text=GUIDE, id_="guide")
    first = IngestionPipeline(transformations=[DocumentNodeParser(max_size=200)], cache=cache).run(documents=[document])
    again = IngestionPipeline(transformations=[DocumentNodeParser(max_size=200)], cache=cache).run(documents=[document])
    other = IngestionPipeline(transformations=[DocumentNodeParser(max_size=90)], cache=cache).run(documents=[document])
    assert [n.node_id for n in again] == [n.node_id for n in first]  # read from the cache
    assert len(other) > len(first)


def minilm() -> HuggingFaceEmbedding:
    return HuggingFaceEmbedding(model_name=str(minilm_path()), device="cpu")


def test_auto_merging_retriever_merges_leaves_into_their_section() -> None:
    parser = DocumentNodeParser(max_size=120, include_parents=True)
    nodes = parser.get_nodes_from_documents([Document(text=GUIDE)])
    leaves, roots = get_leaf_nodes(nodes), get_root_nodes(nodes)
    parents = [n for n in nodes if NodeRelationship.CHILD in n.relationships]
    assert leaves and parents and set(map(id, leaves)).isdisjoint(map(id, parents))
    for leaf in leaves:
        parent = leaf.relationships.get(NodeRelationship.PARENT)
        if parent is not None:
            section = next(p for p in parents if p.node_id == parent.node_id)
            assert section.start_char_idx <= leaf.start_char_idx and leaf.end_char_idx <= section.end_char_idx
    assert all(NodeRelationship.PARENT not in n.relationships for n in roots)
    storage = StorageContext.from_defaults(docstore=SimpleDocumentStore())
    storage.docstore.add_documents(nodes)
    index = VectorStoreIndex(leaves, storage_context=storage, embed_model=minilm())
    retriever = AutoMergingRetriever(index.as_retriever(similarity_top_k=3), storage)
    found = retriever.retrieve("How should I water tomatoes?")
    watering = next(p for p in parents if p.metadata["section_title"] == "Watering")
    assert watering.node_id in {n.node.node_id for n in found}  # its leaves were merged into the section


def test_parent_document_retriever_with_our_splitter_as_parent_and_child() -> None:
    retriever = ParentDocumentRetriever(
        vectorstore=InMemoryVectorStore(LocalEmbeddings()),
        docstore=InMemoryStore(),
        parent_splitter=DocumentTextSplitter(max_size=400, add_start_index=True),
        child_splitter=DocumentTextSplitter(max_size=120, context_in_content=True),
    )
    retriever.add_documents([LCDocument(page_content=GUIDE, metadata={"source": "guide.md"})])
    found = retriever.invoke("When should roses be pruned?")
    assert found and "Prune roses in late winter" in found[0].page_content
    assert found[0].metadata["source"] == "guide.md" and GUIDE.find(found[0].page_content) == found[0].metadata[
        "start_index"]  # fmt: skip
    children = retriever.vectorstore.similarity_search("rose pruning shears", k=3)
    assert any(c.metadata["header_path"][:2] == ["Garden guide", "Pruning"] for c in children)
    headed = [c for c in children if c.metadata["context_header"]]
    assert all(c.page_content.startswith(c.metadata["context_header"] + "\n\n") for c in headed)


def test_document_context_extractor_adds_its_context_to_our_nodes() -> None:
    document = Document(text=GUIDE, id_="guide")
    nodes = DocumentNodeParser(max_size=200).get_nodes_from_documents([document])
    docstore = SimpleDocumentStore()
    docstore.add_documents([document])
    extractor = DocumentContextExtractor(docstore=docstore, llm=MockLLM(max_tokens=8), max_context_length=4000)
    assert all("context" not in n.metadata for n in nodes)  # the extractor skips nodes that already have its key
    enriched = asyncio.run(extractor.acall(nodes))
    assert all(isinstance(n.metadata.get("context"), str) and n.metadata["context"] for n in enriched)
    assert all("context_header" in n.metadata for n in enriched)  # ours is kept beside it


def test_chunkers_show_labels_section_paths(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from chunkers.apps.cli import main

    path = tmp_path / "guide.md"
    path.write_text(GUIDE, encoding="utf-8")
    assert main(["show", str(path), "--max-size", "160"]) == 0
    assert "Garden guide > Pruning" in capsys.readouterr().out


def test_langchain_contextual_transformer_writes_one_context_per_chunk_document_first() -> None:
    from langchain_core.language_models.fake import FakeListLLM

    from langchain_chunkers import ContextualDocumentTransformer

    replies = [f"Context {i}." for i in range(50)]
    llm = FakeListLLM(responses=replies)
    prompts: list[str] = []
    llm_calls = llm.invoke

    class Recording(FakeListLLM):
        def invoke(self, prompt, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            prompts.append(str(prompt))
            return llm_calls(prompt, *args, **kwargs)

    transformer = ContextualDocumentTransformer(Recording(responses=replies), DocumentTextSplitter(max_size=200,
                                                add_start_index=True), concurrency=1)  # fmt: skip
    chunks = transformer.transform_documents([LCDocument(page_content=GUIDE, metadata={"source": "guide.md"})])
    assert len(chunks) == len(prompts) == transformer.usage.calls > 2
    for chunk, prompt in zip(chunks, prompts):
        original = GUIDE[chunk.metadata["start_index"] : chunk.metadata["end_index"]]
        assert prompt.index(GUIDE) < prompt.rindex(original) and prompt.startswith("<document>")  # document first
        assert chunk.page_content == f"{chunk.metadata['context']}\n\n{original}" and chunk.metadata["source"]
    assert transformer.writer.cacheable_tokens > 0 and transformer.usage.prompt_tokens > len(chunks) * 100


def test_embedding_the_context_can_be_turned_off_and_is_in_the_cache_key() -> None:
    document = Document(text=GUIDE)
    plain = DocumentNodeParser(max_size=160, embed_context=False)
    node = next(n for n in plain.get_nodes_from_documents([document]) if " > " in n.metadata["context_header"])
    assert node.get_content(metadata_mode=MetadataMode.EMBED) == node.text  # only the text is embedded
    assert plain.to_dict() != DocumentNodeParser(max_size=160).to_dict()
