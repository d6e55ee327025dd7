"""HTML to the blocks of `chunkers.documents.outline`, with exact character offsets, and a tag-free text view.

Tags come from the standard library's ``html.parser`` (exact ``str`` offsets of every start and end tag, no native
dependency); a small stack builder nests them with HTML's common implied ends (``<li>``, ``<p>``, table parts), drops
stray end tags and closes what is open at the end, without recursion at any depth. Elements become blocks: h1-h6
headings, paragraphs, lists and items, tables and rows (rows of ``<thead>`` or of ``<th>`` cells are header rows),
``<pre>`` code (language from a ``language-*`` class), quotes; containers (``div``, ``main``, ``body``, ...) pass their
blocks through, and a ``<section>``/``<article>`` also ends every section a heading opened inside it. The text view
(`html_text`) reads the same markup and shows the text as a browser lays it out: a line per block, cells of a row
joined by " | ", each character mapped back to the source.
"""

from __future__ import annotations

import html as html_entities
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..core.sizing import Sizer, SpanMeasure
from .outline import Node

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
CLOSES_P = frozenset(
    "address article aside blockquote details div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hgroup hr main menu nav ol p pre section table ul".split()
)
P_SCOPE = frozenset("table td th caption button template object".split())
# start tag -> (open elements it closes, the elements that bound the search)
IMPLIED = {
    "li": ({"li"}, {"ul", "ol", "menu"}), "dt": ({"dt", "dd"}, {"dl"}), "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "thead", "tbody", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}), "th": ({"td", "th"}, {"tr", "table"}),
    "thead": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "tbody": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "option": ({"option"}, {"select", "datalist"}),
}  # fmt: skip
BLOCKS = {
    "p": "paragraph", "address": "paragraph", "figcaption": "paragraph", "caption": "paragraph", "dt": "item",
    "ul": "list", "ol": "list", "menu": "list", "dl": "list", "li": "item", "dd": "item", "table": "table",
    "tr": "row", "pre": "code", "blockquote": "quote", "head": "html", "script": "html", "style": "html",
    "template": "html", "noscript": "html", "hr": "rule",
}  # fmt: skip
HEADINGS = {f"h{n}": n for n in range(1, 7)}
SECTIONING = frozenset({"section", "article"})
PASS_THROUGH = frozenset(
    "html body main div header footer nav aside form figure details summary fieldset center hgroup search "
    "thead tbody tfoot".split()
)
_LANGUAGE = re.compile(r"\b(?:language|lang)-([\w+#.-]+)")


@dataclass(eq=False)
class Element:
    """An element: tag, span ``[start, end)`` (start tag to end tag), content span, class attribute, children."""

    tag: str
    start: int
    end: int
    content_start: int
    content_end: int
    classes: str = ""
    children: list[Element] = field(default_factory=list)


