"""Tables and plots of the retrieval benchmark. The matched-size interpolation, speed ratios, Markdown tables and
plots are the installed library's (chunkers.apps.evaluation), the same ones ``chunkers eval`` reports with; only the
suite's intrinsic-metrics section is drawn here."""

from __future__ import annotations

from chunkers.apps.evaluation.matching import interpolate, matched, speed_rows
from chunkers.apps.evaluation.report import fmt, plots
from chunkers.apps.evaluation.report import markdown as report_markdown

METRICS = ("recall", "precision", "iou", "mrr")  # the character-level metrics of each setting

__all__ = ["METRICS", "interpolate", "markdown", "matched", "plots", "speed_rows"]


def intrinsic_section(intrinsic: list[dict]) -> str:
    """The MoC boundary clarity / stickiness table."""
    lines = ["## Intrinsic metrics (MoC)", "",
             "Boundary clarity (ppl(next | previous) / ppl(next); higher: cleaner cuts) and chunk stickiness "
             "(structural entropy of the dependence graph; lower: more self-contained chunks), scored with "
             "SmolLM2-135M on the chunks inside the sample named.", "",
             "| corpus | target | chunker | sample chunks | mean chars | boundary clarity | stickiness |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in intrinsic:
        lines.append(f"| {r['corpus']} | {r['target']} | {r['chunker']} | {r['chunks']} | {r['mean_chars']:.0f} | "
                     f"{fmt(r['boundary_clarity'])} | {fmt(r['stickiness'])} |")  # fmt: skip
    return "\n".join(lines)


def markdown(
    suite: str, setup: str, rows: list[dict], match: list[dict], speeds: list[dict], intrinsic: list[dict]
) -> str:
    """The suite's report: the library's tables with the intrinsic metrics before every setting's row."""
    sections = [intrinsic_section(intrinsic)] if intrinsic else []
    return report_markdown(f"Retrieval benchmark ({suite} suite)", setup, rows, match, speeds, sections)
