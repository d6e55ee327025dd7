"""Evaluation metrics on hand-checked examples, and `compare` (``chunkers eval``) on the repository's data."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from chunkers import Chunk, SentenceChunker
from chunkers.apps.evaluation import (
    Candidate,
    ChunkPerplexity,
    Embedder,
    EvaluationInputError,
    Setting,
    boundary_clarity,
    chunk_stickiness,
    common_sizes,
    compare,
    dcg_at_k,
    dependence_matrix,
    generate_questions,
    intrinsic_scores,
    load_documents,
    load_questions,
    mrr_at_k,
    overlap_scores,
    recall_at_k,
    relevant_flags,
    report,
    size_stats,
)
from chunkers.apps.evaluation.retrieval import merge_spans

from benchmarks.retrieval_bench import DATA, ROOT


def test_spans_are_merged_before_measuring() -> None:
    assert merge_spans([(5, 10), (0, 3), (8, 12), (3, 4), (7, 7)]) == [(0, 4), (5, 12)]


def test_overlap_scores_by_hand() -> None:
    # evidence 10..20 (10 chars); retrieved 0..15 and 12..30, union 0..30 (30 chars); shared 10..20 = 10
    scores = overlap_scores([(0, 15), (12, 30)], [(10, 20)])
    assert scores == pytest.approx({"recall": 1.0, "precision": 10 / 30, "iou": 10 / 30})
    half = overlap_scores([(0, 15)], [(10, 20)])  # shared 5, union 20
    assert half == pytest.approx({"recall": 0.5, "precision": 5 / 15, "iou": 5 / 20})
    assert overlap_scores([], [(0, 5)]) == {"recall": 0.0, "precision": 0.0, "iou": 0.0}


def test_rank_metrics_by_hand() -> None:
    flags = relevant_flags([(0, 5), (10, 20), (30, 40)], [(12, 14), (35, 36)])
    assert flags == [False, True, True]
    assert recall_at_k(flags, 2) == 0.5 and recall_at_k(flags, 3) == 1.0 and recall_at_k(flags, 2, 4) == 0.25
    assert mrr_at_k(flags, 3) == 0.5 and mrr_at_k(flags, 1) == 0.0
    assert dcg_at_k(flags, 3) == pytest.approx(1 / math.log2(3) + 1 / math.log2(4))


def test_size_stats() -> None:
    chunks = [Chunk("ab", 0, 2), Chunk("abcd", 2, 6), Chunk("abcdef", 6, 12)]
    stats = size_stats(chunks, max_size=5)
    assert stats["count"] == 3 and stats["mean"] == 4 and stats["max"] == 6
    assert stats["pct_over"] == pytest.approx(100 / 3)
    assert size_stats([])["count"] == 0


def test_stickiness_is_the_structural_entropy_of_the_kept_edges() -> None:
    # edges kept (> 0.5): 0-1, 0-2, 1-2 -> degrees 2, 2, 2 -> log2(3) bits; 2-3 (0.4) is left out
    dependence = {(0, 1): 0.9, (0, 2): 0.6, (1, 2): 0.7, (2, 3): 0.4, (0, 3): 0.1, (1, 3): 0.0}
    assert chunk_stickiness(dependence) == pytest.approx(math.log2(3))
    # one edge: two nodes of degree 1 -> 1 bit; no edge -> 0 (fully self-contained chunks)
    assert chunk_stickiness({(0, 1): 0.9, (1, 2): 0.1}) == pytest.approx(1.0)
    assert chunk_stickiness({(0, 1): 0.1}) == 0.0
    # clarity: mean of 1 - dependence over adjacent pairs only
    assert boundary_clarity(dependence, 4) == pytest.approx(((1 - 0.9) + (1 - 0.7) + (1 - 0.4)) / 3)
    assert math.isnan(boundary_clarity({}, 1))


@pytest.mark.slow
def test_intrinsic_metrics_with_the_embedded_model_see_topic_continuity() -> None:
    cat = "The cat slept on the warm windowsill. It purred softly in the afternoon sun."
    more_cat = "Its fur was orange and white, and the cat stretched lazily before sleeping again."
    rates = "Interest rates rose by half a percent as the central bank cited persistent inflation."
    scorer = ChunkPerplexity()
    dependence = dependence_matrix([cat, more_cat, rates], scorer)
    assert set(dependence) == {(0, 1), (0, 2), (1, 2)}
    assert dependence[(0, 1)] > dependence[(0, 2)]  # the cat text helps predict more cat, not interest rates
    # a cut inside one topic is less clear than a cut between topics
    inside = intrinsic_scores([cat, more_cat], scorer)["boundary_clarity"]
    between = intrinsic_scores([more_cat, rates], scorer)["boundary_clarity"]
    assert 0 < inside < between
    assert dependence_matrix([cat, more_cat, rates], scorer, window=1).keys() == {(0, 1), (1, 2)}


# --- chunkers.apps.evaluation.compare: "which chunker for my data?" on the repository's evaluation data ---

RESULTS = ROOT / "benchmarks" / "results" / "retrieval_full.json"


def _chroma_rows(corpus: str) -> list[dict]:
    with (DATA / "questions.csv").open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["corpus_id"] == corpus]


@pytest.fixture(scope="module")
def chatlogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding Chroma's chatlogs corpus as the one document ``chatlogs.md``."""
    folder = tmp_path_factory.mktemp("chatlogs")
    shutil.copy(DATA / "corpora" / "chatlogs.md", folder)
    return folder


