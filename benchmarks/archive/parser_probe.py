"""Parser probe for DocumentChunker: which Markdown / HTML parsers give exact source offsets, how they cope with
tricky and malformed input, and how fast they are beside the peers' splitters. Research only: nothing in the
engine imports this file, and the optional parsers are imported lazily (pip install them to measure them).

    python -m benchmarks.archive.parser_probe speed  --md-dir DIR [--md-dir-nonascii DIR]
    python -m benchmarks.archive.parser_probe tricky [--timeout 20]       # Markdown
    python -m benchmarks.archive.parser_probe html-tricky [--timeout 20]
    python -m benchmarks.archive.parser_probe memory --md-dir DIR

DIR is a folder of Markdown files (we used FastAPI's docs/en/docs, fetched, not committed). The HTML corpus is
those files rendered by markdown-it-py and wrapped in <html><body>. Speed runs on one CPU (affinity pinned,
OMP/RAYON threads 1), best of 3, per document; every tricky case runs in a fresh process with a timeout, so a
crash, a RecursionError or a hang is reported instead of ending the probe. Output: Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "RAYON_NUM_THREADS", "MKL_NUM_THREADS", "TOKENIZERS_PARALLELISM"):
    os.environ[_var] = "false" if _var == "TOKENIZERS_PARALLELISM" else "1"


# ----------------------------------------------------------------------------------------------------------------
# Offsets


def line_starts(text: str) -> list[int]:
    """Char offset of every line start; lines end at \\n, \\r\\n or \\r (CommonMark's line endings; not
    str.splitlines, which also splits at \\x0b, \\x0c, \\x1c-\\x1e, \\x85, \\u2028, \\u2029)."""
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def byte_to_char_numpy(text: str) -> Callable[[int], int]:
    """UTF-8 byte offset -> str offset with one O(n) numpy pass: count the non-continuation bytes before it."""
    if text.isascii():
        return int
    import numpy as np

    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    table = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum((data & 0xC0) != 0x80, out=table[1:])
    return lambda offset: int(table[offset])


def byte_to_char_sorted(text: str, offsets: list[int]) -> dict[int, int]:
    """The same without numpy: decode the gaps between the sorted distinct offsets (each byte decoded once)."""
    data = text.encode("utf-8")
    out, prev, char = {}, 0, 0
    for offset in sorted(set(offsets)):
        char += len(data[prev:offset].decode("utf-8"))
        out[offset] = char
        prev = offset
    return out


# ----------------------------------------------------------------------------------------------------------------
# Markdown parsers: each returns (parse(text) -> native result, headings(text) -> [(level, start, end)] in str
# offsets, or None where the parser gives no source positions)


@cache
def ts_parser(language: str):
    from tree_sitter_language_pack import get_parser

    return get_parser(language)


def ts_walk(node):
    """Every node, iteratively (a recursive walk breaks on 10,000-deep documents)."""
    cursor = node.walk()
    while True:
        yield cursor.node
        if cursor.goto_first_child() or cursor.goto_next_sibling():
            continue
        while True:
            if not cursor.goto_parent():
                return
            if cursor.goto_next_sibling():
                break


def ts_md_headings(text: str):
    tree = ts_parser("markdown").parse(text.encode("utf-8"))
    to_char = byte_to_char_numpy(text)
    out = []
    for node in ts_walk(tree.root_node):
        if node.type in ("atx_heading", "setext_heading"):
            marker = node.children[0] if node.type == "atx_heading" else node.children[-1]
            level = int(marker.type[5]) if node.type == "atx_heading" else (1 if "h1" in marker.type else 2)
            out.append((level, to_char(node.start_byte), to_char(node.end_byte)))
    return out


def ts_md_sections(text: str) -> list[tuple[int, int, str]]:
    """(start, end, first line) of every `section` node: tree-sitter-markdown opens sections on ATX headings only."""
    tree = ts_parser("markdown").parse(text.encode("utf-8"))
    return [
        (n.start_byte, n.end_byte, text[n.start_byte : n.end_byte].split("\n", 1)[0])
        for n in ts_walk(tree.root_node)
        if n.type == "section"
    ]


@cache
def mdit(block_only: bool):
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    # "gfm-like" needs linkify-it-py; commonmark + table + strikethrough is GFM's block set minus task lists
    md = MarkdownIt("commonmark").use(front_matter_plugin).enable(["table", "strikethrough"])
    if block_only:
        md.disable(["inline", "text_join"])  # core rules: inline tokens keep .content but get no children
    return md


def mdit_headings(text: str):
    starts = line_starts(text)
    starts.append(len(text))
    out = []
    for tok in mdit(True).parse(text):
        if tok.type == "heading_open":
            first, last = tok.map
            out.append((int(tok.tag[1]), starts[first], starts[last]))
    return out


@cache
def mdrs():
    import markdown_it_pyrs

    return markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough", "front_matter"])


def mdrs_headings(text: str):
    to_char = byte_to_char_numpy(text)
    out = []
    for node in mdrs().tree(text).walk():
        if node.name in ("heading", "lheading"):
            a, b = node.srcmap
            out.append((node.meta["level"], to_char(a), to_char(b)))
    return out


def pyromark_options():
    import pyromark

    o = pyromark.Options
    return o.ENABLE_TABLES | o.ENABLE_STRIKETHROUGH | o.ENABLE_TASKLISTS | o.ENABLE_YAML_STYLE_METADATA_BLOCKS


def pyromark_headings(text: str):
    import pyromark

    to_char = byte_to_char_numpy(text)
    return [
        (int(ev["Start"]["Heading"]["level"][1]), to_char(r["start"]), to_char(r["end"]))
        for ev, r in pyromark.events_with_range(text, options=pyromark_options())
        if isinstance(ev, dict) and isinstance(ev.get("Start"), dict) and "Heading" in ev["Start"]
    ]


def marko_headings(text: str):
    import marko
    from marko.block import Heading, SetextHeading

    out, stack = [], [marko.Markdown(extensions=["gfm"]).parse(text)]
    while stack:
        el = stack.pop()
        if isinstance(el, Heading | SetextHeading):
            out.append((el.level, *el.source_span))
        if isinstance(getattr(el, "children", None), list):
            stack.extend(reversed(el.children))
    return out


def commonmark_headings(text: str):
    import commonmark

    starts = line_starts(text)
    out = []
    for node, entering in commonmark.Parser().parse(text).walker():
        if entering and node.t == "heading":
            (l1, c1), (l2, c2) = node.sourcepos
            out.append((node.level, starts[l1 - 1] + c1 - 1, starts[l2 - 1] + c2))
    return out


def mistune_headings(text: str):
    import mistune

    mistune.create_markdown(renderer=None, plugins=["table"])(text)
    return None  # the AST has no source positions


LINE_SCAN = re.compile(r"^ {0,3}(?:(?P<fence>```+|~~~+)|(?P<hashes>#{1,6})(?:[ \t]|$))", re.M)


def line_scan_headings(text: str):
    """The speed ceiling: ATX headings outside fences, one regex over the text (no setext, lists, quotes)."""
    out, fence = [], ""
    for m in LINE_SCAN.finditer(text):
        if m["fence"]:
            if not fence:
                fence = m["fence"]
            elif m["fence"].startswith(fence) and m["fence"][0] == fence[0]:
                fence = ""
        elif not fence:
            end = text.find("\n", m.start())
            out.append((len(m["hashes"]), m.start(), len(text) if end < 0 else end))
    return out


def md_bare_parsers() -> dict[str, Callable[[str], object]]:
    """name -> bare parse (the parser's own result, no offset conversion)."""
    import cmarkgfm
    import commonmark
    import marko
    import mistune
    import pyromark
    from cmarkgfm.cmark import Options as CmarkOptions

    mist = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
    opts = pyromark_options()
    ts = ts_parser("markdown")
    return {
        "line scan (reference, ATX+fences only)": line_scan_headings,
        "tree-sitter markdown (block grammar)": lambda t: ts.parse(t.encode("utf-8")),
        "markdown-it-py, block only": mdit(True).parse,
        "markdown-it-py, with inline": mdit(False).parse,
        "markdown-it-pyrs (tree)": mdrs().tree,
        "pyromark events_with_range": lambda t: list(pyromark.events_with_range(t, options=opts)),
        "pyromark events": lambda t: list(pyromark.events(t, options=opts)),
        "mistune 3 (AST)": mist,
        "marko (gfm)": marko.Markdown(extensions=["gfm"]).parse,
        "commonmark.py": commonmark.Parser().parse,
        "cmarkgfm (HTML + sourcepos)": lambda t: cmarkgfm.github_flavored_markdown_to_html(
            t, options=CmarkOptions.CMARK_OPT_SOURCEPOS
        ),
    }


MD_HEADINGS: dict[str, Callable[[str], list | None]] = {
    "tree-sitter": ts_md_headings,
    "markdown-it-py": mdit_headings,
    "markdown-it-pyrs": mdrs_headings,
    "pyromark": pyromark_headings,
    "marko": marko_headings,
    "commonmark.py": commonmark_headings,
    "mistune": mistune_headings,
    "line scan": line_scan_headings,
}


# ----------------------------------------------------------------------------------------------------------------
# HTML parsers


def html_offsets_parser():
    """Stdlib HTMLParser recording the exact [start, end) str offsets of every tag, by wrapping its
    parse_starttag / parse_endtag (public names, stable since Python 2): rawdata is fed whole and parsed in one
    goahead(end=True) pass, so their index is the absolute offset. convert_charrefs must stay True: with False,
    Python 3.11's goahead(end=True) turns the whole rest of the document into text after an incomplete
    `&#`/`&name` (seen on random bytes)."""
    from html.parser import HTMLParser

    class OffsetParser(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.tags: list[tuple[str, str, int, int]] = []

        def parse_starttag(self, i):
            k = super().parse_starttag(i)
            if k >= 0:
                self.tags.append(("start", self.lasttag, i, k))
            return k

        def parse_endtag(self, i):
            k = super().parse_endtag(i)
            if k >= 0:
                self.tags.append(("end", self.rawdata[i + 2 : k - 1].strip().lower(), i, k))
            return k

        def run(self, text: str):
            self.rawdata = text
            self.close()
            return self.tags

    return OffsetParser


VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
CLOSES_P = frozenset(
    "address article aside blockquote details div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hgroup hr main menu nav ol p pre section table ul".split()
)
P_SCOPE = frozenset("table td th caption button template object".split())  # a <p> outside these is not closed
# start tag -> open elements it closes implicitly (searching down the stack, stopping at a scope boundary)
IMPLIED = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "thead", "tbody", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "thead": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "tbody": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "option": ({"option"}, {"select", "datalist"}),
}


def html_tree(text: str) -> list:
    """Elements as [tag, start, end, children] with exact str offsets (end of the end tag, or where an implied
    end / EOF closed it), built over html.parser's tags by a stack with HTML's commonest implied-end rules;
    stray end tags are dropped. Iterative: no recursion, any depth."""
    root: list = ["#root", 0, len(text), []]
    stack = [root]
    open_count: dict[str, int] = {}  # tag -> open elements of that tag: skips hopeless stack scans (no O(depth^2))

    def close_to(depth: int, end: int) -> None:
        while len(stack) > depth:
            node = stack.pop()
            node[2] = end
            open_count[node[0]] -= 1

    for kind, tag, start, end in html_offsets_parser()().run(text):
        if kind == "start":
            rule = IMPLIED.get(tag) or (({"p"}, P_SCOPE) if tag in CLOSES_P else None)
            if rule and any(
                open_count.get(t) for t in rule[0]
            ):  # close the outermost target above the scope boundary (e.g. <tr> closes an open td and tr)
                targets, boundary = rule
                hit = 0
                for depth in range(len(stack) - 1, 0, -1):
                    if stack[depth][0] in boundary:
                        break
                    if stack[depth][0] in targets:
                        hit = depth
                if hit:
                    close_to(hit, start)
            node = [tag, start, end, []]
            stack[-1][3].append(node)
            if tag not in VOID and not text.startswith("/>", end - 2):
                stack.append(node)
                open_count[tag] = open_count.get(tag, 0) + 1
        elif open_count.get(tag):  # else a stray end tag: dropped
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth][0] == tag:
                    close_to(depth + 1, start)  # elements left open inside end where the end tag starts
                    close_to(depth, end)
                    break
    close_to(1, len(text))
    return root[3]


