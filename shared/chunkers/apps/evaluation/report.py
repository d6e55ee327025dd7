"""Reports of a comparison: Markdown tables, a JSON file, PNG plots (a metric against mean chunk size and
against speed, one panel per corpus) and a rich table for the terminal. The repository's retrieval suite
draws its results with the same functions."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SPAN_COLUMNS = (("recall", "recall"), ("precision", "precision"), ("iou", "IoU"), ("mrr", "MRR@{k}"))
DOC_COLUMNS = (("doc_recall", "doc recall@{k}"), ("doc_mrr", "doc MRR@{k}"))


def ratio(value: float) -> str:
    """A speed ratio readably: 0.85, or 1/7,803 for a tiny one."""
    return "n/a" if math.isnan(value) or value <= 0 else f"{value:.2f}" if value >= 0.01 else f"1/{1 / value:,.0f}"


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def metric_columns(rows: Sequence[dict[str, Any]], documents: bool, top_k: int = 5) -> list[tuple[str, str]]:
    """The metric columns worth showing: span metrics when questions had spans, document metrics if asked."""
    columns = [c for c in SPAN_COLUMNS if any(r.get(c[0]) is not None for r in rows)]
    if documents or not columns:
        columns += list(DOC_COLUMNS)
    return [(key, title.format(k=top_k)) for key, title in columns]


def main_metric(rows: Sequence[dict[str, Any]]) -> str:
    """IoU when the questions had evidence spans, document MRR otherwise."""
    return "iou" if any(r.get("iou") is not None for r in rows) else "doc_mrr"


def _table(header: Sequence[str], lines: list[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(x) + " |" for x in lines)]


def markdown(
    title: str, setup: str, rows: Sequence[dict[str, Any]], match: Sequence[dict[str, Any]],
    speeds: Sequence[dict[str, Any]], sections: Sequence[str] = (), documents: bool = False, top_k: int = 5,
) -> str:  # fmt: skip
    """The report: setup, metrics at matched mean chunk size, speed, any extra ``sections``, every setting."""
    columns = metric_columns(rows, documents, top_k)
    key = main_metric(rows)
    order = next(title for name, title in columns if name == key)
    lines = [f"# {title}", "", setup, "", "## At matched mean chunk size", "",
             "Each metric interpolated linearly between the chunker's settings at the mean chunk size given (n/a or "
             f"missing: outside the sizes it produced). Rows sorted by {order}.", ""]  # fmt: skip
    lines += _table(
        ["corpus", "mean chars", "chunker", *(t for _, t in columns)],
        [[r["corpus"], f"{r['mean_chars']:g}", r["chunker"], *(fmt(r.get(c)) for c, _ in columns)]
         for r in sorted(match, key=lambda r: (r["corpus"], r["mean_chars"], -(r.get(key) or 0)))],
    )  # fmt: skip
    lines += ["", "## Speed", "", "Characters per second of each chunker's first setting (cold caches, models "
              "already loaded), and the ratio to the fastest peer on the same text.", ""]  # fmt: skip
    lines += _table(
        ["corpus", "chunker", "target", "chars/s", "x fastest peer"],
        [[r["corpus"], r["chunker"], str(r["target"]), f"{r['chars_per_s']:,.0f}", ratio(r["x_fastest_peer"])]
         for r in speeds],
    )  # fmt: skip
    for section in sections:
        lines += ["", section.rstrip("\n")]
    lines += ["", "## Every setting", ""]
    lines += _table(
        ["corpus", "target", "chunker", "setting", "chunks", "mean chars", *(t for _, t in columns), "seconds",
         "notes"],
        [[r["corpus"], str(r["target"]), r["chunker"], r["setting"], str(r["chunks"]), f"{r['mean_chars']:.0f}",
          *(fmt(r.get(c)) for c, _ in columns), f"{r['seconds']:.3f}", _notes(r)] for r in rows],
    )  # fmt: skip
    return "\n".join(lines) + "\n"


def _notes(row: dict[str, Any]) -> str:
    errors = row.get("errors") or []
    failed = f"failed on {len(errors)} document(s): " + "; ".join(
        f"{e['document']}: {e['error']}" for e in errors[:3]) if errors else ""  # fmt: skip
    return "; ".join(x for x in (row.get("notes", ""), failed) if x).replace("|", "\\|").replace("\n", " ")


def plots(
    rows: Sequence[dict[str, Any]], speeds: Sequence[dict[str, Any]], out: Path, stem: str, metric: str = "iou",
    top_k: int = 5,
) -> list[Path]:  # fmt: skip
    """Two PNGs, ``<stem>_size.png`` (``metric`` against mean chunk size) and ``<stem>_speed.png`` (its best value
    over settings against characters per second), one panel per corpus; ours drawn solid, peers dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label = dict(SPAN_COLUMNS + DOC_COLUMNS)[metric].format(k=top_k) + f" (top {top_k})"
    rows = [r for r in rows if r["chunks"] and r.get(metric) is not None]
    if not rows:  # no chunker made chunks: nothing to draw
        return []
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
                    axis.plot([r["mean_chars"] for r in mine], [r[metric] for r in mine], style, label=name,
                              color=colours[name])  # fmt: skip
                else:
                    speed = next(s["chars_per_s"] for s in speeds if s["corpus"] == corpus and s["chunker"] == name)
                    axis.plot([speed], [max(r[metric] for r in mine)], style[1:], markersize=8, label=name,
                              color=colours[name])  # fmt: skip
            axis.set_title(corpus)
            axis.set_ylabel(label if kind == "size" else f"best {label} over settings")
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


def rich_tables(result: Any, documents: bool) -> list[Any]:
    """One rich table per matched mean size (best first by the main metric), with each chunker's speed."""
    from rich.table import Table
    from rich.text import Text

    columns = metric_columns(result.rows, documents, result.top_k)
    key = main_metric(result.rows)
    speed = {s["chunker"]: s for s in result.speed}
    tables = []
    for size in dict.fromkeys(m["mean_chars"] for m in result.matched):
        table = Table(title=f"at a mean chunk size of {size:g} characters")
        table.add_column("chunker", no_wrap=True)
        for _, title in columns:
            table.add_column(title, justify="right")
        table.add_column("chars/s", justify="right")
        table.add_column("x fastest", justify="right")
        here = sorted((m for m in result.matched if m["mean_chars"] == size), key=lambda m: -(m.get(key) or 0))
        for rank, m in enumerate(here):
            s = speed[m["chunker"]]
            cells = [fmt(m.get(c)) for c, _ in columns] + [f"{s['chars_per_s']:,.0f}", ratio(s["x_fastest"])]
            table.add_row(Text(m["chunker"]), *cells, style="bold" if rank == 0 else None)
        tables.append(table)
    return tables


def write_report(result: Any, folder: Path, stem: str = "eval") -> list[Path]:
    """``<stem>.md``, ``<stem>.json`` and, with matplotlib installed, ``<stem>_size.png`` and ``<stem>_speed.png``
    under ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = result.documents > 1
    data = {"setup": result.setup, "rows": result.rows, "matched": result.matched, "speed": result.speed}
    paths = [folder / f"{stem}.json", folder / f"{stem}.md"]
    paths[0].write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(markdown("Which chunker for my data?", result.setup, result.rows, result.matched,
                                 result.speed, documents=documents, top_k=result.top_k), encoding="utf-8")  # fmt: skip
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return paths
    return paths + plots(result.rows, result.speed, folder, stem, main_metric(result.rows), result.top_k)
