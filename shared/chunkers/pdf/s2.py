"""S2 Chunking (Verma, 2025, "A Hybrid Framework for Document Segmentation Through Integrated Spatial and Semantic
Analysis"): a document's regions (its paragraphs and headings) are the nodes of a graph whose edge weights average a
spatial affinity (``1 / (1 + distance)`` between the regions' centres) and a semantic one (the cosine of their
embeddings); spectral clustering cuts the graph into ``total size / max size * (1 - mean weight)^2`` clusters (at
least one), and each cluster, in reading order, is cut where the next region would take it over the size limit.

What we keep exact: a chunk is one slice of the text, so a cluster's regions that are not next to each other in
reading order are separate chunks (``s2_cluster`` numbers the cluster they came from). Distances are in page
heights, across pages stacked top to bottom (the paper's are in pixels of one page image). Clusters are formed
within windows of `WINDOW_PAGES` pages, so the graph, and the memory, stay bounded on long documents. A region over
the limit is cut along its structure by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..core.sizing import SpanMeasure
from .assemble import Assembled
from .layout import Box, union

WINDOW_PAGES = 16
TEXT_PAGE = 3000  # characters to a page, for positions in a text without a layout


@dataclass(frozen=True)
class Region:
    """``text[start:end]``, one paragraph or heading, with its centre ``(x, y)``: page widths across, page heights
    down from the top of the first page."""

    start: int
    end: int
    x: float
    y: float

    @property
    def page(self) -> int:
        return int(self.y)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph of ``text`` (apart by blank lines), trimmed of surrounding whitespace."""
    spans = []
    for match in re.finditer(r"\S(?:.*?\S)??(?=\s*\n\s*\n|\s*$)", text, re.DOTALL):
        spans.append((match.start(), match.end()))
    return spans


def regions_of(text: str, assembled: Assembled | None = None) -> list[Region]:
    """The regions of ``text``, placed by their boxes in ``assembled`` (a PDF read with its layout), else by where
    their characters are in its pages (pages known by their text), else by their offset (`TEXT_PAGE` characters to a
    page)."""
    frames = [_frame(assembled, p) for p in range(len(assembled.pages))] if assembled else []
    regions = []
    for start, end in paragraph_spans(text):
        x, y = 0.5, start / TEXT_PAGE
        boxes = assembled.boxes(start, end) if assembled else []
        if boxes and frames[boxes[0][0]] is not None:
            page, (left, bottom, right, top) = boxes[0]
            f_left, f_bottom, f_right, f_top = frames[page]  # type: ignore[misc]
            x = ((left + right) / 2 - f_left) / max(f_right - f_left, 1.0)
            y = page + (f_top - (bottom + top) / 2) / max(f_top - f_bottom, 1.0)
        elif assembled and (spans := assembled.page_spans(start, end)):
            page, a, b = spans[0]
            y = page + (a + b) / 2 / max(len(assembled.pages[page].text), 1)
        regions.append(Region(start, end, x, y))
    return regions


def _frame(assembled: Assembled, page: int) -> Box | None:
    boxes = [line.box for line in assembled.pages[page].lines if line.box]
    return union(boxes) if boxes else None


def affinities(regions: list[Region], vectors: Any) -> Any:
    """The graph's weights: the mean of the spatial affinity ``1 / (1 + distance)`` and the cosine of the regions'
    (unit) ``vectors``, negative cosines taken as 0."""
    import numpy as np

    where = np.array([[r.x, r.y] for r in regions], dtype=float)
    distance = np.linalg.norm(where[:, None, :] - where[None, :, :], axis=-1)
    unit = np.asarray(vectors, dtype=float)
    semantic = np.clip(unit @ unit.T, 0.0, 1.0)
    return (1.0 / (1.0 + distance) + semantic) / 2.0


def cluster_count(sizes: list[int], max_size: int, weights: Any) -> int:
    """The paper's number of clusters: ``total size / max_size * (1 - mean weight)^2``, at least 1, at most the
    number of regions."""
    mean = float(weights.mean())
    return max(1, min(len(sizes), int(sum(sizes) / max_size * (1.0 - mean) ** 2)))


def clusters_of(weights: Any, count: int) -> list[int]:
    """Each region's cluster, by spectral clustering of the graph ``weights`` into ``count`` clusters."""
    if count <= 1 or len(weights) <= 2:
        return [0] * len(weights)
    try:
        from sklearn.cluster import SpectralClustering
    except ImportError as error:
        raise ImportError(
            "strategy='s2' clusters with scikit-learn: pip install 'rag-chunkers[pdf]' (or scikit-learn)"
        ) from error
    model = SpectralClustering(n_clusters=count, affinity="precomputed", random_state=0, assign_labels="kmeans")
    return [int(label) for label in model.fit_predict(weights)]


def windows(regions: list[Region]) -> list[list[int]]:
    """The indices of ``regions`` in windows of `WINDOW_PAGES` pages, in order."""
    out: dict[int, list[int]] = {}
    for i, region in enumerate(regions):
        out.setdefault(region.page // WINDOW_PAGES, []).append(i)
    return list(out.values())


def s2_spans(regions: list[Region], vectors: Any, measure: SpanMeasure, max_size: int) -> list[tuple[int, int, int]]:
    """``(start, end, cluster)`` of each chunk, in text order: regions clustered per window (`clusters_of`), each
    cluster's regions taken in reading order into groups within ``max_size`` (`_groups`), and each group's runs of
    consecutive regions one chunk."""
    spans: list[tuple[int, int, int]] = []
    first_cluster = 0
    for window in windows(regions):
        inside = [regions[i] for i in window]
        weights = affinities(inside, vectors[window])
        sizes = [measure(r.start, r.end) for r in inside]
        labels = clusters_of(weights, cluster_count(sizes, max_size, weights))
        for label in dict.fromkeys(labels):
            members = [p for p, found in enumerate(labels) if found == label]
            for group in _groups(members, inside, sizes, measure, max_size):
                for run in _runs(group):
                    spans.append((inside[run[0]].start, inside[run[-1]].end, first_cluster + label))
        first_cluster += max(labels) + 1
    return sorted(spans)


def _groups(
    members: list[int], regions: list[Region], sizes: list[int], measure: SpanMeasure, max_size: int
) -> list[list[int]]:
    """``members`` (positions in reading order) cut, as the paper cuts a cluster, where the next region would take
    the group's size over ``max_size``, or the run of consecutive regions it extends over it (the separators)."""
    groups: list[list[int]] = [[]]
    total, run_start = 0, 0
    for p in members:
        group = groups[-1]
        if not group or group[-1] != p - 1:
            run_start = p  # p does not extend the group's last run of consecutive regions
        if group and (total + sizes[p] > max_size or measure(regions[run_start].start, regions[p].end) > max_size):
            groups.append([])
            total, run_start = 0, p
        groups[-1].append(p)
        total += sizes[p]
    return [group for group in groups if group]


def _runs(positions: list[int]) -> list[list[int]]:
    """``positions`` (ascending) as runs of consecutive numbers."""
    runs: list[list[int]] = []
    for p in positions:
        if runs and runs[-1][-1] == p - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs
