"""Structured-document retrieval suites, as `chunkers.apps.evaluation` objects (Corpus, Document, Question):

- ``wikitexts-md``: Chroma's vendored WikiText corpus (benchmarks/data/chroma-general, MIT; the text is WikiText-103,
  CC BY-SA) rendered as Markdown in memory, one document per article, and its 144 questions' evidence spans remapped
  into the rendered documents (each checked: ``document[start:end] == content``).
- ``wikitexts-html``: the same articles as HTML pages (``<title>``, ``<h1>``-``<h6>``, one ``<p>`` per line, the
  text HTML-escaped), each evidence span remapped onto its escaped text, for the HTML side of the ablation.
- ``pubmed-md``: Chroma's vendored PubMed Central articles (benchmarks/data/chroma-general, MIT; the articles are
  PMC open access, CC BY as each states) rendered as Markdown in memory, one document per article: the body's section
  titles (a short line that runs straight into the next line, no blank line between, not a figure or table caption)
  as ``##`` for the standard IMRaD names and ``###`` otherwise; no ``#`` title (the corpus runs each title into its
  journal header, so the title variants equal the path ones here); its 99 questions' evidence remapped (each
  checked).
- ``doc2dial``: the Doc2Dial help pages built by ``benchmarks/structured_corpus.py`` into
  benchmarks/corpora/structured/doc2dial (gitignored); reported as missing, with the command, when absent.

Also here, for the benchmark (structured_bench.py): `section_path`, the heading path in force at an offset of a
Markdown text (ATX headings outside fenced code), the context embedded with chunkers that have no header metadata of
their own; and `Aligner`, the exact spans of chunk strings whose whitespace a splitter changed.
"""

from __future__ import annotations

import csv
import html
import json
import re
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from chunkers.apps.evaluation import Corpus, Document, EvaluationInputError, Question, load_questions

from .paths import CHROMA, ROOT

SUITES = ("wikitexts-md", "doc2dial", "pubmed-md", "wikitexts-html")
DOC2DIAL = ROOT / "benchmarks" / "corpora" / "structured" / "doc2dial"
BUILD_DOC2DIAL = (
    "python -m benchmarks.structured_corpus --source <git dir of github:doc2dial/sharedtask-dialdoc2021, "
    "e.g. benchmarks/mirrors/doc2dial+sharedtask-dialdoc2021> (see benchmarks/structured_corpus.py)"
)
# A WikiText heading line: " = Title = ", " = = Section = = ", ... (the same number of "=" on both sides).
WIKI_HEADING = re.compile(r" (=(?: =)*) (.+?) \1 \n?")


@dataclass
class Suite:
    """A loaded suite (``corpus`` None and ``missing`` set when it could not be loaded)."""

    name: str
    corpus: Corpus | None
    questions: list[Question]
    notes: list[str] = field(default_factory=list)
    missing: str | None = None


# ---------------------------------------------------------------- wikitexts-md


def wiki_heading(line: str) -> tuple[int, str] | None:
    """(level, title) of a WikiText heading line. Lines shaped like a level-1 heading whose title holds " ; " are
    the broken statistics legends of one article ("Pos = Position ; GP = Games played ..."), not headings."""
    match = WIKI_HEADING.fullmatch(line)
    if not match or " ; " in match.group(2):
        return None
    return match.group(1).count("="), match.group(2).strip()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].rstrip("-") or "untitled"


def render_wikitexts(text: str) -> tuple[list[Document], list[tuple[int, int]], int]:
    """Markdown documents, one per article: headings as ``#``..``######`` followed by a blank line, every other line
    copied verbatim and followed by a blank line (one paragraph each). Returns the documents, the map from each
    original character to (document position, offset in it) or (-1, -1) when not carried over (heading markup),
    and the number of heading-shaped lines kept as text."""
    documents: list[tuple[str, list[str]]] = []
    mapping: list[tuple[int, int]] = []
    kept_as_text = 0
    for line in text.splitlines(keepends=True):
        heading = wiki_heading(line)
        kept_as_text += heading is None and WIKI_HEADING.fullmatch(line) is not None
        if (heading is not None and heading[0] == 1) or not documents:
            documents.append(((heading or (1, "untitled"))[1], []))
        parts = documents[-1][1]
        offset = sum(map(len, parts))
        if heading is not None:
            parts.append(f"{'#' * min(heading[0], 6)} {heading[1]}\n\n")
            mapping += [(-1, -1)] * len(line)
        else:
            parts.append(line + ("\n" if line.endswith("\n") else "\n\n"))
            mapping += [(len(documents) - 1, offset + i) for i in range(len(line))]
    rendered = [Document(f"{n:02d}-{slug(title)}.md", "".join(parts)) for n, (title, parts) in enumerate(documents)]
    return rendered, mapping, kept_as_text


