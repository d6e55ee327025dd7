"""`ChunkFilterPostprocessor`: ChunkRAG chunk filtering as a LlamaIndex node postprocessor."""

from __future__ import annotations

from typing import Any

from chunkers import Chunk
from chunkers.core.faces import Derived, reject_unknown
from chunkers.core.options import options_of
from chunkers.filtering import ChunkFilter
from llama_index.core.bridge.pydantic import PrivateAttr, create_model
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from .base import option_fields
from .llm_bridge import app_llm, to_engine_llm

RENAMES = {"embeddings": "embed_model"}  # the engine's option names, as LlamaIndex spells them


class ChunkFilterPostprocessor(
    create_model("ChunkFilterFields", __base__=BaseNodePostprocessor, **option_fields(ChunkFilter, RENAMES))
):  # type: ignore[misc]
    """Scores retrieved nodes against the query, drops near-duplicates and weak ones, returns the rest best first
    with the relevance score in ``NodeWithScore.score``. Use it in ``node_postprocessors=[...]`` of a query
    engine or retriever.

    ``scorer``: "embedding" (the default unless ``llm`` is given): cosine similarity with ``embed_model``,
    any LlamaIndex ``BaseEmbedding``, else the embedded MiniLM; when ``embed_model`` is the app's
    ``Settings.embed_model``, the query's and nodes' embeddings the retriever attached are reused. "local": the
    embedded SmolLM2's yes-probability (measured to hurt). "llm": ChunkRAG's score, reflection and critic with
    ``llm``, any LlamaIndex LLM, else ``Settings.llm``.
    An empty query filters nothing (the nodes come back unchanged).
    """

    _derived: Derived[ChunkFilter] = PrivateAttr(default_factory=Derived)

    def __init__(self, **data: Any) -> None:
        reject_unknown(data, set(type(self).model_fields), type(self).__name__)
        super().__init__(**data)
        self.chunk_filter  # noqa: B018  (settings are validated now)

    @classmethod
    def class_name(cls) -> str:
        return "ChunkFilterPostprocessor"

    @property
    def chunk_filter(self) -> ChunkFilter:
        """The engine filter as the fields configure it now (its ``last_dropped`` says what was removed and why)."""
        settings = {name: getattr(self, RENAMES.get(name, name)) for name in options_of(ChunkFilter)}
        if settings["scorer"] == "llm":
            settings["llm"] = app_llm(settings["llm"])
        return self._derived.get(ChunkFilter, {**settings, "llm": to_engine_llm(settings["llm"])})

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("ChunkFilterPostprocessor needs the query: pass query_bundle or query_str")
        if not query_bundle.query_str.strip():
            return list(nodes)
        chunks = [
            Chunk.from_span(text, 0, len(text), position=i)
            for i, text in enumerate(n.node.get_content(metadata_mode=MetadataMode.NONE) for n in nodes)
        ]
        query_vector, vectors = self._retriever_embeddings(nodes, query_bundle)
        kept = self.chunk_filter.filter(query_bundle.query_str, chunks, query_vector, vectors)
        return [NodeWithScore(node=nodes[sc.chunk.metadata["position"]].node, score=sc.score) for sc in kept]

    def _retriever_embeddings(self, nodes: list[NodeWithScore], query_bundle: QueryBundle) -> tuple[Any, Any]:
        """The query's and the nodes' embeddings when the retriever attached them all and they come from this
        postprocessor's ``embed_model``, which is the app's ``Settings.embed_model`` (the one the index embedded with);
        else (None, None) and the filter embeds."""
        from llama_index.core import Settings

        same_model = self.embed_model is not None and self.embed_model is getattr(Settings, "_embed_model", None)
        embedding_scorer = self.scorer == "embedding" or (self.scorer is None and self.llm is None)
        if not (embedding_scorer and same_model and query_bundle.embedding):
            return None, None
        vectors = [n.node.embedding for n in nodes]
        if not vectors or any(v is None or len(v) != len(query_bundle.embedding) for v in vectors):
            return None, None
        return query_bundle.embedding, vectors
