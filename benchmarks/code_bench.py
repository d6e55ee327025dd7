"""AST chunking benchmark: rag-chunkers' ASTChunker beside LlamaIndex CodeSplitter, LangChain
RecursiveCharacterTextSplitter.from_language and astchunk (the cAST authors' package), on the real-code corpus
of benchmarks/code_corpus.py, in one run, one thread, with the same budget.

    python -m benchmarks.code_bench [--corpus DIR] [--budget 1500] [--out benchmarks/results]

Needs the `bench` extra (astchunk). Writes code_bench.md and code_bench.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import platform
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from .report import write

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / "benchmarks" / "corpora" / "code"
EXTENSIONS = {
    ".py": "python", ".js": "javascript", ".ts": "typescript", ".java": "java",
    ".go": "go", ".rs": "rust", ".c": "c", ".h": "c",
}  # fmt: skip
ChunkFn = Callable[[str, str], list[str]]


def load_corpus(corpus: Path) -> list[tuple[Path, str, str]]:
    files = []
    for path in sorted(corpus.rglob("*")):
        language = EXTENSIONS.get(path.suffix)
        if language and path.is_file():
            try:
                files.append((path, language, path.read_text(encoding="utf-8")))
            except UnicodeDecodeError:
                continue
    return files


def non_whitespace(text: str) -> int:
    return len(text) - sum(map(str.isspace, text))


def make_chunkers(budget: int) -> dict[str, tuple[ChunkFn, set[str] | None, Callable[[str], int]]]:
    """name -> (chunk(text, language) -> texts, languages supported (None: all), the size unit it budgets)."""
    from chunkers.code import ASTChunker
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
    from llama_index.core.node_parser import CodeSplitter

    lc_names = {"python": Language.PYTHON, "javascript": Language.JS, "typescript": Language.TS,
                "java": Language.JAVA, "go": Language.GO, "rust": Language.RUST, "c": Language.C}  # fmt: skip
    lc = {
        k: RecursiveCharacterTextSplitter.from_language(v, chunk_size=budget, chunk_overlap=0)
        for k, v in lc_names.items()
    }
    li = {k: CodeSplitter(language=k, max_chars=budget) for k in lc_names}
    ours = {k: ASTChunker(language=k, max_size=budget) for k in lc_names}
    ours_chars = {k: ASTChunker(language=k, max_size=budget, sizer="chars") for k in lc_names}
    chunkers: dict[str, tuple[ChunkFn, set[str] | None, Callable[[str], int]]] = {
        "rag-chunkers ASTChunker (non-whitespace)": (
            lambda text, lang: [c.text for c in ours[lang].chunk(text)],
            None,
            non_whitespace,
        ),
        "rag-chunkers ASTChunker (chars)": (
            lambda text, lang: [c.text for c in ours_chars[lang].chunk(text)],
            None,
            len,
        ),
        "LlamaIndex CodeSplitter": (lambda text, lang: li[lang].split_text(text), None, len),
        "LangChain from_language": (lambda text, lang: lc[lang].split_text(text), None, len),
    }
    try:
        from astchunk import ASTChunkBuilder

        builders = {
            lang: ASTChunkBuilder(max_chunk_size=budget, language=lang, metadata_template="default")
            for lang in ("python", "java", "typescript")
        }
        chunkers["astchunk (cAST authors)"] = (
            lambda text, lang: [w["content"] for w in builders[lang].chunkify(text)],
            set(builders),
            non_whitespace,
        )
    except ImportError:
        pass
    return chunkers


def parse_only(files: list[tuple[Path, str, str]]) -> float:
    """Seconds for a bare tree-sitter parse of every file."""
    from chunkers.code.languages import new_parser

    parsers = {lang: new_parser(lang) for lang in {f[1] for f in files}}
    started = time.perf_counter()
    for _, language, text in files:
        parsers[language].parse(text.encode("utf-8"))
    return time.perf_counter() - started


def python_functions(text: str) -> list[str]:
    """Source of every function and method (decorators included), as it appears in the file."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.splitlines(keepends=True)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            out.append("".join(lines[first - 1 : node.end_lineno]).strip())
    return out