def render_wikitexts_html(text: str) -> tuple[list[Document], list[tuple[int, int]]]:
    """HTML pages, one per article, and the map from each original character to (page position, offset of its
    escaped form), as `render_wikitexts` gives it."""
    pages: list[tuple[str, list[str]]] = []
    mapping: list[tuple[int, int]] = []
    for line in text.splitlines(keepends=True):
        heading = wiki_heading(line)
        if (heading is not None and heading[0] == 1) or not pages:
            title = (heading or (1, "untitled"))[1]
            pages.append((title, [f"<!DOCTYPE html>\n<html><head><title>{html.escape(title)}</title></head><body>\n"]))
        parts = pages[-1][1]
        offset = sum(map(len, parts))
        body = line.rstrip("\n")
        if heading is not None:
            level = min(heading[0], 6)
            parts.append(f"<h{level}>{html.escape(heading[1])}</h{level}>\n")
            mapping += [(-1, -1)] * len(line)
            continue
        parts.append(f"<p>{html.escape(body, quote=False)}</p>\n" if body.strip() else "\n")
        position = offset + 3
        for char in body:  # each character maps to the start of its escaped form
            mapping.append((len(pages) - 1, position) if body.strip() else (-1, -1))
            position += len(html.escape(char, quote=False))
        mapping += [(-1, -1)] * (len(line) - len(body))
    documents = [Document(f"{n:02d}-{slug(title)}.html", "".join(parts) + "</body></html>\n")
                 for n, (title, parts) in enumerate(pages)]  # fmt: skip
    return documents, mapping


def wikitexts_html() -> Suite:
    """The WikiText corpus as HTML pages, with its questions' evidence remapped."""
    text = (CHROMA / "corpora" / "wikitexts.md").read_text(encoding="utf-8")
    documents, mapping = render_wikitexts_html(text)
    return rendered_suite(
        "wikitexts-html",
        "wikitexts",
        documents,
        mapping,
        ", as HTML",
        escaped=True,
        lost_note="; a span covers the escaped text ('&lt;unk&gt;' for WikiText's '<unk>')",
    )


def remap(
    mapping: list[tuple[int, int]], documents: list[Document], start: int, end: int, content: str,
    escaped: bool = False,
) -> tuple[str, int, int] | None:  # fmt: skip
    """An original evidence span in the rendered documents, or None when it is not carried over exactly
    (``escaped``: the documents are HTML, the span's text HTML-escaped there)."""
    first, last = mapping[start], mapping[end - 1]
    if first[0] < 0 or last[0] != first[0]:
        return None
    document = documents[first[0]]
    a, b = first[1], last[1] + (len(html.escape(content[-1], quote=False)) if escaped else 1)
    text = document.text[a:b]
    return (document.id, a, b) if (html.unescape(text) if escaped else text) == content else None


def rendered_suite(
    name: str, corpus_id: str, documents: list[Document], mapping: list[tuple[int, int]], rendering: str,
    escaped: bool = False, lost_note: str = "",
) -> Suite:  # fmt: skip
    """A suite of a vendored Chroma corpus rendered into ``documents``, its questions' evidence remapped through
    ``mapping`` (``rendering``: what the rendering kept or found, for the notes)."""
    questions, lost, references = remapped_questions(corpus_id, mapping, documents, escaped)
    corpus = Corpus(documents, name)
    notes = [
        f"{len(documents)} articles rendered from benchmarks/data/chroma-general/corpora/{corpus_id}.md "
        f"({corpus.chars:,} chars{rendering})",
        f"{len(questions)} questions kept; {references - lost} of {references} evidence spans remapped exactly, "
        f"{lost} could not be{lost_note}",
    ]
    return Suite(name, corpus, questions, notes)


def wikitexts_md() -> Suite:
    """The WikiText corpus as Markdown articles, with its questions' evidence remapped."""
    text = (CHROMA / "corpora" / "wikitexts.md").read_text(encoding="utf-8")
    documents, mapping, kept_as_text = render_wikitexts(text)
    rendering = f"; {kept_as_text} heading-shaped legend lines (title with ' ; ') kept as text"
    return rendered_suite("wikitexts-md", "wikitexts", documents, mapping, rendering)


