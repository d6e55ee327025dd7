"""Questions for an evaluation, in the forms users have them:

(a) a question and its evidence text, located exactly in the documents (in the one named, if any);
(b) a question and evidence spans: document id, start, end (character offsets in that document);
(c) a question and the id(s) of the relevant document(s) only: scored at document level (recall@k, MRR).

Files: JSONL, one question per line, e.g. ``{"question": "...", "evidence": ["exact text", ...]}``,
``{"question": "...", "references": [{"document": "a.md", "start": 10, "end": 80}]}`` or
``{"question": "...", "document": "a.md"}``; or CSV with Chroma's columns ``question``, ``references`` (a JSON
list of ``{"content", "start_index", "end_index"}``; ``content`` alone is located as evidence text) and
``corpus_id``. Every malformed question is an error naming its line: none is dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .documents import Corpus, EvaluationInputError

DOCUMENT_KEYS = ("document", "corpus_id", "doc_id")


@dataclass(frozen=True)
class Question:
    """A question with its evidence spans ``(document id, start, end)`` (empty for a document-level question)
    and the ids of its relevant documents."""

    text: str
    spans: tuple[tuple[str, int, int], ...]
    documents: tuple[str, ...]

    @property
    def form(self) -> str:
        return "spans" if self.spans else "documents"


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def locate(corpus: Corpus, evidence: str, document: str | None = None) -> tuple[str, int, int]:
    """The one exact occurrence of ``evidence`` in the corpus (or in ``document``); raises
    `EvaluationInputError` when it is not found or found more than once."""
    if not evidence.strip():
        raise EvaluationInputError("empty evidence text")
    positions = [corpus.find(document)] if document is not None else range(len(corpus.documents))
    hits = []
    for position in positions:
        text = corpus.documents[position].text
        first = text.find(evidence)
        while first >= 0 and len(hits) < 3:
            hits.append((corpus.documents[position].id, first))
            first = text.find(evidence, first + 1)
    scope = f"document {corpus.documents[positions[0]].id!r}" if document is not None else "the documents"
    if not hits:
        raise EvaluationInputError(f"evidence {_preview(evidence)!r} not found in {scope} (it must be quoted exactly)")
    if len(hits) > 1:
        where = ", ".join(f"{doc!r} at {start}" for doc, start in hits[:2])
        raise EvaluationInputError(
            f"evidence {_preview(evidence)!r} found more than once in {scope} ({where}): quote more of it"
            + ("" if document is not None else " or name its document")
        )
    doc, start = hits[0]
    return doc, start, start + len(evidence)


def _span(corpus: Corpus, reference: dict[str, Any], document: str | None) -> tuple[str, int, int]:
    doc = next((reference[k] for k in DOCUMENT_KEYS if reference.get(k) is not None), document)
    start, end = reference.get("start", reference.get("start_index")), reference.get("end", reference.get("end_index"))
    content = reference.get("content")
    if start is None and end is None:
        if not isinstance(content, str):
            raise EvaluationInputError("a reference needs start and end, or its exact text as content")
        return locate(corpus, content, None if doc is None else str(doc))
    if doc is None:
        if len(corpus.documents) > 1:
            raise EvaluationInputError("a span needs its document id (several documents)")
        doc = corpus.documents[0].id
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise EvaluationInputError(f"span start and end must be integers, got {start!r} and {end!r}")
    position = corpus.find(str(doc))
    text = corpus.documents[position].text
    if not 0 <= start < end <= len(text):
        raise EvaluationInputError(f"span {start}:{end} is outside document {doc!r} (length {len(text)})")
    if isinstance(content, str) and text[start:end] != content:
        raise EvaluationInputError(f"span {start}:{end} of {doc!r} is not its content {_preview(content)!r}")
    return corpus.documents[position].id, start, end


def question_from_record(corpus: Corpus, record: dict[str, Any]) -> Question:
    """One `Question` from a record in any of the three forms (see the module's docstring)."""
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise EvaluationInputError('no "question" text')
    document = next((str(record[k]) for k in DOCUMENT_KEYS if record.get(k) is not None), None)
    evidence = record.get("evidence")
    references = record.get("references", record.get("spans"))
    if isinstance(references, str):
        try:
            references = json.loads(references)
        except json.JSONDecodeError as exc:
            raise EvaluationInputError(f'"references" is not valid JSON ({exc.msg})') from None
    spans: list[tuple[str, int, int]] = []
    if evidence is not None:
        for item in [evidence] if isinstance(evidence, str) else evidence:
            if not isinstance(item, str):
                raise EvaluationInputError('"evidence" must be a string or a list of strings')
            spans.append(locate(corpus, item, document))
    if references:
        if not isinstance(references, list) or not all(isinstance(r, dict) for r in references):
            raise EvaluationInputError('"references" must be a list of objects')
        spans += [_span(corpus, r, document) for r in references]
    documents = record.get("documents")
    if documents is not None:
        if not isinstance(documents, list) or not documents:
            raise EvaluationInputError('"documents" must be a non-empty list of document ids')
        ids = [corpus.documents[corpus.find(str(d))].id for d in documents]
    elif document is not None:
        ids = [corpus.documents[corpus.find(document)].id]
    else:
        ids = []
    ids = list(dict.fromkeys([*ids, *(doc for doc, _, _ in spans)]))
    if not ids:
        raise EvaluationInputError('no evidence: give "evidence", "references" or the relevant "document"')
    return Question(text.strip(), tuple(sorted(set(spans))), tuple(ids))


def parse_questions(corpus: Corpus, records: Iterable[tuple[str, Any]]) -> list[Question]:
    """Questions from ``(where, record)`` pairs; a bad record raises `EvaluationInputError` naming ``where``."""
    questions = []
    for where, record in records:
        try:
            if isinstance(record, Question):
                questions.append(record)
                continue
            if not isinstance(record, dict):
                raise EvaluationInputError(f"expected an object, got {type(record).__name__}")
            questions.append(question_from_record(corpus, record))
        except EvaluationInputError as exc:
            raise EvaluationInputError(f"{where}: {exc}") from None
    if not questions:
        raise EvaluationInputError("no questions")
    return questions


def load_questions(corpus: Corpus, source: str | Path | Sequence[dict[str, Any] | Question]) -> list[Question]:
    """Questions from a ``.jsonl`` or ``.csv`` file, or from a list of records / `Question` objects."""
    if not isinstance(source, (str, Path)):
        return parse_questions(corpus, ((f"question {i + 1}", r) for i, r in enumerate(source)))
    path = Path(source)
    if not path.is_file():
        raise EvaluationInputError(f"no such questions file: {path}")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return parse_questions(corpus, ((f"{path} row {i + 2}", r) for i, r in enumerate(rows)))
    records = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    records.append((f"{path} line {number}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise EvaluationInputError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
    return parse_questions(corpus, records)


def save_questions(questions: Sequence[Question], path: str | Path, corpus: Corpus | None = None) -> Path:
    """Write questions as JSONL (form (b), with each span's text as ``content`` when the corpus is given)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for q in questions:
            references = []
            for doc, start, end in q.spans:
                reference: dict[str, Any] = {"document": doc, "start": start, "end": end}
                if corpus is not None:
                    reference["content"] = corpus.documents[corpus.find(doc)].text[start:end]
                references.append(reference)
            record = {"question": q.text, "references": references} if references else {
                "question": q.text, "documents": list(q.documents)}  # fmt: skip
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def questions_fingerprint(questions: Sequence[Question]) -> str:
    return hashlib.sha1(json.dumps([asdict(q) for q in questions]).encode()).hexdigest()[:16]
