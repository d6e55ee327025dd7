"""`Setting`: one chunker at one size, as an evaluation runs it; `spans_of`, which reads chunk spans from any
chunker object (ours, a LlamaIndex node parser, a LangChain text splitter, a function); and `size_stats`, the size
distribution of a chunking in any sizer's unit."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...core.chunk import Chunk
from ...core.sizing import get_sizer
from .documents import EvaluationInputError

Span = tuple[int, int]


@dataclass
class Setting:
    """One chunker at one size: ``label`` (its own parameters), ``chunk(text) -> spans`` (``(start, end)`` pairs or
    `Chunk` objects), and ``notes()`` read after every document was chunked (e.g. an LLM chunker's call counts)."""

    label: str
    chunk: Callable[[str], list[Span]]
    notes: Callable[[], str] = field(default=lambda: "")


def spans_of(splitter: Any, text: str) -> list[Span]:
    """Chunk spans of ``text`` from one of our chunkers, a LlamaIndex node parser, a LangChain text splitter made
    with ``add_start_index=True``, or a callable returning spans or `Chunk` objects."""
    if hasattr(splitter, "get_nodes_from_documents"):  # LlamaIndex NodeParser
        from llama_index.core import Document

        nodes = splitter.get_nodes_from_documents([Document(text=text)])
        return [(n.start_char_idx, n.end_char_idx) for n in nodes if n.start_char_idx is not None]
    if hasattr(splitter, "create_documents") and hasattr(splitter, "split_text"):  # LangChain TextSplitter
        if not getattr(splitter, "_add_start_index", False):
            raise EvaluationInputError(f"{type(splitter).__name__}: make it with add_start_index=True (exact offsets)")
        documents = splitter.create_documents([text])
        return [(d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content)) for d in documents]
    produced = splitter.chunk(text) if hasattr(splitter, "chunk") else splitter(text)
    return [(c.start, c.end) if hasattr(c, "start") else (int(c[0]), int(c[1])) for c in produced]


def size_stats(chunks: Sequence[Chunk], sizer: Any = "chars", max_size: int | None = None) -> dict[str, float]:
    """Count, mean, standard deviation, min, max of chunk sizes, and % over ``max_size`` when given."""
    measure = get_sizer(sizer)
    sizes = [measure(chunk.text) for chunk in chunks]
    if not sizes:
        return {"count": 0, "mean": 0.0, "std": 0.0, "min": 0, "max": 0, "pct_over": 0.0}
    over = sum(size > max_size for size in sizes) if max_size is not None else 0
    return {
        "count": len(sizes),
        "mean": statistics.fmean(sizes),
        "std": statistics.pstdev(sizes),
        "min": min(sizes),
        "max": max(sizes),
        "pct_over": 100 * over / len(sizes),
    }