# ---------------------------------------------------------------- pubmed-md

SECTION_NAMES = {"abstract", "introduction", "background", "results", "discussion", "methods", "conclusions",
                 "conclusion", "materials and methods", "results and discussion", "supporting information",
                 "abbreviations", "acknowledgments", "acknowledgements", "references"}  # fmt: skip


def pubmed_heading(line: str, following: str) -> int | None:
    """The heading level of a PubMed body line, or None when it is text."""
    title = line.strip()
    if not title or not following.strip() or len(title) > 120 or title[-1] in ".:;,?!)" or title[0] in "([":
        return None
    if title.startswith(("Figure ", "Table ", "Fig. ")) or not title[0].isupper():
        return None
    return 2 if title.lower() in SECTION_NAMES else 3


def render_pubmed(text: str) -> tuple[list[Document], list[tuple[int, int]], int]:
    """Markdown documents, one per article (from each ``PMID:`` line): headings as ``##``/``###`` lines
    followed by a blank line, every other line copied verbatim. Returns the documents, the map from each original
    character to (document position, offset in it) (heading titles map too: only the markup is new), and the number
    of headings."""
    lines = text.splitlines(keepends=True)
    articles: list[list[str]] = []
    mapping: list[tuple[int, int]] = []
    found = offset = 0
    in_body = False
    for k, line in enumerate(lines):
        if line.startswith("PMID:") or not articles:
            articles.append([])
            in_body, offset = False, 0
        following = lines[k + 1] if k + 1 < len(lines) else ""
        parts = articles[-1]
        level = pubmed_heading(line, following) if in_body else None
        in_body = (in_body or line.startswith("==== Body")) and not line.startswith("==== Refs")
        if level is None:
            parts.append(line)
            mapping += [(len(articles) - 1, offset + i) for i in range(len(line))]
            offset += len(line)
            continue
        found += 1
        title = line.rstrip("\r\n")
        markup = "#" * level + " "
        parts.append(markup + title + "\n\n")
        offset += len(parts[-1])
        mapping += [(len(articles) - 1, offset + len(markup) + i) for i in range(len(title))]
        mapping += [(-1, -1)] * (len(line) - len(title))
    documents = []
    for n, parts in enumerate(articles):
        body = "".join(parts)
        accession = re.search(r"^Accession ID: (\w+)", body, re.MULTILINE)
        documents.append(Document(f"{n:02d}-{accession.group(1) if accession else 'untitled'}.md", body))
    return documents, mapping, found


def pubmed_md() -> Suite:
    """The PubMed articles as Markdown, with their questions' evidence remapped."""
    text = (CHROMA / "corpora" / "pubmed.md").read_text(encoding="utf-8")
    documents, mapping, found = render_pubmed(text)
    return rendered_suite("pubmed-md", "pubmed", documents, mapping, f", {found} headings found by the line rule")


