"""PDF retrieval: the frameworks' default PDF paths against ours, at matched mean chunk size, on real PDFs.

Suites: Chroma's WikiText articles (17 articles, 144 questions with their evidence) rendered to A4 PDF by WeasyPrint
70 (`benchmarks/pdf_corpus.py`: running header, "Page N" footer, hyphenation; once in one column, once in two), and
60 Doc2Dial help pages (US government sites; questions written by crowd workers, evidence annotated) rendered from
their Markdown by markdown-it-py and WeasyPrint, one PDF each, every third in two columns. Evidence is scored on
the source's letters and digits: every path's text (page texts, joined text, Markdown) is aligned to the source's
alphanumeric characters (NFKC, lower case), so a chunk covers the source characters its own map to, and characters
that are not in the source (running headers, footers, page numbers) count against it. IoU, recall and precision of
the top 5 chunks by MiniLM cosine, per question, averaged; interpolated at matched mean chunk size (characters of
the chunk text) from a grid of each path's size setting. What is embedded is what each path embeds: LangChain
``page_content``; LlamaIndex ``get_content(EMBED)`` (its metadata too); our context line before the text where our
faces embed it.

    python -m benchmarks.pdf_bench [--quick] [--suites ...]      # -> benchmarks/results/pdf.md and .json

The doc2dial suite is built first by benchmarks/structured_corpus.py (see benchmarks/structured_suites.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chunkers.apps.evaluation import Embedder, matched
from chunkers.apps.evaluation.report import fmt
from chunkers.core.chunk import embedded_text

from .paths import ROOT
from .pdf_corpus import articles, detokenize, render, render_markdown
from .report import machine, table, write
from .retrieval_bench import load
from .structured_suites import BUILD_DOC2DIAL, DOC2DIAL

TOP_K = 5
ANCHOR = 24  # characters: a stretch of the source long enough to be found once
SUITES = ("one column", "two columns", "doc2dial")
DOC2DIAL_DOCUMENTS = 60
SIZES = (300, 500)
CHAR_GRID = (250, 350, 500, 700, 900)
TOKEN_GRID = (64, 96, 128, 192, 256)
S2_GRID = (500, 700, 1000, 1400, 2000)  # S2's chunks are far under its limit (clusters come apart in reading order)
Piece = tuple[str, str]  # (text the path's chunk spans, what it embeds)


def alnum(text: str) -> tuple[str, list[int]]:
    """The lower-case letters and digits of ``text`` (NFKC) and the offset in ``text`` of each."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        for part in unicodedata.normalize("NFKC", ch).lower():
            if part.isalnum():
                chars.append(part)
                offsets.append(i)
    return "".join(chars), offsets


def align(text: str, source: str) -> list[int]:
    """For each alphanumeric character of ``text`` (in `alnum` order), its position in ``source`` (alnum), or -1 for
    characters that are not the source's (a running header, a page number). Greedy: runs of equal characters,
    skipping what ``text`` adds; where the text goes on elsewhere in the source (a block read out of order), it
    picks up there from a stretch of `ANCHOR` characters found once in the source."""
    mapped = [-1] * len(text)
    anchors = _anchors(source)
    i = j = 0
    while i < len(text):
        if j < len(source) and text[i] == source[j]:
            mapped[i] = j
            i, j = i + 1, j + 1
            continue
        ahead = text.find(source[j : j + ANCHOR], i) if j < len(source) else -1
        at = anchors.get(text[i : i + ANCHOR])
        if 0 <= ahead - i < 400:
            i = ahead  # text adds something here
        elif at is not None:
            j = at  # the text goes on elsewhere in the source
        elif j < len(source):
            j += 1  # the source has a character this text lost
        else:
            i += 1
    return mapped


@lru_cache(maxsize=64)
def _anchors(source: str) -> dict[str, int]:
    """Where each stretch of `ANCHOR` characters that occurs once in ``source`` starts."""
    seen: dict[str, int] = {}
    for start in range(len(source) - ANCHOR + 1):
        key = source[start : start + ANCHOR]
        seen[key] = -1 if key in seen else start
    return {key: start for key, start in seen.items() if start >= 0}


