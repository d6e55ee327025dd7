"""The embedding an evaluation retrieves with: `chunkers.runtime.embeddings`' adapter, remembering chunk vectors."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ..runtime.embeddings import UnitEmbeddings


class Embedder(UnitEmbeddings):
    """Embeds chunks and questions with one model (anything `chunkers.runtime.embeddings.as_embeddings` takes; None:
    the embedded MiniLM); ``name`` identifies it in reports and saved results. Chunk vectors are remembered by text, so
    chunks that recur across settings or runs are embedded once (``memo``: a mapping to keep them in, e.g. a
    ``shelve`` on disk; default: in memory)."""

    def __init__(self, model: Any = None, batch_size: int = 64, memo: MutableMapping[str, Any] | None = None) -> None:
        super().__init__(model, memo=True if memo is None else memo, batch_size=batch_size)
