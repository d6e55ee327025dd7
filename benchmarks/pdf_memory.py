"""Memory and time of `PDFChunker.chunk_file` as a PDF grows: Chroma's WikiText articles printed to 36 A4 pages
(`benchmarks/pdf_corpus.py`), repeated to longer PDFs with pypdf. Each size in a process of its own (Linux): the RSS
once the imports are loaded and a one-page PDF chunked (set-up), then the peak RSS while chunking the long one (the
peak reset after the set-up); the memory a page costs is the slope between sizes.

    python -m benchmarks.pdf_memory          # -> benchmarks/results/pdf_memory.md and .json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .paths import ROOT
from .pdf_corpus import articles, render
from .report import heading, machine, measure_and_write, table

REPEATS = (1, 7, 28)  # 36, 252 and 1,008 pages

WORKER = """
import json, sys, time
from chunkers import PDFChunker

def status(key):  # bytes, from /proc/self/status (Linux)
    line = next(line for line in open("/proc/self/status") if line.startswith(key + ":"))
    return int(line.split()[1]) * 1024

chunker = PDFChunker(max_size=1000)
chunker.chunk_file(sys.argv[2])  # every import and first-use cost paid on one page
open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from here
base = status("VmRSS")
start = time.perf_counter()
chunks = chunker.chunk_file(sys.argv[1])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "chunks": len(chunks), "base": base, "peak": status("VmHWM")}))
"""


def build(folder: Path) -> tuple[Path, list[tuple[int, Path]]]:
    """The 36-page PDF, a one-page PDF and the longer PDFs: (one page, [(pages, path), ...])."""
    from pypdf import PdfReader, PdfWriter

    source = render(articles(None), folder / "wikitext.pdf")
    pages = PdfReader(str(source)).pages
    one = PdfWriter()
    one.add_page(pages[0])
    one.write(folder / "one.pdf")
    out = []
    for repeats in REPEATS:
        writer = PdfWriter()
        for _ in range(repeats):
            for page in pages:
                writer.add_page(page)
        path = folder / f"wikitext_x{repeats}.pdf"
        writer.write(path)
        out.append((len(pages) * repeats, path))
    return folder / "one.pdf", out


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        one, sized = build(Path(tmp))
        rows = []
        for pages, path in sized:
            result = subprocess.run([sys.executable, "-c", WORKER, str(path), str(one)], capture_output=True,
                                    text=True, check=True, cwd=ROOT)  # fmt: skip
            measured = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append({"pages": pages, **measured, "pages_per_s": pages / measured["seconds"]})
            print(rows[-1], flush=True)
    first, last = rows[0], rows[-1]
    slope = ((last["peak"] - last["base"]) - (first["peak"] - first["base"])) / (last["pages"] - first["pages"])
    return {"machine": machine(), "rows": rows, "bytes_per_page": slope}


def markdown(report: dict[str, Any]) -> str:
    lines = heading("PDFs: memory and time as the PDF grows", __doc__, report)
    lines += table(["pages", "seconds", "pages/s", "chunks", "RSS after set-up (MB)", "peak RSS (MB)",
                    "peak - set-up (MB)"],
                   [[r["pages"], f"{r['seconds']:.2f}", f"{r['pages_per_s']:.0f}", r["chunks"], f"{r['base'] / 1e6:.0f}",
                     f"{r['peak'] / 1e6:.0f}", f"{(r['peak'] - r['base']) / 1e6:.0f}"] for r in report["rows"]])  # fmt: skip
    lines += ["", f"Memory a page costs (slope of peak - set-up): {report['bytes_per_page'] / 1e3:.0f} KB."]
    return "\n".join(lines)


def main() -> None:
    measure_and_write("pdf_memory", __doc__, run, markdown)


if __name__ == "__main__":
    main()
