"""`ContextualDocumentTransformer`: contextual retrieval for LangChain, a document transformer that splits documents
and puts an LLM-written context on each chunk (`chunkers.context.writer`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from chunkers.context.writer import ContextWriter
from chunkers.core.chunk import embedded_text
from chunkers.llms.usage import LLMUsage
from langchain_core.documents import BaseDocumentTransformer, Document
from langchain_text_splitters import TextSplitter

from .llm_bridge import to_engine_llm


class ContextualDocumentTransformer(BaseDocumentTransformer):
    """Splits each document with ``splitter`` (default: ``DocumentTextSplitter()``) and asks ``llm`` (any LangChain
    chat model or LLM, an engine LLM, a callable, or "local" by name) for a short text that situates each chunk in
    its document (Anthropic's contextual retrieval: the document first, the chunk last, so prompt caching applies).
    The text goes to the chunk's ``metadata[key]`` and, with ``context_in_content`` (default: LangChain embeds only
    ``page_content``), before the chunk's text; ``start_index`` from the splitter still gives the source span.
    ``usage`` counts calls and tokens; ``writer.cacheable_tokens`` the document tokens prompt caching would serve.
    """

    def __init__(
        self,
        llm: Any,
        splitter: TextSplitter | None = None,
        key: str = "context",
        context_in_content: bool = True,
        **writer_options: Any,
    ) -> None:
        """``writer_options``: `chunkers.context.ContextWriter`'s (``prompt``, ``max_document_chars``, ``timeout``,
        ``concurrency``), with its defaults; any other name raises TypeError."""
        if splitter is None:
            from .document import DocumentTextSplitter

            splitter = DocumentTextSplitter()
        self.splitter, self.key, self.context_in_content = splitter, key, context_in_content
        self.writer = ContextWriter(to_engine_llm(llm), **writer_options)

    @property
    def usage(self) -> LLMUsage:
        """Calls and tokens so far."""
        return self.writer.usage

    def _with_contexts(self, chunks: list[Document], contexts: list[str]) -> list[Document]:
        out = []
        for chunk, context in zip(chunks, contexts):
            content = chunk.page_content
            if self.context_in_content:
                content = embedded_text(context, content)
            out.append(Document(page_content=content, metadata={**chunk.metadata, self.key: context}, id=chunk.id))
        return out

    def transform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        out: list[Document] = []
        for document in documents:
            chunks = self.splitter.split_documents([document])
            texts = [c.page_content for c in chunks]
            out += self._with_contexts(chunks, self.writer.contexts(document.page_content, texts))
        return out

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        async def one(document: Document) -> list[Document]:
            chunks = await asyncio.to_thread(self.splitter.split_documents, [document])
            contexts = await self.writer.acontexts(document.page_content, [c.page_content for c in chunks])
            return self._with_contexts(chunks, contexts)

        return [d for chunks in await asyncio.gather(*map(one, documents)) for d in chunks]
