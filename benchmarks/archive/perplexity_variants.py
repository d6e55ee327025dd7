"""Boundary-selection variants of `PerplexityChunker` against plain splitters, at matched mean chunk size, on
Chroma's chunking evaluation (the same protocol as retrieval_bench.py: MiniLM, top 5, character-level scores).

Sentence perplexities are computed once per corpus and kept on disk (benchmarks/.cache), so every variant and
size re-uses them; only chunking, embedding and scoring run per setting.

    python -m benchmarks.archive.perplexity_variants score [--quantize int8]   # fill the perplexity cache (the slow part)
    python -m benchmarks.archive.perplexity_variants run [--corpora chatlogs ...] [--only NAME ...] [--head CHARS]
    python -m benchmarks.archive.perplexity_variants report          # the table of perplexity_variants.md

Matched size without guessing: every chunker is first run (chunking only, cheap) over a grid of its size parameter,
and for each matched mean size the two settings whose mean chunk sizes bracket it most tightly are embedded and
scored; the metrics are interpolated linearly between them (as retrieval_report.matched does).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, MutableMapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import mrr_at_k, overlap_scores, relevant_flags

from ..retrieval_bench import ROOT, TOP_K, load
from ..retrieval_report import METRICS, interpolate

Span = tuple[int, int]
Chunking = Callable[[str, int], list[Span]]  # (text, size parameter) -> chunk spans

CACHE = ROOT / "benchmarks" / ".cache" / "perplexity_scores.json"
CORPORA = ("chatlogs", "wikitexts", "pubmed")


class DiskCache(dict):
    """A dict of sentence scores written to ``path`` (JSON) whenever an entry is added. Keys name the model's
    precision since the scoring runtime can vary; float32 without quantization (what this benchmark uses) is
    stored under the older key without them, so scores computed before that change stay usable."""

    def __init__(self, path: Path) -> None:
        super().__init__(json.loads(path.read_text()) if path.exists() else {})
        self.path = path

    @staticmethod
    def _plain(key: object) -> object:
        parts = str(key).split("|")
        if len(parts) == 6 and parts[1].endswith("float32") and parts[2] == "none":
            return "|".join([parts[0], *parts[3:]])
        return key

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._plain(key))

    def __getitem__(self, key: str) -> list[float]:
        return super().__getitem__(self._plain(key))

    def __setitem__(self, key: str, value: list[float]) -> None:
        super().__setitem__(self._plain(key), value)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(dict(self)))


def score(corpora: tuple[str, ...], cache: MutableMapping[str, Any], quantize: str = "none") -> None:
    """Sentence perplexities of every corpus into ``cache`` (float32, the reference precision, or int8)."""
    from chunkers import PerplexityChunker

    chunker = PerplexityChunker(cache=cache, dtype="float32", quantize=quantize)
    for corpus in corpora:
        text, _ = load(corpus)
        chunker.sentence_perplexities(text)
        print(f"{corpus}: scored", flush=True)


MATCHED = (300, 500)
RESULTS = ROOT / "benchmarks" / "results" / "perplexity_variants.json"


def baselines() -> dict[str, tuple[Chunking, Sequence[int]]]:
    """The plain splitters, each with the grid of its chunk_size (a maximum) searched for matched means."""
    import semchunk
    from chonkie import RecursiveChunker
    from chunkers import SentenceChunker
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from .code_retrieval import langchain_spans

    def recursive(text: str, size: int) -> list[Span]:
        splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=0, add_start_index=True)
        return langchain_spans(splitter, text)

    grid = range(300, 1201, 20)
    return {
        "semchunk": (lambda text, size: semchunk.chunk(text, size, len, offsets=True)[1], grid),
        "chonkie RecursiveChunker": (
            lambda text, size: [(c.start_index, c.end_index) for c in RecursiveChunker(chunk_size=size).chunk(text)],
            grid,
        ),
        "LangChain RecursiveCharacterTextSplitter": (recursive, grid),
        "rag-chunkers SentenceChunker": (
            lambda text, size: [(c.start, c.end) for c in SentenceChunker(max_size=size).chunk(text)],
            grid,
        ),
    }


def variants(cache: MutableMapping[str, Any]) -> dict[str, tuple[Chunking, Sequence[int]]]:
    """PerplexityChunker variants on cached sentence scores, each with the grid of target_size searched."""
    from chunkers import PerplexityChunker
    from chunkers.core.segmentation_dp import standardized
    from chunkers.prose.perplexity import rise_gains

    def engine(quantize: str = "none", **options: Any) -> Chunking:
        def chunk(text: str, size: int) -> list[Span]:
            chunker = PerplexityChunker(target_size=size, max_size=2 * size, cache=cache, quantize=quantize, **options)
            return [(c.start, c.end) for c in chunker.chunk(text)]

        return chunk

    def with_gains(gains: Callable[[list[float], Any], list[float]], size_weight: float) -> Chunking:
        """The DP on other gains than the chunker's (``gains(ppl, document)``: one per sentence boundary)."""

        def chunk(text: str, size: int) -> list[Span]:
            chunker = PerplexityChunker(
                target_size=size, max_size=2 * size, cache=cache, quantize="none", size_weight=size_weight
            )
            document = chunker.scorer.prepare(text)
            ppl = chunker.scorer.perplexities([document])[0]
            return [(c.start, c.end) for c in chunker._assemble_dp(document, ppl, gains(ppl, document))]

        return chunk

    def margins(chunker: Any, document: Any) -> tuple[list[float], dict[int, float]]:
        """Margin sampling's margin at every sentence boundary and its threshold cuts (one LM call per sentence,
        independent of the size settings), kept in the disk cache."""
        key = "margin|" + chunker.scorer.cache_key(document)
        if key not in cache:
            values, cuts = chunker.scorer.margins(document, chunker.threshold, chunker.dynamic_threshold)
            cache[key] = {"margins": values, "cuts": {str(i): m for i, m in cuts.items()}}
        return cache[key]["margins"], {int(i): m for i, m in cache[key]["cuts"].items()}

    def margin(boundary: str, size_weight: float = 16.0) -> Chunking:
        """``method="margin"``: the paper's threshold rule (cuts where the margin passes the running mean of the
        last 5, meta-chunks merged to target), or the DP on the margins."""

        def chunk(text: str, size: int) -> list[Span]:
            chunker = PerplexityChunker(target_size=size, max_size=2 * size, cache=cache, quantize="none",
                                        method="margin", boundary=boundary, size_weight=size_weight)  # fmt: skip
            document = chunker.scorer.prepare(text)
            ppl = chunker.scorer.perplexities([document])[0]
            values, cuts = margins(chunker, document)
            chunks = chunker._assemble_dp(document, ppl, values) if boundary == "dp" else chunker._assemble(
                document, ppl, cuts)  # fmt: skip
            return [(c.start, c.end) for c in chunks]

        return chunk

    def zero(ppl: list[float], document: Any) -> list[float]:  # ablation: sizes alone decide (any size_weight)
        return [0.0] * len(ppl)

    def surprise(ppl: list[float], document: Any) -> list[float]:  # the next sentence's perplexity in context
        return ppl[1:]

    def paragraphs(ppl: list[float], document: Any) -> list[float]:  # the rise, plus 1 std at a blank line
        rise = standardized(rise_gains(ppl))
        gaps = [document.text[a[1] : b[0]] for a, b in pairwise(document.sentences)]
        return [r + ("\n\n" in gap) for r, gap in zip(rise, gaps)]

    near = (290, 300, 310, 490, 500, 510)  # the DP makes chunks average target_size
    return {
        "threshold (minima, theta=0, merge to target; before)": (engine(boundary="threshold"), range(100, 801, 10)),
        "dp, size_weight=0": (engine(boundary="dp", size_weight=0.0), near),
        "dp, size_weight=0.25": (engine(boundary="dp", size_weight=0.25), near),
        "dp, size_weight=1": (engine(boundary="dp", size_weight=1.0), near),
        "dp, size_weight=4": (engine(boundary="dp", size_weight=4.0), near),
        "dp, size_weight=16": (engine(boundary="dp", size_weight=16.0), near),
        "dp, size_weight=16, int8 scores": (engine("int8", boundary="dp", size_weight=16.0), near),
        "dp, gains 0 (ablation: sizes only)": (with_gains(zero, 1.0), near),
        "dp surprise (gain: next sentence's perplexity), size_weight=1": (with_gains(surprise, 1.0), near),
        "dp surprise (gain: next sentence's perplexity), size_weight=4": (with_gains(surprise, 4.0), near),
        "dp, rise + paragraph-break prior, size_weight=4": (with_gains(paragraphs, 4.0), near),
        "margin sampling (paper: dynamic threshold, merge to target)": (margin("threshold"), range(100, 801, 10)),
        "margin sampling, dp, size_weight=16": (margin("dp"), near),
    }


