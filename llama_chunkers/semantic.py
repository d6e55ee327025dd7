"""`SemanticNodeParser`: embedding-based semantic chunking with a hard size cap, as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers.core.faces import take_alias
from chunkers.prose.semantic import SemanticChunker

from .base import face_of


class SemanticNodeParser(face_of(SemanticChunker, renames={"embeddings": "embed_model"})):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.prose.semantic.SemanticChunker`; stands in for ``SemanticSplitterNodeParser``
    with a hard cap (``max_size``) and exact offsets.

    ``embed_model``: any LlamaIndex embedding model; None: the app's ``Settings.embed_model`` when it has set one,
    else the embedded MiniLM (LlamaIndex's own default, which needs an OpenAI key, is never triggered).
    ``SemanticSplitterNodeParser``'s options work: ``buffer_size``, ``breakpoint_percentile_threshold`` (the
    percentile of the peers' rule: ``breakpoint_threshold_type="percentile"``, used with ``boundary="threshold"``;
    the default ``boundary="dp"`` places the cuts with the largest distances under the size limits instead).
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        if "breakpoint_percentile_threshold" in options:
            take_alias(options, "breakpoint_percentile_threshold", "breakpoint_threshold_amount", cls.__name__)
            options.setdefault("breakpoint_threshold_type", "percentile")
        return options

    def _engine_settings(self) -> dict[str, Any]:
        settings = super()._engine_settings()
        if settings["embeddings"] is None:
            from llama_index.core import Settings

            settings["embeddings"] = getattr(Settings, "_embed_model", None)  # the app's, when it has set one
        return settings
