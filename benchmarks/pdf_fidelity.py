"""PDF text against ground truth: docling's test PDFs (real papers, manuals, forms) and the Markdown docling's team
keeps as their ground truth (tests/data/pdf/groundtruth/*.md in github.com/docling-project/docling, MIT), read by
the frameworks' loader (pypdf pages), by that text joined our way, and by `PDFChunker`.

Text: every path's words (letters and digits, NFKC, lower case) matched in order to the ground truth's (image and
comment marks left out; difflib's longest matching blocks): recall is the share of the ground truth's words a path
gives in order, precision the share of a path's words that are the ground truth's (a running header, a page number,
a word broken by a hyphen, a figure's text that the ground truth leaves out count against it). Headings: the ground truth's heading lines (``#``) found as headings in a path's
Markdown (letters and digits compared), and the share of a path's headings that are the ground truth's.

    python -m benchmarks.pdf_fidelity --source <docling checkout>/tests/data/pdf   # -> benchmarks/results/pdf_fidelity.md
"""

from __future__ import annotations

import argparse
import re
import time
import unicodedata
import warnings
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .paths import ROOT
from .report import machine, table, write

HEADING = re.compile(r"(?m)^#{1,6}\s+(.+?)\s*$")


def ground_truth(markdown: str) -> str:
    """The ground truth's text without its image and comment marks."""
    return re.sub(r"<!--.*?-->", " ", markdown, flags=re.DOTALL)


def headings(markdown: str) -> set[str]:
    from chunkers.pdf.assemble import squash

    return {squash(h) for h in HEADING.findall(markdown)} - {""}


def pypdf_pages(pdf: Path) -> list[str]:
    from langchain_community.document_loaders import PyPDFLoader

    return [page.page_content for page in PyPDFLoader(str(pdf)).load()]


def paths(pdf: Path) -> dict[str, str]:
    """Each path's text of ``pdf``."""
    from chunkers import PDFChunker
    from chunkers.pdf import assemble, read_pages
    from chunkers.pdf.assemble import headings_of
    from chunkers.pdf.layout import Page

    pages = pypdf_pages(pdf)
    loader_pages = [Page.from_text(text, str(i + 1)) for i, text in enumerate(pages)]
    layout = list(read_pages(pdf))  # the headings PDFTextSplitter takes from the file's layout
    found = headings_of(layout) if len(layout) == len(pages) else None
    return {
        "frameworks' loaders: pypdf pages, one after another": "\n\n".join(pages),
        "ours: those pages joined (PDFTextSplitter, SentenceNodeParser, ...)": assemble(loader_pages, found).text,
        "ours: PDFChunker on the file": PDFChunker().extract(pdf),
    }


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).lower())


def compare(text: str, truth: str) -> dict[str, float]:
    """Recall and precision of ``text``'s words against ``truth``'s, in order, and of its headings."""
    given_words, true_words = words(text), words(ground_truth(truth))
    matcher = SequenceMatcher(None, true_words, given_words, autojunk=False)
    found = sum(block.size for block in matcher.get_matching_blocks())
    wanted, given = headings(truth), headings(text)
    return {
        "words": len(true_words), "recall": found / max(len(true_words), 1),
        "precision": found / max(len(given_words), 1),
        "headings": len(wanted), "heading_recall": len(wanted & given) / len(wanted) if wanted else None,
        "heading_precision": len(wanted & given) / len(given) if given else None,
    }  # fmt: skip


def run(source: Path) -> dict[str, Any]:
    started = time.perf_counter()
    rows = []
    for truth_file in sorted((source / "groundtruth").glob("*.md")):
        pdf = source / f"{truth_file.stem}.pdf"
        if not pdf.is_file():
            continue
        truth = truth_file.read_text(encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                texts = paths(pdf)
            except Exception as error:  # a PDF no path reads is reported, not fatal
                rows.append({"file": pdf.name, "path": "all", "error": f"{type(error).__name__}: {error}"[:120]})
                continue
        for name, text in texts.items():
            rows.append({"file": pdf.name, "path": name, **compare(text, truth)})
            print(pdf.name, name, {k: v for k, v in rows[-1].items() if isinstance(v, float)}, flush=True)
    return {"machine": machine(), "minutes": (time.perf_counter() - started) / 60, "rows": rows}


def markdown(report: dict[str, Any]) -> str:
    rows = [r for r in report["rows"] if "error" not in r]
    names = list(dict.fromkeys(r["path"] for r in rows))
    files = sorted({r["file"] for r in rows})
    lines = ["# PDF text against ground truth (docling's test PDFs)", "", __doc__.split("\n\n")[1].replace("\n", " "),
             "", f"Machine: {report['machine']}. {len(files)} PDFs. Run time {report['minutes']:.1f} min.", "",
             "## All files (words pooled; headings pooled over the files that have any)", ""]  # fmt: skip
    summary = []
    for name in names:
        mine = [r for r in rows if r["path"] == name]
        words = sum(r["words"] for r in mine)
        recall = sum(r["recall"] * r["words"] for r in mine) / words
        given = [r for r in mine if r["heading_precision"] is not None]
        wanted = sum(r["headings"] for r in mine)
        found = sum((r["heading_recall"] or 0) * r["headings"] for r in mine)
        summary.append([name, f"{recall:.3f}", f"{_pooled_precision(mine):.3f}",
                        f"{found / wanted:.2f}" if wanted else "-",
                        f"{sum(r['heading_precision'] for r in given) / len(given):.2f}" if given else "-"])  # fmt: skip
    lines += table(["path", "text recall", "text precision", "heading recall", "heading precision"], summary)
    lines += ["", "## Per file", ""]
    lines += table(["file", "path", "text recall", "text precision", "headings", "heading recall"],
                   [[r["file"], r["path"], f"{r['recall']:.3f}", f"{r['precision']:.3f}", r["headings"],
                     "-" if r["heading_recall"] is None else f"{r['heading_recall']:.2f}"] for r in rows])  # fmt: skip
    errors = [r for r in report["rows"] if "error" in r]
    if errors:
        lines += ["", "Not read: " + "; ".join(f"{r['file']} ({r['error']})" for r in errors)]
    return "\n".join(lines)


def _pooled_precision(rows: list[dict[str, Any]]) -> float:
    """Precision pooled over the files (their found words over their given ones)."""
    found = sum(r["recall"] * r["words"] for r in rows)
    given = sum(r["recall"] * r["words"] / r["precision"] for r in rows if r["precision"])
    return found / given if given else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pdf_fidelity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="docling's tests/data/pdf (PDFs + groundtruth/)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    report = run(args.source)
    text = markdown(report)
    write(args.out, "pdf_fidelity", text, report)
    print(text)


if __name__ == "__main__":
    main()
