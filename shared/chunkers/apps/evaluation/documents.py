"""The user's documents for an evaluation: a folder of text files, one file, or JSONL records with an id and a
text; each document is chunked on its own."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Span = tuple[int, int]


class EvaluationInputError(ValueError):
    """Bad evaluation input (documents, questions, chunker names): the message says what and where."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str


class Corpus:
    """Documents with distinct ids, laid end to end at global offsets (a gap of one character between
    documents, so no span ever joins two of them); spans are scored on these global offsets."""

    def __init__(self, documents: Iterable[Document], name: str = "corpus") -> None:
        self.documents = list(documents)
        self.name = name
        if not self.documents:
            raise EvaluationInputError(f"{name}: no documents (the corpus is empty)")
        self.index: dict[str, int] = {}
        for position, document in enumerate(self.documents):
            if document.id in self.index:
                raise EvaluationInputError(f"{name}: two documents share the id {document.id!r}")
            self.index[document.id] = position
        if not any(d.text.strip() for d in self.documents):
            raise EvaluationInputError(f"{name}: every document is empty")
        self.bases: list[int] = []
        position = 0
        for document in self.documents:
            self.bases.append(position)
            position += len(document.text) + 1
        self.chars = sum(len(d.text) for d in self.documents)
        self.skipped: list[str] = []  # files of a folder left out (binary or not UTF-8)

    def find(self, document_id: str) -> int:
        """The position of a document by its id, or by its id without the file suffix when that is unique
        (Chroma's questions name ``chatlogs`` for ``chatlogs.md``)."""
        if document_id in self.index:
            return self.index[document_id]
        stems = [i for key, i in self.index.items() if Path(key).with_suffix("").as_posix() == document_id]
        if len(stems) == 1:
            return stems[0]
        raise EvaluationInputError(f"unknown document id {document_id!r}" + (" (ambiguous)" if stems else ""))

    def to_global(self, position: int, span: Span) -> Span:
        return self.bases[position] + span[0], self.bases[position] + span[1]

    def fingerprint(self) -> str:
        digest = hashlib.sha1()
        for document in self.documents:
            digest.update(document.id.encode() + b"\0" + document.text.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()[:16]


def load_documents(source: str | Path | Sequence[Document | dict | str], exclude: Sequence[Path] = ()) -> Corpus:
    """A `Corpus` from a folder (every UTF-8 text file under it, gitignored ones left out, id = path relative to
    the folder; binary and non-UTF-8 files are skipped and listed in ``skipped``), one text file, a ``.jsonl`` file of
    ``{"id": ..., "text": ...}`` records, or in Python a list of `Document`, such dicts or strings. Files and
    folders in ``exclude`` (the questions file kept beside the documents, the report folder) are left out."""
    if not isinstance(source, (str, Path)):
        documents = []
        for number, item in enumerate(source):
            if isinstance(item, Document):
                documents.append(item)
            elif isinstance(item, str):
                documents.append(Document(str(number), item))
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                documents.append(Document(str(item.get("id", number)), item["text"]))
            else:
                raise EvaluationInputError(f"document {number}: expected a Document, a str or {{'id', 'text'}}")
        return Corpus(documents, "documents")
    path = Path(source)
    if not path.exists():
        raise EvaluationInputError(f"no such file or directory: {path}")
    if path.is_file() and path.suffix.lower() == ".jsonl":
        return Corpus(_jsonl_documents(path), path.stem)
    from ...io.files import iter_files

    root = path if path.is_dir() else path.parent
    documents, skipped = [], []
    left_out = {p.resolve() for p in exclude}
    for file in iter_files(path):
        resolved = file.resolve()
        if resolved in left_out or left_out.intersection(resolved.parents):
            continue
        data = file.read_bytes()
        try:
            if b"\0" in data[:8192]:
                raise ValueError("binary")
            documents.append(Document(file.relative_to(root).as_posix(), data.decode("utf-8")))
        except ValueError:  # binary, or not UTF-8
            skipped.append(file.relative_to(root).as_posix())
    if not documents:
        raise EvaluationInputError(f"{path}: no UTF-8 text files (the corpus is empty)")
    corpus = Corpus(documents, path.name if path.is_dir() else path.stem)
    corpus.skipped = skipped
    return corpus


def _jsonl_documents(path: Path) -> list[Document]:
    from ...io.chunk_records import InputError, read_chunk_records  # the one line-numbered JSONL reader

    with path.open("rb") as stream:
        try:
            records = read_chunk_records(stream, str(path))
        except InputError as exc:
            raise EvaluationInputError(str(exc)) from None
    documents = []
    for number, record in records:
        if "id" not in record:
            raise EvaluationInputError(f'{path} line {number}: the record has no "id"')
        documents.append(Document(str(record["id"]), record["text"]))
    return documents