@dataclass
class Suite:
    """PDFs with their Markdown sources, and questions whose evidence is a set of positions in the suite's letters
    and digits (each document's `alnum` source text, one after another)."""

    name: str
    documents: list[tuple[Path, str]]  # each document's PDF and Markdown source
    alnums: list[str]  # each document's source letters and digits
    questions: list[tuple[str, set[int]]] = field(default_factory=list)

    def offset(self, document: int) -> int:
        return sum(len(a) for a in self.alnums[:document])


def wikitexts_suite(folder: Path, two_columns: bool) -> Suite:
    """The WikiText articles in one PDF (one or two columns); evidence found in the detokenized source."""
    raw, questions = load("wikitexts")
    blocks = articles(None)
    name = "two columns" if two_columns else "one column"
    pdf = render(blocks, folder / f"{name.replace(' ', '-')}.pdf", two_columns=two_columns)
    suite = Suite(name, [(pdf, markdown_of(blocks))], [alnum(detokenize(raw))[0]])
    for question, spans in questions:
        evidence: set[int] = set()
        for start, end in spans:
            needle = alnum(detokenize(raw[start:end]))[0]
            at = suite.alnums[0].find(needle)
            if at >= 0 and needle:
                evidence.update(range(at, at + len(needle)))
        if evidence:
            suite.questions.append((question, evidence))
    return suite


