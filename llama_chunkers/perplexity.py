"""`PerplexityNodeParser`: Meta-Chunking (perplexity boundaries) as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker
from chunkers.perplexity import PerplexityChunker
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser


class PerplexityNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.perplexity.PerplexityChunker` (default model: the embedded SmolLM2-135M).

    ``model`` may be a local model folder or a loaded transformers model (with ``tokenizer``); ``cache`` (any
    dict-like) keeps sentence scores across runs and is not part of the cache key, since it changes only speed.
    """

    model: Any = Field(default=None, description="Local causal LM folder or loaded model; None: SmolLM2-135M.")
    tokenizer: Any = Field(default=None, exclude=True, description="The loaded model's tokenizer.")
    method: str = Field(default="ppl", description="'ppl' (perplexity minima) or 'margin' (LM yes/no margin).")
    threshold: float = Field(default=0.0, description="Minimum perplexity drop (ppl) or margin (margin).")
    dynamic_threshold: bool = Field(default=False, description="Adapt the threshold to the running mean.")
    max_size: int = Field(default=1000, description="Hard cap per chunk, in units of `sizer`.")
    target_size: int | None = Field(default=None, description="Merge meta-chunks up to this size.")
    sizer: Any = Field(default="chars", description="'chars', 'non_whitespace', a tokenizer or a callable.")
    window_tokens: int = Field(default=1024, description="Tokens scored per model window.")
    context_tokens: int = Field(default=256, description="Tokens of left context carried into each window.")
    batch_size: int | None = Field(default=None, description="Windows per forward pass; None: by batch_tokens.")
    batch_tokens: int | None = Field(default=None, description="Tokens per forward pass; None: sized for the device.")
    device: str | None = Field(default=None, description="torch device; None: CUDA, then MPS, then CPU.")
    dtype: str | None = Field(default=None, description="'float32', 'bfloat16', 'float16'; None: for the device.")
    quantize: str | bool | None = Field(default=None, description="'int8' or 'none'; None: the measured default.")
    cache: Any = Field(default=None, exclude=True, description="Dict-like store of sentence scores.")
    boundary: str = Field(default="dp", description="How boundaries are chosen from the scores.")
    size_weight: float = Field(default=1.0, description="Weight of the size term in boundary choice.")

    def _build_chunker(self) -> BaseChunker:
        names = [name for name in type(self).model_fields if name not in ChunkerNodeParser.model_fields]
        return PerplexityChunker(**{name: getattr(self, name) for name in names})
