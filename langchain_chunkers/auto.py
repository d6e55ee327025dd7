"""`AutoTextSplitter`: one text splitter for a mixed folder, each document routed by its file type as
``chunkers chunk`` routes files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chunkers.apps.routing import routed_method, routed_methods
from chunkers.core.chunk import source_path
from chunkers.core.faces import Derived, routed_settings, warn_skipped
from chunkers.core.registry import CHUNKERS
from chunkers.io.files import text_skip_reason
from langchain_core.documents import Document
from langchain_text_splitters import TextSplitter

from .base import ChunkerTextSplitter, _keyed

# The face of each routing method, from the registry ("llm" is never routed to, only chosen as text_method).
FACES = {entry.method: entry.text_splitter for entry in CHUNKERS}


class AutoTextSplitter(TextSplitter):
    """Routes each document by its file (``source``, ``file_path``, ``file_name`` or ``path`` metadata, as LangChain's
    loaders set it) through `chunkers.apps.routing`, the command line's router: code and structured data with a
    grammar to `ASTTextSplitter` (cAST), Markdown and HTML to `DocumentTextSplitter` (sections), JSON Lines / CSV / TSV
    to `RecordTextSplitter` (whole records), anything else, and texts without a file, to ``text_method``'s splitter
    (`SentenceTextSplitter` by default); an extensionless script with a shebang line is code. ``chunk_size``,
    ``chunk_overlap`` and ``length_function`` (``RecursiveCharacterTextSplitter``'s: characters unless
    ``length_function`` says otherwise), ``add_start_index`` and ``strip_whitespace`` go to every routed splitter (the
    overlap to those that overlap chunks: not records); ``options`` holds each splitter's own keyword arguments by
    method, e.g. ``{"ast": {"max_size": 1500}, "document": {"max_size": 1000, "context_in_content": True}}``, in
    that splitter's units, and wins. Documents come back in order.

    Documents that are no source text are skipped as ``chunkers chunk`` skips files, with one warning per call
    naming them (and in `last_skipped`): generated files (lockfiles, ``@generated`` headers), minified assets, source
    maps, SVG, binaries read as text; ``include_generated=True`` chunks all but the binaries.
    """

    def __init__(
        self,
        options: dict[str, dict[str, Any]] | None = None,
        text_method: str = "sentence",
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
        length_function: Any = None,
        add_start_index: bool = False,
        strip_whitespace: bool = True,
        include_generated: bool = False,
    ) -> None:
        self.options = dict(options or {})
        self.text_method = text_method
        self.chunk_size, self.chunk_overlap, self.length_function = chunk_size, chunk_overlap, length_function
        self.include_generated = include_generated
        self.last_skipped: list[tuple[str, str]] = []  # (source, reason) for each document the last call skipped
        self._parsers: dict[str, Derived[ChunkerTextSplitter]] = {}
        super().__init__(
            chunk_size=1, chunk_overlap=0, add_start_index=add_start_index, strip_whitespace=strip_whitespace
        )
        for method in self._methods():  # settings are checked now, not at the first run
            self.splitter(method)

    def _methods(self) -> tuple[str, ...]:
        """The methods this splitter routes to, after checking ``text_method`` and the ``options`` keys."""
        return routed_methods(self.text_method, self.options, FACES)

    def splitter(self, method: str) -> ChunkerTextSplitter:
        """The text splitter of ``method`` with its ``options`` (built again only when they changed)."""
        import langchain_chunkers

        face = getattr(langchain_chunkers, FACES[method])
        own = {"add_start_index": self._add_start_index, "strip_whitespace": self._strip_whitespace}
        if self.length_function is not None:
            own["length_function"] = self.length_function
        settings = routed_settings(face, self.chunk_size, self.chunk_overlap, own | dict(self.options.get(method, {})))
        return self._parsers.setdefault(method, Derived()).get(face, settings)

    def method_of(self, metadata: dict[str, Any], text: str | None = None) -> str:
        """The method a document goes to: by its file's extension (or shebang line), else ``text_method``."""
        return routed_method(source_path(metadata), text, self.text_method)

    def split_text(self, text: str) -> list[str]:
        """The chunks of a text with no file: ``text_method``'s splitter."""
        return self.splitter(self.text_method).split_text(text)

    def create_documents(self, texts: list[str], metadatas: list[dict[Any, Any]] | None = None) -> list[Document]:
        texts = list(texts)
        metadatas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        if len(metadatas) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadata dicts")
        groups: dict[str, list[int]] = {}
        self.last_skipped = []
        for index, (text, metadata) in enumerate(zip(texts, metadatas)):
            path = source_path(metadata)
            reason = text_skip_reason(text, path, self.include_generated)
            if reason is not None:
                self.last_skipped.append((path or f"text {index}", reason))
                continue
            groups.setdefault(self.method_of(metadata, text), []).append(index)
        warn_skipped(type(self).__name__, self.last_skipped, len(texts))
        made: dict[int, list[Document]] = {}
        for method, indices in groups.items():
            splitter = self.splitter(method)  # one batch per method (model-driven splitters share work across it)
            sources = [metadatas[i] for i in indices]
            if getattr(splitter, "joins_documents", False):  # a PDF's pages become one document: placed at the first
                made[indices[0]] = splitter.create_documents([texts[i] for i in indices], sources)
                continue
            results = splitter._chunked([texts[i] for i in indices], [_keyed(m) for m in sources])
            for index, source, chunks in zip(indices, sources, results):
                made[index] = splitter._documents([texts[index]], [source], [chunks])
        return [document for index in range(len(texts)) for document in made.get(index, [])]

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        """`split_documents` without blocking the event loop (each document through its splitter's async path)."""
        out: list[Document] = []
        for document in documents:
            text, metadata = document.page_content, document.metadata
            if text_skip_reason(text, source_path(metadata), self.include_generated) is not None:
                out += self.create_documents([text], [metadata])  # skipped, with its warning
                continue
            out += await self.splitter(self.method_of(metadata, text)).atransform_documents([document])
        return out
