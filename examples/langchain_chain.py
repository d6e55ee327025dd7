"""A small LangChain RAG chain on rag-chunkers, fully offline.

1. Split examples/data/ (but its README and ``questions.jsonl``, the answer key of ``chunkers eval``) with our text
   splitters, each file routed as ``chunkers chunk`` routes it (``chunkers.apps.routing.method_for``):
   ``ASTTextSplitter`` (cAST) for code, ``RecordTextSplitter`` for JSON Lines / CSV (one record per chunk where it
   fits), and ``PerplexityTextSplitter`` (Meta-Chunking with the embedded SmolLM2-135M) or
   ``SentenceTextSplitter`` for prose (Markdown included).
2. Embed the chunks into an ``InMemoryVectorStore`` with ``LocalEmbeddings`` (the embedded all-MiniLM-L6-v2).
3. Retrieve through a ``ContextualCompressionRetriever`` whose compressor is ``ChunkFilterCompressor`` (ChunkRAG:
   near-duplicates and weak chunks go, the rest come back best first with ``relevance_score``), inside an LCEL
   chain: retriever -> format_docs -> prompt -> LLM -> answer, returning the kept sources beside the answer.

No remote LLM is reachable offline, so the chain's LLM is LangChain's ``FakeListLLM`` (a canned reply): swap in
any chat model or LLM (``ChatOpenAI``, ``ChatOllama``, ...) and the rest of the chain stays as it is.

The compressor scores with the embedded MiniLM by default (``--scorer embedding``: measured to triple the precision
of the kept set); ``--scorer local`` (SmolLM2-135M's probability of "Yes", measured to lower it) is kept for
comparison and is much slower.

Run: ``python examples/langchain_chain.py`` (``--prose sentence`` is faster; ``--scorer local`` for comparison).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from chunkers.apps.routing import method_for
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document
from langchain_core.language_models import FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_chunkers import (
    ASTTextSplitter,
    ChunkFilterCompressor,
    LocalEmbeddings,
    PerplexityTextSplitter,
    RecordTextSplitter,
    SentenceTextSplitter,
)

DATA = Path(__file__).resolve().parent / "data"
# Not indexed: the folder's description, and the questions `chunkers eval` scores with their evidence (indexed, the
# answer key would be retrieved as evidence for its own questions).
NOT_INDEXED = {"README.md", "questions.jsonl"}
QUESTIONS = [
    "How does TextWrapper handle words that are longer than the line width?",
    "Who composed the music of Valkyria Chronicles III?",
    "How many people does malaria affect every year?",
]
PROMPT = PromptTemplate.from_template(
    "Answer the question using only the context. Cite the sources in brackets.\n\n"
    "Context:\n{context}\n\nQuestion: {question}\nAnswer:"
)


def where(doc: Document) -> str:
    """``file:first_line-last_line`` (code chunks carry lines) or ``file[start:end]`` (character offsets)."""
    name = Path(doc.metadata.get("source", "?")).name
    if "start_line" in doc.metadata:
        return f"{name}:{doc.metadata['start_line']}-{doc.metadata['end_line']}"
    return f"{name}[{doc.metadata.get('start_index')}:{doc.metadata.get('end_index')}]"


def preview(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_docs(docs: list[Document]) -> str:
    """The kept chunks as numbered context blocks for the prompt."""
    return "\n\n".join(f"[{i}] {where(d)}\n{d.page_content}" for i, d in enumerate(docs, start=1))


def indexed_files() -> list[Path]:
    """The files of examples/data/ the chain indexes (all but `NOT_INDEXED`)."""
    return sorted(p for p in DATA.iterdir() if p.is_file() and p.name not in NOT_INDEXED)


def split(prose_splitter: str) -> list[Document]:
    """Chunks of the indexed files: code by AST, records by RecordTextSplitter, prose by the chosen splitter."""
    files = indexed_files()
    documents = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)}) for p in files]
    kinds = {"ast": "code", "records": "records"}  # the rest (document, sentence) is prose
    by_kind: dict[str, list[Document]] = {"code": [], "records": [], "prose": []}
    for path, document in zip(files, documents):
        by_kind[kinds.get(method_for(path), "prose")].append(document)
    code_splitter = ASTTextSplitter(max_size=800, add_start_index=True)  # the language comes from "source"
    record_splitter = RecordTextSplitter(max_size=500, add_start_index=True)
    if prose_splitter == "perplexity":
        text_splitter = PerplexityTextSplitter(max_size=800, target_size=500, add_start_index=True)
    else:
        text_splitter = SentenceTextSplitter(max_size=500, add_start_index=True)
    code_chunks = code_splitter.split_documents(by_kind["code"])
    record_chunks = record_splitter.split_documents(by_kind["records"])
    prose_chunks = text_splitter.split_documents(by_kind["prose"])
    print(
        f"split {len(documents)} files ({', '.join(p.name for p in files)}): {len(code_chunks)} code chunks "
        f"(ASTTextSplitter), {len(record_chunks)} record chunks (RecordTextSplitter), "
        f"{len(prose_chunks)} prose chunks ({type(text_splitter).__name__})"
    )
    return code_chunks + record_chunks + prose_chunks


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
    parser.add_argument("--k", type=int, default=6, help="chunks retrieved per question")
    args = parser.parse_args()
    started = time.perf_counter()

    chunks = split(args.prose)
    store = InMemoryVectorStore(LocalEmbeddings())
    store.add_documents(chunks)
    print(f"embedded {len(chunks)} chunks with all-MiniLM-L6-v2 in {time.perf_counter() - started:.1f} s")

    compressor = ChunkFilterCompressor(scorer=args.scorer, threshold="dynamic", min_keep=1)
    retriever = ContextualCompressionRetriever(
        base_compressor=compressor, base_retriever=store.as_retriever(search_kwargs={"k": args.k})
    )
    # Offline stand-in for an LLM: FakeListLLM returns its canned reply whatever the prompt. Replace it with a
    # real model (e.g. ChatOllama(model="llama3.1") or ChatOpenAI()) to get answers written from the kept chunks.
    llm = FakeListLLM(responses=["(FakeListLLM: no LLM runs offline; a real model would answer from the context)"])
    answer = (
        RunnableLambda(lambda x: {"context": format_docs(x["docs"]), "question": x["question"]})
        | PROMPT
        | llm
        | StrOutputParser()
    )
    # LCEL: retrieve + filter, then prompt the LLM, and return the kept sources beside the answer.
    chain = RunnableParallel(docs=retriever, question=RunnablePassthrough()).assign(answer=answer)

    for question in QUESTIONS:
        print(f"\nQ: {question}")
        print(f"  retrieved {args.k} (MiniLM cosine):")
        for doc, score in store.similarity_search_with_score(question, k=args.k):
            print(f"    {score:.3f}  {where(doc):44} {preview(doc.page_content)}")
        result = chain.invoke(question)
        print(f"  kept {len(result['docs'])} by ChunkFilterCompressor (scorer {args.scorer}, relevance):")
        for doc in result["docs"]:
            print(f"    {doc.metadata['relevance_score']:.3f}  {where(doc):44} {preview(doc.page_content)}")
        for dropped in compressor.chunk_filter.last_dropped:
            score = "  -  " if dropped.score is None else f"{dropped.score:.3f}"
            print(f"    dropped {score}  {preview(dropped.chunk.text, 50)}  ({dropped.reason})")
        prompt_chars = len(PROMPT.format(context=format_docs(result["docs"]), question=question))
        print(f"  prompt: {prompt_chars} characters; answer: {result['answer']}")
        print(f"  ({time.perf_counter() - started:.1f} s)")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