def html_bare_parsers() -> dict[str, Callable[[str], object]]:
    from html.parser import HTMLParser

    import html5lib
    import lxml.html
    from bs4 import BeautifulSoup
    from resiliparse.parse.html import HTMLTree
    from selectolax.lexbor import LexborHTMLParser

    offsets = html_offsets_parser()
    ts = ts_parser("html")

    def stdlib(text):
        p = HTMLParser()
        p.feed(text)
        p.close()

    return {
        "tree-sitter html": lambda t: ts.parse(t.encode("utf-8")),
        "html.parser (no-op handlers)": stdlib,
        "html.parser + tag offsets": lambda t: offsets().run(t),
        "html.parser + tag offsets + tree builder": html_tree,
        "selectolax (lexbor)": LexborHTMLParser,
        "resiliparse (lexbor)": HTMLTree.parse,
        "lxml.html": lxml.html.document_fromstring,
        "html5lib": html5lib.parse,
        "BeautifulSoup html.parser": lambda t: BeautifulSoup(t, "html.parser"),
        "BeautifulSoup lxml": lambda t: BeautifulSoup(t, "lxml"),
    }


# ----------------------------------------------------------------------------------------------------------------
# Peers


def peers() -> dict[str, tuple[str, Callable[[list[str]], object]]]:
    """name -> (corpus kind, chunk all docs)."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter
    from llama_index.core import Document
    from llama_index.core.node_parser import HTMLNodeParser, MarkdownNodeParser
    from semantic_text_splitter import MarkdownSplitter

    headers = [("#" * i, f"h{i}") for i in range(1, 7)]
    header_splitter = MarkdownHeaderTextSplitter(headers, strip_headers=False)
    recursive = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=0)
    sts = MarkdownSplitter(1000)

    def langchain(docs):
        return [recursive.split_documents(header_splitter.split_text(d)) for d in docs]

    return {
        "LangChain MarkdownHeaderTextSplitter + RecursiveCharacterTextSplitter(1000, overlap 0)": ("md", langchain),
        "semantic-text-splitter MarkdownSplitter(1000)": ("md", lambda docs: [sts.chunks(d) for d in docs]),
        "LlamaIndex MarkdownNodeParser": (
            "md",
            lambda docs: MarkdownNodeParser().get_nodes_from_documents([Document(text=d) for d in docs]),
        ),
        "LlamaIndex HTMLNodeParser": (
            "html",
            lambda docs: HTMLNodeParser().get_nodes_from_documents([Document(text=d) for d in docs]),
        ),
    }


# ----------------------------------------------------------------------------------------------------------------
# Corpora


def load_md(folder: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(Path(folder).rglob("*.md"))]


def to_html(docs: list[str]) -> list[str]:
    md = mdit(False)
    return ["<html><body>\n" + md.render(d) + "</body></html>\n" for d in docs]


def best_of(fn: Callable[[list[str]], object], docs: list[str], repeat: int = 3) -> float:
    """Best wall time of `repeat` runs of fn over all docs."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn(docs)
        best = min(best, time.perf_counter() - started)
    return best


