"""The embedding an evaluation retrieves with: the embedded all-MiniLM-L6-v2 by default, a local
sentence-transformers folder, a LlamaIndex ``BaseEmbedding``, a LangChain ``Embeddings``, or a plain callable
``texts -> vectors``. Vectors are unit-normalised, so a dot product is the cosine similarity."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _unit(vectors: Any) -> Any:
    import numpy as np

    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"the embedding returned an array of shape {array.shape}, expected one row per text")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms == 0, 1, norms)


class Embedder:
    """Embeds chunks and questions with one model; ``name`` identifies it in reports and saved results. Chunk
    vectors are remembered by text, so chunks that recur across settings or runs are embedded once."""

    def __init__(self, model: Any = None, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size
        self.name = self._describe(model)
        self._memo: dict[str, Any] = {}

    @staticmethod
    def _describe(model: Any) -> str:
        if model is None:
            return "all-MiniLM-L6-v2 (embedded)"
        if isinstance(model, (str, os.PathLike)):
            return f"sentence-transformers {Path(model).name}"
        for attribute in ("model_name", "model"):
            value = getattr(model, attribute, None)
            if isinstance(value, str):
                return f"{type(model).__name__}({value})"
        return getattr(model, "__name__", type(model).__name__)

    def documents(self, texts: Sequence[str]) -> Any:
        """Unit vectors of chunk texts, one row each."""
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self._run(missing, query=False)))
        return np.stack([self._memo[t] for t in texts]) if texts else self._run([], query=False)

    def queries(self, texts: Sequence[str]) -> Any:
        """Unit vectors of questions (a framework embedding's query method, which may add an instruction)."""
        return self._run(list(texts), query=True)

    def _run(self, texts: list[str], query: bool) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        model = self.model
        if model is None or isinstance(model, (str, os.PathLike)):
            from ..models import embed

            return embed(texts, None if model is None else str(model), batch_size=self.batch_size)
        if hasattr(model, "get_text_embedding_batch"):  # LlamaIndex BaseEmbedding
            if query:
                return _unit([model.get_query_embedding(t) for t in texts])
            return _unit(model.get_text_embedding_batch(texts))
        if hasattr(model, "embed_documents"):  # LangChain Embeddings
            return _unit([model.embed_query(t) for t in texts] if query else model.embed_documents(texts))
        if hasattr(model, "encode"):  # a sentence-transformers model
            return _unit(model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True))
        if callable(model):
            return _unit(model(texts))
        raise TypeError(
            f"cannot embed with {type(model).__name__}: pass a LlamaIndex BaseEmbedding, a LangChain Embeddings, "
            "a sentence-transformers model or path, or a callable list[str] -> vectors"
        )