def brackets(means: dict[int, float], sizes: tuple[int, ...]) -> set[int]:
    """For each matched size, the settings with the largest mean below it and the smallest mean above it."""
    chosen = set()
    for size in sizes:
        below = [s for s, m in means.items() if m <= size]
        above = [s for s, m in means.items() if m >= size]
        if below and above:
            chosen |= {max(below, key=lambda s: means[s]), min(above, key=lambda s: means[s])}
    return chosen


class Scorer:
    """Retrieval scores of chunk spans on one corpus (MiniLM, top 5), chunk embeddings memoised by text."""

    def __init__(self, text: str, questions: list[tuple[str, list[Span]]]) -> None:
        from chunkers.runtime.models import embed

        self.text, self.questions = text, questions
        self.queries = embed([q for q, _ in questions])
        self.memo: dict[str, Any] = {}

    def __call__(self, spans: list[Span]) -> dict[str, float]:
        import numpy as np
        from chunkers.runtime.models import embed

        texts = [self.text[a:b] for a, b in spans]
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            self.memo.update(zip(missing, embed(missing)))
        vectors = np.stack([self.memo[t] for t in texts])
        totals = dict.fromkeys(METRICS, 0.0)
        for (_, evidence), query in zip(self.questions, self.queries):
            top = [spans[i] for i in (vectors @ query).argsort()[::-1][:TOP_K]]
            for name, value in overlap_scores(top, evidence).items():
                totals[name] += value
            totals["mrr"] += mrr_at_k(relevant_flags(top, evidence), TOP_K)
        return {name: value / len(self.questions) for name, value in totals.items()}


