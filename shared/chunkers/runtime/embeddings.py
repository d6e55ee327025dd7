"""The one embeddings adapter: whatever embedding model a user has, as unit-normalised vectors for the engine.

`as_embeddings` accepts None (the embedded all-MiniLM-L6-v2), a local sentence-transformers folder, a loaded
sentence-transformers model, a LlamaIndex ``BaseEmbedding``, a LangChain ``Embeddings``, a plain callable
``list[str] -> vectors``, or an `UnitEmbeddings` (returned as it is). Its users: the filter's scorer and dedup
(`chunkers.filtering`), the LLM chunker's fallback, the evaluation (`chunkers.apps.evaluation`), and the faces'
embedding objects (``langchain_chunkers.LocalEmbeddings``). Loading and device choice are `chunkers.runtime.models`'.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .policy import default_embed_batch


@runtime_checkable
class Embeddings(Protocol):
    """An embedding model with LangChain's method names (any LangChain ``Embeddings`` fits it)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def unit_rows(vectors: Any) -> Any:
    """``vectors`` as a float32 numpy array whose rows (or single vector) have norm 1 (zero rows stay zero)."""
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def describe_model(model: Any) -> str:
    """A short name of an embedding model, for reports and cache keys."""
    if model is None:
        return "all-MiniLM-L6-v2 (embedded)"
    if isinstance(model, (str, os.PathLike)):
        return f"sentence-transformers {Path(model).name}"
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str):
            return f"{type(model).__name__}({value})"
    return getattr(model, "__name__", type(model).__name__)


class UnitEmbeddings:
    """Unit vectors of documents and queries from one embedding model (see the module docstring for what
    ``model`` may be). With ``memo``, document vectors are remembered by text, so texts that recur (chunks across
    settings, sentences across breakpoints) are embedded once: True keeps them in memory, a mapping (e.g. a
    ``shelve`` on disk) keeps them there. ``batch_size`` applies to local models (None: the device's default,
    `chunkers.runtime.DEFAULT_EMBED_BATCH`)."""

    def __init__(
        self, model: Any = None, memo: bool | MutableMapping[str, Any] = False, batch_size: int | None = None
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.name = describe_model(model)
        self._memo: MutableMapping[str, Any] | None = ({} if memo is True else memo) if memo is not False else None

    def documents(self, texts: Sequence[str]) -> Any:
        """Unit vectors of ``texts``, one row each."""
        import numpy as np

        texts = list(texts)
        if self._memo is None or not texts:
            return self._run(texts, query=False)
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self._run(missing, query=False)))
        found = {t: self._memo[t] for t in dict.fromkeys(texts)}  # one look-up per text (a disk memo is slow)
        return np.stack([found[t] for t in texts])

    def queries(self, texts: Sequence[str]) -> Any:
        """Unit vectors of queries (a framework model's query method, which may add an instruction)."""
        return self._run(list(texts), query=True)

    def query(self, text: str) -> Any:
        """The unit vector of one query."""
        return self.queries([text])[0]

    def _run(self, texts: list[str], query: bool) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        model = self.model
        if model is None or isinstance(model, (str, os.PathLike)):
            from .models import embed

            return embed(texts, None if model is None else str(model), batch_size=self.batch_size)
        if hasattr(model, "get_text_embedding_batch"):  # LlamaIndex BaseEmbedding
            if query:
                return _checked([model.get_query_embedding(t) for t in texts], texts)
            return _checked(model.get_text_embedding_batch(texts), texts)
        if isinstance(model, Embeddings):  # LangChain Embeddings
            return _checked([model.embed_query(t) for t in texts] if query else model.embed_documents(texts), texts)
        if hasattr(model, "encode"):  # a loaded sentence-transformers model
            batch = self.batch_size or default_embed_batch(getattr(model, "device", "cpu"))
            return _checked(model.encode(texts, batch_size=batch, convert_to_numpy=True), texts)
        if callable(model):
            return _checked(model(texts), texts)
        raise TypeError(
            f"cannot embed with {type(model).__name__}: pass a LlamaIndex BaseEmbedding, a LangChain Embeddings, "
            "a sentence-transformers model or folder, or a callable list[str] -> vectors"
        )

    def __repr__(self) -> str:
        return f"UnitEmbeddings({self.name})"


def _checked(vectors: Any, texts: list[str]) -> Any:
    matrix = unit_rows(vectors)
    if matrix.ndim != 2 or len(matrix) != len(texts):
        raise ValueError(f"the embedding returned an array of shape {matrix.shape} for {len(texts)} texts")
    return matrix


def as_embeddings(model: Any = None, memo: bool = False) -> UnitEmbeddings:
    """``model`` as `UnitEmbeddings` (an `UnitEmbeddings` is returned unchanged)."""
    return model if isinstance(model, UnitEmbeddings) else UnitEmbeddings(model, memo=memo)
