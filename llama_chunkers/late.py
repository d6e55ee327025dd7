"""`LateChunkingEmbedding`: late chunking (`chunkers.context.LateChunkingEmbedder`) as a LlamaIndex embedding model."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from chunkers.context.late import LateChunkingEmbedder, document_of
from chunkers.core.faces import Derived, reject_unknown
from chunkers.core.options import options_of
from chunkers.core.warn import warn_user
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr, create_model
from llama_index.core.schema import BaseNode, MetadataMode, TextNode

from .base import option_fields

# Why a node got a plain vector, as the warning says it.
NOT_TEXT = "not a TextNode"
NO_OFFSETS = "no start_char_idx/end_char_idx"
NO_SOURCE = "no source document (SOURCE relationship)"
DISAGREE = "their document's nodes disagree where they overlap (a parser that rewrites text)"
HOW = (
    "Late vectors need nodes with exact offsets (start_char_idx/end_char_idx) and a source document: put "
    "LateChunkingEmbedding after a node parser in an IngestionPipeline (ours, or one whose nodes keep offsets)."
)


class LateChunkingEmbedding(
    create_model("LateChunkingFields", __base__=BaseEmbedding, **option_fields(LateChunkingEmbedder))
):  # type: ignore[misc]
    """Late-chunking vectors for nodes, ordinary ones for queries: put it last in an ``IngestionPipeline`` after any
    of our node parsers, and give it to the index as ``embed_model`` (``VectorStoreIndex(nodes, embed_model=...)``
    keeps the vectors the pipeline set and embeds queries with the same model).

    As a transformation it groups the nodes by their source document and rebuilds each document's text from the
    nodes' exact offsets (``start_char_idx``/``end_char_idx``): our parsers' nodes tile their source, so the text is
    exact up to the whitespace between chunks, which a gap of spaces stands for (MiniLM's tokenizer ignores
    whitespace). Nodes without offsets or a source, and documents whose nodes disagree where they overlap (a parser
    that rewrites text), get ordinary embeddings of their text, and so do texts embedded as texts
    (``get_text_embedding_batch``, e.g. by ``VectorStoreIndex`` for nodes that have no embedding yet): each such call
    warns (`UserWarning`) how many got one and why. ``late_vectors`` and ``plain_vectors`` count the vectors set or
    returned of each kind since construction (queries not counted). Options: those of the engine embedder
    (``model``, ``window_tokens``, ``overlap_tokens``, ``with_context``: each node's ``context_header`` metadata,
    ``batch_size``, ``device``, ``dtype``)."""

    model_name: str = "late-chunking"
    _derived: Derived[LateChunkingEmbedder] = PrivateAttr(default_factory=Derived)
    _late_vectors: int = PrivateAttr(default=0)
    _plain_vectors: int = PrivateAttr(default=0)

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

    @property
    def late_vectors(self) -> int:
        """The late vectors set on nodes since construction."""
        return self._late_vectors

    @property
    def plain_vectors(self) -> int:
        """The plain (ordinary) vectors set on nodes or returned for texts since construction (queries not
        counted)."""
        return self._plain_vectors

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        """Late vectors for the nodes grouped by source document, ordinary ones (with a warning) for the rest."""
        groups: dict[str, list[TextNode]] = {}
        plain: dict[int, str] = {}  # id(node) -> why it gets a plain vector
        for node in nodes:
            why = _unusable(node)
            if why is None:
                groups.setdefault(node.source_node.node_id, []).append(node)  # type: ignore[union-attr,arg-type]
            else:
                plain[id(node)] = why
        texts, spans, contexts, members = [], [], [], []
        for group in groups.values():
            text = document_of([(n.start_char_idx, n.end_char_idx, n.text) for n in group])  # type: ignore[misc]
            if text is None:
                plain.update(dict.fromkeys(map(id, group), DISAGREE))
                continue
            texts.append(text)
            spans.append([(n.start_char_idx, n.end_char_idx) for n in group])
            contexts.append([n.metadata.get("context_header") or "" for n in group])
            members.append(group)
        for group, vectors in zip(members, self.embedder.embed_many(texts, spans, contexts)):
            for node, vector in zip(group, vectors):
                node.embedding = vector
        self._late_vectors += sum(len(group) for group in members)
        loose = [node for node in nodes if id(node) in plain]
        if loose:
            embedded = self.embedder.embed_documents([n.get_content(metadata_mode=MetadataMode.EMBED) for n in loose])
            for node, vector in zip(loose, embedded):
                node.embedding = vector
            self._plain(list(plain.values()), len(nodes), "nodes")
        return nodes

    async def acall(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        import asyncio

        return await asyncio.to_thread(self.__call__, nodes, **kwargs)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embedder.embed_query(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        """Ordinary embeddings (a text alone has no document around it), with a warning."""
        if texts:
            reason = "embedded as texts (get_text_embedding_batch), which have no document around them"
            self._plain([reason] * len(texts), len(texts), "texts")
        return self.embedder.embed_documents(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._get_text_embeddings(texts)

    def _plain(self, reasons: list[str], total: int, kind: str) -> None:
        """Count plain vectors and warn once for the call: how many of how many, why, and how to get late ones."""
        self._plain_vectors += len(reasons)
        why = "; ".join(f"{n} {reason}" for reason, n in Counter(reasons).items())
        warn_user(
            f"LateChunkingEmbedding gave plain (not late) vectors to {len(reasons)} of {total} {kind}: {why}. {HOW}"
        )


def _unusable(node: BaseNode) -> str | None:
    """Why a node cannot get a late vector (None: it can)."""
    if not isinstance(node, TextNode):
        return NOT_TEXT
    if node.start_char_idx is None or node.end_char_idx is None:
        return NO_OFFSETS
    if node.source_node is None:
        return NO_SOURCE
    return None
