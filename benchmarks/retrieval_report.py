"""Tables and plots of the retrieval benchmark: rows at each setting, metrics interpolated at matched mean chunk
size, speed as ratios to the fastest peer."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

METRICS = ("recall", "precision", "iou", "mrr")


def interpolate(points: list[tuple[float, float]], at: float) -> float | None:
    """Linear interpolation of (x, y) points at x = ``at``; None outside the measured range."""
    points = sorted(points)
    if not points or at < points[0][0] or at > points[-1][0]:
        return None
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 <= at <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (at - x0) / (x1 - x0)
    return points[0][1]  # a single point exactly at ``at``


def matched(rows: list[dict], sizes: list[int]) -> list[dict]:
    """Per corpus, chunker and reference mean size: each metric interpolated from the chunker's settings."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        for chunker in dict.fromkeys(r["chunker"] for r in rows if r["corpus"] == corpus):
            mine = [r for r in rows if r["corpus"] == corpus and r["chunker"] == chunker]
            for size in sizes:
                values = {m: interpolate([(r["mean_chars"], r[m]) for r in mine], size) for m in METRICS}
                if values["iou"] is not None:
                    out.append(
                        {"corpus": corpus, "mean_chars": size, "chunker": chunker, "ours": mine[0]["ours"], **values}
                    )
    return out


def speed_rows(rows: list[dict]) -> list[dict]:
    """Per corpus and chunker: characters per second of its first (cold) run, and its ratio to the fastest peer."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        first = {}
        for r in rows:
            if r["corpus"] == corpus and r["chunker"] not in first:
                first[r["chunker"]] = r
        fastest_peer = max((r["chars_per_s"] for r in first.values() if not r["ours"]), default=math.nan)
        for name, r in first.items():
            out.append({"corpus": corpus, "chunker": name, "ours": r["ours"], "target": r["target"],
                        "chars_per_s": r["chars_per_s"], "x_fastest_peer": r["chars_per_s"] / fastest_peer})  # fmt: skip
    return out


def _ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}" if value >= 0.01 else f"1/{1 / value:,.0f}"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def markdown(
    suite: str, setup: str, rows: list[dict], match: list[dict], speeds: list[dict], intrinsic: list[dict]
) -> str:
    lines = [f"# Retrieval benchmark ({suite} suite)", "", setup, "", "## At matched mean chunk size", "",
             "Each metric interpolated linearly between the chunker's settings at the mean chunk size given (n/a: "
             "outside the sizes it produced). Rows sorted by IoU.", "",
             "| corpus | mean chars | chunker | recall | precision | IoU | MRR@5 |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in sorted(match, key=lambda r: (r["corpus"], r["mean_chars"], -r["iou"])):
        lines.append(f"| {r['corpus']} | {r['mean_chars']} | {r['chunker']} | {_fmt(r['recall'])} | "
                     f"{_fmt(r['precision'])} | {_fmt(r['iou'])} | {_fmt(r['mrr'])} |")  # fmt: skip
    lines += ["", "## Speed", "", "Characters per second of each chunker's first run on the corpus (cold caches, "
              "models already loaded), and the ratio to the fastest peer on the same text.", "",
              "| corpus | chunker | target | chars/s | x fastest peer |", "|---|---|---|---|---|"]  # fmt: skip
    for r in speeds:
        lines.append(
            f"| {r['corpus']} | {r['chunker']} | {r['target']} | {r['chars_per_s']:,.0f} | {_ratio(r['x_fastest_peer'])} |"
        )
    if intrinsic:
        lines += ["", "## Intrinsic metrics (MoC)", "",
                  "Boundary clarity (ppl(next | previous) / ppl(next); higher: cleaner cuts) and chunk stickiness "
                  "(structural entropy of the dependence graph; lower: more self-contained chunks), scored with "
                  "SmolLM2-135M on the chunks inside the sample named.", "",
                  "| corpus | target | chunker | sample chunks | mean chars | boundary clarity | stickiness |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in intrinsic:
            lines.append(f"| {r['corpus']} | {r['target']} | {r['chunker']} | {r['chunks']} | {r['mean_chars']:.0f} | "
                         f"{_fmt(r['boundary_clarity'])} | {_fmt(r['stickiness'])} |")  # fmt: skip
    lines += ["", "## Every setting", "",
              "| corpus | target | chunker | setting | chunks | mean chars | recall | precision | IoU | MRR@5 | seconds | notes |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['target']} | {r['chunker']} | {r['setting']} | {r['chunks']} | "
                     f"{r['mean_chars']:.0f} | {_fmt(r['recall'])} | {_fmt(r['precision'])} | {_fmt(r['iou'])} | "
                     f"{_fmt(r['mrr'])} | {r['seconds']:.1f} | {r.get('notes', '')} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def plots(rows: list[dict], speeds: list[dict], out: Path, stem: str) -> list[Path]:
    """Two PNGs: IoU against mean chunk size, and IoU against speed (one panel per corpus)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    corpora = list(dict.fromkeys(r["corpus"] for r in rows))
    names = list(dict.fromkeys(r["chunker"] for r in rows))
    colours = {name: plt.get_cmap("tab20")(i % 20) for i, name in enumerate(names)}  # one colour per chunker
    widest = max(corpora, key=lambda c: len({r["chunker"] for r in rows if r["corpus"] == c}))
    paths = []
    for kind in ("size", "speed"):
        figure, axes = plt.subplots(1, len(corpora), figsize=(6 * len(corpora), 4.5), squeeze=False)
        for axis, corpus in zip(axes[0], corpora):
            for name in dict.fromkeys(r["chunker"] for r in rows if r["corpus"] == corpus):
                mine = sorted(
                    (r for r in rows if r["corpus"] == corpus and r["chunker"] == name), key=lambda r: r["mean_chars"]
                )
                style = "-o" if mine[0]["ours"] else "--s"
                if kind == "size":
                    axis.plot([r["mean_chars"] for r in mine], [r["iou"] for r in mine], style, label=name,
                              color=colours[name])  # fmt: skip
                else:
                    speed = next(s["chars_per_s"] for s in speeds if s["corpus"] == corpus and s["chunker"] == name)
                    axis.plot([speed], [max(r["iou"] for r in mine)], style[1:], markersize=8, label=name,
                              color=colours[name])  # fmt: skip
            axis.set_title(corpus)
            axis.set_ylabel("IoU (top 5)" if kind == "size" else "best IoU over settings (top 5)")
            axis.set_xlabel("mean chunk size (characters)" if kind == "size" else "characters per second (log)")
            if kind == "speed":
                axis.set_xscale("log")
            axis.grid(alpha=0.3)
        shown = {r["chunker"] for r in rows if r["corpus"] == widest}
        for axis, corpus in zip(axes[0], corpora):  # a legend on the widest panel and on any with other chunkers
            if corpus == widest or {r["chunker"] for r in rows if r["corpus"] == corpus} - shown:
                axis.legend(fontsize=7, loc="best")
        figure.tight_layout()
        path = out / f"{stem}_{kind}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        paths.append(path)
    return paths