class _TagParser(HTMLParser):
    """Records the markup of a text with its exact offsets, ``(kind, tag, start, end, class attribute)``: kind "start"
    or "end" for a tag, "markup" (tag "") for a comment, declaration, processing instruction or bogus comment. What
    lies between is the text that ``HTMLParser`` hands to ``handle_data``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # False would read the rest as text after a broken "&#"
        self.tags: list[tuple[str, str, int, int, str]] = []
        self._classes = ""
        self._tag = ""  # the tag of the last start or end tag read
        self._text = False  # whether the markup being parsed was read as text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        self._classes = " ".join(value or "" for name, value in attrs if name == "class") if attrs else ""

    def handle_endtag(self, tag: str) -> None:
        self._tag = tag

    def handle_data(self, data: str) -> None:
        self._text = True

    def _begin(self) -> None:
        self._tag, self._text = "", False

    def _record(self, kind: str, start: int, end: int) -> int:
        """Records the markup ``[start, end)`` that a ``parse_*`` method read, unless it was incomplete (``end`` < 0),
        read as text, or is already recorded (one ``parse_*`` method calling another)."""
        if end >= 0 and not self._text and not (self.tags and self.tags[-1][3] > start):
            if kind == "markup" or not self._tag:
                self.tags.append(("markup", "", start, end, ""))
            else:
                self.tags.append((kind, self._tag, start, end, self._classes if kind == "start" else ""))
        return end

    def parse_starttag(self, i: int) -> int:
        self._begin()
        return self._record("start", i, super().parse_starttag(i))

    def parse_endtag(self, i: int) -> int:
        self._begin()
        return self._record("end", i, super().parse_endtag(i))

    def parse_comment(self, i: int, report: bool = True) -> int:
        self._begin()
        return self._record("markup", i, super().parse_comment(i, report))

    def parse_bogus_comment(self, i: int, report: bool = True) -> int:
        self._begin()
        return self._record("markup", i, super().parse_bogus_comment(i, report))

    def parse_pi(self, i: int) -> int:
        self._begin()
        return self._record("markup", i, super().parse_pi(i))

    def parse_html_declaration(self, i: int) -> int:
        self._begin()
        try:
            end = super().parse_html_declaration(i)
        except AssertionError:  # "<![" and no section keyword it knows: a bogus comment, as browsers read it
            end = self.parse_bogus_comment(i)
        return self._record("markup", i, end)

    def tags_of(self, text: str) -> list[tuple[str, str, int, int, str]]:
        """The markup of ``text``, in order."""
        self.rawdata = text  # one pass over the whole text: offsets are absolute
        self.close()
        return self.tags


def element_tree(text: str) -> list[Element]:
    """The top-level elements of ``text`` with their nesting."""
    root = Element("#root", 0, len(text), 0, len(text))
    stack = [root]
    open_count: dict[str, int] = {}  # tag -> open elements of that tag (no stack scan when there is none)

    def close_to(depth: int, end: int, content_end: int) -> None:
        while len(stack) > depth:
            element = stack.pop()
            element.end, element.content_end = end, min(content_end, end)
            open_count[element.tag] -= 1
            end = content_end = element.end

    for kind, tag, start, end, classes in _TagParser().tags_of(text):
        if kind == "start":
            rule = IMPLIED.get(tag) or (({"p"}, P_SCOPE) if tag in CLOSES_P else None)
            if rule and any(open_count.get(t) for t in rule[0]):
                targets, boundary = rule
                hit = 0
                for depth in range(len(stack) - 1, 0, -1):
                    if stack[depth].tag in boundary:
                        break
                    if stack[depth].tag in targets:
                        hit = depth
                if hit:
                    close_to(hit, start, start)
            element = Element(tag, start, end, end, end, classes)
            stack[-1].children.append(element)
            if tag not in VOID and not text.startswith("/>", end - 2):
                stack.append(element)
                open_count[tag] = open_count.get(tag, 0) + 1
        elif kind == "end" and open_count.get(tag):  # else a stray end tag or other markup: dropped
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    close_to(depth + 1, start, start)  # elements left open inside end where the end tag starts
                    stack[-1].end, stack[-1].content_end = end, start
                    stack.pop()
                    open_count[tag] -= 1
                    break
    close_to(1, len(text), len(text))
    return root.children


# Tags whose start or end separates the text before from the text after by a line break.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html legend li main menu nav ol optgroup option p pre search "
    "section summary table tbody tfoot thead title tr ul".split()
)
CELLS = frozenset({"td", "th"})  # cells of one row are separated by " | "
# Elements whose contents are not shown; a <title> names the page (`_document_title` reads its contents alone).
HIDDEN = frozenset({"script", "style", "template", "title"})
_SPACES = re.compile(r"\s{2,}")
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")  # html.unescape's


class _TextView:
    """A text view as it is built: its characters and the source offset of each, the run of text gathered since the
    last separating tag, and the separator asked for before the next text."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.positions: list[int] = []
        self.run: list[str] = []
        self.run_positions: list[int] = []
        self.separator = ""
        self.separator_at = 0

    def gather(self, text: str, at: int) -> None:
        """Adds the source text found at ``at`` to the run, entities decoded."""
        if "&" not in text:
            self.run.append(text)
            self.run_positions.extend(range(at, at + len(text)))
            return
        for piece, piece_at, exact in _decoded(text, at):
            self.run.append(piece)
            self.run_positions.extend(range(piece_at, piece_at + len(piece)) if exact else [piece_at] * len(piece))

    def end_run(self, preformatted: bool) -> None:
        """Adds the run to the text (each run of whitespace made one space, none at either end, unless
        ``preformatted``) and starts a new one."""
        if not self.run:
            return
        text, positions = "".join(self.run), self.run_positions
        self.run, self.run_positions = [], []
        if not preformatted:
            text, positions = _collapsed(text, positions)
        if text:
            self._add(text, positions)

    def separate(self, separator: str, at: int) -> None:
        """Asks for ``separator`` (mapped to source offset ``at``) before the next text; a line break wins."""
        if self.separator != "\n":
            self.separator, self.separator_at = separator, at

    def _add(self, text: str, positions: list[int]) -> None:
        if self.separator and self.pieces and not self._has_break(text):
            self.pieces.append(self.separator)
            self.positions.extend([self.separator_at] * len(self.separator))
        self.separator = ""
        self.pieces.append(text)
        self.positions.extend(positions)

    def _has_break(self, text: str) -> bool:
        """Whether the line break asked for is already there, at the end of the text or the start of ``text``
        (``<pre>`` text)."""
        return self.separator == "\n" and (self.pieces[-1][-1] in "\r\n" or text[0] in "\r\n")

    def result(self) -> tuple[str, list[int]]:
        """The text (no whitespace at the end, no blank line at the start) and the offsets of its characters."""
        text = "".join(self.pieces).rstrip()
        lead = len(text) - len(text.lstrip())
        first = text.rfind("\n", 0, lead) + 1
        return text[first:], self.positions[first : len(text)]


