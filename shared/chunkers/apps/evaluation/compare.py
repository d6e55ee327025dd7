"""`compare`: which chunker for my data? Runs chosen chunkers at several sizes on the user's documents and
questions, retrieves with the chosen embedding, and reports the metrics at matched mean chunk size and speed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .candidates import DEFAULT_CHUNKERS, Candidate, Registry, resolve
from .documents import Corpus, Document, EvaluationInputError, load_documents
from .matching import common_sizes, matched, speed_rows
from .questions import Question, load_questions, questions_fingerprint
from .scoring import CONTEXTS, measure
from .store import Embedder, SettingStore

DEFAULT_SIZES = (200, 400, 800)


@dataclass
class Comparison:
    """The result of `compare`: every setting's row, the metrics at matched mean sizes, speeds, a description of
    the run, and the report files written (when ``out`` was given)."""

    rows: list[dict[str, Any]]
    matched: list[dict[str, Any]]
    speed: list[dict[str, Any]]
    setup: str
    top_k: int = 5
    documents: int = 1  # how many documents the corpus had (document-level columns are shown above one)
    files: list[Path] = field(default_factory=list)

    def best(self, metric: str = "iou") -> dict[str, Any] | None:
        """The matched-size row with the highest ``metric`` (at the smallest matched size)."""
        rows = [m for m in self.matched if m.get(metric) is not None]
        if not rows:
            return None
        smallest = min(m["mean_chars"] for m in rows)
        return max((m for m in rows if m["mean_chars"] == smallest), key=lambda m: m[metric])


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]eval[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), disable=not enabled, transient=True)  # fmt: skip


def compare(
    documents: str | Path | Corpus | Sequence[Document | dict | str],
    questions: str | Path | Sequence[dict[str, Any] | Question],
    chunkers: Sequence[str | Candidate | tuple[str, Any]] = DEFAULT_CHUNKERS,
    sizes: Sequence[int] = DEFAULT_SIZES,
    embedding: Any = None,
    top_k: int = 5,
    matched_sizes: Sequence[int] | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    progress: bool = False,
    llm: Any = None,
    contexts: Sequence[str] = ("none",),
) -> Comparison:
    """Chunk ``documents`` with each chunker at each target size in ``sizes`` (characters), retrieve the ``top_k``
    chunks per question with ``embedding`` (None: the embedded MiniLM; or a LlamaIndex / LangChain embedding, a
    sentence-transformers path, a callable), and score them. ``chunkers``: built-in names (see
    `candidates.Registry`), "all", `Candidate` objects or ``(name, factory(target) -> chunker)`` pairs; built-in
    peers that are not installed are skipped when left at the default. With ``out``, the report (Markdown, JSON,
    PNG plots) is written there and each setting's row is saved as it finishes, so a rerun with ``resume``
    continues an interrupted comparison. ``llm`` drives the LLM chunker ("llm"). ``contexts``: what is embedded with
    each chunk, each one a row of its own (`chunkers.apps.evaluation.scoring.CONTEXTS`: "none", "chunker", "path",
    "full-path", "title+path", "late"; the chunker is named with "+ <context>" for every context but "none")."""
    if not isinstance(documents, Corpus):
        beside = [Path(questions)] if isinstance(questions, (str, Path)) else []
        documents = load_documents(documents, exclude=beside + ([Path(out)] if out is not None else []))
    corpus = documents
    question_list = load_questions(corpus, questions)
    if not sizes or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise EvaluationInputError(f"sizes must be positive integers, got {list(sizes)!r}")
    if top_k < 1:
        raise EvaluationInputError(f"top_k must be at least 1, got {top_k}")
    embedder = embedding if isinstance(embedding, Embedder) else Embedder(embedding)
    candidates = resolve(list(chunkers), Registry(llm, embedding), skip_missing=tuple(chunkers) == DEFAULT_CHUNKERS)
    folder = Path(out) if out is not None else None
    store = SettingStore(
        folder / "settings" if folder is not None else None,
        {"corpus": corpus.fingerprint(), "questions": questions_fingerprint(question_list),
         "embedding": embedder.name, "top_k": top_k},
    )  # fmt: skip
    unknown = [c for c in contexts if c not in CONTEXTS]
    if unknown or not contexts:
        named = unknown[0] if unknown else None
        raise EvaluationInputError(f"unknown context {named!r}; choose from {', '.join(CONTEXTS)}")
    late = _late_embedder(embedding) if "late" in contexts else None
    rows = _run(corpus, question_list, candidates, list(sizes), embedder, top_k, store, progress, resume,
                list(contexts), late)  # fmt: skip
    sizes_at = list(matched_sizes) if matched_sizes else common_sizes(rows)
    setup = _setup(corpus, question_list, embedder, top_k, sizes)
    result = Comparison(rows, matched(rows, sizes_at), speed_rows(rows), setup, top_k, len(corpus.documents))
    if folder is not None:
        from .report import write_report

        result.files = write_report(result, folder)
    return result


def labelled(name: str, context: str) -> str:
    """A chunker's name in the report for one context ("none": the name alone)."""
    return name if context == "none" else f"{name} + {context}"