def measure(corpus: str, chunkers: dict[str, tuple[Chunking, Sequence[int]]], scorer: Scorer) -> list[dict]:
    """Per chunker: the bracketing settings' scores and the metrics interpolated at each matched size."""
    rows = []
    for name, (chunk, grid) in chunkers.items():
        spans_at = {size: chunk(scorer.text, size) for size in grid}
        means = {size: sum(b - a for a, b in spans) / len(spans) for size, spans in spans_at.items()}
        points = []
        for size in sorted(brackets(means, MATCHED)):
            points.append({"size": size, "mean_chars": means[size], "chunks": len(spans_at[size]),
                           **scorer(spans_at[size])})  # fmt: skip
        for matched in MATCHED:
            values = {m: interpolate([(p["mean_chars"], p[m]) for p in points], matched) for m in METRICS}
            row = {"corpus": corpus, "chunker": name, "mean_chars": matched, **values, "settings": points}
            rows.append(row)
            print(
                {k: v if not isinstance(v, float) else round(v, 4) for k, v in row.items() if k != "settings"},
                flush=True,
            )
    return rows


def prefix(corpus: str, chars: int, cache: MutableMapping[str, Any]) -> tuple[str, list[tuple[str, list[Span]]]]:
    """The corpus cut at the first sentence start at or after ``chars``, with the questions whose evidence lies
    inside; its sentence scores are the full text's first sentences' (a causal LM scores a sentence from the text
    before it only), entered in ``cache`` under the prefix's key."""
    from chunkers import PerplexityChunker
    from chunkers.core.segment import sentence_spans

    text, questions = load(corpus)
    sentences = sentence_spans(text)
    keep = next((i for i, (start, _) in enumerate(sentences) if start >= chars), len(sentences))
    cut = sentences[keep][0] if keep < len(sentences) else len(text)
    head = text[:cut]
    assert sentence_spans(head) == sentences[:keep], "the prefix must segment like the full text"
    chunker = PerplexityChunker(cache=cache, quantize="none")
    full_key, head_key = (
        chunker.scorer.cache_key(chunker.scorer.prepare(text)),
        chunker.scorer.cache_key(chunker.scorer.prepare(head)),
    )
    cache[head_key] = cache[full_key][:keep]
    return head, [(q, evidence) for q, evidence in questions if max(b for _, b in evidence) <= cut]