def html_text(source: str, start: int = 0, end: int | None = None) -> tuple[str, list[int]]:
    """The text of ``source[start:end]`` as a browser shows it, and for each character the offset in ``source`` of
    what it came from (so a span of the text view maps back to a span of the HTML source).

    Markup is read as ``html.parser`` reads it; tags, comments and declarations are dropped, and so are the contents
    of script, style, template and title elements. Entities are decoded (each character maps to the entity). Runs of
    whitespace are one space, except in ``<pre>``. A block element (`BLOCK_TAGS`) starting or ending between two
    texts gives one line break (mapped to its tag), a table cell after another " | " (mapped to the cell's tag)."""
    end = len(source) if end is None else end
    view = _TextView()
    hidden: list[str] = []  # open `HIDDEN` elements
    pre = 0  # open <pre> elements
    position = start
    for kind, tag, tag_start, tag_end, _ in _TagParser().tags_of(source[start:end]):
        tag_start += start
        if position < tag_start and not hidden:
            view.gather(source[position:tag_start], position)
        position = tag_end + start
        if tag in HIDDEN or hidden:
            _hide(hidden, kind, tag, source.startswith("/>", position - 2))
        elif tag in BLOCK_TAGS or (tag in CELLS and kind == "start"):
            view.end_run(pre > 0)
            view.separate("\n" if tag in BLOCK_TAGS else " | ", tag_start)
            if tag == "pre" and not source.startswith("/>", position - 2):
                pre = pre + 1 if kind == "start" else max(pre - 1, 0)
    if position < end and not hidden:
        view.gather(source[position:end], position)
    view.end_run(pre > 0)
    return view.result()


def text_view_measure(source: str, sizer: Sizer) -> SpanMeasure:
    """The size of any span of HTML ``source`` as its text view (`html_text`: what is embedded), from one view of the
    whole source."""
    view, positions = html_text(source)
    inner = sizer.span_measure(view)
    return lambda start, end: inner(bisect_left(positions, start), bisect_left(positions, end))


