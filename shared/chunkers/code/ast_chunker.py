"""`ASTChunker`: cAST split-then-merge over tree-sitter syntax trees (see ALGORITHMS.md, "cAST")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..base import BaseChunker
from ..chunk import Chunk
from ..merge import Span, pack_spans, split_span, trim
from ..sizing import SpanMeasure
from .languages import (
    OFFSIDE_RULE,
    GrammarNotFoundError,
    grammar_name,
    is_grammar,
    language_for_path,
    language_for_shebang,
    new_parser,
    normalise_language,
)

PATH_KEYS = ("file_path", "file_name", "source", "path")

_DEFINITION = re.compile(
    r"^(class|module|method|singleton_method|function)$"
    r"|(class|function|method|struct|impl|interface|trait|enum|mod|module|namespace|object|constructor"
    r"|protocol|extension|record)_(definition|declaration|item|specifier)$"
)


class _Window:
    """Adjacent units (nodes, or pieces of an oversized leaf) that will form one chunk."""

    __slots__ = ("ancestors", "start", "units")

    def __init__(self, units: list[tuple[int, int, str]], ancestors: tuple[str, ...] = ()) -> None:
        self.units = units  # (start, end, node type); units are only ever added at the end
        self.start = units[0][0]
        self.ancestors = ancestors  # signatures of the definitions enclosing the first unit

    @property
    def end(self) -> int:
        return self.units[-1][1]


@dataclass
class _Frame:
    """Progress through one list of sibling nodes (see `ASTChunker._windows`)."""

    children: list[Any]
    base: int  # where this frame's windows start in the output list
    start: int = 0  # where the node whose children these are starts
    index: int = 0
    current: _Window | None = None
    junctions: list[int] = field(default_factory=list)  # output positions where runs of windows meet
    ancestors: tuple[str, ...] = ()  # signatures of the definitions enclosing these children


class _Source:
    """One file being chunked: its text, byte->char offsets and the budget measure."""

    def __init__(self, text: str, measure: SpanMeasure, max_size: int, offside: bool) -> None:
        self.text = text
        self.measure = measure
        self.max_size = max_size
        self.offside = offside  # indentation is syntax in this language
        self.byte_to_char: memoryview | None = None  # None for ASCII text, where bytes are characters
        if not text.isascii():
            import numpy as np

            data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
            offsets = np.empty(len(data) + 1, dtype=np.int64)
            np.cumsum((data & 0xC0) != 0x80, out=offsets[1:])  # characters started before each byte
            offsets[0] = 0
            self.byte_to_char = memoryview(offsets)

    def span(self, node: Any) -> Span:
        if self.byte_to_char is None:
            return node.start_byte, node.end_byte
        return self.byte_to_char[node.start_byte], self.byte_to_char[node.end_byte]

    def indent(self, position: int) -> int:
        line = self.text.rfind("\n", 0, position) + 1
        return len(self.text[line:position]) - len(self.text[line:position].lstrip(" \t"))

    def fits(self, start: int, end: int) -> bool:
        return self.measure(start, end) <= self.max_size


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
    enclosing signatures) and ``context`` (that header + the chunk text); the text and offsets are unchanged.
    ``overlap_nodes=k`` extends each chunk by the last k units of the previous chunk and the first k of the
    next (budget applies before overlap; ``core_start``/``core_end`` give the span without overlap).

    Language: the ``language`` argument, else the extension of ``file_path``/``file_name``/``source``/``path``
    in the metadata, else the file's shebang line (``#!/usr/bin/env python3``), else the fallback below (so a
    README or setup.cfg in a source folder never stops a batch). Fallback (``fallback=True`` with a
    ``fallback_reason``): for a file whose language cannot be told, a language without an installed grammar,
    or a file whose parse is an error from the root, the text is split line-aware (blank lines, lines,
    sentences, spaces, characters) under the same budget. Error nodes
    inside an otherwise parsed file are chunked like any other node.
    """

    def __init__(
        self,
        language: Any = None,
        max_size: int = 1500,
        sizer: Any = "non_whitespace",
        overlap_nodes: int = 0,
        expand_context: bool = False,
    ) -> None:
        super().__init__(max_size, sizer)
        if language is not None and not is_grammar(language):
            language = normalise_language(language)
        self.language = language or None  # a name, or a loaded tree-sitter Language (e.g. a user's parser's)
        if isinstance(overlap_nodes, bool) or not isinstance(overlap_nodes, int) or overlap_nodes < 0:
            raise ValueError(f"overlap_nodes must be a non-negative integer, got {overlap_nodes!r}")
        self.overlap_nodes = overlap_nodes
        self.expand_context = expand_context

    def __repr__(self) -> str:
        return f"ASTChunker(language={self.language!r}, max_size={self.max_size}, sizer={self.sizer!r})"

    def _language_for(self, text: str, metadata: dict[str, Any]) -> tuple[str | None, str | None]:
        """The language (None when it cannot be told) and the file path from the metadata."""
        path = next((str(metadata[k]) for k in PATH_KEYS if metadata.get(k)), None)
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
        try:
            tree = new_parser(grammar).parse(text.encode("utf-8"))
        except GrammarNotFoundError:
            return self._fallback(text, measure, language, path, f"no tree-sitter grammar installed for {language!r}")
        root = tree.root_node
        if root.type == "ERROR" or root.child_count == 0:
            return self._fallback(text, measure, language, path, "the file does not parse")
        source = _Source(text, measure, self.max_size, language in OFFSIDE_RULE)
        start, end = trim(text, *source.span(root))
        if source.fits(start, end):
            windows = [_Window([(start, end, root.type)])]
        else:
            windows = self._windows(root.children, source)
        return self._to_chunks(text, _tile(text, windows, measure, self.max_size), measure, language, path)

    def _windows(self, children: list[Any], source: _Source) -> list[_Window]:
        """Greedy windows over sibling nodes, descending into nodes too large to fit.

        Windows come out in document order into one list. Each run of windows from one list of siblings is
        already greedy, so when a frame closes, merging only needs to look at the junctions where its runs
        meet (before and after each node it descended into), which keeps the work linear. An explicit stack
        replaces recursion, so deeply nested trees cannot overflow it.
        """
        out: list[_Window] = []
        stack = [_Frame(children, base=0)]
        measure, max_size, to_char = source.measure, source.max_size, source.byte_to_char
        while stack:
            frame = stack[-1]
            children, current = frame.children, frame.current
            if current is not None:
                current_start, add = current.start, current.units.append
            for index in range(frame.index, len(children)):
                child = children[index]
                start, end = child.start_byte, child.end_byte
                if start == end:
                    continue
                if to_char is not None:
                    start, end = to_char[start], to_char[end]
                if current is not None and measure(current_start, end) <= max_size:
                    add((start, end, child.type))
                    continue
                fits = measure(start, end) <= max_size
                if not fits and current is not None and len(stack) > 1 and current.start <= frame.start:
                    # The split node's header (``def f(...):``, decorators, leading comments) opens its body's
                    # first window instead of standing alone.
                    frame.index, frame.current = index + 1, None
                    self._descend(child, start, end, current, frame, stack, out, source)
                    break
                carried: list[tuple[int, int, str]] = []
                if current is not None:
                    # Comments right before the node that opens the next window belong with it.
                    while len(current.units) > 1 and "comment" in current.units[-1][2]:
                        carried.insert(0, current.units.pop())
                    if carried and fits and measure(carried[0][0], end) > max_size:
                        current.units.extend(carried)
                        carried = []
                    out.append(current)
                    current = None
                if fits:
                    current = _Window([*carried, (start, end, child.type)], frame.ancestors)
                    current_start, add = current.start, current.units.append
                    continue
                frame.index, frame.current = index + 1, None
                opening = _Window(carried, frame.ancestors) if carried else None
                self._descend(child, start, end, opening, frame, stack, out, source)
                break
            else:  # every child seen: close the frame
                if current is not None:
                    out.append(current)
                stack.pop()
                self._merge_at_junctions(out, frame, source)
                if stack:
                    stack[-1].junctions.append(len(out))
        return out

    def _descend(
        self,
        child: Any,
        start: int,
        end: int,
        opening: _Window | None,
        frame: _Frame,
        stack: list[_Frame],
        out: list[_Window],
        source: _Source,
    ) -> None:
        """Windows for a node too large to fit: a new frame over its children, which ``opening`` starts."""
        frame.junctions.append(len(out))
        children = child.children
        if any(c.end_byte > c.start_byte for c in children):
            ancestors = frame.ancestors
            if _DEFINITION.search(child.type):
                newline = source.text.find("\n", start, end)
                ancestors += (source.text[start : newline if newline != -1 else end].strip(),)
            stack.append(_Frame(children, base=len(out), start=start, current=opening, ancestors=ancestors))
            return
        # A leaf too large on its own (a long string, a minified line): split its text, the opening included.
        units = [*(opening.units if opening is not None else []), (start, end, child.type)]
        for a, b in split_span(source.text, units[0][0], end, source.measure, self.max_size):
            piece = [(max(a, u[0]), min(b, u[1]), u[2]) for u in units if u[0] < b and a < u[1]]
            if piece:
                out.append(_Window(piece, opening.ancestors if opening is not None and a < start else frame.ancestors))
        frame.junctions.append(len(out))

    @staticmethod
    def _merge_at_junctions(out: list[_Window], frame: _Frame, source: _Source) -> None:
        """Greedy left-to-right merge of ``frame``'s windows (``out[frame.base:]``), at its junctions only."""
        removed = 0
        for junction in frame.junctions:
            k = junction - removed
            if frame.base < k < len(out) and source.fits(out[k - 1].start, out[k].end) \
                    and not (source.offside and source.indent(out[k].start) < source.indent(out[k - 1].start)):
                out[k - 1].units.extend(out[k].units)
                del out[k]
                removed += 1

    def _to_chunks(
        self,
        text: str,
        tiles: list[tuple[int, int, _Window | None]],
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
                metadata["context"] = metadata["context_header"] + text[start:end]
            chunks.append(Chunk(text[start:end], start, end, metadata))
        return chunks

    def _with_overlap(self, tiles: list[tuple[int, int, _Window | None]], index: int, start: int, end: int) -> Span:
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
        tiles = [(a, b, None) for a, b in pack_spans(text, [(0, len(text))], measure, self.max_size)]
        return self._to_chunks(text, tiles, measure, language, path, fallback_reason=reason)


def _tile(
    text: str, windows: list[_Window], measure: SpanMeasure, max_size: int
) -> list[tuple[int, int, _Window | None]]:
    """Trimmed window spans in order; any non-whitespace text outside them joins the following span.

    A span that grows past the budget by taking such text is split again (its pieces carry no window).
    """
    out: list[tuple[int, int, _Window | None]] = []
    position = 0
    for window in windows:
        start, end = trim(text, max(window.start, position), window.end)
        if start >= end:
            continue
        start = min(start, trim(text, position, start)[0])  # text outside every node joins this chunk
        start = _with_indentation(text, position, start, end, measure, max_size)
        if measure(start, end) <= max_size:
            out.append((start, end, window))
        else:
            out.extend((a, b, None) for a, b in _split_trimmed(text, start, end, measure, max_size))
        position = end
    out.extend((a, b, None) for a, b in _split_trimmed(text, position, len(text), measure, max_size))
    return out


def _with_indentation(text: str, position: int, start: int, end: int, measure: SpanMeasure, max_size: int) -> int:
    """``start`` moved back over the indentation of its line, if that fits, so the chunk dedents cleanly."""
    line_start = text.rfind("\n", position, start) + 1 or position
    indented = position <= line_start < start and not text[line_start:start].strip(" \t")
    return line_start if indented and measure(line_start, end) <= max_size else start


def _split_trimmed(text: str, start: int, end: int, measure: SpanMeasure, max_size: int) -> list[Span]:
    start, end = trim(text, start, end)
    if start >= end:
        return []
    pieces = (trim(text, a, b) for a, b in split_span(text, start, end, measure, max_size))
    return [(a, b) for a, b in pieces if a < b]


def _header(path: str | None, ancestors: list[str]) -> str:
    lines = [path] if path else []
    lines += ["  " * depth + signature for depth, signature in enumerate(ancestors)]
    return "\n".join(lines) + "\n" if lines else ""