def doc2dial_suite(folder: Path, count: int = DOC2DIAL_DOCUMENTS) -> Suite | None:
    """``count`` Doc2Dial help pages (every k-th page with questions, by name; built by
    benchmarks/structured_corpus.py, None when absent) rendered from their Markdown, every third in two columns;
    evidence: the annotated spans' letters and digits."""
    if not (DOC2DIAL / "questions.jsonl").is_file():
        print(f"doc2dial suite missing: build it with {BUILD_DOC2DIAL}")
        return None
    asked: dict[str, list[tuple[str, int, int]]] = {}
    for line in (DOC2DIAL / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for ref in row["references"]:
            asked.setdefault(ref["document"], []).append((row["question"], ref["start"], ref["end"]))
    names = sorted(asked)
    names = names[:: max(len(names) // count, 1)][:count]
    suite = Suite("doc2dial help pages (a third in two columns)", [], [])
    for number, name in enumerate(names):
        markdown = (DOC2DIAL / "documents" / name).read_text(encoding="utf-8")
        pdf = render_markdown(markdown, folder / f"{Path(name).stem}.pdf", two_columns=number % 3 == 2)
        letters, offsets = alnum(markdown)
        base = suite.offset(len(suite.alnums))
        suite.documents.append((pdf, markdown))
        suite.alnums.append(letters)
        for question, start, end in asked[name]:
            lo, hi = np.searchsorted(offsets, start), np.searchsorted(offsets, end)
            if hi > lo:
                suite.questions.append((question, set(range(base + int(lo), base + int(hi)))))
    return suite


def chunk_sets(
    document_text: str, spans: Sequence[tuple[int, int]], source: str, base: int
) -> list[tuple[set[int], int]]:
    """Per chunk span of ``document_text``: the positions it covers in the suite (``source``, the document's alnum
    text, starting at ``base``) and its count of characters not in the source."""
    letters, offsets = alnum(document_text)
    mapped = align(letters, source)
    out = []
    for start, end in spans:
        lo, hi = np.searchsorted(offsets, start), np.searchsorted(offsets, end)
        inside = mapped[lo:hi]
        out.append(({base + m for m in inside if m >= 0}, sum(m < 0 for m in inside)))
    return out


def score(chunks: list[tuple[set[int], int]], embedded: list[str], suite: Suite, embedder: Embedder,
          queries: np.ndarray) -> dict[str, float]:  # fmt: skip
    vectors = embedder.documents(embedded)
    ious, recalls, precisions = [], [], []
    for (_, evidence), query in zip(suite.questions, queries):
        top = np.argsort(-(vectors @ query))[:TOP_K]
        covered = set().union(*(chunks[i][0] for i in top))
        foreign = sum(chunks[i][1] for i in top)
        hit = len(covered & evidence)
        ious.append(hit / (len(covered | evidence) + foreign))
        recalls.append(hit / len(evidence))
        precisions.append(hit / max(len(covered) + foreign, 1))
    return {"iou": float(np.mean(ious)), "recall": float(np.mean(recalls)), "precision": float(np.mean(precisions))}


def langchain_default(pdf: Path, size: int) -> tuple[str, list[Any]]:
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    pages = PyPDFLoader(str(pdf)).load()
    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=0, add_start_index=True)
    found = [(d.metadata["page"], d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content),
              d.page_content) for d in splitter.split_documents(pages)]  # fmt: skip
    return _joined([p.page_content for p in pages], found)


def llamaindex_default(pdf: Path, tokens: int) -> tuple[str, list[Any]]:
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.schema import MetadataMode

    pages = SimpleDirectoryReader(input_files=[pdf]).load_data()
    nodes = SentenceSplitter(chunk_size=tokens, chunk_overlap=0).get_nodes_from_documents(pages)
    page_of = {p.doc_id: i for i, p in enumerate(pages)}
    found = [
        (page_of[n.ref_doc_id], n.start_char_idx, n.end_char_idx, n.get_content(MetadataMode.EMBED)) for n in nodes
    ]
    return _joined([p.text for p in pages], found)


def _joined(texts: list[str], found: list[tuple[int, int, int, str]]) -> tuple[str, list[Any]]:
    """The pages as one text (a blank line between) and each chunk as (span in it, embedded text)."""
    starts = np.cumsum([0] + [len(t) + 2 for t in texts])
    return "\n\n".join(texts), [((int(starts[p]) + a, int(starts[p]) + b), embedded) for p, a, b, embedded in found]


def ours_pages(pdf: Path, size: int) -> tuple[str, list[Any]]:
    """PyPDFLoader's pages through our PDFTextSplitter (pages joined), the context line embedded."""
    from langchain_community.document_loaders import PyPDFLoader

    from langchain_chunkers import PDFTextSplitter

    pages = PyPDFLoader(str(pdf)).load()
    splitter = PDFTextSplitter(max_size=size)
    texts = [p.page_content for p in pages]
    text, chunks = splitter.chunker.chunk_source(_only_source(texts, pages), texts, [p.metadata for p in pages])
    return text, [((c.start, c.end), embedded_text(c.metadata.get("context_header") or "", c.text)) for c in chunks]


def _only_source(texts: list[str], pages: list[Any]) -> Any:
    from chunkers.pdf.sources import sources_of

    (source,) = sources_of(texts, [p.metadata for p in pages])
    return source


def ours_file(pdf: Path, size: int, strategy: str = "sections") -> tuple[str, list[Any]]:
    """PDFChunker on the file (layout: headings from fonts), the context line embedded (none with S2)."""
    from chunkers import PDFChunker

    chunker = PDFChunker(max_size=size, strategy=strategy)
    assembled = chunker.assemble_file(pdf)
    chunks = chunker.chunk_assembled(assembled)
    return assembled.text, [((c.start, c.end), embedded_text(c.metadata.get("context_header") or "", c.text))
                            for c in chunks]  # fmt: skip


UNSTRUCTURED = ROOT / ".venv-unstructured" / "bin" / "python"
UNSTRUCTURED_PATH = "unstructured: partition_pdf(strategy='fast') -> chunk_by_title"


@lru_cache(maxsize=4)
def _unstructured(pdfs: tuple[str, ...], size: int) -> tuple[dict[str, list[list[Any]]], float]:
    """unstructured's chunks of each of ``pdfs`` (its own venv, benchmarks/unstructured_worker.py) and the seconds."""
    request = json.dumps({"pdfs": list(pdfs), "max_characters": size})
    result = subprocess.run([str(UNSTRUCTURED), "-m", "benchmarks.unstructured_worker"], input=request,
                            capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {line["pdf"]: line["chunks"] for line in lines if "pdf" in line}, lines[-1]["seconds"]


def unstructured_file(pdfs: tuple[str, ...], pdf: Path, size: int) -> tuple[str, list[Any]]:
    """unstructured's chunks of ``pdf`` (run once for all of ``pdfs``), one after another as its text."""
    texts = [text for text, _ in _unstructured(pdfs, size)[0][str(pdf)]]
    return _joined(texts, [(i, 0, len(t), t) for i, t in enumerate(texts)])


def markdown_source(markdown: str, size: int) -> tuple[str, list[Any]]:
    """DocumentChunker on the Markdown the PDF was rendered from (perfect structure), the context line embedded."""
    from chunkers import DocumentChunker

    chunks = DocumentChunker(max_size=size).chunk(markdown)
    return markdown, [((c.start, c.end), embedded_text(c.metadata["context_header"], c.text)) for c in chunks]


def markdown_of(blocks: list[tuple[int, str, str]]) -> str:
    return "\n\n".join("#" * level + " " + heading if level else text for level, heading, text in blocks)


Path_ = Callable[[Path, str, int], tuple[str, list[Any]]]  # (pdf, its Markdown source, size) -> text, chunks


def run(quick: bool = False, suites: Sequence[str] = SUITES) -> dict[str, Any]:
    started = time.perf_counter()
    embedder = Embedder()
    folder = Path(tempfile.mkdtemp(prefix="pdf-bench-"))
    grid = CHAR_GRID[1:4] if quick else CHAR_GRID
    token_grid = TOKEN_GRID[1:4] if quick else TOKEN_GRID
    paths: dict[str, tuple[bool, Path_, Sequence[int]]] = {
        "LangChain: PyPDFLoader pages -> RecursiveCharacterTextSplitter":
            (False, lambda p, m, s: langchain_default(p, s), grid),
        "LlamaIndex: SimpleDirectoryReader pages -> SentenceSplitter":
            (False, lambda p, m, s: llamaindex_default(p, s), token_grid),
        "ours: PyPDFLoader pages -> PDFTextSplitter": (True, lambda p, m, s: ours_pages(p, s), grid),
        "ours: PDFChunker on the file": (True, lambda p, m, s: ours_file(p, s), grid),
        "ours: PDFChunker(strategy='s2') on the file (S2 Chunking)":
            (True, lambda p, m, s: ours_file(p, s, "s2"), S2_GRID[::2] if quick else S2_GRID),
        "upper bound: DocumentChunker on the Markdown source": (True, lambda p, m, s: markdown_source(m, s), grid),
    }  # fmt: skip
    built = {"one column": lambda: wikitexts_suite(folder, False), "two columns": lambda: wikitexts_suite(folder, True),
             "doc2dial": lambda: doc2dial_suite(folder)}  # fmt: skip
    rows, questions = [], {}
    for suite in filter(None, (built[name]() for name in suites)):
        queries = embedder.queries([q for q, _ in suite.questions])
        questions[suite.name] = len(suite.questions)
        here = dict(paths)
        if UNSTRUCTURED.is_file():  # benchmarks/setup_unstructured_env.sh
            pdfs = tuple(str(pdf) for pdf, _ in suite.documents)
            here[UNSTRUCTURED_PATH] = (False, lambda p, m, s, pdfs=pdfs: unstructured_file(pdfs, p, s), grid)
        for name, (ours, make, sizes) in here.items():
            for size in sizes:
                sets, embedded, lengths = [], [], []
                for number, (pdf, markdown) in enumerate(suite.documents):
                    text, chunks = make(pdf, markdown, size)
                    sets += chunk_sets(text, [span for span, _ in chunks], suite.alnums[number], suite.offset(number))
                    embedded += [e for _, e in chunks]
                    lengths += [b - a for (a, b), _ in chunks]
                measured = score(sets, embedded, suite, embedder, queries)
                rows.append({"corpus": suite.name, "chunker": name, "ours": ours, "setting": size,
                             "chunks": len(lengths), "mean_chars": float(np.mean(lengths)),
                             "with_foreign": sum(1 for s in sets if s[1] > 0) / len(sets), **measured})  # fmt: skip
                print(suite.name, name, size, rows[-1]["mean_chars"], round(measured["iou"], 4), flush=True)
    speed = speeds(wikitexts_suite(folder, False).documents[0][0])
    return {"machine": machine(), "minutes": (time.perf_counter() - started) / 60, "questions": questions,
            "rows": rows, "matched": matched(rows, SIZES), "speed": speed}  # fmt: skip


def speeds(pdf: Path, rounds: int = 3) -> list[dict[str, Any]]:
    """Pages per second of each path on one PDF (best of ``rounds``; reading and chunking, no embedding)."""
    from pypdf import PdfReader

    pages = len(PdfReader(str(pdf)).pages)
    out = []
    for name, make in (("LangChain default (PyPDFLoader + RecursiveCharacterTextSplitter)", langchain_default),
                       ("LlamaIndex default (SimpleDirectoryReader + SentenceSplitter)",
                        lambda p, s: llamaindex_default(p, s // 4)),
                       ("ours: PDFChunker on the file", ours_file),
                       ("ours: PDFChunker(strategy='s2') on the file", lambda p, s: ours_file(p, s, "s2")),
                       ("ours: PyPDFLoader pages -> PDFTextSplitter", ours_pages)):  # fmt: skip
        best = min(_timed(make, pdf) for _ in range(rounds))
        out.append({"path": name, "pages": pages, "seconds": best, "pages_per_s": pages / best})
    if UNSTRUCTURED.is_file():  # its own process: the seconds it reports (its imports and model load left out)
        best = min(_unstructured.__wrapped__((str(pdf),), 500)[1] for _ in range(rounds))
        out.append({"path": UNSTRUCTURED_PATH, "pages": pages, "seconds": best, "pages_per_s": pages / best})
    return out


def _timed(make: Callable[[Path, int], Any], pdf: Path) -> float:
    start = time.perf_counter()
    make(pdf, 500)
    return time.perf_counter() - start


def markdown(report: dict[str, Any]) -> str:
    lines = ["# PDFs: the frameworks' default paths against ours", "", __doc__.split("\n\n")[1].replace("\n", " "),
             "", f"Machine: {report['machine']}. Questions: "
             f"{', '.join(f'{n} {k}' for k, n in report['questions'].items())}. Run time "
             f"{report['minutes']:.1f} min.", ""]  # fmt: skip
    for layout in dict.fromkeys(r["corpus"] for r in report["rows"]):
        for size in SIZES:
            here = sorted((m for m in report["matched"] if m["corpus"] == layout and m["mean_chars"] == size),
                          key=lambda m: -m["iou"])  # fmt: skip
            peers = [m["iou"] for m in here if not m["ours"]]
            best = max(peers, default=None)
            lines += [f"## {layout}, mean {size} characters", ""]
            lines += table(["path", "IoU", "recall", "precision", "IoU / best default"],
                           [[m["chunker"], fmt(m["iou"]), fmt(m["recall"]), fmt(m["precision"]),
                             f"{m['iou'] / best:.2f}" if best else "-"] for m in here])  # fmt: skip
            lines.append("")
    lines += ["## Every setting", ""]
    lines += table(["layout", "path", "setting", "chunks", "mean chars", "chunks with header/footer text", "IoU"],
                   [[r["corpus"], r["chunker"], r["setting"], r["chunks"], f"{r['mean_chars']:.0f}",
                     f"{100 * r['with_foreign']:.0f}%", fmt(r["iou"])] for r in report["rows"]])  # fmt: skip
    lines += ["", "## Speed (reading and chunking; best of 3)", ""]
    lines += table(["path", "pages", "seconds", "pages/s"],
                   [[s["path"], s["pages"], f"{s['seconds']:.2f}", f"{s['pages_per_s']:.0f}"] for s in report["speed"]])  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pdf_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="three sizes per path instead of five")
    parser.add_argument("--suites", nargs="+", default=list(SUITES), choices=SUITES)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    report = run(args.quick, args.suites)
    text = markdown(report)
    write(args.out, "pdf", text, report)
    print(text)


if __name__ == "__main__":
    main()
