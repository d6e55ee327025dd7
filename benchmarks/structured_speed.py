"""Speed and memory of `DocumentChunker` on real Markdown, side by side with the peers in one run, one thread.

Corpus: FastAPI's English docs (MIT), read with `git show` from a clone at the commit below (not committed here):

    git clone https://github.com/fastapi/fastapi benchmarks/mirrors/fastapi+fastapi
    python -m benchmarks.structured_speed [--mirror benchmarks/mirrors/fastapi+fastapi] [--rounds 3]

Each chunker chunks every file; the time is the best of ``--rounds`` rounds, the chunkers taking turns. Reported:
chars/s and the ratio to ours; the bare parse of our parser (pulldown-cmark through pyromark) as the floor; and the
peak Python memory of ours on the corpus as one document at 1x and 10x its size (flat memory: the ratio stays near
the size ratio of the document itself, no more). Writes ``benchmarks/results/structured_speed.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from .paths import ROOT
from .report import cpu_model, write

COMMIT = "c3f316b7e"
DOCS = "docs/en/docs"
RESULTS = ROOT / "benchmarks" / "results"
MAX_SIZE = 1000


def load_docs(mirror: Path) -> list[str]:
    """The Markdown files under FastAPI's English docs at ``COMMIT``."""
    git_dir = next((d for d in (mirror / "repo", mirror / ".git", mirror) if (d / "HEAD").is_file()), None)
    if git_dir is None:
        raise SystemExit(f"no clone of fastapi in {mirror}; see this module's docstring")
    git = ["git", f"--git-dir={git_dir}"]
    names = subprocess.run([*git, "ls-tree", "-r", "--name-only", COMMIT, DOCS], check=True, capture_output=True,
                           text=True).stdout.split()  # fmt: skip
    return [subprocess.run([*git, "show", f"{COMMIT}:{name}"], check=True, capture_output=True).stdout.decode()
            for name in sorted(names) if name.endswith(".md")]  # fmt: skip


def chunkers() -> dict[str, Callable[[str], object]]:
    """Ours, our parser's bare parse, and the peers, each chunking one document (characters, cap 1000)."""
    import pyromark
    from chunkers import DocumentChunker
    from chunkers.documents.markdown import parser_options
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter
    from llama_index.core import Document
    from llama_index.core.node_parser import MarkdownNodeParser
    from semantic_text_splitter import MarkdownSplitter

    ours = DocumentChunker(max_size=MAX_SIZE)
    counted = DocumentChunker(max_size=MAX_SIZE, context_in_budget=True)
    headers = MarkdownHeaderTextSplitter([(f"{'#' * n}", f"Header {n}") for n in range(1, 7)], strip_headers=False)
    recursive = RecursiveCharacterTextSplitter(chunk_size=MAX_SIZE, chunk_overlap=0)
    markdown_splitter = MarkdownSplitter(MAX_SIZE)
    llama = MarkdownNodeParser()
    options = parser_options()
    return {
        "rag-chunkers DocumentChunker": ours.chunk,
        "rag-chunkers DocumentChunker, context line in the budget (the faces' default)": counted.chunk,
        "pulldown-cmark parse alone (pyromark)": lambda t: sum(1 for _ in pyromark.events_with_range(t, options=options)),
        "LangChain MarkdownHeaderTextSplitter + RecursiveCharacterTextSplitter":
            lambda t: recursive.split_documents(headers.split_text(t)),
        "semantic-text-splitter MarkdownSplitter (Rust)": markdown_splitter.chunks,
        "LlamaIndex MarkdownNodeParser (no cap)": lambda t: llama.get_nodes_from_documents([Document(text=t)]),
    }  # fmt: skip


def timings(texts: list[str], rounds: int) -> dict[str, float]:
    """Best seconds over ``rounds`` for each chunker on all texts, the chunkers taking turns."""
    runs = chunkers()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            for text in texts:
                run(text)
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def peak_memory(text: str) -> int:
    """Peak Python memory (bytes) while `DocumentChunker` chunks ``text``, chunks included."""
    from chunkers import DocumentChunker

    chunker = DocumentChunker(max_size=MAX_SIZE)
    tracemalloc.start()
    chunks = chunker.chunk(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del chunks
    return peak


def report(texts: list[str], best: dict[str, float], memory: tuple[int, int]) -> str:
    total = sum(map(len, texts))
    ours = best["rag-chunkers DocumentChunker"]
    rows = [f"| {name} | {total / seconds / 1e6:.1f} | {ours / seconds:.2f} |" for name, seconds in best.items()]
    one, ten = memory
    return "\n".join([
        "# Structured documents: speed and memory", "",
        f"FastAPI English docs at {COMMIT} ({len(texts)} Markdown files, {total:,} characters), cap {MAX_SIZE} "
        f"characters, one thread (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), best of the rounds, "
        f"the chunkers taking turns. CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}.",
        "", "| chunker | M chars/s | speed relative to ours (>1: faster) |", "|---|---|---|", *rows, "",
        f"Peak Python memory of `DocumentChunker` on the corpus as one document: {one / 1e6:.1f} MB at 1x "
        f"({total / 1e6:.1f} M chars), {ten / 1e6:.1f} MB at 10x: {ten / max(one, 1):.1f}x for 10x the text, about "
        f"{one / total:.0f} bytes per character (the block tree and the chunks), growing with the document and no "
        "faster.",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=ROOT / "benchmarks" / "mirrors" / "fastapi+fastapi")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = load_docs(args.mirror)
    best = timings(texts, args.rounds)
    whole = "\n\n".join(texts)
    memory = (peak_memory(whole), peak_memory("\n\n".join([whole] * 10)))
    markdown = report(texts, best, memory)
    data = {"commit": COMMIT, "files": len(texts), "chars": sum(map(len, texts)), "seconds": best,
            "peak_memory_bytes": {"1x": memory[0], "10x": memory[1]}, "cpu": cpu_model()}  # fmt: skip
    write(RESULTS, "structured_speed", markdown, data)
    print(markdown)


if __name__ == "__main__":
    main()
