"""Size distribution of a chunking, in any sizer's unit."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from ..core.chunk import Chunk
from ..core.sizing import get_sizer


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