def test_common_sizes_lie_inside_every_chunkers_range() -> None:
    rows = [{"chunker": "a", "chunks": 3, "mean_chars": m} for m in (150, 320, 700)]
    rows += [{"chunker": "b", "chunks": 3, "mean_chars": m} for m in (180, 420, 900)]
    sizes = common_sizes(rows)
    assert sizes and all(180 <= s <= 700 for s in sizes) and sizes == sorted(set(sizes))
    disjoint = [{"chunker": "a", "chunks": 1, "mean_chars": 100}, {"chunker": "b", "chunks": 1, "mean_chars": 900}]
    assert common_sizes(disjoint) in ([100], [900])


def test_evidence_text_locates_to_the_same_spans_as_the_suites_indices(chatlogs: Path) -> None:
    corpus = load_documents(chatlogs)
    rows = _chroma_rows("chatlogs")
    with_spans = load_questions(corpus, [dict(r) for r in rows])
    as_text = [{"question": r["question"], "evidence": [x["content"] for x in json.loads(r["references"])]}
               for r in rows]  # fmt: skip
    ambiguous = [i for i, r in enumerate(as_text) if any(corpus.documents[0].text.count(e) > 1 for e in r["evidence"])]
    assert len(ambiguous) == 1  # one chatlogs passage occurs twice: form (a) must refuse it, naming the question
    with pytest.raises(EvaluationInputError, match=rf"question {ambiguous[0] + 1}: evidence .* found more than once"):
        load_questions(corpus, as_text)
    kept = [i for i in range(len(rows)) if i not in ambiguous]
    located = load_questions(corpus, [as_text[i] for i in kept])
    assert located == [with_spans[i] for i in kept]  # same spans, hence the same numbers
    assert all(q.spans and q.documents == ("chatlogs.md",) for q in located)


