"""`PerplexityNodeParser`: Meta-Chunking (perplexity boundaries) as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import BaseChunker
from chunkers.perplexity import PerplexityChunker
from llama_index.core.bridge.pydantic import Field

from .base import ChunkerNodeParser


class PerplexityNodeParser(ChunkerNodeParser):
    """LlamaIndex face of `chunkers.perplexity.PerplexityChunker` (default model: the embedded SmolLM2-135M).

    ``model`` may be a local model folder; a loaded transformers model can be passed to the engine chunker
    and wrapped with ``ChunkerNodeParser(chunker=...)``.
    """

    model: str | None = Field(default=None, description="Local causal LM folder; None: embedded SmolLM2-135M.")
    method: str = Field(default="ppl", description="'ppl' (perplexity minima) or 'margin' (LM yes/no margin).")
    threshold: float = Field(default=0.0, description="Minimum perplexity drop (ppl) or margin (margin).")
    dynamic_threshold: bool = Field(default=False, description="Adapt the threshold to the running mean.")
    max_size: int = Field(default=1000, description="Hard cap per chunk, in units of `sizer`.")
    target_size: int | None = Field(default=None, description="Merge meta-chunks up to this size.")
    sizer: Any = Field(default="chars", description="'chars', 'non_whitespace', a tokenizer or a callable.")
    device: str | None = Field(default=None, description="torch device; None: CPU.")

    def _build_chunker(self) -> BaseChunker:
        return PerplexityChunker(
            model=self.model,
            method=self.method,
            threshold=self.threshold,
            dynamic_threshold=self.dynamic_threshold,
            max_size=self.max_size,
            target_size=self.target_size,
            sizer=self.sizer,
            device=self.device,
        )