def pin_one_cpu() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned"


def speed(args) -> None:
    print(pin_one_cpu())
    md_docs = load_md(args.md_dir)
    html_docs = to_html(md_docs)
    corpora = {"md": md_docs, "html": html_docs}
    sizes = {k: sum(map(len, v)) for k, v in corpora.items()}
    print(f"\ncorpus: {len(md_docs)} Markdown docs, {sizes['md']:,} chars; HTML {sizes['html']:,} chars\n")
    # (corpus kind, name, function over the whole list of docs): parsers take one doc, peers the list
    rows = [("md", n, lambda docs, f=f: [f(d) for d in docs]) for n, f in md_bare_parsers().items()]
    rows += [("html", n, lambda docs, f=f: [f(d) for d in docs]) for n, f in html_bare_parsers().items()]
    rows += [(kind, n, f) for n, (kind, f) in peers().items()]
    print("| corpus | parser / peer | best of 3 (s) | chars/s |\n|---|---|---:|---:|")
    slow = {"marko (gfm)", "commonmark.py", "html5lib", "LlamaIndex HTMLNodeParser"}  # best of 1
    for kind, name, run in rows:
        seconds = best_of(run, corpora[kind], 1 if name in slow else 3)
        print(f"| {kind} | {name} | {seconds:.3f} | {sizes[kind] / seconds:,.0f} |", flush=True)
    if args.md_dir_nonascii:
        offsets_speed(load_md(args.md_dir_nonascii), md_docs)