@pytest.mark.slow
def test_compare_reproduces_the_suites_committed_numbers(chatlogs: Path, tmp_path: Path) -> None:
    """Form (b) straight from Chroma's questions.csv (corpus_id ``chatlogs`` names ``chatlogs.md``): the
    SentenceChunker rows equal those the full suite committed, computed before this feature existed."""
    csv_file = tmp_path / "questions.csv"
    csv_file.write_text("question,references,corpus_id\n", encoding="utf-8")
    with csv_file.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, ["question", "references", "corpus_id"]).writerows(_chroma_rows("chatlogs"))
    result = compare(chatlogs, csv_file, ["sentence"], sizes=[200, 400, 800], out=tmp_path / "report")
    committed = [r for r in json.loads(RESULTS.read_text(encoding="utf-8"))["rows"]
                 if r["corpus"] == "chatlogs" and r["chunker"] == "rag-chunkers SentenceChunker"]  # fmt: skip
    assert [r["target"] for r in committed] == [200, 400, 800]
    for mine, theirs in zip(result.rows, committed):
        assert mine["chunks"] == theirs["chunks"] and mine["errors"] == []
        for key in ("mean_chars", "recall", "precision", "iou", "mrr"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-6), key
        assert mine["doc_recall"] == mine["doc_mrr"] == 1.0  # one document: always the relevant one
    assert {m["mean_chars"] for m in result.matched} == set(common_sizes(result.rows))
    names = {p.name for p in result.files}
    assert {"eval.md", "eval.json", "eval_size.png", "eval_speed.png"} <= names
    assert "| 200 | rag-chunkers SentenceChunker | max_size=200 | 276 | 144 | 0.516 | 0.228 | 0.185 | 0.632 |" in (
        tmp_path / "report" / "eval.md").read_text(encoding="utf-8")  # fmt: skip


