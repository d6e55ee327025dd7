"""`LocalEmbeddings`: LangChain `Embeddings` over the engine's embeddings adapter (default: the embedded
all-MiniLM-L6-v2, offline)."""

from __future__ import annotations

from typing import Any

from chunkers.runtime.embeddings import UnitEmbeddings
from langchain_core.embeddings import Embeddings


class LocalEmbeddings(Embeddings):
    """Unit-normalised sentence embeddings from a local sentence-transformers model (default: MiniLM), through
    `chunkers.runtime.embeddings`. (``langchain-huggingface`` would do the same but pins a huggingface_hub older than
    transformers 5 needs.) ``batch_size``: texts per pass (None: the device's default,
    `chunkers.runtime.DEFAULT_EMBED_BATCH`)."""

    def __init__(self, model: Any = None, batch_size: int | None = None) -> None:
        self.model = model
        self.batch_size = batch_size
        self._engine = UnitEmbeddings(model, batch_size=batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._engine.documents(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
