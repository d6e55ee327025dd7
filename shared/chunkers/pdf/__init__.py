"""PDFs chunked as documents: pages joined without their running headers and footers (`assemble`), read with their
layout by PDFium (`reader`), and chunked along the headings found (`PDFChunker`)."""

from ..io.files import FILE_READ_SUFFIXES
from .assemble import Assembled, assemble
from .chunker import PAGE_KEYS, PDFChunker, page_metadata
from .layout import Page
from .reader import PDFError, read_pages

PDF_SUFFIXES = FILE_READ_SUFFIXES

__all__ = [
    "PAGE_KEYS",
    "PDF_SUFFIXES",
    "Assembled",
    "PDFChunker",
    "PDFError",
    "Page",
    "assemble",
    "page_metadata",
    "read_pages",
]
