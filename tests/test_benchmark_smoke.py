"""The quick retrieval suite end to end on the real evaluation data (a smoke test: the pipeline works and every
figure is in range; whether we win is for the README, not for a test)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.retrieval_bench import SUITES, load, run
from benchmarks.retrieval_report import interpolate


def test_loader_reads_real_evidence_spans() -> None:
    text, questions = load("chatlogs")
    assert len(questions) == 56
    assert all(0 <= a < b <= len(text) for _, evidence in questions for a, b in evidence)


def test_interpolation_at_matched_size() -> None:
    assert interpolate([(100, 0.2), (300, 0.6)], 200) == pytest.approx(0.4)
    assert interpolate([(300, 0.6), (100, 0.2)], 100) == pytest.approx(0.2)
    assert interpolate([(100, 0.2), (300, 0.6)], 301) is None  # never extrapolated


@pytest.mark.slow
def test_quick_suite_runs_and_every_figure_is_in_range(tmp_path: Path) -> None:
    suite = SUITES["quick"]
    tables = run("quick", tmp_path)
    rows = [r for r in tables["rows"] if r["corpus"] != "code"]
    names = {r["chunker"] for r in rows}
    # ours: sentence, perplexity, semantic; peers: LangChain recursive, LlamaIndex sentence and semantic, semchunk,
    # chonkie (LangChain's SemanticChunker is left out of the quick suite)
    assert len(names) == 8 + bool(suite.llm_targets) and sum(r["ours"] for r in rows) >= 3 * len(suite.targets)
    assert len(rows) == 8 * len(suite.targets) + len(suite.llm_targets)
    code_rows = [r for r in tables["rows"] if r["corpus"] == "code"]
    code_names = {r["chunker"] for r in code_rows}  # ours twice, from_language, CodeSplitter, plain RCTS, astchunk
    assert len(code_names) == 6 and len(code_rows) == 6 * len(suite.code_targets)
    for r in tables["rows"]:
        assert 0 <= r["iou"] <= min(r["precision"], r["recall"]) <= 1, r
        assert 0 <= r["mrr"] <= 1 and r["chunks"] > 0 and r["mean_chars"] > 0 and r["chars_per_s"] > 0
    # bigger targets give bigger chunks for the size-driven chunkers
    for name in ("rag-chunkers SentenceChunker", "LangChain RecursiveCharacterTextSplitter",
                 "rag-chunkers ASTChunker (chars)", "LlamaIndex CodeSplitter"):  # fmt: skip
        means = [r["mean_chars"] for r in tables["rows"] if r["chunker"] == name]
        assert means == sorted(means) and means[0] < means[-1]
    prose_matched = [m for m in tables["matched"] if m["corpus"] != "code"]
    code_matched = [m for m in tables["matched"] if m["corpus"] == "code"]
    assert {m["mean_chars"] for m in prose_matched} <= set(suite.matched_sizes)
    assert {m["mean_chars"] for m in code_matched} == set(suite.code_matched)
    assert len({m["chunker"] for m in prose_matched}) >= 5 and len({m["chunker"] for m in code_matched}) == 6
    peers = [s["x_fastest_peer"] for s in tables["speed"] if not s["ours"]]
    assert max(peers) == pytest.approx(1.0) and all(s["x_fastest_peer"] > 0 for s in tables["speed"])
    assert {r["chunker"] for r in tables["intrinsic"]} == {n for n in names if n.startswith(suite.intrinsic_of)}
    assert len(tables["intrinsic"]) == 4  # our three and the plain baseline
    for r in tables["intrinsic"]:
        assert r["chunks"] >= 2 and 0 < r["boundary_clarity"] < 2 and 0 <= r["stickiness"] <= math.log2(r["chunks"])
    saved = json.loads((tmp_path / "retrieval_quick.json").read_text(encoding="utf-8"))
    assert len(saved["rows"]) == len(tables["rows"])
    report = (tmp_path / "retrieval_quick.md").read_text(encoding="utf-8")
    assert "| chatlogs |" in report and "| code |" in report
    for kind in ("size", "speed"):
        assert (tmp_path / f"retrieval_quick_{kind}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_code_corpus_questions_point_at_their_functions_without_the_docstring() -> None:
    import ast
    import textwrap

    from benchmarks.code_retrieval import build, code_entries

    corpus = build(("documents", "output_parsers"))
    assert len(corpus.questions) >= 20 and len(corpus.files) >= 10
    for question, [(start, end)] in corpus.questions:
        function = corpus.text[start:end]
        assert function.lstrip().startswith(("def ", "async def ", "@")), function[:80]
        assert question not in function  # the answer does not quote the question
        ast.parse(textwrap.dedent(function))
        assert any(a <= start and end <= b for a, b in corpus.files)
    documents, questions = corpus.as_corpus()  # each file a document, each question's span inside its file
    assert [d.text for d in documents.documents] == [corpus.text[a:b] for a, b in corpus.files]
    for (question, [(start, end)]), mapped in zip(corpus.questions, questions):
        [(file, a, b)] = mapped.spans
        assert mapped.text == question and documents.documents[int(file)].text[a:b] == corpus.text[start:end]
    for candidate in code_entries():
        setting = candidate.make(1000)
        for document in documents.documents[:5]:
            spans = setting.chunk(document.text)
            assert spans and all(0 <= s < e <= len(document.text) for s, e in spans), candidate.name