def run(
    corpora: tuple[str, ...], only: list[str] | None, cache: MutableMapping[str, Any], head: int | None = None
) -> list[dict]:
    """Measure the variants and baselines (those whose name contains one of ``only``, if given) on ``corpora``
    (``head``: on each corpus's first ``head`` characters, see `prefix`); rows are merged into
    benchmarks/results/perplexity_variants.json (replacing the same corpus and chunker)."""
    from chunkers.runtime.models import load_causal_lm

    load_causal_lm()
    everything = {**variants(cache), **baselines()}
    chosen = {n: c for n, c in everything.items() if not only or any(o in n for o in only)}
    old = json.loads(RESULTS.read_text())["rows"] if RESULTS.exists() else []
    for corpus in corpora:
        text, questions = prefix(corpus, head, cache) if head else load(corpus)
        label = f"{corpus} (first {len(text) // 1000} KB, {len(questions)} questions)" if head else corpus
        scorer = Scorer(text, questions)
        for name, chunker in chosen.items():  # results saved after each chunker
            new = measure(label, {name: chunker}, scorer)
            old = [r for r in old if (r["corpus"], r["chunker"]) != (label, name)] + new
            RESULTS.write_text(json.dumps({"rows": old}, indent=1) + "\n", encoding="utf-8")
    return old


def _cell(row: dict | None) -> str:
    if row is None or row["iou"] is None:
        return "n/a"
    return f"{row['iou']:.4f} / {row['recall']:.3f} / {row['precision']:.3f}"


def report(rows: list[dict], baseline_names: list[str]) -> str:
    """The markdown table: every variant's IoU / recall / precision per corpus at each matched size, the best plain
    splitter of this run beside them, and the committed full-suite figures (retrieval_full.json) for reference."""
    committed_path = ROOT / "benchmarks" / "results" / "retrieval_full.json"
    committed = json.loads(committed_path.read_text())["matched"] if committed_path.exists() else []
    corpora = sorted(dict.fromkeys(r["corpus"] for r in rows), key=lambda c: CORPORA.index(c.split()[0]))
    columns = [(c, m) for c in corpora for m in MATCHED]
    at = {(r["corpus"], r["mean_chars"], r["chunker"]): r for r in rows}
    names = list(dict.fromkeys(r["chunker"] for r in rows))
    lines = ["| chunker | " + " | ".join(f"{c} @ {m}" for c, m in columns) + " |",
             "|---|" + "---|" * len(columns)]  # fmt: skip
    best = {}
    for c, m in columns:
        found = [at[(c, m, n)] for n in baseline_names if (c, m, n) in at and at[(c, m, n)]["iou"] is not None]
        best[(c, m)] = max(found, key=lambda r: r["iou"], default=None)
    for name in names:
        cells = []
        for c, m in columns:
            row = at.get((c, m, name))
            mark = (
                best[(c, m)] is not None
                and row is not None
                and row["iou"] is not None
                and row["iou"] >= best[(c, m)]["iou"]
            )
            cells.append(("**" + _cell(row) + "**") if mark and name not in baseline_names else _cell(row))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| best plain splitter (this run) | " + " | ".join(
        f"{_cell(best[k])} ({best[k]['chunker'].split()[0]})" if best[k] else "n/a" for k in columns) + " |")  # fmt: skip
    for name in dict.fromkeys(r["chunker"] for r in committed if r["corpus"] in CORPORA):
        cells = [_cell(next((r for r in committed if (r["corpus"], r["mean_chars"], r["chunker"])
                             == (c, m, name)), None)) for c, m in columns]  # fmt: skip
        lines.append(f"| committed full suite: {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive.perplexity_variants")
    parser.add_argument("command", choices=("score", "run", "report"))
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA))
    parser.add_argument("--only", nargs="+", help="run only the chunkers whose name contains one of these")
    parser.add_argument("--head", type=int, help="use only each corpus's first HEAD characters (and its questions)")
    parser.add_argument("--quantize", choices=("none", "int8"), default="none", help="score: the precision")
    args = parser.parse_args()
    cache = DiskCache(CACHE)
    if args.command == "score":
        score(tuple(args.corpora), cache, args.quantize)
    elif args.command == "run":
        run(tuple(args.corpora), args.only, cache, args.head)
    else:
        rows = json.loads(RESULTS.read_text())["rows"]
        print(report(rows, list(baselines())))


if __name__ == "__main__":
    main()
