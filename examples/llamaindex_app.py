"""A small LlamaIndex RAG app on rag-chunkers, fully offline.

1. Ingest examples/data/ (but its README and ``questions.jsonl``, the answer key of ``chunkers eval``) with an
   ``IngestionPipeline`` per kind of file, each file routed as ``chunkers chunk`` routes it
   (``chunkers.apps.routing.method_for``): ``ASTNodeParser`` (cAST) for code, ``RecordNodeParser`` for JSON Lines
   / CSV, and ``PerplexityNodeParser`` (Meta-Chunking with the embedded SmolLM2-135M) or ``SentenceNodeParser`` for
   prose (Markdown included).
2. Embed the nodes with the embedded all-MiniLM-L6-v2 through LlamaIndex's ``HuggingFaceEmbedding`` and build a
   ``VectorStoreIndex``.
3. For each question, retrieve the top nodes and filter them with ``ChunkFilterPostprocessor`` (ChunkRAG):
   a bare retriever + the postprocessor, and for the last question a query engine. No LLM for answer synthesis
   runs offline here, so the query engine's synthesizer is ``NoText`` driven by ``MockLLM``: it retrieves and
   post-processes, and returns the kept source nodes without writing an answer. With a real LLM use
   ``index.as_query_engine(llm=OpenAI(...), node_postprocessors=[postprocessor])`` to get answers written from the
   kept chunks.

The filter scores with the embedded MiniLM by default (``--scorer embedding``: measured to triple the precision
of the kept set); ``--scorer local`` (SmolLM2-135M's probability of "Yes", measured to lower it) is kept for
comparison and is much slower.

Run: ``python examples/llamaindex_app.py`` (``--prose sentence`` is faster; ``--scorer local`` for comparison).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local: never reach for a model hub

from chunkers.apps.routing import method_for
from chunkers.runtime.models import minilm_path
from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers.no_text import NoText
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from llama_chunkers import (
    ASTNodeParser,
    ChunkFilterPostprocessor,
    PerplexityNodeParser,
    RecordNodeParser,
    SentenceNodeParser,
)

DATA = Path(__file__).resolve().parent / "data"
# Not ingested: the folder's description, and the questions `chunkers eval` scores with their evidence (indexed, the
# answer key would be retrieved as evidence for its own questions).
NOT_INDEXED = ["README.md", "questions.jsonl"]
QUESTIONS = [
    "How does TextWrapper handle words that are longer than the line width?",
    "Who composed the music of Valkyria Chronicles III?",
    "How many people does malaria affect every year?",
]


def where(item: NodeWithScore) -> str:
    """``file:first_line-last_line`` (code nodes carry lines) or ``file[start:end]`` (character offsets)."""
    node, name = item.node, Path(item.node.metadata.get("file_path", "?")).name
    if "start_line" in node.metadata:
        return f"{name}:{node.metadata['start_line']}-{node.metadata['end_line']}"
    return f"{name}[{node.start_char_idx}:{node.end_char_idx}]"


def preview(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def ingest(prose_parser: str) -> list:
    """Nodes of examples/data/ (all but `NOT_INDEXED`): code through ASTNodeParser, records through
    RecordNodeParser, prose through the chosen prose parser."""
    documents = SimpleDirectoryReader(str(DATA), exclude=NOT_INDEXED).load_data()
    kinds = {"ast": "code", "records": "records"}  # the rest (document, sentence) is prose
    by_kind: dict[str, list] = {"code": [], "records": [], "prose": []}
    for document in documents:
        by_kind[kinds.get(method_for(Path(document.metadata["file_path"])), "prose")].append(document)
    prose_transform = (
        PerplexityNodeParser(max_size=800, target_size=500)
        if prose_parser == "perplexity"
        else SentenceNodeParser(max_size=500)
    )
    code_nodes = IngestionPipeline(transformations=[ASTNodeParser(max_size=800)]).run(documents=by_kind["code"])
    record_parser = RecordNodeParser(max_size=500)
    record_nodes = IngestionPipeline(transformations=[record_parser]).run(documents=by_kind["records"])
    prose_nodes = IngestionPipeline(transformations=[prose_transform]).run(documents=by_kind["prose"])
    names = sorted({Path(d.metadata["file_path"]).name for d in documents})
    print(
        f"ingested {len(documents)} files ({', '.join(names)}): {len(code_nodes)} code nodes (ASTNodeParser), "
        f"{len(record_nodes)} record nodes (RecordNodeParser), {len(prose_nodes)} prose nodes "
        f"({type(prose_transform).__name__})"
    )
    return code_nodes + record_nodes + prose_nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prose", choices=["perplexity", "sentence"], default="perplexity")
    parser.add_argument(
        "--scorer",
        choices=["embedding", "local"],
        default="embedding",
        help="embedding (default): MiniLM cosine, measured to triple precision; local: SmolLM2's P(Yes), "
        "measured to lower it, kept for comparison (slow)",
    )
    parser.add_argument("--top-k", type=int, default=6, help="nodes retrieved per question")
    args = parser.parse_args()
    started = time.perf_counter()

    nodes = ingest(args.prose)
    print(f"  ({time.perf_counter() - started:.1f} s)")
    embed_model = HuggingFaceEmbedding(model_name=str(minilm_path()), device="cpu")
    index = VectorStoreIndex(nodes, embed_model=embed_model)
    print(f"indexed {len(nodes)} nodes with all-MiniLM-L6-v2 in {time.perf_counter() - started:.1f} s")

    postprocessor = ChunkFilterPostprocessor(scorer=args.scorer, threshold="dynamic", min_keep=1)
    retriever = index.as_retriever(similarity_top_k=args.top_k)
    # The same filter inside a query engine: retrieval + postprocessing, no answer text (no LLM offline).
    # (as_query_engine(llm=MockLLM(), response_mode="no_text") would do, but LlamaIndex does not hand the llm to
    # its NoText synthesizer, which then looks for the default OpenAI LLM: build the engine directly.)
    engine = RetrieverQueryEngine(
        retriever=retriever, response_synthesizer=NoText(llm=MockLLM()), node_postprocessors=[postprocessor]
    )
    for number, question in enumerate(QUESTIONS):
        print(f"\nQ: {question}")
        retrieved = retriever.retrieve(question)
        print(f"  retrieved {len(retrieved)} (MiniLM cosine):")
        for item in retrieved:
            print(f"    {item.score:.3f}  {where(item):44} {preview(item.node.get_content())}")
        if number < len(QUESTIONS) - 1:  # a retriever, then the postprocessor by hand
            kept = postprocessor.postprocess_nodes(retrieved, query_bundle=QueryBundle(question))
            how = "retriever + ChunkFilterPostprocessor"
        else:  # the query engine runs both (the answer would be response.response with a real LLM)
            kept = engine.query(question).source_nodes
            how = "query engine (MockLLM, no_text) with ChunkFilterPostprocessor"
        print(f"  kept {len(kept)} by {how} (scorer {args.scorer}, relevance):")
        for item in kept:
            print(f"    {item.score:.3f}  {where(item):44} {preview(item.node.get_content())}")
        for dropped in postprocessor.chunk_filter.last_dropped:
            score = "  -  " if dropped.score is None else f"{dropped.score:.3f}"
            print(f"    dropped {score}  {preview(dropped.chunk.text, 50)}  ({dropped.reason})")
        print(f"  ({time.perf_counter() - started:.1f} s)")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