def _late_embedder(embedding: Any) -> Any:
    """The late-chunking embedder for the comparison's embedding model (a local one: late chunking needs its token
    vectors)."""
    from ...context.late import LateChunkingEmbedder

    if embedding is not None and not isinstance(embedding, (str, Path)):
        raise EvaluationInputError("--context late needs a local embedding model (the embedded MiniLM or a folder)")
    return LateChunkingEmbedder(model=embedding)


def _run(
    corpus: Corpus, questions: list[Question], candidates: list[Candidate], sizes: list[int], embedder: Embedder,
    top_k: int, store: SettingStore, show: bool, resume: bool, contexts: list[str], late: Any,
) -> list[dict[str, Any]]:  # fmt: skip
    rows: list[dict[str, Any]] = []
    query_vectors = None
    with _progress(show) as bar:
        task = bar.add_task("", total=len(candidates) * len(sizes))
        for candidate in candidates:
            for target in sizes:
                bar.update(task, description=f"{candidate.name} @ {target}")
                saved = {c: store.load(labelled(candidate.name, c), target) if resume else None for c in contexts}
                missing = [c for c in contexts if saved[c] is None]
                if missing:
                    if query_vectors is None:  # embedded once, and only when something is measured
                        query_vectors = embedder.queries([q.text for q in questions])
                    measured, _ = measure(corpus, questions, candidate.make(target), embedder, query_vectors, top_k,
                                          missing, late)  # fmt: skip
                    for context, row in zip(missing, measured):
                        name = labelled(candidate.name, context)
                        saved[context] = {"corpus": corpus.name, "target": target, "chunker": name,
                                          "ours": candidate.ours, **row}  # fmt: skip
                        store.save(name, target, saved[context])
                rows += [saved[c] for c in contexts]
                bar.advance(task)
    return rows


def _setup(corpus: Corpus, questions: list[Question], embedder: Embedder, top_k: int, sizes: Sequence[int]) -> str:
    spans = sum(bool(q.spans) for q in questions)
    return (
        f"{len(corpus.documents)} documents ({corpus.chars:,} characters), {len(questions)} questions ({spans} with "
        f"evidence spans, {len(questions) - spans} with relevant documents only). Each document chunked on its own "
        f"at target sizes {', '.join(map(str, sizes))} characters (each chunker's own parameter set to match, see "
        f"'setting'); chunks and questions embedded with {embedder.name}, top {top_k} chunks by cosine. Recall, "
        f"precision and IoU are character-level against the evidence spans, MRR@{top_k} ranks the first chunk "
        f"overlapping the evidence; document recall@{top_k} and MRR@{top_k} count chunks from the relevant documents."
    )
