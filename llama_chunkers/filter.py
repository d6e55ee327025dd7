"""`ChunkFilterPostprocessor`: ChunkRAG chunk filtering as a LlamaIndex node postprocessor."""

from __future__ import annotations

from typing import Any

from chunkers import Chunk
from chunkers.filtering import ChunkFilter
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from .llm_bridge import to_engine_llm


class ChunkFilterPostprocessor(BaseNodePostprocessor):
    """Scores retrieved nodes against the query, drops near-duplicates and weak ones, returns the rest best first
    with the relevance score in ``NodeWithScore.score``. Use it in ``node_postprocessors=[...]`` of a query
    engine or retriever. ``scorer``: "local" (the embedded SmolLM2's yes-probability, default), "embedding"
    (MiniLM cosine) or "llm" (with ``llm``, any LlamaIndex LLM: ChunkRAG's score, reflection and critic)."""

    scorer: str = Field(default="local", description="'local', 'embedding' or 'llm'.")
    llm: Any = Field(default=None, exclude=True, description="A LlamaIndex LLM for scorer='llm'.")
    threshold: str | float | None = Field(default="dynamic", description="'dynamic', a number or None.")
    top_k: int | None = Field(default=None, description="Keep at most this many.")
    min_keep: int = Field(default=1, description="Always keep at least this many.")
    dedup_similarity: float | None = Field(default=0.9, description="Drop chunks more similar than this.")

    _filter: ChunkFilter = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._filter = ChunkFilter(
            scorer=self.scorer,
            llm=to_engine_llm(self.llm),
            threshold=self.threshold,
            top_k=self.top_k,
            min_keep=self.min_keep,
            dedup_similarity=self.dedup_similarity,
        )

    @classmethod
    def class_name(cls) -> str:
        return "ChunkFilterPostprocessor"

    @property
    def chunk_filter(self) -> ChunkFilter:
        """The engine filter (its ``last_dropped`` says what was removed and why)."""
        return self._filter

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("ChunkFilterPostprocessor needs the query: pass query_bundle or query_str")
        chunks = [
            Chunk.from_span(text, 0, len(text), position=i)
            for i, text in enumerate(n.node.get_content(metadata_mode=MetadataMode.NONE) for n in nodes)
        ]
        kept = self._filter.filter(query_bundle.query_str, chunks)
        return [NodeWithScore(node=nodes[sc.chunk.metadata["position"]].node, score=sc.score) for sc in kept]