def parses_alone(chunk: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(textwrap.dedent(chunk))
        return True
    except (SyntaxError, ValueError):
        return False


def run(files: list[tuple[Path, str, str]], budget: int, repeats: int = 3) -> dict:
    """Every chunker over the corpus. Times are the best of ``repeats`` rounds; each round runs every chunker
    once, in turn, each followed by a bare parse of the same files, so no chunker gets a luckier machine."""
    chunkers = make_chunkers(budget)
    results: dict = {"parse_only": {}, "chunkers": {}, "repeats": repeats}
    subsets = {
        name: [f for f in files if languages is None or f[1] in languages]
        for name, (_, languages, _) in chunkers.items()
    }
    seconds = dict.fromkeys(chunkers, float("inf"))
    parse_seconds = dict.fromkeys(chunkers, float("inf"))
    outputs_by_name = {}
    for name, (chunk, _, _) in chunkers.items():
        chunk(subsets[name][0][2][:200], subsets[name][0][1])  # warm-up: grammar loading
    for _ in range(repeats):
        for name, (chunk, _, _) in chunkers.items():
            started = time.perf_counter()
            outputs_by_name[name] = [chunk(text, language) for _, language, text in subsets[name]]
            seconds[name] = min(seconds[name], time.perf_counter() - started)
            parse_seconds[name] = min(parse_seconds[name], parse_only(subsets[name]))
    for name, (_, languages, unit) in chunkers.items():
        subset, outputs = subsets[name], outputs_by_name[name]
        total_bytes = sum(len(text.encode("utf-8")) for _, _, text in subset)
        sizes = [unit(c) for out in outputs for c in out]
        python = [(text, out) for (_, lang, text), out in zip(subset, outputs) if lang == "python"]
        standalone = [parses_alone(c) for _, out in python for c in out]
        fitting = whole = 0
        for text, out in python:
            for function in python_functions(text):
                if unit(function) <= budget:
                    fitting += 1
                    whole += any(function in c for c in out)
        results["chunkers"][name] = {
            "languages": sorted(languages) if languages else "all",
            "files": len(subset),
            "megabytes": total_bytes / 1e6,
            "seconds": seconds[name],
            "mb_per_s": total_bytes / 1e6 / seconds[name],
            "chunks": len(sizes),
            "mean_fill": sum(sizes) / len(sizes) / budget,
            "over_budget_pct": 100 * sum(s > budget for s in sizes) / len(sizes),
            "max_size": max(sizes),
            "python_chunks_parse_alone_pct": 100 * sum(standalone) / max(len(standalone), 1),
            "python_functions_fitting": fitting,
            "python_functions_whole_pct": 100 * whole / max(fitting, 1),
        }
        results["parse_only"][name] = parse_seconds[name]
        print(f"{name}: {results['chunkers'][name]['mb_per_s']:.2f} MB/s", file=sys.stderr)
    return results


MEMORY_SNIPPET = """
import resource, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from benchmarks.code_bench import EXTENSIONS, make_chunkers
chunk, languages, _ = make_chunkers({budget})[{name!r}]
paths = [p for p in sorted(Path({corpus!r}).rglob("*")) if p.suffix in EXTENSIONS and p.is_file()]
paths = [p for p in paths if languages is None or EXTENSIONS[p.suffix] in languages]
chunk(paths[0].read_text(encoding="utf-8"), EXTENSIONS[paths[0].suffix])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
done = chunks = 0
while done < 50_000_000:  # stream the corpus file by file, again and again, keeping nothing
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        chunks += len(chunk(text, EXTENSIONS[path.suffix]))
        done += len(text.encode())
print(done / 1e6, base / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, chunks)
"""


def memory(corpus: Path, budget: int, names: list[str]) -> dict:
    """Peak RSS (MiB) of each chunker streaming >= 50 MB of code (the corpus re-read file by file), one
    subprocess each; "after set-up" is the RSS once imports and grammars are loaded."""
    out = {}
    for name in names:
        code = MEMORY_SNIPPET.format(root=str(ROOT), corpus=str(corpus), budget=budget, name=name)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        megabytes, base, peak, _ = result.stdout.split()
        out[name] = {"megabytes": float(megabytes), "rss_after_setup_mib": float(base), "peak_rss_mib": float(peak)}
    return out


def report(results: dict, budget: int, manifest: dict) -> str:
    rows = results["chunkers"]
    peers = [n for n in rows if not n.startswith("rag-chunkers")]
    fastest_peer = max(rows[n]["mb_per_s"] for n in peers)
    lines = [
        "# AST chunking benchmark",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, one thread, best of {results['repeats']} passes, budget {budget} (non-whitespace characters for rag-chunkers "
        "and astchunk, characters for CodeSplitter and LangChain, i.e. each chunker's own unit; a second "
        "rag-chunkers row budgets characters too).",
        f"Corpus: {manifest['total_files']} files, {manifest['total_bytes'] / 1e6:.1f} MB of real code in 7 languages "
        "(see benchmarks/code_corpus_manifest.json). astchunk supports only Python, Java and TypeScript (and C#): "
        "its row covers that subset. chonkie's CodeChunker could not run: it needs tree-sitter-language-pack 1.x, "
        "which downloads grammars at run time (no network here).",
        "",
        "| chunker | files | MB | MB/s | x fastest peer | x parse-only | chunks | mean fill | % over budget | max size "
        "| Python chunks that parse alone | Python functions that fit and stay whole |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['files']} | {row['megabytes']:.1f} | {row['mb_per_s']:.2f} | "
            f"{row['mb_per_s'] / fastest_peer:.2f} | {row['seconds'] / results['parse_only'][name]:.2f} | {row['chunks']} | "
            f"{row['mean_fill']:.3f} | {row['over_budget_pct']:.2f} | {row['max_size']} | "
            f"{row['python_chunks_parse_alone_pct']:.1f}% | {row['python_functions_whole_pct']:.1f}% "
            f"(of {row['python_functions_fitting']}) |"
        )
    if "memory" in results:
        lines += ["", "Peak memory streaming >= 50 MB of code (the corpus re-read file by file until 50 MB, nothing kept), "
                  "one process per chunker; set-up imports every compared library, hence the common baseline; the largest file is under 1 MB:", "",
                  "| chunker | MB processed | RSS after set-up (MiB) | peak RSS (MiB) |", "|---|---|---|---|"]  # fmt: skip
        for name, row in results["memory"].items():
            lines.append(
                f"| {name} | {row['megabytes']:.0f} | {row['rss_after_setup_mib']:.0f} | {row['peak_rss_mib']:.0f} |"
            )
    lines += [
        "",
        "x parse-only: the chunker's total time divided by a bare tree-sitter parse of the same files with the "
        "same grammars. Mean fill: mean chunk size / budget in the chunker's own unit. % over budget in that unit.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--budget", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    files = load_corpus(args.corpus)
    if not files:
        sys.exit(f"no corpus under {args.corpus}: run python -m benchmarks.code_corpus first")
    results = run(files, args.budget)
    if not args.no_memory:
        results["memory"] = memory(args.corpus, args.budget, list(results["chunkers"]))
    manifest = json.loads((ROOT / "benchmarks" / "code_corpus_manifest.json").read_text(encoding="utf-8"))
    results["budget"] = args.budget
    results["machine"] = {"processor": platform.processor(), "python": platform.python_version(), "threads": 1}
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out, "code_bench", report(results, args.budget, manifest), results)
    print(report(results, args.budget, manifest))


if __name__ == "__main__":
    main()
