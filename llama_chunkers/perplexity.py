"""`PerplexityNodeParser`: Meta-Chunking (perplexity boundaries) as a LlamaIndex node parser."""

from __future__ import annotations

from chunkers.prose.perplexity import PerplexityChunker

from .base import face_of


class PerplexityNodeParser(face_of(PerplexityChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.prose.perplexity.PerplexityChunker` (default model: the embedded SmolLM2-135M); its
    fields are the engine's options.

    ``model`` may be a local model folder or a loaded transformers model (with ``tokenizer``); ``cache`` (any
    dict-like) keeps sentence scores across runs and is not part of the cache key, since it changes only speed.
    """
