"""Retrieval quality and speed of chunkers on Chroma's chunking evaluation (benchmarks/data/chroma-general), ours
beside the peers: chunk a corpus at several target sizes, embed chunks and questions with the embedded
all-MiniLM-L6-v2, retrieve the top 5 chunks per question, and score the retrieved character spans against the
gold evidence spans (recall, precision, IoU, MRR@5); then compare at matched mean chunk size, report speed as
ratios to the fastest peer, and score boundary clarity and chunk stickiness (MoC) on a sample.

    python -m benchmarks run --suite quick|full [--out benchmarks/results]
"""

from __future__ import annotations

import csv
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import (
    Candidate,
    Corpus,
    Document,
    Embedder,
    Question,
    Registry,
    Setting,
    matched,
    measure,
)
from chunkers.apps.evaluation.report import plots
from chunkers.apps.evaluation.retrieval import Span

from .code_retrieval import build, code_entries
from .lmchunker_worker import PYTHON as LMCHUNKER
from .paths import CHROMA, ROOT
from .report import write
from .retrieval_report import markdown, speed_rows

DATA = CHROMA
TOP_K = 5


@dataclass(frozen=True)
class Suite:
    corpora: tuple[str, ...]
    targets: tuple[int, ...]  # target chunk sizes in characters
    matched_sizes: tuple[int, ...]  # mean chunk sizes at which the metrics are compared
    llm_targets: tuple[int, ...]  # the LLM chunker is slow on CPU: only these targets
    llm_corpora: tuple[str, ...]
    intrinsic_chars: int  # boundary clarity / stickiness on the chunks inside the corpus's first N characters
    intrinsic_window: int
    lmchunker_corpora: tuple[str, ...]  # lmchunker (in .venv-lmchunker, when it exists) runs on these only
    code_subpackages: tuple[str, ...]  # the code corpus: these langchain-core subpackages (see code_retrieval.py)
    code_targets: tuple[int, ...] = (500, 1000, 2000)  # budgets, in each code chunker's own unit
    code_matched: tuple[int, ...] = (600, 900)
    left_out: tuple[str, ...] = ()  # prose candidates not run in this suite (by name prefix)
    prose_chars: int | None = None  # each prose corpus cut to its first N characters (the questions within them)
    intrinsic_of: tuple[str, ...] | None = None  # the intrinsic metrics of these prose chunkers only (by name prefix)


SUITES = {
    # The quick suite (a smoke test in `make test`) leaves out the LLM chunker: its real-model run is tested on
    # its own (tests/test_llm_chunker.py), and here it cost 80 s of the test time; and LangChain's SemanticChunker
    # (45 s; the peers' semantic splitting is LlamaIndex's here, and both are in the full suite). Its code corpus is
    # one small subpackage (embedding the chunks is most of its time), two prose sizes around one matched size, and
    # the first 15,000 characters of chatlogs with 17 of its 56 questions (the perplexity of all 40,000 took most of
    # the rest), and the intrinsic metrics over adjacent chunks only (the LM's passes over pairs up to two apart took
    # 60 s), of our chunkers and the plain baseline only (the other four peers' took 20 s).
    "quick": Suite(("chatlogs",), (250, 500), (300,), (), (), 3000, 1, (),
                   ("documents",), code_targets=(500, 2000), left_out=("LangChain SemanticChunker",),
                   prose_chars=15_000,
                   intrinsic_of=("rag-chunkers", "LangChain RecursiveCharacterTextSplitter")),
    "full": Suite(("chatlogs", "wikitexts", "pubmed"), (200, 400, 800), (300, 500), (400, 800), ("chatlogs",),
                  3000, 2, ("chatlogs",),
                  ("documents", "output_parsers", "prompts", "tools", "vectorstores", "callbacks")),
}  # fmt: skip