@pytest.mark.slow
def test_document_level_questions_score_like_the_documents_of_span_questions(tmp_path: Path) -> None:
    """Form (c) on three documents: document recall@k / MRR equal those of the same questions given as spans,
    and there is no span metric for them."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(DATA / "corpora" / "chatlogs.md", folder)
    wiki = (DATA / "corpora" / "wikitexts.md").read_text(encoding="utf-8")[:8000]
    (folder / "wikitexts.md").write_text(wiki, encoding="utf-8")
    (folder / "pubmed.md").write_text((DATA / "corpora" / "pubmed.md").read_text(encoding="utf-8")[:8000])
    spans, documents = [], []
    for corpus in ("chatlogs", "wikitexts"):
        for r in _chroma_rows(corpus):
            references = json.loads(r["references"])
            if corpus == "chatlogs" or all(x["end_index"] <= len(wiki) for x in references):
                spans.append({"question": r["question"], "references": references, "document": f"{corpus}.md"})
                documents.append({"question": r["question"], "document": f"{corpus}.md"})
    assert len(documents) > 56
    embedder = Embedder()  # remembers the chunks' vectors: the second run embeds only its questions
    by_spans = compare(folder, spans, ["sentence"], sizes=[400], embedding=embedder)
    by_documents = compare(folder, documents, ["sentence"], sizes=[400], embedding=embedder)
    [a], [b] = by_spans.rows, by_documents.rows
    assert a["doc_recall"] == b["doc_recall"] and a["doc_mrr"] == b["doc_mrr"]
    assert 0.5 < b["doc_mrr"] <= b["doc_recall"] <= 1
    assert b["iou"] is None and b["recall"] is None and a["iou"] > 0


EXAMPLES = ROOT / "examples" / "data"
WIKI = (EXAMPLES / "valkyria_chronicles_wikitext.md").read_text(encoding="utf-8")
PUBMED = (EXAMPLES / "pubmed_abstracts.md").read_text(encoding="utf-8")
SMALL = [{"id": "wiki", "text": WIKI}, {"id": "pubmed", "text": PUBMED}]
SMALL_QUESTIONS = [json.loads(line) for line in (EXAMPLES / "questions.jsonl").read_text(encoding="utf-8").splitlines()]


def test_bad_questions_and_documents_get_one_clear_error(tmp_path: Path) -> None:
    corpus = load_documents(SMALL)
    cases = [
        ({"question": "Q?", "evidence": "words nowhere in it"}, r"question 1: evidence 'words nowhere .*not found"),
        ({"question": "Q?", "evidence": " , "}, r"question 1: evidence ',' found more than once .* name its document"),
        ({"question": "Q?", "references": [{"document": "wiki", "start": 10, "end": 99999}]}, r"outside document"),
        ({"question": "Q?", "document": "nope"}, r"unknown document id 'nope'"),
        ({"question": "Q?"}, r'no evidence: give "evidence", "references" or the relevant "document"'),
        ({"question": " ", "document": "wiki"}, r'no "question" text'),
    ]
    for record, message in cases:
        with pytest.raises(EvaluationInputError, match=message):
            load_questions(corpus, [record])
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvaluationInputError, match=r"no UTF-8 text files .*corpus is empty"):
        load_documents(tmp_path / "empty")
    with pytest.raises(EvaluationInputError, match="every document is empty"):
        load_documents([{"id": "a", "text": "  \n"}])
    with pytest.raises(EvaluationInputError, match="unknown chunker 'nope'; choose from sentence, ppl"):
        compare(SMALL, SMALL_QUESTIONS, ["sentence", "nope"])
    bad_line = tmp_path / "q.jsonl"
    bad_line.write_text('{"question": "Q?", "document": "wiki"}\n{"question": \n', encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"q.jsonl line 2: not valid JSON"):
        load_questions(corpus, bad_line)


@pytest.mark.slow
def test_a_chunker_that_raises_on_one_document_gets_an_error_record_and_its_questions_still_count() -> None:
    def fragile(target: int) -> Any:
        chunker = SentenceChunker(max_size=target)

        def chunk(text: str) -> list[Chunk]:
            if text.startswith("PMID"):
                raise RuntimeError("cannot read this one")
            return chunker.chunk(text)

        return chunk

    result = compare(SMALL, SMALL_QUESTIONS, [("fragile", fragile), "sentence"], sizes=[400])
    broken, sound = result.rows
    assert broken["errors"] == [{"document": "pubmed", "error": "RuntimeError: cannot read this one"}]
    assert sound["errors"] == [] and broken["chunks"] < sound["chunks"]
    # the pubmed questions are not dropped: they score nothing for the broken chunker
    assert broken["recall"] < sound["recall"] and broken["doc_recall"] < 1 == sound["doc_recall"]
    assert "failed on 1 document(s): pubmed: RuntimeError: cannot read this one" in report.markdown(
        "t", "", result.rows, result.matched, result.speed)  # fmt: skip


@pytest.mark.slow
def test_an_interrupted_comparison_resumes_from_its_saved_settings(tmp_path: Path) -> None:
    made: list[int] = []
    embedder = Embedder()  # shared by the runs below: chunks recur, each is embedded once

    def counting(stop_at: int | None) -> Candidate:
        def make(target: int) -> Setting:
            made.append(target)
            if target == stop_at:
                raise KeyboardInterrupt
            return Setting(f"max_size={target}", SentenceChunker(max_size=target).chunk)

        return Candidate("counted SentenceChunker", True, make)

    def run(candidate: Candidate, questions: list = SMALL_QUESTIONS, resume: bool = True) -> Any:
        return compare(SMALL, questions, [candidate], [200, 400], embedder, out=tmp_path, resume=resume)

    with pytest.raises(KeyboardInterrupt):
        run(counting(400))
    assert made == [200, 400] and len(list((tmp_path / "settings").glob("*.json"))) == 1
    made.clear()
    resumed = run(counting(None))
    assert made == [400]  # 200 came from its saved result
    made.clear()
    again = run(counting(None), resume=False)
    assert made == [200, 400]
    for a, b in zip(resumed.rows, again.rows):
        assert {k: v for k, v in a.items() if k not in ("seconds", "chars_per_s")} == {
            k: v for k, v in b.items() if k not in ("seconds", "chars_per_s")}  # fmt: skip
    made.clear()
    run(counting(None), SMALL_QUESTIONS[:3])  # other questions are other settings: nothing is reused for them
    assert made == [200, 400]


class ExcerptQuoter:
    """A fake remote LLM (a callable returning JSON): asks about the excerpt's first sentence, quoting it; every
    third reply is unusable in a different way."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, prompt: str) -> str:
        self.calls += 1
        excerpt = prompt.split("Text:\n", 1)[1]
        sentence = next(s for s in (x.strip() for x in excerpt.split(" . ")) if len(s) > 40)
        if self.calls % 3 == 0:
            return ["not json at all", '{"question": "Q?", "references": ["a quote that is not there"]}'][
                self.calls % 2
            ]
        return "```json\n" + json.dumps({"question": f"What does this say: {sentence[:30]}?",
                                         "references": [sentence]}) + "\n```"  # fmt: skip


