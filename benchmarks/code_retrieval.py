"""A code retrieval corpus built from an installed package's real source, and the code chunkers compared on it.

Queries follow CodeSearchNet: a public function's docstring summary line is the question, the docstring is
removed from the code, and the gold evidence is the function's span (decorators included) in the stripped
file. Functions whose summary line is shared with another function are left out (their answer is ambiguous),
and so are those whose body is nothing but the docstring. The source is langchain-core's, whichever version
is installed (the results state it); nothing here was written by this project.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chunkers.apps.evaluation import Candidate, Corpus, Document, Question, Setting, spans_of

Span = tuple[int, int]
PACKAGE, MODULE = "langchain-core", "langchain_core"
MIN_SUMMARY_WORDS = 4


@dataclass
class CodeCorpus:
    text: str  # the stripped files, concatenated
    files: list[Span]  # each file's span in ``text``
    questions: list[tuple[str, list[Span]]]  # summary line, the function's span
    description: str

    def as_corpus(self) -> tuple[Corpus, list[Question]]:
        """The files as the documents of an evaluation corpus (each chunked on its own), and the questions as
        evidence spans in their file."""
        corpus = Corpus([Document(str(i), self.text[a:b]) for i, (a, b) in enumerate(self.files)], "code")
        questions = []
        for question, [(start, end)] in self.questions:
            index = next(i for i, (a, b) in enumerate(self.files) if a <= start and end <= b)
            offset = self.files[index][0]
            questions.append(Question(question, ((str(index), start - offset, end - offset),), (str(index),)))
        return corpus, questions


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _summary(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The docstring's first line, for a public function with more in its body than the docstring."""
    docstring = ast.get_docstring(function)
    if function.name.startswith("_") or not docstring or len(function.body) < 2:
        return None
    summary = inspect.cleandoc(docstring).strip().split("\n")[0].strip()
    return summary if len(summary.split()) >= MIN_SUMMARY_WORDS else None


def _strip(source: str) -> tuple[str, list[tuple[str, Span]]] | None:
    """The file without the docstrings of its query functions, and (summary, span) for each of them."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines(keepends=True)
    chosen: dict[int, str] = {}
    removed: set[int] = set()  # line numbers of the docstrings taken out
    for index, function in enumerate(_functions(tree)):
        summary = _summary(function)
        doc = function.body[0]
        if summary is None or doc.end_lineno is None:
            continue
        before = lines[doc.lineno - 1].encode()[: doc.col_offset]  # ast columns are UTF-8 byte offsets
        after = lines[doc.end_lineno - 1].encode()[doc.end_col_offset :]
        if before.strip() or after.strip():  # the docstring shares a line with code: leave the function out
            continue
        chosen[index] = summary
        removed.update(range(doc.lineno, doc.end_lineno + 1))
    stripped = "".join(line for number, line in enumerate(lines, 1) if number not in removed)
    new_lines, offsets = stripped.splitlines(keepends=True), _line_offsets(stripped)
    out = []
    for index, function in enumerate(_functions(ast.parse(stripped))):  # same walk order: only docstrings went
        if index in chosen:
            first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
            end = offsets[function.end_lineno - 1] + len(new_lines[function.end_lineno - 1].rstrip("\r\n"))
            out.append((chosen[index], (offsets[first - 1], end)))
    return stripped, out


def build(subpackages: tuple[str, ...]) -> CodeCorpus:
    """The corpus from the given subpackages of the installed langchain-core (files in sorted order)."""
    version = importlib.metadata.version(PACKAGE)
    base = Path(importlib.metadata.distribution(PACKAGE).locate_file(MODULE))
    parts: list[str] = []
    files: list[Span] = []
    found: list[tuple[str, Span]] = []
    position = 0
    for path in sorted(p for sub in subpackages for p in (base / sub).rglob("*.py")):
        result = _strip(path.read_text(encoding="utf-8"))
        if result is None or not result[0].strip():
            continue
        stripped, questions = result
        files.append((position, position + len(stripped)))
        found += [(q, (position + a, position + b)) for q, (a, b) in questions]
        parts.append(stripped + "\n\n")
        position += len(stripped) + 2
    counts = Counter(q for q, _ in found)
    questions = [(q, [span]) for q, span in found if counts[q] == 1]
    description = (
        f"{PACKAGE} {version} ({', '.join(subpackages)}): {len(files)} Python files, {position / 1000:.0f} KB after "
        f"removing the query functions' docstrings; {len(questions)} questions (docstring summary lines)"
    )
    return CodeCorpus("".join(parts), files, questions, description)


def langchain_spans(splitter: Any, text: str) -> list[Span]:
    """The chunk spans of a LangChain text splitter made with ``add_start_index=True``."""
    return spans_of(splitter, text)


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def code_entries() -> list[Candidate]:
    """Every code chunker that is installed, each chunking one file (a document of `CodeCorpus.as_corpus`)."""
    from chunkers.code import ASTChunker
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
    from llama_index.core.node_parser import CodeSplitter

    def ours(sizer: str) -> Callable[[int], Setting]:
        def make(budget: int) -> Setting:
            chunker = ASTChunker(language="python", max_size=budget, sizer=sizer)
            return Setting(f"max_size={budget} ({sizer})", lambda text: spans_of(chunker, text))

        return make

    def langchain(budget: int, language: Any) -> Setting:
        if language is None:
            splitter = RecursiveCharacterTextSplitter(chunk_size=budget, chunk_overlap=0, add_start_index=True)
        else:
            splitter = RecursiveCharacterTextSplitter.from_language(
                language, chunk_size=budget, chunk_overlap=0, add_start_index=True
            )
        return Setting(f"chunk_size={budget}", lambda text: spans_of(splitter, text))

    def code_splitter(budget: int) -> Setting:
        splitter = CodeSplitter(language="python", max_chars=budget)
        return Setting(f"max_chars={budget}", lambda text: spans_of(splitter, text))

    entries = [
        Candidate("rag-chunkers ASTChunker (non-whitespace)", True, ours("non_whitespace")),
        Candidate("rag-chunkers ASTChunker (chars)", True, ours("chars")),
        Candidate("LangChain from_language(PYTHON)", False, lambda b: langchain(b, Language.PYTHON)),
        Candidate("LlamaIndex CodeSplitter", False, code_splitter),
        Candidate("LangChain RecursiveCharacterTextSplitter (plain)", False, lambda b: langchain(b, None)),
    ]
    try:
        from astchunk import ASTChunkBuilder
    except ImportError:
        return entries

    def astchunk(budget: int) -> Setting:
        builder = ASTChunkBuilder(max_chunk_size=budget, language="python", metadata_template="default")

        def chunk_file(text: str) -> list[Span]:  # its text is rebuilt from nodes: map its lines back to offsets
            offsets = _line_offsets(text)
            rows = [(w["metadata"]["start_line_no"], w["metadata"]["end_line_no"]) for w in builder.chunkify(text)]
            last = len(offsets) - 1
            return [(offsets[min(a, last)], offsets[min(b + 1, last)]) for a, b in rows]

        return Setting(f"max_chunk_size={budget} (non-whitespace)", chunk_file)

    return [*entries, Candidate("astchunk (cAST authors)", False, astchunk)]
