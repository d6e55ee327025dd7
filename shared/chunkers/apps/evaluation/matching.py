"""Comparing chunkers fairly: metrics interpolated at matched mean chunk size, and speed as ratios.

Chunk size alone moves retrieval scores (smaller chunks: higher precision and IoU, larger: higher recall), so
chunkers are compared at the same mean chunk size, each metric interpolated linearly between the settings a
chunker was run at, never extrapolated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

METRICS = ("recall", "precision", "iou", "mrr", "doc_recall", "doc_mrr")


def interpolate(points: Sequence[tuple[float, float]], at: float) -> float | None:
    """Linear interpolation of (x, y) points at x = ``at``; None outside the measured range."""
    points = sorted(points)
    if not points or at < points[0][0] or at > points[-1][0]:
        return None
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 <= at <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (at - x0) / (x1 - x0)
    return points[0][1]  # a single point exactly at ``at``


def matched(rows: Sequence[dict[str, Any]], sizes: Sequence[float]) -> list[dict[str, Any]]:
    """Per corpus, chunker and mean size in ``sizes``: each metric in `METRICS` that the rows carry, interpolated
    from the chunker's settings (rows: ``corpus``, ``chunker``, ``ours``, ``mean_chars`` and the metrics). A size
    outside a chunker's measured range gives no row for it."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        for chunker in dict.fromkeys(r["chunker"] for r in rows if r["corpus"] == corpus):
            mine = [r for r in rows if r["corpus"] == corpus and r["chunker"] == chunker and r["chunks"]]
            names = [m for m in METRICS if mine and all(r.get(m) is not None for r in mine)]
            for size in sizes:
                values = {m: interpolate([(r["mean_chars"], r[m]) for r in mine], size) for m in names}
                if values and all(v is not None for v in values.values()):
                    out.append({"corpus": corpus, "mean_chars": size, "chunker": chunker, "ours": mine[0]["ours"],
                                **values})  # fmt: skip
    return out


def common_sizes(rows: Sequence[dict[str, Any]], count: int = 2) -> list[int]:
    """``count`` round mean sizes inside the range every chunker's settings cover (so every chunker gets a
    matched row); when the ranges do not overlap, the median mean size."""
    ranges = {}
    for r in rows:
        if r["chunks"]:
            low, high = ranges.get(r["chunker"], (math.inf, -math.inf))
            ranges[r["chunker"]] = (min(low, r["mean_chars"]), max(high, r["mean_chars"]))
    if not ranges:
        return []
    low, high = max(a for a, _ in ranges.values()), min(b for _, b in ranges.values())
    if low > high:
        means = sorted(r["mean_chars"] for r in rows if r["chunks"])
        return [round(means[len(means) // 2])]
    step = (high - low) / (count + 1)
    picks = [low + step * (i + 1) for i in range(count)] if step > 0 else [low]
    unit = 50 if high - low >= 200 else 10 if high - low >= 40 else 1
    rounded = [min(max(round(p / unit) * unit, math.ceil(low)), math.floor(high)) for p in picks]
    return sorted(set(rounded)) or [round(low)]


def speed_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per corpus and chunker: characters per second of its first (cold) setting that made chunks, its ratio to
    the fastest peer (``ours`` false; NaN without peers) and to the fastest chunker of all."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        first: dict[str, dict[str, Any]] = {}
        for r in rows:
            if r["corpus"] == corpus and r["chunker"] not in first and r["chunks"]:  # a setting that made chunks
                first[r["chunker"]] = r
        fastest_peer = max((r["chars_per_s"] for r in first.values() if not r["ours"]), default=math.nan)
        fastest = max((r["chars_per_s"] for r in first.values()), default=math.nan)
        for name, r in first.items():
            out.append({"corpus": corpus, "chunker": name, "ours": r["ours"], "target": r["target"],
                        "chars_per_s": r["chars_per_s"], "x_fastest_peer": r["chars_per_s"] / fastest_peer,
                        "x_fastest": r["chars_per_s"] / fastest})  # fmt: skip
    return out
