"""Real PDFs for the PDF tests and benchmark, rendered by WeasyPrint 70 from HTML: A4 pages with a running header and a "Page N" footer,
headings in larger bold type, justified and hyphenated paragraphs, optionally two columns. The text is the vendored
WikiText articles (benchmarks/data/chroma-general), so the PDFs hold prose nobody wrote for these tests."""

from __future__ import annotations

import html
import re
from pathlib import Path

from .paths import CHROMA_CORPORA

WIKITEXTS = CHROMA_CORPORA / "wikitexts.md"
HEADER = "Collected articles — test print"

CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm;
  @top-center { content: "%(header)s"; font: italic 9pt serif; }
  @bottom-center { content: "Page " counter(page); font: 9pt sans-serif; } }
html { font: 10.5pt/1.35 "DejaVu Serif", serif; }
body { %(columns)s }
p { text-align: justify; hyphens: auto; }
h1 { font: bold 20pt sans-serif; } h2 { font: bold 15pt sans-serif; } h3 { font: bold 12.5pt sans-serif; }
"""


def detokenize(text: str) -> str:
    """WikiText's tokenised text as prose ("role @-@ playing ," -> "role-playing,"), without the CJK characters no
    installed font draws (pypdf misreads a page whose font falls back for them)."""
    text = "".join(ch for ch in text if ord(ch) < 0x3000)
    text = re.sub(r" @(.)@ ", r"\1", text).replace("<unk>", "X")
    text = re.sub(r" ([,.;:!?)'’]|'s|n't)", r"\1", text)
    return re.sub(r"\( ", "(", " ".join(text.split()))


def articles(count: int | None = 2) -> list[tuple[int, str, str]]:
    """``(level, heading, "")`` and ``(0, "", paragraph)`` blocks of the first ``count`` WikiText articles."""
    blocks: list[tuple[int, str, str]] = []
    seen = 0
    for line in WIKITEXTS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^ ?((?:= )+)(.+?)(?: =)+ ?$", line)
        if heading:
            level = heading.group(1).count("=")
            seen += level == 1
            if count is not None and seen > count:
                break
            blocks.append((min(level, 3), detokenize(heading.group(2)), ""))
        elif line.strip() and blocks:
            blocks.append((0, "", detokenize(line)))
    return blocks


def render(blocks: list[tuple[int, str, str]], out: Path, two_columns: bool = False) -> Path:
    """``blocks`` (`articles`) as an A4 PDF at ``out``."""
    body = "".join(
        f"<h{level}>{html.escape(heading)}</h{level}>" if level else f"<p>{html.escape(text)}</p>"
        for level, heading, text in blocks
    )
    return render_html(body, out, two_columns)


def render_markdown(markdown: str, out: Path, two_columns: bool = False) -> Path:
    """A Markdown document (rendered to HTML by markdown-it-py, CommonMark) as an A4 PDF at ``out``."""
    from markdown_it import MarkdownIt

    return render_html(MarkdownIt("commonmark").enable("table").render(markdown), out, two_columns)


def render_html(body: str, out: Path, two_columns: bool = False) -> Path:
    """An HTML body as an A4 PDF at ``out``, with the running header and footer."""
    import weasyprint

    css = CSS % {"header": HEADER, "columns": "column-count: 2; column-gap: 8mm;" if two_columns else ""}
    page = f'<html lang="en"><head><style>{css}</style></head><body>{body}</body></html>'
    weasyprint.HTML(string=page).write_pdf(out)
    return out
