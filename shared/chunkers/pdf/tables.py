"""Tables on a PDF page, found from where the words of its lines start: `TABLE_ROWS` or more lines one under the
other, starting at the same left edge, whose words start in the same columns (within `TOLERANCE` points), each
column opened by a blank wider than the row's spaces on half of the rows or more (`_opened`); written as GitHub
Markdown table rows, the first line the header row, every cell copied from the page. Lists (bullets or numbers, then
a wide blank) and text set in columns line up too, and are told apart."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from itertools import pairwise

from .layout import Line, Page

TABLE_ROWS = 3
LIST_MARKER = re.compile(r"^(\W?|\(?\w{1,3}[.)])$")  # a bullet (any one symbol) or a number
CELL_END = tuple(".!?:;")  # a cell ending so does not run on into the cell under it
TOLERANCE = 2.0
NARROWEST, WIDER, SPACE = 0.35, 1.6, 0.25  # of the type size, of the row's usual space, of the type size


def table_rows(page: Page, skip: set[int]) -> dict[int, tuple[int, list[float]]]:
    """For each line of ``page`` that is a row of a table (line indices in ``skip`` never are): the index of the
    table's first row and the left edges of its columns after the first."""
    lines, found = page.lines, {}
    first = 0
    while first < len(lines):
        columns: list[float] = []
        end = first
        while end < len(lines) and end not in skip and lines[end].box and lines[end].words:
            shared = _shared(columns, lines[end]) if end > first else [left for _, left, _ in lines[end].words]
            if end > first and not (shared and _under(lines[end - 1], lines[end], lines[first])):
                break
            columns, end = shared, end + 1
        rows = lines[first:end]
        columns = _table_columns(page.text, rows, columns) if len(rows) >= TABLE_ROWS else []
        if columns:
            found.update({index: (first, columns) for index in range(first, end)})
            first = end
        else:
            first += 1
    return found


def _table_columns(text: str, rows: Sequence[Line], lined_up: list[float]) -> list[float]:
    """The columns of a table of ``rows`` whose words start at ``lined_up``: those opened by wide blanks (`_opened`;
    words of a cell that happen to line up are not), none when the rows are a list (every first cell a bullet or
    number) or text in columns (lines of a column running on into the next)."""
    columns = [left for left in lined_up if _opened(rows, left, lined_up)]
    grid = [[text[a:b] for a, b in cells(text, row, columns)] for row in rows]
    if not columns or all(LIST_MARKER.match(row[0]) for row in grid):
        return []
    running = sum(
        any(len(above) >= 25 and not above.endswith(CELL_END) and below[:1].islower()
            for above, below in zip(upper, lower))
        for upper, lower in pairwise(grid)
    )  # fmt: skip
    return columns if 2 * running < len(rows) - 1 else []


def _shared(columns: list[float], line: Line) -> list[float]:
    return [left for left in columns if any(abs(left - x) <= TOLERANCE for _, x, _ in line.words)]


def _under(above: Line, line: Line, first: Line) -> bool:
    """Whether ``line`` is the next row under ``above``, starting where the table's ``first`` row starts."""
    a, b, f = above.box, line.box, first.box  # (the rows' boxes are known)
    size = above.size or (a[3] - a[1])
    return b[3] <= a[1] + 1.0 and a[1] - b[3] < 3 * size and abs(b[0] - f[0]) <= TOLERANCE  # type: ignore[index]


def _opened(rows: Sequence[Line], left: float, columns: list[float]) -> bool:
    """Whether half of the rows or more have a wide blank before their word at the column starting at ``left``: at
    least `NARROWEST` of the type size and `WIDER` times the row's usual space between words in a cell (justified
    prose widens every space of a line alike; a row with no other space is judged against `SPACE`)."""
    wide = 0
    for row in rows:
        size = row.size or 10.0
        spaces = [gap for _, x, gap in row.words if all(abs(x - c) > TOLERANCE for c in columns)]
        usual = statistics.median(spaces) if spaces else SPACE * size
        gap = next(gap for _, x, gap in row.words if abs(x - left) <= TOLERANCE)
        wide += gap >= max(NARROWEST * size, WIDER * usual)
    return 2 * wide >= len(rows)


def cells(text: str, line: Line, columns: list[float]) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each cell of a table row in its page ``text``, trailing blanks left out."""
    bounds = [line.start]
    for left in columns:
        bounds.append(next(offset for offset, x, _ in line.words if abs(x - left) <= TOLERANCE))
    bounds.append(line.end)
    out = []
    for start, end in pairwise(bounds):
        while end > start and text[end - 1].isspace():
            end -= 1
        out.append((start, end))
    return out