def remapped_questions(
    corpus_id: str, mapping: list[tuple[int, int]], documents: list[Document], escaped: bool = False
) -> tuple[list[Question], int, int]:
    """A Chroma corpus's questions with their evidence remapped into rendered documents: the questions with at
    least one exact span, the spans lost and the spans in all."""
    with (CHROMA / "questions.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["corpus_id"] == corpus_id]
    questions, lost, references = [], 0, 0
    for row in rows:
        refs = json.loads(row["references"])
        references += len(refs)
        spans = [remap(mapping, documents, r["start_index"], r["end_index"], r["content"], escaped) for r in refs]
        lost += sum(s is None for s in spans)
        found = sorted({s for s in spans if s is not None})
        if found:
            questions.append(Question(row["question"], tuple(found), tuple(dict.fromkeys(d for d, _, _ in found))))
    return questions, lost, references


# ---------------------------------------------------------------- doc2dial


def doc2dial(folder: Path = DOC2DIAL) -> Suite:
    """The doc2dial pages and questions, or a missing suite naming the command that builds them."""
    files = sorted((folder / "documents").glob("*.md"))
    if not files or not (folder / "questions.jsonl").is_file():
        return Suite("doc2dial", None, [], missing=f"not built ({folder} is absent); build it with: {BUILD_DOC2DIAL}")
    corpus = Corpus([Document(f.name, f.read_text(encoding="utf-8")) for f in files], "doc2dial")
    try:
        questions = load_questions(corpus, folder / "questions.jsonl")
    except EvaluationInputError as exc:
        return Suite("doc2dial", None, [], missing=f"questions do not load: {exc}")
    spans = sum(len(q.spans) for q in questions)
    notes = [
        f"{len(files)} pages from {folder.relative_to(ROOT)} ({corpus.chars:,} chars), built by "
        "benchmarks/structured_corpus.py (manifest: benchmarks/structured_corpus_manifest.json)",
        f"{len(questions)} questions, {spans} evidence spans (all checked against the documents on load)",
    ]
    return Suite("doc2dial", corpus, questions, notes)


def load(name: str) -> Suite:
    if name == "wikitexts-md":
        return wikitexts_md()
    if name == "doc2dial":
        return doc2dial()
    if name == "pubmed-md":
        return pubmed_md()
    if name == "wikitexts-html":
        return wikitexts_html()
    raise ValueError(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")


def subset(suite: Suite, max_documents: int) -> Suite:
    """A deterministic sample: every k-th document among those some question needs (k = the count over
    ``max_documents``), with the questions whose evidence lies in them only."""
    if suite.corpus is None or max_documents >= len(suite.corpus.documents):
        return suite
    needed = [d for d in suite.corpus.documents if any(d.id in q.documents for q in suite.questions)]
    step = max(len(needed) / max_documents, 1.0)
    chosen = [needed[int(i * step)] for i in range(min(max_documents, len(needed)))]
    ids = {d.id for d in chosen}
    questions = [q for q in suite.questions if set(q.documents) <= ids]
    corpus = Corpus(chosen, suite.corpus.name)
    note = (f"subset: {len(chosen)} of {len(suite.corpus.documents)} documents (every {step:.1f}th of those with "
            f"questions), {corpus.chars:,} chars, {len(questions)} questions")  # fmt: skip
    return Suite(suite.name, corpus, questions, [*suite.notes, note])


# ---------------------------------------------------------------- Markdown section paths

ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


@lru_cache(maxsize=64)
def headings(text: str) -> tuple[list[int], list[tuple[int, str]]]:
    """The ATX headings of a Markdown text outside fenced code: their line offsets and (level, title)."""
    offsets: list[int] = []
    found: list[tuple[int, str]] = []
    fence = ""
    position = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        opener = FENCE.match(body)
        if fence:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = ""
        elif opener:
            fence = opener.group(1)
        elif match := ATX.fullmatch(body):
            offsets.append(position)
            found.append((len(match.group(1)), (match.group(2) or "").strip()))
        position += len(line)
    return offsets, found


def section_path(text: str, offset: int) -> list[str]:
    """The heading titles in force at ``offset``: for each level, the last heading of that level whose line starts
    at or before the offset, a shallower heading resetting the deeper levels."""
    offsets, found = headings(text)
    path: dict[int, str] = {}
    for level, title in found[: bisect_right(offsets, offset)]:
        path = {k: v for k, v in path.items() if k < level}
        path[level] = title
    return [path[k] for k in sorted(path) if path[k]]


# ---------------------------------------------------------------- exact offsets of chunk strings


@dataclass(frozen=True)
class Piece:
    """A chunk: its span in the document and its own header context (None: derive it with `heading_context`)."""

    start: int
    end: int
    context: str | None = None


def _visible(char: str) -> bool:  # LangChain's header splitter drops whitespace changes and non-printables
    return char.isprintable() and not char.isspace()


class Aligner:
    """Exact spans of chunk strings that are the document's text in order with whitespace changed (and, for
    LangChain, non-printable characters dropped): each chunk's visible characters are found in the document's
    visible characters, searching on from the previous chunk's end (its start when chunks overlap)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def pieces(self, text: str, chunks: Sequence[tuple[str, str]]) -> list[Piece]:
        started = time.perf_counter()
        positions = [i for i, c in enumerate(text) if _visible(c)]
        visible = "".join(text[i] for i in positions)
        out, previous = [], (0, 0)
        for chunk, context in chunks:
            key = "".join(c for c in chunk if _visible(c))
            if not key:
                continue
            found = visible.find(key, previous[1])
            found = visible.find(key, previous[0]) if found < 0 else found
            if found < 0:
                raise ValueError(f"chunk {chunk[:40]!r} is not the document's text in order")
            previous = (found, found + len(key))
            out.append(Piece(positions[found], positions[found + len(key) - 1] + 1, context))
        self.seconds += time.perf_counter() - started
        return out
