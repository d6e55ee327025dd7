"""`SemanticNodeParser`: embedding-based semantic chunking with a hard size cap, as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers.core.faces import take_alias
from chunkers.prose.semantic import SemanticChunker

from .base import face_of

PEER = "SemanticSplitterNodeParser"


class SemanticNodeParser(face_of(SemanticChunker, renames={"embeddings": "embed_model"})):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.prose.semantic.SemanticChunker`; stands in for ``SemanticSplitterNodeParser``
    with a hard cap (``max_size``) and exact offsets.

    ``embed_model``: any LlamaIndex embedding model; None: the app's ``Settings.embed_model`` when it has set one,
    else the embedded MiniLM (LlamaIndex's own default, which needs an OpenAI key, is never triggered).
    ``SemanticSplitterNodeParser``'s arguments (and its ``from_defaults``') keep their meaning:
    ``breakpoint_percentile_threshold`` is the percentile of the peers' threshold rule (``boundary="threshold"``
    with ``breakpoint_threshold_type="percentile"``; a higher one gives fewer, larger nodes), ``buffer_size`` the
    sentences embedded on each side of a boundary, ``sentence_splitter`` a function returning the text's sentences,
    ``include_metadata``, ``include_prev_next_rel``, ``callback_manager`` and ``id_func`` as in every node parser.
    Without a threshold argument the cuts are the DP's (the largest distances under the size limits: ``boundary``,
    ``target_size``). ``original_text_metadata_key``, which ``SemanticSplitterNodeParser`` accepts and never uses,
    raises `TypeError`.
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        owner = cls.__name__
        options = super()._translate_options(options)
        if "original_text_metadata_key" in options:
            raise TypeError(
                f"{owner} has no original_text_metadata_key: {PEER} accepts it but never uses it (it is "
                "SentenceWindowNodeParser's); leave it out"
            )
        if "breakpoint_percentile_threshold" in options:
            kind = options.setdefault("breakpoint_threshold_type", "percentile")
            if kind != "percentile":
                raise ValueError(
                    f"breakpoint_percentile_threshold is the percentile of breakpoint_threshold_type='percentile', "
                    f"but {owner} got breakpoint_threshold_type={kind!r}: pass breakpoint_threshold_amount instead"
                )
            take_alias(options, "breakpoint_percentile_threshold", "breakpoint_threshold_amount", owner)
        return options

    def _engine_settings(self) -> dict[str, Any]:
        settings = super()._engine_settings()
        if settings["embeddings"] is None:
            from llama_index.core import Settings

            settings["embeddings"] = getattr(Settings, "_embed_model", None)  # the app's, when it has set one
        return settings
