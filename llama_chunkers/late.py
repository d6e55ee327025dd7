"""`LateChunkingEmbedding`: late chunking (`chunkers.context.LateChunkingEmbedder`) as a LlamaIndex embedding model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chunkers.context.late import LateChunkingEmbedder, document_of
from chunkers.core.faces import Derived, reject_unknown
from chunkers.core.options import options_of
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr, create_model
from llama_index.core.schema import BaseNode, TextNode

from .base import option_fields


class LateChunkingEmbedding(create_model("LateChunkingFields", __base__=BaseEmbedding,
                                         **option_fields(LateChunkingEmbedder))):  # type: ignore[misc]
    """Late-chunking vectors for nodes, ordinary ones for queries: put it last in an ``IngestionPipeline`` after any
    of our node parsers, and give it to the index as ``embed_model`` (``VectorStoreIndex(nodes, embed_model=...)``
    keeps the vectors the pipeline set and embeds queries with the same model).

    As a transformation it groups the nodes by their source document and rebuilds each document's text from the
    nodes' exact offsets (``start_char_idx``/``end_char_idx``): our parsers' nodes tile their source, so the text is
    exact up to the whitespace between chunks, which a gap of spaces stands for (MiniLM's tokenizer ignores
    whitespace). Nodes without offsets or a source, and documents whose nodes disagree where they overlap (a parser
    that rewrites text), get ordinary embeddings of their text. Options: those of the engine embedder (``model``,
    ``window_tokens``, ``overlap_tokens``, ``with_context``: each node's ``context_header`` metadata,
    ``batch_size``, ``device``, ``dtype``)."""

    model_name: str = "late-chunking"
    _derived: Derived[LateChunkingEmbedder] = PrivateAttr(default_factory=Derived)

    def __init__(self, **data: Any) -> None:
        reject_unknown(data, set(type(self).model_fields), type(self).__name__)
        super().__init__(**data)

    @classmethod
    def class_name(cls) -> str:
        return "LateChunkingEmbedding"

    @property
    def embedder(self) -> LateChunkingEmbedder:
        """The engine embedder as the fields configure it now."""
        return self._derived.get(LateChunkingEmbedder, {name: getattr(self, name) for name in options_of(
            LateChunkingEmbedder)})  # fmt: skip

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        groups: dict[str, list[TextNode]] = {}
        plain: list[BaseNode] = []
        for node in nodes:
            usable = isinstance(node, TextNode) and node.start_char_idx is not None and node.end_char_idx is not None
            if usable and node.source_node is not None:
                groups.setdefault(node.source_node.node_id, []).append(node)  # type: ignore[arg-type]
            else:
                plain.append(node)
        texts, spans, contexts, members = [], [], [], []
        for group in groups.values():
            text = document_of([(n.start_char_idx, n.end_char_idx, n.text) for n in group])  # type: ignore[misc]
            if text is None:
                plain += group
                continue
            texts.append(text)
            spans.append([(n.start_char_idx, n.end_char_idx) for n in group])
            contexts.append([n.metadata.get("context_header") or "" for n in group])
            members.append(group)
        for group, vectors in zip(members, self.embedder.embed_many(texts, spans, contexts)):
            for node, vector in zip(group, vectors):
                node.embedding = vector
        if plain:
            super().__call__(plain, **kwargs)
        return nodes

    async def acall(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        import asyncio

        return await asyncio.to_thread(self.__call__, nodes, **kwargs)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embedder.embed_query(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embedder.embed_documents([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts)