def _hide(hidden: list[str], kind: str, tag: str, closed: bool) -> None:
    """Updates the open `HIDDEN` elements for a start or end tag (``closed``: it ends in "/>")."""
    if tag in HIDDEN and kind == "start" and not closed:
        hidden.append(tag)
    elif tag in HIDDEN and kind == "end" and tag in hidden:
        del hidden[len(hidden) - 1 - hidden[::-1].index(tag) :]


def _collapsed(text: str, positions: list[int]) -> tuple[str, list[int]]:
    """``text`` with each run of whitespace made one space and none at either end, and the offsets of its characters
    (``positions`` are those of ``text``'s; a space gets its run's first)."""
    words = " ".join(text.split())
    lead = len(text) - len(text.lstrip())
    stop = lead + len(text.strip())
    if len(words) == stop - lead:  # no run of whitespace longer than one character
        return words, positions[lead:stop]
    kept: list[int] = []
    done = lead
    for match in _SPACES.finditer(text, lead, stop):
        kept.extend(positions[done : match.start() + 1])
        done = match.end()
    kept.extend(positions[done:stop])
    return words, kept


def _decoded(text: str, at: int) -> list[tuple[str, int, bool]]:
    """``(text, offset, exact)`` runs of the text found at ``at``, entities decoded: a run of source text (``exact``:
    its characters come from ``offset`` on) or a decoded entity (all its characters from the entity at ``offset``)."""
    out, done = [], 0
    for match in _CHARREF.finditer(text):
        decoded = html_entities.unescape(match.group())
        if decoded != match.group():
            if match.start() > done:
                out.append((text[done : match.start()], at + done, True))
            out.append((decoded, at + match.start(), False))
            done = match.end()
    if done < len(text):
        out.append((text[done:], at + done, True))
    return out


def _title_text(source: str, element: Element) -> str:
    """The text of an element on one line: its words, separated by single spaces."""
    return " ".join(html_text(source, element.content_start, element.content_end)[0].split())


def _document_title(text: str, tree: list[Element]) -> str:
    """The text of the first ``<title>`` element, else ""."""
    todo = list(reversed(tree))
    while todo:
        element = todo.pop()
        if element.tag == "title":
            return _title_text(text, element)
        todo.extend(reversed(element.children))
    return ""


def _is_header_row(element: Element, parent_tag: str) -> bool:
    cells = [c.tag for c in element.children if c.tag in ("td", "th")]
    return parent_tag == "thead" or (bool(cells) and all(tag == "th" for tag in cells))


def html_blocks(text: str) -> tuple[list[Node], str]:
    """The top-level blocks of HTML ``text`` (nested blocks as children; not yet tiled) and the document title
    (``<title>``, else "")."""
    tree = element_tree(text)
    title = _document_title(text, tree)
    out: list[Node] = []
    # Work items: (element, the list its blocks go to, its parent's tag, the end of the innermost <section> or
    # <article> around it); iterative, any depth.
    todo: list[tuple[Element, list[Node], str, int | None]] = [(e, out, "#root", None) for e in reversed(tree)]
    while todo:
        element, target, parent_tag, limit = todo.pop()
        tag = element.tag
        if tag in HEADINGS:
            target.append(Node("heading", element.start, element.end, level=HEADINGS[tag],
                               title=_title_text(text, element), limit=limit))  # fmt: skip
            continue
        kind = BLOCKS.get(tag)
        if kind is None and (tag in PASS_THROUGH or tag in SECTIONING):
            inner = element.end if tag in SECTIONING else limit
            todo.extend((child, target, tag, inner) for child in reversed(element.children))
            continue
        elif kind is None:
            kind = "paragraph"  # an inline element or unknown tag at block level
        node = Node(kind, element.start, element.end)
        if kind == "code":
            inner = " ".join([element.classes, *(c.classes for c in element.children if c.tag == "code")])
            match = _LANGUAGE.search(inner)
            node.info = match.group(1) if match else ""
        elif kind == "row" and _is_header_row(element, parent_tag):
            node.info = "header"
        target.append(node)
        if kind in ("list", "item", "table", "quote"):
            todo.extend((child, node.children, tag, limit) for child in reversed(element.children))
    return out, title
