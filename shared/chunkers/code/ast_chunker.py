"""`ASTChunker`: cAST split-then-merge over tree-sitter syntax trees (docs/algorithms.md, "cAST")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.base import CHUNK_OVERLAP, CONTEXT_IN_BUDGET, MAX_SIZE, SIZER, BaseChunker
from ..core.chunk import Chunk, source_path
from ..core.merge import Span, pack_spans, trim
from ..core.options import Option, non_negative
from ..core.overlap import line_starts
from ..core.sizing import SpanMeasure
from .languages import (
    HANGING_GRAMMARS,
    OFFSIDE_RULE,
    GrammarNotFoundError,
    check_language,
    grammar_name,
    is_grammar,
    language_for_path,
    language_for_shebang,
    new_parser,
)
from .windows import Source, Window, build_windows, tile


def language_check(name: str, language: Any) -> Any:
    """A language name made canonical ("JS" -> "javascript"), a loaded tree-sitter ``Language`` as it is, or None;
    a name that is no known language raises `UnknownLanguageError` (a `LookupError`) naming the close ones."""
    if language is not None and not is_grammar(language):
        language = check_language(language)
    return language or None


@dataclass(eq=False)
class ASTChunker(BaseChunker):
    """Chunks source code along its syntax tree so functions and classes stay whole when they fit.

    Split-then-merge (cAST): sibling nodes are packed greedily into windows under ``max_size``; a node that
    does not fit alone is split into its children recursively, and the windows where runs meet are merged
    while they fit; a leaf that does not fit (a long string, a minified line) is split by lines, then
    characters. Size is counted in non-whitespace characters by default, so indentation is free.
    Two refinements over the reference: the header of a split node (``def f(...):``, a class line, its
    decorators and leading comments) opens the window of its body's first statements instead of becoming a
    chunk of its own; and in languages where indentation is syntax (Python, YAML, Haskell) two windows never
    merge when the second starts shallower than the first, so every chunk dedents into valid code.

    Chunks are exact slices of the file and tile it: comments and blank lines between chunks go to the
    following chunk (a comment right before a definition travels with it). Metadata per chunk:
    ``language``, ``start_line``/``end_line`` (1-based), ``node_types``, ``ancestors`` (first lines of the
    enclosing definitions, outermost first), ``size``, ``node_count``, ``fallback``; the caller's
    ``file_path`` etc. are copied in. ``expand_context=True`` adds ``context_header`` (the file path and the
    enclosing signatures); the text and offsets are unchanged.
    ``overlap_nodes=k`` extends each chunk by the last k units of the previous chunk and the first k of the
    next (budget applies before overlap; ``core_start``/``core_end`` give the span without overlap).
    ``chunk_overlap`` (LangChain's meaning, in ``sizer`` units): each chunk also starts with the end of the one
    before, at whole lines, and still fits ``max_size``.

    Language: the ``language`` argument, else the extension of ``file_path``/``file_name``/``source``/``path``
    in the metadata, else the file's shebang line (``#!/usr/bin/env python3``), else the fallback below (so a
    README or setup.cfg in a source folder never stops a batch). A ``language`` name that is no known language
    (``"pyhton"``) raises `LookupError` at construction naming the close ones (as LlamaIndex's ``CodeSplitter``
    raises); known names are those of the extension map, the aliases, LangChain's ``Language`` values, ``"text"``
    and the installed bundles' grammars. Fallback (``fallback=True`` with a ``fallback_reason`` on every chunk):
    for a file whose language cannot be told, a known language without an installed grammar (``"text"`` always),
    or a file whose parse is an error from the root, the text is split line-aware (blank lines, lines,
    sentences, spaces, characters) under the same budget. Error nodes
    inside an otherwise parsed file are chunked like any other node.
    """

    language: Any = Option(
        None, "Grammar name (or a tree-sitter Language); None: from the file name or shebang.", language_check
    ).field()
    max_size: int = MAX_SIZE.field(1500)
    sizer: Any = SIZER.field(
        "non_whitespace",
        help="'non_whitespace' (cAST's measure), 'chars', a tokenizer, a local tokenizer folder or a callable.",
    )
    overlap_nodes: int = Option(0, "Syntax units shared with each neighbouring chunk.", non_negative).field()
    expand_context: bool = Option(
        False, "Add the file path + enclosing signatures header (context_header) to each chunk."
    ).field()
    context_in_budget: bool = CONTEXT_IN_BUDGET.field()
    chunk_overlap: int = CHUNK_OVERLAP.field(
        help="Text consecutive chunks share, at most, in units of sizer: the end "
        "of the chunk before, at whole lines; the budget still holds."
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.overlap_nodes and self.chunk_overlap:
            raise ValueError(
                "pass overlap_nodes (syntax units) or chunk_overlap (whole lines, in sizer units), not both"
            )

    _overlap_starts = staticmethod(line_starts)

    def __repr__(self) -> str:
        return f"ASTChunker(language={self.language!r}, max_size={self.max_size}, sizer={self.sizer!r})"

    def _language_for(self, text: str, metadata: dict[str, Any]) -> tuple[str | None, str | None]:
        """The language (None when it cannot be told) and the file path from the metadata."""
        path = source_path(metadata)
        if self.language:
            return self.language, path
        return (language_for_path(path) if path else None) or language_for_shebang(text), path

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        language, path = self._language_for(text, metadata)
        measure = self.sizer.span_measure(text)
        if language is None:
            where = f"the extension of {path!r} is not known" if path else "no language, file_path or shebang given"
            return self._fallback(text, measure, "text", path, f"cannot tell the language: {where}")
        grammar, language = language, grammar_name(language)
        if language in HANGING_GRAMMARS:
            return self._fallback(text, measure, language, path, HANGING_GRAMMARS[language])
        try:
            tree = new_parser(grammar).parse(text.encode("utf-8"))
        except GrammarNotFoundError:
            return self._fallback(text, measure, language, path, f"no tree-sitter grammar installed for {language!r}")
        root = tree.root_node
        if root.type == "ERROR" or root.child_count == 0:
            return self._fallback(text, measure, language, path, "the file does not parse")
        source = Source(text, measure, self.core_size, language in OFFSIDE_RULE)
        start, end = trim(text, *source.span(root))
        if source.fits(start, end):
            windows = [Window([(start, end, root.type)])]
        else:
            windows = build_windows(root.children, source)
        return self._to_chunks(text, tile(text, windows, measure, self.core_size), measure, language, path)

    def _to_chunks(
        self,
        text: str,
        tiles: list[tuple[int, int, Window | None]],
        measure: SpanMeasure,
        language: str,
        path: str | None,
        fallback_reason: str | None = None,
    ) -> list[Chunk]:
        chunks: list[Chunk] = []
        line, line_pos = 1, 0
        for index, (start, end, window) in enumerate(tiles):
            line += text.count("\n", line_pos, start)
            line_pos = start
            units = window.units if window else []
            ancestors = list(window.ancestors) if window else []
            core = (start, end)
            if self.overlap_nodes:
                start, end = self._with_overlap(tiles, index, start, end)
            start_line = line if start == core[0] else text.count("\n", 0, start) + 1
            metadata: dict[str, Any] = {
                "language": language,
                "start_line": start_line,
                "end_line": start_line + text.count("\n", start, end - 1),
                "node_types": list(dict.fromkeys([u[2] for u in units])),
                "ancestors": ancestors,
                "size": measure(*core),
                "node_count": len(units),
                "fallback": fallback_reason is not None,
            }
            if fallback_reason is not None:
                metadata["fallback_reason"] = fallback_reason
            if self.overlap_nodes:
                metadata["core_start"], metadata["core_end"] = core
            if self.expand_context:
                metadata["context_header"] = _header(path, ancestors)
            chunks.append(Chunk(text[start:end], start, end, metadata))
        return chunks

    def _with_overlap(self, tiles: list[tuple[int, int, Window | None]], index: int, start: int, end: int) -> Span:
        k = self.overlap_nodes
        previous = tiles[index - 1][2] if index > 0 else None
        following = tiles[index + 1][2] if index + 1 < len(tiles) else None
        if previous is not None:
            start = min(start, previous.units[-min(k, len(previous.units))][0])
        if following is not None:
            end = max(end, following.units[min(k, len(following.units)) - 1][1])
        return start, end

    def _fallback(self, text: str, measure: SpanMeasure, language: str, path: str | None, reason: str) -> list[Chunk]:
        """The line-aware split under the same budget, for text that cannot be parsed."""
        tiles = [(a, b, None) for a, b in pack_spans(text, [(0, len(text))], measure, self.core_size)]
        return self._to_chunks(text, tiles, measure, language, path, fallback_reason=reason)


def _header(path: str | None, ancestors: list[str]) -> str:
    lines = [path] if path else []
    lines += ["  " * depth + signature for depth, signature in enumerate(ancestors)]
    return "\n".join(lines) + "\n" if lines else ""
