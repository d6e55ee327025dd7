"""Structured documents (Markdown, HTML) chunked along their sections: `DocumentChunker`, with the parsers
(`markdown`, `html`), the section tree (`outline`) and the split-then-merge over it (`splitter`)."""

from .chunker import DOCUMENT_SUFFIXES, DocumentChunker, Section, parse, sniff_format
from .html import html_text

__all__ = ["DOCUMENT_SUFFIXES", "DocumentChunker", "Section", "html_text", "parse", "sniff_format"]