def load(corpus: str) -> tuple[str, list[tuple[str, list[Span]]]]:
    """The corpus text and its questions with their evidence spans."""
    text = (DATA / "corpora" / f"{corpus}.md").read_text(encoding="utf-8")
    with (DATA / "questions.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["corpus_id"] == corpus]
    return text, [
        (r["question"], [(ref["start_index"], ref["end_index"]) for ref in json.loads(r["references"])]) for r in rows
    ]


def _lmchunker(target: int) -> Setting:
    """lmchunker's PPL chunking with its dynamic merge (to target / 5 words), run in its own venv; chunks mapped
    back to offsets."""
    import subprocess

    from chunkers.runtime.models import smollm2_dir

    seconds: list[float] = []

    def chunk(text: str) -> list[Span]:
        result = subprocess.run(
            [str(LMCHUNKER), "-m", "benchmarks.lmchunker_worker", str(target // 5)], input=text, capture_output=True,
            text=True, cwd=ROOT, env={**os.environ, "SMOLLM2_DIR": str(smollm2_dir())}, check=True,
        )  # fmt: skip
        output = json.loads(result.stdout.strip().splitlines()[-1])
        seconds.append(output["seconds"])
        return _locate(text, output["chunks"])

    return Setting(f"ppl, threshold=0, dynamic merge to {target // 5} words", chunk,
                   lambda: f"{sum(seconds):.1f} s of chunking inside its process")  # fmt: skip


def _locate(text: str, chunks: list[str]) -> list[Span]:
    """Spans of chunks that are the text's pieces in order with their whitespace changed (lmchunker re-joins
    sentences with spaces): each chunk's non-whitespace characters are matched against the text's."""
    spans, position = [], 0
    for chunk in chunks:
        letters = "".join(chunk.split())
        if not letters:
            continue
        while text[position].isspace():
            position += 1
        start, matched = position, 0
        while matched < len(letters):
            if not text[position].isspace():
                if text[position] != letters[matched]:
                    raise ValueError(f"lmchunker's chunk does not follow the text at offset {position}")
                matched += 1
            position += 1
        spans.append((start, position))
    return spans


def entries() -> list[Candidate]:
    """The chunkers compared on prose: the library's built-in candidates (chunkers.apps.evaluation) and lmchunker."""
    built_in = Registry().candidates()
    keys = ("sentence", "ppl", "llm", "semantic", "langchain-recursive", "llamaindex-sentence", "llamaindex-semantic",
            "langchain-semantic", "semchunk", "chonkie-recursive")  # fmt: skip
    return [*(built_in[k] for k in keys), Candidate("lmchunker (Meta-Chunking authors, SmolLM2)", False, _lmchunker)]


def _setup(suite: Suite, sizes: dict[str, int], questions: dict[str, int]) -> str:
    import torch

    corpora = ", ".join(f"{c} ({sizes[c] / 1000:.0f} KB, {questions[c]} questions)" for c in suite.corpora)
    return (
        f"Chroma's chunking evaluation data: {corpora}. Chunks and questions embedded with all-MiniLM-L6-v2, top "
        f"{TOP_K} chunks by cosine, character-level scores averaged over each corpus's questions. Target sizes "
        f"{', '.join(map(str, suite.targets))} characters, each chunker's own parameter set to match (see 'setting'). "
        f"The LLM chunker (SmolLM2-135M, local, greedy) runs at targets {', '.join(map(str, suite.llm_targets)) or 'none'}"
        f" on {', '.join(suite.llm_corpora) or 'no corpus'} only (CPU cost); lmchunker (its own venv, skipped where it is absent) on "
        f"{', '.join(suite.lmchunker_corpora) or 'none'}. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"torch threads {torch.get_num_threads()}, Python {platform.python_version()}."
    )


def _measure(
    corpus: Corpus, questions: list[Question], target: int, candidate: Candidate, embedder: Embedder, query_vectors: Any
) -> tuple[dict, list[Span]]:
    """One chunker at one setting on one corpus (chunkers.apps.evaluation.measure): its table row and its chunk spans."""
    (measured,), spans = measure(corpus, questions, candidate.make(target), embedder, query_vectors, TOP_K)
    row = {"corpus": corpus.name, "target": target, "chunker": candidate.name, "ours": candidate.ours, **measured}
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    return row, spans


def prose_corpus(name: str, chars: int | None = None) -> tuple[Corpus, list[Question]]:
    """A corpus of the suite as one document, with its questions as evidence spans (form (b)); ``chars``: only its
    first ``chars`` characters and the questions whose evidence lies within them."""
    text, questions = load(name)
    if chars is not None:
        text = text[:chars]
        questions = [(q, evidence) for q, evidence in questions if all(b <= chars for _, b in evidence)]
    return Corpus([Document(name, text)], name), [
        Question(q, tuple((name, a, b) for a, b in sorted(set(evidence))), (name,)) for q, evidence in questions
    ]


def run(suite_name: str, out: Path, only: list[str] | None = None) -> dict[str, list[dict]]:
    """Run a suite, write retrieval_<suite>.md/.json and two PNG plots under ``out``; return the tables. ``only``:
    just the chunkers whose name contains one of these strings (files then named retrieval_<suite>_only)."""
    from chunkers.apps.evaluation import ChunkPerplexity, intrinsic_scores
    from chunkers.runtime.models import load_causal_lm, load_embedder

    suite = SUITES[suite_name]
    load_causal_lm(), load_embedder()  # model loading is not chunking time
    candidates, scorer, embedder = entries(), ChunkPerplexity(), Embedder()
    candidates = [c for c in candidates if not only or any(o in c.name for o in only)]
    candidates = [c for c in candidates if not c.name.startswith(suite.left_out)]
    rows, intrinsic, sizes, counts = [], [], {}, {}
    for name in suite.corpora:
        corpus, questions = prose_corpus(name, suite.prose_chars)
        text = corpus.documents[0].text
        sizes[name], counts[name] = len(text), len(questions)
        query_vectors = embedder.queries([q.text for q in questions])
        intrinsic_target = min(suite.targets, key=lambda t: abs(t - 400))
        for candidate in candidates:
            is_llm = "LLMChunker" in candidate.name
            if is_llm and name not in suite.llm_corpora:
                continue
            if candidate.name.startswith("lmchunker") and (
                name not in suite.lmchunker_corpora or not LMCHUNKER.exists()
            ):
                continue
            targets = suite.llm_targets if is_llm else suite.targets
            for target in targets:
                row, spans = _measure(corpus, questions, target, candidate, embedder, query_vectors)
                rows.append(row)
                if target == min(targets, key=lambda t: abs(t - intrinsic_target)) and (
                    suite.intrinsic_of is None or candidate.name.startswith(suite.intrinsic_of)
                ):
                    sample = [text[a:b] for a, b in spans if b <= suite.intrinsic_chars]
                    scores = intrinsic_scores(sample, scorer, window=suite.intrinsic_window)
                    intrinsic.append({"corpus": name, "target": target, "chunker": candidate.name,
                                      "chunks": len(sample), "mean_chars": sum(map(len, sample)) / max(len(sample), 1),
                                      **scores})  # fmt: skip
    code = build(suite.code_subpackages)
    code_corpus, code_questions = code.as_corpus()
    query_vectors = embedder.queries([q.text for q in code_questions])
    for candidate in (c for c in code_entries() if not only or any(o in c.name for o in only)):
        for target in suite.code_targets:
            rows.append(_measure(code_corpus, code_questions, target, candidate, embedder, query_vectors)[0])
    prose = [r for r in rows if r["corpus"] != "code"]
    match = matched(prose, list(suite.matched_sizes)) + matched(
        [r for r in rows if r["corpus"] == "code"], list(suite.code_matched)
    )
    speeds = speed_rows(rows)
    setup = _setup(suite, sizes, counts) + (
        f" Intrinsic metrics on the chunks within each corpus's first {suite.intrinsic_chars} characters, pairs up "
        f"to {suite.intrinsic_window} chunks apart, dependence threshold 0.5"
        + (f", of {' and '.join(suite.intrinsic_of)} only" if suite.intrinsic_of else "")
        + f". Code corpus ('code'): {code.description}"
        f"; each file chunked on its own by the code chunkers, at budgets {', '.join(map(str, suite.code_targets))} "
        f"in each chunker's own unit, compared at matched mean sizes {', '.join(map(str, suite.code_matched))} "
        "characters; same embedding, top-5 retrieval and character-level scores as the prose."
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"retrieval_{suite_name}" + ("_only" if only else "")
    tables = {"rows": rows, "matched": match, "speed": speeds, "intrinsic": intrinsic}
    write(out, f"{stem}", markdown(suite_name, setup, rows, match, speeds, intrinsic), {"setup": setup, **tables})
    plots(rows, speeds, out, stem, "iou", TOP_K)
    print((out / f"{stem}.md").read_text(encoding="utf-8"))
    return tables
