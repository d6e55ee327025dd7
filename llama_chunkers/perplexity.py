"""`PerplexityNodeParser`: Meta-Chunking (perplexity boundaries) as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker
from chunkers.perplexity import PerplexityChunker
from chunkers.settings import default_of
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser


def _default(name: str) -> Any:
    return default_of(PerplexityChunker, name)


class PerplexityNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.perplexity.PerplexityChunker` (default model: the embedded SmolLM2-135M).

    ``model`` may be a local model folder or a loaded transformers model (with ``tokenizer``); ``cache`` (any
    dict-like) keeps sentence scores across runs and is not part of the cache key, since it changes only speed.
    """

    model: Any = Field(_default("model"), description="Local causal LM folder or loaded model; None: SmolLM2.")
    tokenizer: Any = Field(_default("tokenizer"), exclude=True, description="The loaded model's tokenizer.")
    method: str = Field(_default("method"), description="'ppl' (perplexity) or 'margin' (LM yes/no margin).")
    threshold: float = Field(_default("threshold"), description="boundary='threshold': minimum drop or margin.")
    dynamic_threshold: bool = Field(_default("dynamic_threshold"), description="Adapt the threshold as it runs.")
    max_size: int = Field(_default("max_size"), description="Hard cap per chunk, in units of `sizer`.")
    target_size: int | None = Field(_default("target_size"), description="Mean chunk size aimed at.")
    sizer: Any = Field(_default("sizer"), description="'chars', 'non_whitespace', a tokenizer or a callable.")
    window_tokens: int = Field(_default("window_tokens"), description="Tokens scored per model window.")
    context_tokens: int = Field(_default("context_tokens"), description="Left context carried into a window.")
    batch_size: int | None = Field(_default("batch_size"), description="Most windows per forward pass.")
    batch_tokens: int | None = Field(_default("batch_tokens"), description="Tokens per pass; None: per device.")
    device: str | None = Field(_default("device"), description="torch device; None: CUDA, then MPS, then CPU.")
    dtype: str | None = Field(_default("dtype"), description="'float32', 'bfloat16', 'float16'; None: per device.")
    quantize: str | bool | None = Field(
        _default("quantize"), description="'int8' or 'none'; None: int8 on CPU when dtype is None, else none."
    )
    cache: Any = Field(_default("cache"), exclude=True, description="Dict-like store of sentence scores.")
    boundary: str = Field(_default("boundary"), description="'dp' (global optimum) or 'threshold' (minima).")
    size_weight: float = Field(_default("size_weight"), description="Weight of the size term of boundary='dp'.")

    def _build_chunker(self) -> BaseChunker:
        names = [name for name in type(self).model_fields if name not in ChunkerNodeParser.model_fields]
        return PerplexityChunker(**{name: getattr(self, name) for name in names})
