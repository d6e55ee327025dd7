"""HTML to the blocks of `chunkers.documents.outline`, with exact character offsets, and a tag-free text view.

Tags come from the standard library's ``html.parser`` (exact ``str`` offsets of every start and end tag, no native
dependency); a small stack builder nests them with HTML's common implied ends (``<li>``, ``<p>``, table parts), drops
stray end tags and closes what is open at the end, without recursion at any depth. Elements become blocks: h1-h6
headings, paragraphs, lists and items, tables and rows (rows of ``<thead>`` or of ``<th>`` cells are header rows),
``<pre>`` code (language from a ``language-*`` class), quotes; containers (``div``, ``main``, ``body``, ...) pass their
blocks through, and a ``<section>``/``<article>`` also ends every section a heading opened inside it.
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

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
    """Records every tag with its exact offsets: ``(kind, tag, start, end, class attribute)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # False would read the rest as text after a broken "&#"
        self.tags: list[tuple[str, str, int, int, str]] = []
        self._classes = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._classes = " ".join(value or "" for name, value in attrs if name == "class")

    def parse_starttag(self, i: int) -> int:
        k = super().parse_starttag(i)
        if k >= 0:
            self.tags.append(("start", self.lasttag, i, k, self._classes))
        return k

    def parse_endtag(self, i: int) -> int:
        k = super().parse_endtag(i)
        if k >= 0:
            self.tags.append(("end", self.rawdata[i + 2 : k - 1].strip().lower(), i, k, ""))
        return k

    def tags_of(self, text: str) -> list[tuple[str, str, int, int, str]]:
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
        elif open_count.get(tag):  # else a stray end tag: dropped
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    close_to(depth + 1, start, start)  # elements left open inside end where the end tag starts
                    stack[-1].end, stack[-1].content_end = end, start
                    stack.pop()
                    open_count[tag] -= 1
                    break
    close_to(1, len(text), len(text))
    return root.children


_TAG = re.compile(r"<[^>]*>?")


def html_text(source: str, start: int = 0, end: int | None = None) -> tuple[str, list[int]]:
    """The text of ``source[start:end]`` without tags, entities decoded and runs of whitespace made one space, and
    for each character of it the offset in ``source`` of the text it came from (so a span of the text view maps back
    to a span of the HTML source). Script and style contents are dropped."""
    end = len(source) if end is None else end
    pieces: list[str] = []
    positions: list[int] = []
    position = start
    hidden = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
    skips = [(m.start(), m.end()) for m in hidden.finditer(source, start, end)]
    for match in [*_TAG.finditer(source, start, end), None]:
        stop = match.start() if match else end
        for skip_start, skip_end in skips:
            if skip_start <= position < skip_end:
                position = skip_end
        if position < stop:
            chunk = source[position:stop]
            for offset, piece in _decoded(chunk):
                pieces.append(piece)
                positions.extend([position + offset] * len(piece))
        position = match.end() if match else end
    text, mapped = [], []
    for char, at in zip("".join(pieces), positions):
        if char.isspace():
            if text and text[-1] != " ":
                text.append(" ")
                mapped.append(at)
        else:
            text.append(char)
            mapped.append(at)
    if text and text[-1] == " ":
        text.pop()
        mapped.pop()
    return "".join(text), mapped


_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|\w+);?")


def _decoded(chunk: str) -> list[tuple[int, str]]:
    """``(offset in chunk, decoded text)`` runs of a text chunk: entities decoded, the rest as it is."""
    out, position = [], 0
    for match in _ENTITY.finditer(chunk):
        if match.start() > position:
            out.append((position, chunk[position : match.start()]))
        out.append((match.start(), html_entities.unescape(match.group(0))))
        position = match.end()
    if position < len(chunk):
        out.append((position, chunk[position:]))
    return out


def _title_text(source: str, element: Element) -> str:
    return html_text(source, element.content_start, element.content_end)[0]


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
    todo: list[tuple[Element, list[Node], str, int | None]] = [
        (e, out, "#root", None) for e in reversed(tree)
    ]
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
