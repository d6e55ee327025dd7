"""The split-then-merge of cAST over a tree-sitter tree: sibling nodes packed greedily into windows under the
budget, a node too large descended into, windows merged where runs meet, and the windows turned into trimmed spans
that tile the file. `chunkers.code.ast_chunker.ASTChunker` turns the spans into chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.merge import Span, fitted, split_span, trim
from ..core.segment import utf8_char_offsets
from ..core.sizing import SpanMeasure

DEFINITION = re.compile(
    r"^(class|module|method|singleton_method|function)$"
    r"|(class|function|method|struct|impl|interface|trait|enum|mod|module|namespace|object|constructor"
    r"|protocol|extension|record)_(definition|declaration|item|specifier)$"
)


class Window:
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
class Frame:
    """Progress through one list of sibling nodes (see `ASTChunker._windows`)."""

    children: list[Any]
    base: int  # where this frame's windows start in the output list
    start: int = 0  # where the node whose children these are starts
    index: int = 0
    current: Window | None = None
    junctions: list[int] = field(default_factory=list)  # output positions where runs of windows meet
    ancestors: tuple[str, ...] = ()  # signatures of the definitions enclosing these children


class Source:
    """One file being chunked: its text, byte->char offsets and the budget measure."""

    def __init__(self, text: str, measure: SpanMeasure, max_size: int, offside: bool) -> None:
        self.text = text
        self.measure = measure
        self.max_size = max_size
        self.offside = offside  # indentation is syntax in this language
        self.byte_to_char = utf8_char_offsets(text)  # None for ASCII text, where bytes are characters

    def span(self, node: Any) -> Span:
        if self.byte_to_char is None:
            return node.start_byte, node.end_byte
        return self.byte_to_char[node.start_byte], self.byte_to_char[node.end_byte]

    def indent(self, position: int) -> int:
        line = self.text.rfind("\n", 0, position) + 1
        return len(self.text[line:position]) - len(self.text[line:position].lstrip(" \t"))

    def fits(self, start: int, end: int) -> bool:
        return self.measure(start, end) <= self.max_size


def build_windows(children: list[Any], source: Source) -> list[Window]:
    """Greedy windows over sibling nodes, descending into nodes too large to fit.

    Windows come out in document order into one list. Each run of windows from one list of siblings is
    already greedy, so when a frame closes, merging only needs to look at the junctions where its runs
    meet (before and after each node it descended into), which keeps the work linear. An explicit stack
    replaces recursion, so deeply nested trees cannot overflow it.
    """
    out: list[Window] = []
    stack = [Frame(children, base=0)]
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
                _descend(child, start, end, current, frame, stack, out, source)
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
                current = Window([*carried, (start, end, child.type)], frame.ancestors)
                current_start, add = current.start, current.units.append
                continue
            frame.index, frame.current = index + 1, None
            opening = Window(carried, frame.ancestors) if carried else None
            _descend(child, start, end, opening, frame, stack, out, source)
            break
        else:  # every child seen: close the frame
            if current is not None:
                out.append(current)
            stack.pop()
            _merge_at_junctions(out, frame, source)
            if stack:
                stack[-1].junctions.append(len(out))
    return out


def _descend(
    child: Any,
    start: int,
    end: int,
    opening: Window | None,
    frame: Frame,
    stack: list[Frame],
    out: list[Window],
    source: Source,
) -> None:
    """Windows for a node too large to fit: a new frame over its children, which ``opening`` starts."""
    frame.junctions.append(len(out))
    children = child.children
    if any(c.end_byte > c.start_byte for c in children):
        ancestors = frame.ancestors
        if DEFINITION.search(child.type):
            newline = source.text.find("\n", start, end)
            ancestors += (source.text[start : newline if newline != -1 else end].strip(),)
        stack.append(Frame(children, base=len(out), start=start, current=opening, ancestors=ancestors))
        return
    # A leaf too large on its own (a long string, a minified line): split its text, the opening included.
    units = [*(opening.units if opening is not None else []), (start, end, child.type)]
    for a, b in split_span(source.text, units[0][0], end, source.measure, source.max_size):
        piece = [(max(a, u[0]), min(b, u[1]), u[2]) for u in units if u[0] < b and a < u[1]]
        if piece:
            out.append(Window(piece, opening.ancestors if opening is not None and a < start else frame.ancestors))
    frame.junctions.append(len(out))


def _merge_at_junctions(out: list[Window], frame: Frame, source: Source) -> None:
    """Greedy left-to-right merge of ``frame``'s windows (``out[frame.base:]``), where its runs meet only. It visits
    the junctions alone, not every window after ``frame.base`` (which holds the windows of every frame below it), so
    a deep tree costs linear time, not quadratic (`chunkers.core.merge.join_adjacent` would visit them all)."""
    removed = 0
    for junction in frame.junctions:
        k = junction - removed
        if (
            frame.base < k < len(out)
            and source.fits(out[k - 1].start, out[k].end)
            and not (source.offside and source.indent(out[k].start) < source.indent(out[k - 1].start))
        ):
            out[k - 1].units.extend(out[k].units)
            del out[k]
            removed += 1


def tile(text: str, windows: list[Window], measure: SpanMeasure, max_size: int) -> list[tuple[int, int, Window | None]]:
    """Trimmed window spans in order; any non-whitespace text outside them joins the following span.

    A span that grows past the budget by taking such text is split again (its pieces carry no window).
    """
    out: list[tuple[int, int, Window | None]] = []
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
    return fitted(text, start, end, measure, max_size) if start < end else []
