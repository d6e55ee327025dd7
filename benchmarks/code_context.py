"""Does embedding a code chunk's header (the enclosing signatures, ``expand_context``) help retrieval?

The code corpus of the retrieval suite (langchain-core source, docstring summary -> function; see
code_retrieval.py) is chunked once per budget by `ASTChunker`; the same chunks are embedded twice, as their text
and as ``context_header`` + text (what ``ASTNodeParser(expand_context=True)`` embeds and what
``ASTTextSplitter(context_in_content=True)`` puts in ``page_content``). The chunks are identical, so the two
rows of a budget are at exactly the same mean size. The corpus's files are anonymous, so the header here holds
the enclosing signatures only (a real file path would add to it). Metrics: character-level recall, precision, IoU and MRR of
the top k chunks against the function's span (Chroma's protocol), with the embedded MiniLM.

    python -m benchmarks.code_context [--suite quick|full] [--top-k 5] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import Embedder, mrr_at_k, overlap_scores, relevant_flags
from chunkers.code import ASTChunker
from chunkers.core.chunk import embedded_text

from benchmarks.code_retrieval import build
from benchmarks.retrieval_bench import ROOT, SUITES

from .report import write

BUDGETS = (500, 1000, 2000)  # non-whitespace characters


def measure(subpackages: tuple[str, ...], top_k: int) -> dict[str, Any]:
    """Per budget and variant: mean chunk size (characters) and the mean metrics over the questions."""
    code = build(subpackages)
    corpus, questions = code.as_corpus()
    embedder = Embedder()
    query_vectors = embedder.queries([q.text for q in questions])
    rows = []
    for budget in BUDGETS:
        chunker = ASTChunker(language="python", max_size=budget, expand_context=True)
        chunks = [(i, c) for i, d in enumerate(corpus.documents) for c in chunker.chunk(d.text)]
        spans = [corpus.to_global(i, (c.start, c.end)) for i, c in chunks]
        mean_size = sum(len(c.text) for _, c in chunks) / len(chunks)
        for variant, embedded in (
            ("text", lambda c: c.text),
            ("header + text", lambda c: embedded_text(c.metadata["context_header"], c.text)),
        ):
            vectors = embedder.documents([embedded(c) for _, c in chunks])
            totals = dict.fromkeys(("recall", "precision", "iou", "mrr"), 0.0)
            for question, query in zip(questions, query_vectors):
                [(document, start, end)] = question.spans
                evidence = [corpus.to_global(corpus.find(document), (start, end))]
                top = [spans[i] for i in (vectors @ query).argsort()[::-1][:top_k]]
                for name, value in overlap_scores(top, evidence).items():
                    totals[name] += value
                totals["mrr"] += mrr_at_k(relevant_flags(top, evidence), top_k)
            scores = {name: total / len(questions) for name, total in totals.items()}
            rows.append({"budget": budget, "variant": variant, "mean_size": mean_size, **scores})
    return {"corpus": code.description, "questions": len(questions), "top_k": top_k, "rows": rows}


def to_markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Code chunk headers in the embedding (expand_context)",
        "",
        f"Corpus: {result['corpus']}. ASTChunker (Python grammar), top {result['top_k']} by all-MiniLM-L6-v2 "
        "cosine; the same chunks embedded as their text or as header + text (so both rows of a budget have the "
        "same mean size). Regenerate: `python -m benchmarks.code_context --suite full`.",
        "",
        "| budget (non-ws chars) | mean chunk chars | embedded | recall | precision | IoU | MRR@k |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['budget']} | {r['mean_size']:.0f} | {r['variant']} | {r['recall']:.3f} | {r['precision']:.3f} "
            f"| {r['iou']:.3f} | {r['mrr']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="full")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    result = measure(SUITES[args.suite].code_subpackages, args.top_k)
    write(args.out, "code_context", to_markdown(result), result)
    print(to_markdown(result))


if __name__ == "__main__":
    main()
