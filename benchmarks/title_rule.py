"""Which H1 is a document's title when a file has several (chapters): measured, to choose DocumentChunker's rule.

The document's title is left out of every chunk's context line (``context_title=False``, the measured default), so
the rule decides what a chapter's chunks embed: with "first H1", the first chapter's chunks embed no chapter name
while the others embed theirs; with "no title when several", every chapter's chunks embed their chapter's name.
Material: the ten WikiText articles of the wikitexts-md suite (benchmarks/structured_suites.py) joined into one
Markdown file, each article an H1 chapter, its questions' evidence moved with it; DocumentChunker's spans (the same
under both rules) embedded with each rule's context line, MiniLM, top 5 over the file's chunks, character IoU at
matched mean size.

    python -m benchmarks.title_rule      # -> benchmarks/results/title_rule.md and .json
"""

from __future__ import annotations

import shelve
import time

from chunkers.apps.evaluation import Embedder, score
from chunkers.apps.evaluation.documents import Corpus, Document
from chunkers.apps.evaluation.questions import Question
from chunkers.core.chunk import embedded_text
from chunkers.documents import DocumentChunker, parse
from chunkers.documents.context import SectionPaths, context_line

from . import structured_bench as bench
from .context_bench import CACHE, OUT, _row, tables
from .report import machine, table, write
from .structured_suites import Suite, load

TARGETS = (200, 400, 800, 1600)
RULES = ("first H1", "no title when several")


def book() -> Suite:
    """The wikitexts-md articles as the chapters of one file, with their questions."""
    suite = load("wikitexts-md")
    assert suite.corpus is not None
    bases, parts, position = {}, [], 0
    for document in suite.corpus.documents:
        bases[document.id] = position
        parts.append(document.text.rstrip("\n") + "\n\n")
        position += len(parts[-1])
    corpus = Corpus([Document("book.md", "".join(parts))], "wikitexts-book")
    questions = [Question(q.text, tuple(("book.md", bases[d] + a, bases[d] + b) for d, a, b in q.spans), ("book.md",))
                 for q in suite.questions]  # fmt: skip
    notes = [f"{len(bases)} wikitexts-md articles as the H1 chapters of one file ({len(corpus.documents[0].text):,} "
             f"chars)", f"{len(questions)} questions"]  # fmt: skip
    return Suite("wikitexts-book", corpus, questions, notes)


def context_of(sections: SectionPaths, start: int, rule: str) -> str:
    """The context line of a chunk at ``start`` under ``rule`` (the full path, the title left out)."""
    title = sections.title if rule == "first H1" else ""
    return context_line(title, sections.path(start, "full"), False)


def run() -> dict:
    started = time.perf_counter()
    suite = book()
    text = suite.corpus.documents[0].text
    first = next(c for c in parse(text, "markdown").children if c.kind == "section")
    sections = SectionPaths(parse(text, "markdown"))
    sections.title = first.title  # the "first H1" rule, whatever the engine's default
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = []
    with shelve.open(str(CACHE / "minilm_vectors")) as memo:
        embedder = Embedder(memo=memo)
        queries = embedder.queries([q.text for q in suite.questions])
        for target in TARGETS:
            chunks = DocumentChunker(max_size=target, format="markdown").chunk(text)
            spans, owners, texts = [(c.start, c.end) for c in chunks], [0] * len(chunks), [c.text for c in chunks]
            for rule in RULES:
                contexts = [context_of(sections, c.start, rule) for c in chunks]
                vectors = embedder.documents([embedded_text(x, t) for x, t in zip(contexts, texts)])
                scores = score(suite.corpus, suite.questions, spans, owners, embedder, queries, bench.TOP_K, vectors)
                rows.append(_row(suite, rule, rule, True, target, texts, 0.0, scores))
    report = {"machine": machine(), "notes": suite.notes, "rows": rows, "tables": tables(rows),
              "minutes": (time.perf_counter() - started) / 60}  # fmt: skip
    lines = [
        "# The title of a file with several H1 chapters",
        "",
        __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        f"Machine: {report['machine']}. Run time {report['minutes']:.1f} min. " + "; ".join(suite.notes) + ".",
        "",
    ]
    measured = [m | {"unit": unit} for unit, rows in report["tables"].items() for m in rows]
    lines += table(
        ["rule", "mean size", "IoU", "recall", "MRR@5"],
        (
            [
                m["chunker"],
                f"{m['mean_chars']:g} {m['unit']}",
                f"{m['iou']:.4f}",
                f"{m['recall']:.3f}",
                f"{m['mrr']:.3f}",
            ]
            for m in sorted(measured, key=lambda m: (m["mean_chars"], m["chunker"]))
        ),
    )
    write(OUT, "title_rule", "\n".join(lines), report)
    print("wrote", OUT / "title_rule.md")
    return report


if __name__ == "__main__":
    run()