def test_generated_questions_quote_the_corpus_exactly_and_are_saved_for_reuse(tmp_path: Path) -> None:
    corpus = load_documents(SMALL)
    made = generate_questions(corpus, ExcerptQuoter(), count=6, excerpt_chars=800, seed=1, save=tmp_path / "q.jsonl")
    assert len(made.questions) == 6 and sum(made.rejected.values()) >= 2
    assert set(made.rejected) <= {"no JSON object in the reply", "a passage is not in the excerpt exactly once",
                                  "repeats an earlier question"}  # fmt: skip
    for question in made.questions:
        [(doc, start, end)] = question.spans
        text = corpus.documents[corpus.find(doc)].text[start:end]
        assert question.text.startswith("What does this say") and len(text) > 40 and text in question.text + text
    reloaded = load_questions(corpus, made.path)
    assert reloaded == made.questions  # form (b) with content, checked on reading
    again = generate_questions(corpus, ExcerptQuoter(), count=6, excerpt_chars=800, seed=1)
    assert again.questions == made.questions  # deterministic for a seed and a deterministic LLM
    with pytest.raises(EvaluationInputError, match="cannot ask int"):
        generate_questions(corpus, 3)


@pytest.mark.slow
def test_a_framework_embedding_gives_the_same_numbers_as_the_embedded_minilm() -> None:
    from chunkers.runtime.models import minilm_path
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from langchain_chunkers.embeddings import LocalEmbeddings

    wiki, questions = SMALL[:1], SMALL_QUESTIONS[:10]  # the questions about the wiki article
    default = compare(wiki, questions, ["sentence"], sizes=[300]).rows[0]
    for embedding in (HuggingFaceEmbedding(model_name=str(minilm_path()), device="cpu"), LocalEmbeddings()):
        row = compare(wiki, questions, ["sentence"], sizes=[300], embedding=embedding).rows[0]
        for key in ("recall", "precision", "iou", "mrr", "doc_recall", "doc_mrr"):
            assert row[key] == pytest.approx(default[key], abs=1e-9), (type(embedding).__name__, key)


def test_framework_llms_write_generated_questions() -> None:
    """A LangChain chat model (``invoke`` -> message) and a LlamaIndex LLM (``complete`` -> response) both drive
    the generation (fakes of remote models, replying with fixed JSON about the one short document)."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata

    text = WIKI[:1500]
    quote = "Released in January 2011 in Japan , it is the third game in the Valkyria series ."
    assert text.count(quote) == 1
    reply = json.dumps({"question": "When was Valkyria Chronicles III released in Japan?", "references": [quote]})

    class FixedLLM(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata()

        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            return CompletionResponse(text=reply)

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            raise NotImplementedError

    corpus = load_documents([{"id": "wiki", "text": text}])
    start = text.index(quote)
    for llm in (FakeListChatModel(responses=[reply]), FixedLLM()):
        made = generate_questions(corpus, llm, count=1)
        assert [q.spans for q in made.questions] == [(("wiki", start, start + len(quote)),)], type(llm).__name__


@pytest.mark.slow
def test_the_llm_chunker_runs_with_the_users_llm() -> None:
    """``llm`` drives the LLM chunker candidate (a fake remote LLM naming the group's second paragraph)."""
    asked: list[str] = []

    def llm(prompt: str) -> str:
        asked.append(prompt)
        return "Answer: ID 2"

    [row] = compare(SMALL[:1], SMALL_QUESTIONS[:10], ["llm"], sizes=[400], llm=llm).rows
    assert row["chunker"] == "rag-chunkers LLMChunker" and row["errors"] == [] and row["chunks"] > 1
    assert asked and row["notes"].startswith(f"LLM calls {len(asked)} (")  # the usage of this setting's chunker
    assert re.search(r"boundaries: LLM [1-9]", row["notes"]), row["notes"]
