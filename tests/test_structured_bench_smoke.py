"""The structured-document benchmark on the vendored data: the suite's evidence maps exactly into the rendered
Markdown, and ours and a peer are measured with and without context (a smoke test; whether we win is for the README)."""

from __future__ import annotations

import pytest
from chunkers.apps.evaluation import Embedder

from benchmarks import structured_bench
from benchmarks.structured_suites import load, subset


def test_the_wikitexts_suite_is_markdown_with_exact_evidence() -> None:
    suite = load("wikitexts-md")
    assert suite.corpus is not None and len(suite.corpus.documents) == 10 and len(suite.questions) == 144
    assert all(d.text.startswith("# ") for d in suite.corpus.documents)
    for question in suite.questions:
        assert question.spans
        for document, start, end in question.spans:
            text = next(d.text for d in suite.corpus.documents if d.id == document)
            assert 0 <= start < end <= len(text)


def test_the_pubmed_suite_has_its_section_headings_and_every_evidence_span() -> None:
    suite = load("pubmed-md")
    assert suite.corpus is not None and len(suite.corpus.documents) == 15 and len(suite.questions) == 99
    assert "195 of 195 evidence spans remapped exactly" in suite.notes[1]
    first = suite.corpus.documents[0].text
    assert "\n## Introduction\n\n" in first and "\n### Expression Profiling of the IDC\n\n" in first
    assert "\n## Figure" not in first and "\n### Figure" not in first  # captions stay text


@pytest.mark.slow
def test_ours_and_a_peer_are_scored_with_and_without_context() -> None:
    structured_bench.add_ours()
    suite = subset(load("wikitexts-md"), 2)
    embedder = Embedder()
    queries = embedder.queries([q.text for q in suite.questions])
    for name in (structured_bench.OURS_NAME, "LangChain RecursiveCharacterTextSplitter"):
        plain, framed = structured_bench.measure_setting(suite, name, 400, embedder, queries)
        assert not plain["errors"] and plain["chunks"] > 10 and 0 < plain["mean_chars"] <= 400
        assert 0 <= plain["iou"] <= 1 and 0 <= framed["iou"] <= 1 and framed["context"] and not plain["context"]
        assert framed["with_context_share"] > 0.5
