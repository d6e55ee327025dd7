"""`AutoTextSplitter`: one text splitter for a mixed folder, each document routed by its file type as
``chunkers chunk`` routes files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chunkers.apps.routing import method_for
from chunkers.core.chunk import source_path
from chunkers.core.faces import Derived
from langchain_core.documents import Document
from langchain_text_splitters import TextSplitter

from .base import ChunkerTextSplitter, _keyed

# The splitter of each routing method (`chunkers.apps.routing`); "llm" is never routed to, only chosen as text_method.
FACES = {
    "ast": "ASTTextSplitter",
    "document": "DocumentTextSplitter",
    "records": "RecordTextSplitter",
    "sentence": "SentenceTextSplitter",
    "ppl": "PerplexityTextSplitter",
    "semantic": "SemanticTextSplitter",
    "llm": "LLMTextSplitter",
}
ROUTED = ("ast", "document", "records")  # by file type; anything else is text
TEXT_METHODS = ("sentence", "ppl", "semantic", "llm")


class AutoTextSplitter(TextSplitter):
    """Routes each document by its file (``source``, ``file_path``, ``file_name`` or ``path`` metadata, as LangChain's
    loaders set it) through `chunkers.apps.routing`, the command line's router: code and structured data with a
    grammar to `ASTTextSplitter` (cAST), Markdown and HTML to `DocumentTextSplitter` (sections), JSON Lines / CSV / TSV
    to `RecordTextSplitter` (whole records), anything else, and texts without a file, to ``text_method``'s splitter
    (`SentenceTextSplitter` by default). ``options`` holds each splitter's keyword arguments by method, e.g.
    ``{"ast": {"max_size": 1500}, "document": {"max_size": 1000, "context_in_content": True}}``, in that splitter's
    own units; ``add_start_index`` and ``strip_whitespace`` apply to every one. Documents come back in order.
    """

    def __init__(
        self,
        options: dict[str, dict[str, Any]] | None = None,
        text_method: str = "sentence",
        add_start_index: bool = False,
        strip_whitespace: bool = True,
    ) -> None:
        self.options = dict(options or {})
        self.text_method = text_method
        self._parsers: dict[str, Derived[ChunkerTextSplitter]] = {}
        super().__init__(
            chunk_size=1, chunk_overlap=0, add_start_index=add_start_index, strip_whitespace=strip_whitespace
        )
        for method in self._methods():  # settings are checked now, not at the first run
            self.splitter(method)

    def _methods(self) -> tuple[str, ...]:
        """The methods this splitter routes to, after checking ``text_method`` and the ``options`` keys."""
        if self.text_method not in TEXT_METHODS:
            raise ValueError(f"text_method must be one of {', '.join(TEXT_METHODS)}, got {self.text_method!r}")
        unknown = sorted(set(self.options) - set(FACES))
        if unknown:
            raise ValueError(f"options has no method {unknown[0]!r}: the methods are {', '.join(FACES)}")
        return (*ROUTED, self.text_method)

    def splitter(self, method: str) -> ChunkerTextSplitter:
        """The text splitter of ``method`` with its ``options`` (built again only when they changed)."""
        import langchain_chunkers

        shared = {"add_start_index": self._add_start_index, "strip_whitespace": self._strip_whitespace}
        settings = shared | dict(self.options.get(method, {}))
        face = getattr(langchain_chunkers, FACES[method])
        return self._parsers.setdefault(method, Derived()).get(face, settings)

    def method_of(self, metadata: dict[str, Any]) -> str:
        """The method a document goes to: by its file's extension, else ``text_method``."""
        path = source_path(metadata)
        method = method_for(Path(path)) if path else "sentence"
        return method if method in ROUTED else self.text_method

    def split_text(self, text: str) -> list[str]:
        """The chunks of a text with no file: ``text_method``'s splitter."""
        return self.splitter(self.text_method).split_text(text)

    def create_documents(self, texts: list[str], metadatas: list[dict[Any, Any]] | None = None) -> list[Document]:
        texts = list(texts)
        metadatas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        if len(metadatas) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadata dicts")
        groups: dict[str, list[int]] = {}
        for index, metadata in enumerate(metadatas):
            groups.setdefault(self.method_of(metadata), []).append(index)
        made: dict[int, list[Document]] = {}
        for method, indices in groups.items():
            splitter = self.splitter(method)  # one batch per method (model-driven splitters share work across it)
            sources = [metadatas[i] for i in indices]
            results = splitter._chunked([texts[i] for i in indices], [_keyed(m) for m in sources])
            for index, source, chunks in zip(indices, sources, results):
                made[index] = splitter._documents([source], [chunks])
        return [document for index in range(len(texts)) for document in made[index]]

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        """`split_documents` without blocking the event loop (each document through its splitter's async path)."""
        out: list[Document] = []
        for document in documents:
            out += await self.splitter(self.method_of(document.metadata)).atransform_documents([document])
        return out
