"""The built-in candidates' settings for a target size in characters: our chunkers and the peers, each with its
own size parameter set to match (as in the repository's retrieval benchmark)."""

from __future__ import annotations

from typing import Any

from ...core.lazy import import_object
from ...core.registry import Registered
from .setting import Setting, spans_of


def ours(entry: Registered, target: int, cache: dict | None = None) -> Setting:
    """A registered chunker of ours with the engine options its registration gives for ``target`` (and ``cache``,
    model results shared across sizes). Its chunks keep their metadata (the context_header, for
    ``--context chunker``)."""
    options = entry.evaluate(target) if entry.evaluate is not None else {}
    chunker = import_object(entry.engine)(**options, **({} if cache is None else {"cache": cache}))
    return Setting(", ".join(f"{name}={value}" for name, value in options.items()), chunker.chunk)


def llm_chunker(target: int, llm: Any = None) -> Setting:
    """The LLM chunker driven by ``llm`` (any LLM `generate.complete` can ask; None: the embedded SmolLM2)."""
    from ...llms.local import LocalLLM
    from ...llms.protocol import CallableLLM
    from ...prose.llm import LLMChunker
    from .generate import complete

    group = round(target * 0.7)
    driver = LocalLLM() if llm is None else CallableLLM(lambda prompt: complete(llm, prompt), type(llm).__name__)
    chunker = LLMChunker(llm=driver, group_tokens=group, max_size=2 * target)
    single = [0]  # chunks made of one paragraph group

    def chunk(text: str) -> list[tuple[int, int]]:
        chunks = chunker.chunk(text)
        single[0] += sum(c.metadata.get("boundary") == "single" for c in chunks)
        return [(c.start, c.end) for c in chunks]

    def notes() -> str:
        usage = chunker.usage
        return (f"LLM calls {usage.calls} ({usage.retries} retries); boundaries: LLM {usage.llm_boundaries}, "
                f"fallback {usage.fallbacks}, one-paragraph group {single[0]}")  # fmt: skip

    return Setting(f"group_tokens={group}, max_size={2 * target}", chunk, notes)


def recursive(target: int) -> Setting:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=target, chunk_overlap=0, add_start_index=True)
    return Setting(f"chunk_size={target}", lambda text: spans_of(splitter, text))


def sentence_splitter(target: int) -> Setting:
    from llama_index.core.node_parser import SentenceSplitter

    tokens = target // 4
    splitter = SentenceSplitter(chunk_size=max(tokens, 32), chunk_overlap=0)
    return Setting(f"chunk_size={tokens} tokens", lambda text: spans_of(splitter, text))


def semantic(embedding: Any, percentile: int) -> Setting:
    from llama_index.core.node_parser import SemanticSplitterNodeParser

    splitter = SemanticSplitterNodeParser(embed_model=embedding, breakpoint_percentile_threshold=percentile)
    return Setting(f"breakpoint_percentile={percentile}", lambda text: spans_of(splitter, text))


def langchain_semantic(embeddings: Any, percentile: int) -> Setting:
    from langchain_experimental.text_splitter import SemanticChunker

    splitter = SemanticChunker(embeddings, breakpoint_threshold_type="percentile",
                               breakpoint_threshold_amount=percentile, add_start_index=True)  # fmt: skip
    return Setting(f"breakpoint_percentile={percentile}", lambda text: spans_of(splitter, text))


def semchunk(target: int) -> Setting:
    import semchunk as library

    return Setting(f"chunk_size={target}, token_counter=len",
                   lambda text: [tuple(s) for s in library.chunk(text, target, len, offsets=True)[1]])  # fmt: skip


def chonkie(target: int) -> Setting:
    from chonkie import RecursiveChunker

    chunker = RecursiveChunker(chunk_size=target)
    return Setting(f"chunk_size={target} characters",
                   lambda text: [(c.start_index, c.end_index) for c in chunker.chunk(text)])  # fmt: skip


def cached_minilm_embedding() -> Any:
    """The embedded MiniLM as a LlamaIndex embedding that remembers each text's vector (the semantic splitter
    embeds the same sentences at every breakpoint setting): `chunkers.runtime.embeddings` with its memo, in LlamaIndex's
    interface."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    from ...runtime.embeddings import UnitEmbeddings

    class MemoEmbedding(BaseEmbedding):
        _engine: UnitEmbeddings = PrivateAttr(default_factory=lambda: UnitEmbeddings(memo=True))

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._engine.documents(texts).tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._engine.query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return MemoEmbedding(model_name="all-MiniLM-L6-v2 (embedded)")
