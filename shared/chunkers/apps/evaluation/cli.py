"""``chunkers eval``: which chunker for my data? The subcommand's options and its run (registered by
``chunkers.apps.cli``)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any, TextIO

GENERATED = "questions.generated.jsonl"


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {value!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {value!r}")
    return sizes


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``eval`` subcommand to the ``chunkers`` command's subparsers."""
    from .candidates import DEFAULT_CHUNKERS, Registry

    names = ", ".join(Registry().candidates())
    parser = sub.add_parser(
        "eval",
        help="compare chunkers on your documents and questions (retrieval quality at matched size, speed)",
        description="Chunk your documents with each chunker at each size, retrieve the top k chunks per question, "
        "and report recall, precision, IoU and MRR at matched mean chunk size, plus speed: a table here, and "
        "eval.md, eval.json and PNG plots in --out. Finished settings are saved there: rerun to resume.",
    )
    parser.add_argument("documents", type=Path, help="a folder of text files, one file, or JSONL with id and text")
    parser.add_argument(
        "--questions",
        "-q",
        type=Path,
        default=None,
        help="JSONL or CSV: question + evidence text, evidence spans, or relevant document",
    )
    parser.add_argument(
        "--chunkers",
        default=",".join(DEFAULT_CHUNKERS),
        help=f"comma-separated: {names}, all, or module:factory (default: %(default)s, the peers that are installed)",
    )
    parser.add_argument("--sizes", type=_sizes, default=[200, 400, 800], help="target sizes in characters")
    parser.add_argument(
        "--matched",
        type=_sizes,
        default=None,
        help="mean chunk sizes to compare at (default: two inside every chunker's range)",
    )
    parser.add_argument(
        "--embedding",
        default="minilm",
        help="minilm (embedded, default), a sentence-transformers folder, or module:attribute naming a "
        "LlamaIndex/LangChain embedding (a class is instantiated without arguments)",
    )
    parser.add_argument(
        "--context",
        default="none",
        help="what is embedded with each chunk, comma-separated, each measured as a row of its own: "
        "none (the text alone, default), chunker (the chunker's context_header), path / full-path / "
        "title+path (the section path at the chunk, its own heading in full-path), late (late "
        "chunking: pooled from the whole document's token vectors)",
    )
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("chunkers-eval"), help="report folder (default %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="measure every setting again (ignore saved results)")
    parser.add_argument(
        "--generate",
        type=int,
        default=None,
        metavar="N",
        help=f"generate N questions with --llm (saved as OUT/{GENERATED}, reused on reruns)",
    )
    parser.add_argument(
        "--llm",
        default=None,
        help="module:attribute naming an LLM (LlamaIndex, LangChain, or a callable prompt -> text) "
        "for --generate and the llm chunker",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the excerpts questions are generated from")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    return parser


def _load(spec: str) -> Any:
    from .candidates import _import

    value = _import(spec)
    return value() if isinstance(value, type) else value


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the comparison the options describe; print the tables (to ``out``, default stdout) and where the
    report went (stderr)."""
    from rich.console import Console

    from .compare import compare
    from .documents import EvaluationInputError, load_documents
    from .report import rich_tables

    err = Console(file=sys.stderr, width=120)
    if args.top_k < 1:
        raise EvaluationInputError(f"--top-k must be at least 1, got {args.top_k}")
    corpus = load_documents(args.documents, exclude=[args.out, *([args.questions] if args.questions else [])])
    for skipped in corpus.skipped:
        err.print(f"skipped {skipped}: binary or not UTF-8", markup=False)
    llm = _load(args.llm) if args.llm else None
    questions: Any = args.questions
    if args.generate is not None:
        questions = _generated(corpus, llm, args, err)
    elif questions is None:
        raise EvaluationInputError("no questions: pass --questions FILE, or --generate N with --llm")
    embedding = None if args.embedding == "minilm" else args.embedding if ":" not in args.embedding else _load(
        args.embedding)  # fmt: skip
    names = [name.strip() for name in args.chunkers.split(",") if name.strip()]
    try:
        result = compare(corpus, questions, names, args.sizes, embedding, args.top_k, args.matched, args.out,
                         resume=not args.fresh, progress=args.progress and sys.stderr.isatty(), llm=llm,
                         contexts=[c.strip() for c in args.context.split(",") if c.strip()])  # fmt: skip
    except KeyboardInterrupt:
        err.print(f"interrupted: finished settings are saved in {args.out}; run the same command again to resume")
        return 130
    out = out or sys.stdout
    console = Console(file=out, width=None if out.isatty() else 140)
    for table in rich_tables(result, result.documents > 1):
        console.print(table)
    for row in result.rows:
        for error in row["errors"]:
            err.print(f"error   {row['chunker']} @ {row['target']} on {error['document']}: {error['error']}",
                      markup=False)  # fmt: skip
    err.print("report: " + ", ".join(str(p) for p in result.files), markup=False)
    if importlib.util.find_spec("matplotlib") is None:
        err.print("no plots: matplotlib is not installed (pip install 'rag-chunkers[eval]')", markup=False)
    return 1 if any(row["errors"] for row in result.rows) else 0


def _generated(corpus: Any, llm: Any, args: argparse.Namespace, err: Any) -> Path:
    """The generated questions file in the report folder: reused when it is there, else generated now."""
    from .documents import EvaluationInputError
    from .generate import generate_questions, rejected_summary

    path = args.out / GENERATED
    if path.is_file() and not args.fresh:
        err.print(f"reusing the generated questions in {path} (--fresh to generate again)", markup=False)
        return path
    if llm is None:
        raise EvaluationInputError("--generate needs --llm module:attribute (an LLM to write the questions)")
    made = generate_questions(corpus, llm, args.generate, seed=args.seed, save=path)
    err.print(f"generated {len(made.questions)} of {args.generate} questions into {path} "
              f"(rejected: {rejected_summary(made.rejected)})", markup=False)  # fmt: skip
    if not made.questions:
        raise EvaluationInputError("the LLM gave no usable question (see the rejections above)")
    return path