def offsets_speed(nonascii: list[str], english: list[str]) -> None:
    """Cost of turning tree-sitter's UTF-8 byte offsets into str offsets, for every block node of every doc."""
    ts = ts_parser("markdown")

    def nodes(text):
        return [n for n in ts_walk(ts.parse(text.encode("utf-8")).root_node) if n.is_named and n.type != "inline"]

    def numpy_way(docs):
        for d in docs:
            ns = nodes(d)
            conv = byte_to_char_numpy(d)
            [(conv(n.start_byte), conv(n.end_byte)) for n in ns]

    def sorted_way(docs):
        for d in docs:
            ns = nodes(d)
            table = byte_to_char_sorted(d, [b for n in ns for b in (n.start_byte, n.end_byte)])
            [(table[n.start_byte], table[n.end_byte]) for n in ns]

    def utf16_way(docs):
        for d in docs:
            if max(d, default="a") > "\uffff":  # astral chars: UTF-16 units are no longer str offsets
                ns = nodes(d)
                conv = byte_to_char_numpy(d)
                [(conv(n.start_byte), conv(n.end_byte)) for n in ns]
                continue
            tree = ts.parse(d.encode("utf-16-le"), encoding="utf16le")
            [(n.start_byte // 2, n.end_byte // 2) for n in ts_walk(tree.root_node) if n.is_named and n.type != "inline"]

    def no_conversion(docs):
        for d in docs:
            [(n.start_byte, n.end_byte) for n in nodes(d)]

    print("\n| tree-sitter markdown: parse + walk block nodes + offsets | corpus | chars/s |\n|---|---|---:|")
    for corpus_name, docs in (("non-ASCII (--md-dir-nonascii)", nonascii), ("English", english)):
        size = sum(map(len, docs))
        for name, fn in (
            ("byte offsets, no conversion", no_conversion),
            ("numpy cumsum table", numpy_way),
            ("sorted offsets + decode gaps", sorted_way),
            ("utf16le parse (BMP docs), else numpy", utf16_way),
        ):
            print(f"| {name} | {corpus_name} | {size / best_of(fn, docs):,.0f} |", flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Memory: RSS growth of one parse of the corpus concatenated 1x and 10x, each in a fresh process


def _memory_worker(name: str, md_dir: str, times: int) -> dict:
    docs = load_md(md_dir)
    text = "\n\n".join(docs) * times
    if name.endswith("html"):
        text = to_html(["\n\n".join(docs)])[0] * times
    import tracemalloc

    fn = {
        "tree-sitter markdown": lambda t: ts_parser("markdown").parse(t.encode("utf-8")),
        "markdown-it-py block only": mdit(True).parse,
        "pyromark events_with_range": lambda t: list(
            __import__("pyromark").events_with_range(t, options=pyromark_options())
        ),
        "tree-sitter html": lambda t: ts_parser("html").parse(t.encode("utf-8")),
        "html.parser + tag offsets + tree builder html": html_tree,
        "html.parser + tag offsets html": lambda t: html_offsets_parser()().run(t),
    }[name]
    fn("# warm up\n")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    result = fn(text)
    seconds = time.perf_counter() - started
    _, py_peak = tracemalloc.get_traced_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del result
    return {"chars": len(text), "rss_growth_mb": (peak - base) / 1024, "py_peak_mb": py_peak / 2**20, "s": seconds}


def memory(args) -> None:
    print("| parser | input | chars | peak RSS growth (MB) | tracemalloc peak (MB) | s (under tracemalloc) |")
    print("|---|---|---:|---:|---:|---:|")
    for name in (
        "tree-sitter markdown",
        "markdown-it-py block only",
        "pyromark events_with_range",
        "tree-sitter html",
        "html.parser + tag offsets + tree builder html",
        "html.parser + tag offsets html",
    ):
        for times in (1, 10):
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.archive.parser_probe", "_memory", name, args.md_dir, str(times)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"| {name} | {times}x | {r['chars']:,} | {r['rss_growth_mb']:.0f} | {r['py_peak_mb']:.0f} | {r['s']:.2f} |",
                flush=True,
            )


# ----------------------------------------------------------------------------------------------------------------
# Tricky inputs: (text, expected headings as (level, text at the heading's start) or None for "just survive")


def tricky_cases() -> dict[str, tuple[Callable[[], str], list[tuple[int, str]] | None]]:
    """case -> (make the text, expected headings as (level, text at the heading's start); None: just survive)."""
    row = "| " + " | ".join(f"cell {i}" for i in range(8)) + " |\n"
    head = "| " + " | ".join(f"h{i}" for i in range(8)) + " |\n|" + "---|" * 8 + "\n"
    return {
        "# inside ``` fence": (lambda: "```\n# not a heading\n```\n\n# Real\n", [(1, "# Real")]),
        "unclosed fence at EOF": (lambda: "# A\n\n```py\n# inside\n\n## also inside\n", [(1, "# A")]),
        "setext h1 + h2": (lambda: "Title\n=====\n\ntext\n\nSub\n---\n", [(1, "Title"), (2, "Sub")]),
        "CRLF line endings": (
            lambda: "# A\r\n\r\ntext\r\n\r\nB\r\n-\r\n\r\n## C\r\n",
            [(1, "# A"), (2, "B"), (2, "## C")],
        ),
        "non-ASCII before headings": (lambda: "é😀 x\n\n# Hé😀llo\n\n## Ü\n", [(1, "# Hé😀llo"), (2, "## Ü")]),
        "254-deep block quote": (lambda: "> " * 254 + "x\n", None),
        "255-deep block quote": (lambda: "> " * 255 + "x\n", None),
        "10,000-deep nested list (100 MB of text)": (
            lambda: "\n".join("  " * i + "- x" for i in range(10_000)) + "\n",
            None,
        ),
        "10,000-deep block quote (20 KB)": (lambda: "> " * 10_000 + "x\n", None),
        "10 MB pipe table": (lambda: head + row * (10_000_000 // len(row)), None),
        "1 MB random bytes (latin-1)": (lambda: random.Random(0).randbytes(1_000_000).decode("latin-1"), None),
    }


def _tricky_worker(parser: str, case: str) -> dict:
    text = tricky_cases()[case][0]()
    started = time.perf_counter()
    headings = MD_HEADINGS[parser](text)
    seconds = time.perf_counter() - started
    out = {"s": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if headings is not None:
        out["headings"] = [(lvl, text[a:b]) for lvl, a, b in headings[:5]]
        out["n_headings"] = len(headings)
    return out


def tricky(args) -> None:
    cases = tricky_cases()
    print("| case | " + " | ".join(MD_HEADINGS) + " |\n|---|" + "---|" * len(MD_HEADINGS))
    for case, (_make, expected) in cases.items():
        cells = []
        for parser in MD_HEADINGS:
            try:
                proc = subprocess.run(
                    [sys.executable, "-m", "benchmarks.archive.parser_probe", "_tricky", parser, case],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
            except subprocess.TimeoutExpired:
                cells.append(f"HANG >{args.timeout}s")
                continue
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
                cells.append(f"CRASH rc={proc.returncode}: {last[:90]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            cell = f"ok {r['s']:.2f}s {r['rss_mb']:.0f}MB"
            if expected is not None and "headings" in r:
                got = [(lvl, s.lstrip(" ")) for lvl, s in r["headings"]]
                good = len(got) == len(expected) and all(
                    lvl == el and s.startswith(es) for (lvl, s), (el, es) in zip(got, expected)
                )
                cell = ("RIGHT" if good else f"WRONG {got}") + f" ({r['s']:.3f}s)"
            elif expected is not None:
                cell = "no positions"
            elif "n_headings" in r:
                cell += f", {r['n_headings']} headings"
            cells.append(cell)
        print(f"| {case} | " + " | ".join(cells) + " |", flush=True)


def html_tricky_cases() -> dict[str, Callable[[], str]]:
    row = "<tr>" + "".join(f"<td>cell {i}</td>" for i in range(8)) + "</tr>\n"
    return {
        "unclosed <section>/<p>/<div> at EOF": lambda: "<html><body><section><h2>A</h2><p>x\n<div>y",
        "no </body></html>": lambda: "<html><body><h1>T</h1><p>x</p>",
        "stray </div>": lambda: "<div>a</div></div><p>b</p>",
        "missing </li>": lambda: "<ul><li>a<li>b</ul>",
        "<p> implicitly closed": lambda: "<p>a<p>b<div>c</div>",
        "bare < in text": lambda: "<p>if a < b: x</p><h2>B</h2>",
        "</div> inside <script>": lambda: "<script>s = '</div>';</script><h2>B</h2>",
        "10,000 nested <div>, closed": lambda: "<div>" * 10_000 + "x" + "</div>" * 10_000,
        "10,000 nested <div>, unclosed": lambda: "<div>" * 10_000 + "x",
        "10 MB table": lambda: "<table>\n" + row * (10_000_000 // len(row)) + "</table>",
        "1 MB random bytes (latin-1)": lambda: random.Random(0).randbytes(1_000_000).decode("latin-1"),
    }


def _html_tricky_worker(parser: str, case: str) -> dict:
    text = html_tricky_cases()[case]()
    fn = html_bare_parsers()[parser]
    started = time.perf_counter()
    result = fn(text)
    out = {"s": time.perf_counter() - started, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if parser == "tree-sitter html":
        data = text.encode("utf-8")
        nodes = list(ts_walk(result.root_node))
        out["errors"] = sum(n.type == "ERROR" for n in nodes)
        out["missing"] = sum(n.is_missing for n in nodes)
        out["elements"] = [
            data[n.start_byte : n.end_byte].decode("utf-8", "replace")[:40] for n in nodes if n.type == "element"
        ][:6]
    elif parser == "html.parser + tag offsets":
        out["tags"] = len(result)
    elif parser == "html.parser + tag offsets + tree builder":
        out["elements"], stack = [], list(reversed(result))
        while stack and len(out["elements"]) < 6:
            _tag, a, b, children = stack.pop()
            out["elements"].append(text[a:b][:40])
            stack.extend(reversed(children))
    return out


def html_tricky(args) -> None:
    cases = html_tricky_cases()
    names = list(html_bare_parsers())
    for case in cases:
        print(f"\n### {case}: {cases[case]()[:70]!r}")
        for parser in names:
            try:
                proc = subprocess.run(
                    [sys.executable, "-m", "benchmarks.archive.parser_probe", "_html_tricky", parser, case],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
            except subprocess.TimeoutExpired:
                print(f"- {parser}: HANG >{args.timeout}s")
                continue
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
                print(f"- {parser}: CRASH rc={proc.returncode}: {last[:160]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            extra = {k: v for k, v in r.items() if k not in ("s", "rss_mb")}
            print(
                f"- {parser}: ok {r['s']:.3f}s, {r['rss_mb']:.0f} MB {json.dumps(extra, ensure_ascii=False) if extra else ''}"
            )


# ----------------------------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_tricky":
        print(json.dumps(_tricky_worker(sys.argv[2], sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_html_tricky":
        print(json.dumps(_html_tricky_worker(sys.argv[2], sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_memory":
        print(json.dumps(_memory_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["speed", "tricky", "html-tricky", "memory"])
    ap.add_argument("--md-dir", help="folder of Markdown files (searched recursively)")
    ap.add_argument("--md-dir-nonascii", help="a non-ASCII Markdown folder, for the byte->char offset costs")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per tricky case")
    args = ap.parse_args()
    {"speed": speed, "tricky": tricky, "html-tricky": html_tricky, "memory": memory}[args.what](args)


if __name__ == "__main__":
    main()
