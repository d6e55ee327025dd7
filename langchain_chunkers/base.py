"""`ChunkerTextSplitter`: a LangChain `TextSplitter` around an engine chunker. It only translates."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

from chunkers import BaseChunker, Chunk
from chunkers.core.chunk import embedded_text
from chunkers.core.faces import (
    Derived,
    EngineFace,
    added_metadata,
    default_of,
    face_defaults,
    no_overlap,
    reject_unknown,
    take_alias,
)
from chunkers.core.options import options_of
from chunkers.core.whitespace import keep_whitespace
from chunkers.pdf.chunker import chunk_pdf_pages, without_page_keys
from chunkers.pdf.sources import pdf_page_sources
from langchain_core.documents import Document
from langchain_text_splitters import TextSplitter
from pydantic import Field


class ChunkerTextSplitter(EngineFace, TextSplitter):
    """Runs an engine chunker; ``start_index`` (with ``add_start_index=True``) is the engine's exact offset.

    Every output document gets a deep copy of its source document's metadata plus what the chunker adds
    (e.g. line numbers, scores; the source's own values win, unless the source is itself a chunk of the same
    chunker, whose positions and paths are then replaced); ``end_index`` accompanies ``start_index``. With
    ``context_in_content=True`` (alias ``embed_context``, where the chunker gives a ``context_header``),
    ``page_content`` is that context followed by the chunk's text, since LangChain embeds only ``page_content``;
    ``start_index``/``end_index`` still give the chunk's exact span. ``strip_whitespace=False`` (LangChain's): the
    chunks keep the whitespace between them and tile the text exactly, within the budget (`chunkers.core.whitespace`).
    Use it directly around any chunker: ``ChunkerTextSplitter(SentenceChunker(max_size=500))``.

    Faces are declared as ``class SentenceTextSplitter(face_of(SentenceChunker))``: their settings are the engine
    class's options (`chunkers.core.options`), taken as keyword arguments and kept as public attributes; the engine
    chunker is built from them when the splitter runs (and rebuilt when one changes). LangChain's own names work
    where they mean the same: ``chunk_size`` (``max_size``, in units of ``length_function``: characters by default),
    ``length_function`` (``sizer``), ``chunk_overlap`` (where the chunker overlaps; else only 0), ``add_start_index``,
    ``strip_whitespace``; ``separators``, ``is_separator_regex`` and ``keep_separator`` where the chunker cuts at
    separators (`SentenceTextSplitter`), else a `TypeError` saying so; the inherited ``from_huggingface_tokenizer``
    and ``from_tiktoken_encoder``. Unknown keyword arguments raise `TypeError`.
    """

    engine: ClassVar[type[BaseChunker] | None] = None
    offers_context: ClassVar[bool] = True  # whether its chunks carry a context_header (context_in_content applies)
    face_defaults: ClassVar[dict[str, Any]] = {}  # where the face's default differs from the engine's
    _derived: Derived[BaseChunker]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.engine is not None:
            cls.__signature__ = splitter_signature(cls)  # type: ignore[attr-defined]

    def __init__(
        self,
        chunker: BaseChunker | None = None,
        add_start_index: bool = False,
        strip_whitespace: bool = True,
        **settings: Any,
    ) -> None:
        owner = type(self).__name__
        self._derived = Derived()
        self._wrapped = chunker
        if chunker is not None and self.engine is not None:
            raise TypeError(f"{owner} takes its settings as keyword arguments; chunker= is for ChunkerTextSplitter")
        if self.engine is None and not isinstance(chunker, BaseChunker):
            raise TypeError(f"chunker must be a chunkers.BaseChunker, got {type(chunker).__name__}")
        settings = self._translate_options(settings)
        if self.offers_context:
            take_alias(settings, "embed_context", "context_in_content", owner)
            self.context_in_content = bool(settings.pop("context_in_content", False))
        names = self.setting_names()
        reject_unknown(settings, names, owner)
        for name in names:
            setattr(self, name, settings[name] if name in settings else self._default(name))
        super().__init__(
            chunk_size=self.chunker.max_size,
            chunk_overlap=0,
            add_start_index=add_start_index,
            strip_whitespace=bool(strip_whitespace),
        )

    @property  # type: ignore[override]
    def _chunk_size(self) -> int:
        """LangChain's chunk size: the engine's ``max_size``, as it is now."""
        return self.chunker.max_size

    @_chunk_size.setter
    def _chunk_size(self, value: int) -> None:
        """Set by ``TextSplitter.__init__`` (to the size it has) and by a user: ``max_size``."""
        if value != self.chunker.max_size:
            self.chunk_size = value

    @property
    def chunk_size(self) -> int:
        """``chunk_size``, as at construction: ``max_size``, in units of ``length_function`` (``sizer``)."""
        return self.chunker.max_size

    @chunk_size.setter
    def chunk_size(self, value: int) -> None:
        if "max_size" not in self.setting_names():
            raise AttributeError(f"{type(self).__name__}'s size is its chunker's max_size: wrap one with another size")
        self.max_size = value

    @property
    def length_function(self) -> Any:
        """``length_function``, as at construction: the ``sizer`` (``"chars"`` for ``len``)."""
        return self.chunker.sizer

    @length_function.setter
    def length_function(self, value: Any) -> None:
        if "sizer" not in self.setting_names():
            raise AttributeError(f"{type(self).__name__} sizes with its chunker's sizer: wrap one with another sizer")
        self.sizer = "chars" if value is len else value

    @classmethod
    def _default(cls, name: str) -> Any:
        """The face's default for an engine option (the engine's, unless `face_defaults` says otherwise)."""
        return cls.face_defaults[name] if name in cls.face_defaults else default_of(cls.engine, name)

    def _embeds_context(self) -> bool:
        return self.offers_context and self.context_in_content

    @classmethod
    def setting_names(cls) -> set[str]:
        """The keyword arguments this splitter takes for its engine (besides ``add_start_index``)."""
        return set(options_of(cls.engine)) if cls.engine is not None else set()

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """LangChain's option names turned into the engine's (subclasses may add theirs)."""
        owner = cls.__name__
        if cls.engine is None or "chunk_overlap" not in options_of(cls.engine):
            no_overlap(options, owner)  # this chunker does not overlap chunks: only 0 is accepted
        take_alias(options, "chunk_size", "max_size", owner)
        if options.get("length_function") is len:
            options["length_function"] = "chars"
        take_alias(options, "length_function", "sizer", owner)
        separator_options = [name for name in SEPARATOR_OPTIONS if name in options]
        if separator_options and (cls.engine is None or separator_options[0] not in options_of(cls.engine)):
            raise TypeError(
                f"{owner} cuts where its chunker's structure says (sentences, sections, syntax), not at separators: "
                f"{separator_options[0]!r} has no meaning here; SentenceTextSplitter takes separators, "
                "is_separator_regex and keep_separator with RecursiveCharacterTextSplitter's meaning"
            )
        return options

    @staticmethod
    def _tiktoken_length_function(
        encoding_name: str = "gpt2", model_name: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        """LangChain's tiktoken length (``from_tiktoken_encoder``), with a clear error where the encoding cannot be
        downloaded (tiktoken fetches it on first use)."""
        try:
            return TextSplitter._tiktoken_length_function(encoding_name, model_name, *args, **kwargs)
        except (ImportError, ValueError, KeyError):  # tiktoken missing; an unknown encoding or model
            raise
        except Exception as exc:
            raise OSError(
                f"tiktoken could not load the encoding of {model_name or encoding_name!r}: it downloads encodings on "
                f"first use ({type(exc).__name__}: {str(exc)[:200]}). Offline, set TIKTOKEN_CACHE_DIR to a folder "
                "that holds it (LlamaIndex ships cl100k_base in llama_index/core/_static/tiktoken_cache), or count "
                "a local tokenizer's tokens: from_huggingface_tokenizer(tokenizer, ...)"
            ) from None

    @classmethod
    def from_huggingface_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> ChunkerTextSplitter:
        """A splitter whose sizes count ``tokenizer``'s tokens (as LangChain's splitters do)."""
        return cls(sizer=tokenizer, **kwargs)

    def split_text(self, text: str) -> list[str]:
        """The ``page_content`` of each chunk of ``text``, as `split_documents` gives it."""
        chunks = ((chunk, self.chunker.shown_text(text, chunk)) for chunk in self._chunked([text], [{}])[0])
        return [self._content(chunk, shown) for chunk, shown in chunks if shown.strip()]

    def _chunked(self, texts: list[str], metadatas: list[dict[str, Any]]) -> list[list[Chunk]]:
        """The engine's chunks of each text (see `_finish`)."""
        return self._finish(texts, self.chunker.chunk_many(texts, metadatas))

    def _finish(self, texts: list[str], results: list[list[Chunk]]) -> list[list[Chunk]]:
        """The chunks as this splitter returns them: with the whitespace between them unless ``strip_whitespace``."""
        if self._strip_whitespace:
            return results
        chunker = self.chunker
        return [keep_whitespace(t, chunks, chunker.sizer, chunker.max_size) for t, chunks in zip(texts, results)]

    def create_documents(self, texts: list[str], metadatas: list[dict[Any, Any]] | None = None) -> list[Document]:
        """One document per chunk, in order; the pages of one PDF (``source`` + ``page``) joined first."""
        texts = list(texts)
        metadatas = None if metadatas is None else list(metadatas)
        if metadatas is not None and len(metadatas) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadata dicts")
        sources = metadatas or [{} for _ in texts]
        keyed = [_keyed(m) for m in sources]
        out: list[Document] = []
        pending: list[int] = []
        for source in pdf_page_sources(keyed):
            if source.kind == "text":
                pending.append(source.indices[0])
                continue
            out += self._plain([texts[i] for i in pending], [sources[i] for i in pending])
            pending = []
            text, chunks = chunk_pdf_pages(self.chunker, source, texts, keyed)
            out += self._page_documents(text, sources[source.indices[0]], chunks, exact=False)
        return out + self._plain([texts[i] for i in pending], [sources[i] for i in pending])

    def _plain(self, texts: list[str], sources: list[dict[Any, Any]]) -> list[Document]:
        return self._documents(texts, sources, self._chunked(texts, [_keyed(m) for m in sources])) if texts else []

    def _page_documents(self, text: str, source: dict[Any, Any], chunks: list[Chunk], exact: bool) -> list[Document]:
        """Documents of chunks of a PDF's pages (``text``: what they index), each with ``page`` (its first page,
        0-based) in place of the source's; not ``exact`` (pages joined): no ``start_index``/``end_index``."""
        first = without_page_keys(source)
        chunks = self._finish([text], [chunks])[0]
        documents = self._documents([text], [first], [chunks])
        for document, chunk in zip(documents, (c for c in chunks if c.text.strip())):
            if "page_start" in chunk.metadata:
                document.metadata["page"] = chunk.metadata["page_start"] - 1
                if "page_label" in source:  # PyPDFLoader's label key, of the chunk's first page
                    document.metadata["page_label"] = chunk.metadata["page_labels"][0]
            if not exact:
                document.metadata.pop("start_index", None)
                document.metadata.pop("end_index", None)
        return documents

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        """`split_documents` without blocking the event loop (the LLM chunker: through the model's async API)."""
        documents = list(documents)  # any iterable, read once
        sources = [d.metadata for d in documents]
        if any(s.kind == "pages" for s in pdf_page_sources([_keyed(m) for m in sources])):
            return self.transform_documents(documents, **kwargs)  # a PDF's pages: joined, then chunked
        texts = [d.page_content for d in documents]
        results = await self.chunker.achunk_many(texts, [_keyed(m) for m in sources])
        return self._documents(texts, sources, self._finish(texts, results))

    def _documents(self, texts: list[str], sources: list[dict[Any, Any]], results: list[list[Chunk]]) -> list[Document]:
        """One document per chunk: a deep copy of its source's metadata plus the chunker's, and exact offsets (the
        chunk's span in its text; ``page_content`` is the chunk's shown text, an HTML chunk's text view; a chunk of
        markup only, such as a script, gives no document)."""
        documents = []
        for text, source_metadata, chunks in zip(texts, sources, results):
            passed = _keyed(source_metadata)  # what the engine was given (and copied into every chunk)
            for chunk in chunks:
                shown = self.chunker.shown_text(text, chunk)
                if not shown.strip():
                    continue
                metadata = copy.deepcopy(source_metadata)
                metadata.update(added_metadata(chunk.metadata, passed))
                if self._add_start_index:
                    metadata["start_index"] = chunk.start
                    metadata["end_index"] = chunk.end
                documents.append(Document(page_content=self._content(chunk, shown), metadata=metadata))
        return documents

    def _content(self, chunk: Chunk, shown: str) -> str:
        """The ``page_content`` of a chunk's document: its ``shown`` text, after its context with
        ``context_in_content``."""
        if self.offers_context and self.context_in_content:
            return embedded_text(chunk.metadata.get("context_header") or "", shown)
        return shown


SEPARATOR_OPTIONS = ("separators", "is_separator_regex", "keep_separator")


def _keyed(metadata: dict[Any, Any]) -> dict[str, Any]:
    """Metadata passed to the engine has string keys."""
    return {str(k): v for k, v in metadata.items()}


def option_fields(engine: type) -> dict[str, Any]:
    """Pydantic field definitions for ``engine``'s options (`chunkers.core.options`), with the engine's defaults and
    help: for the faces that are pydantic models (the document compressor)."""
    return {name: (Any, Field(o.default, description=o.help)) for name, o in options_of(engine).items()}


def face_of(engine: type[BaseChunker], context: bool = False) -> type[ChunkerTextSplitter]:
    """The base of a LangChain face of ``engine``: its settings are the engine's options. ``context``: the chunks
    carry a ``context_header``, so the face has ``context_in_content`` (and ``context_in_budget`` defaults to None:
    on when ``context_in_content`` is)."""
    doc = f"Settings of `{engine.__module__}.{engine.__qualname__}` as a LangChain splitter."
    namespace = {
        "engine": engine,
        "offers_context": context,
        "face_defaults": face_defaults(engine),
        "__module__": __name__,
        "__doc__": doc,
    }
    return type(f"{engine.__name__}Splitter", (ChunkerTextSplitter,), namespace)


def splitter_signature(cls: type[ChunkerTextSplitter]) -> inspect.Signature:
    """The real signature of a splitter class (``help``, ``inspect.signature``, IPython): the engine's options with
    their defaults and annotations, ``context_in_content`` where the chunks carry context, and ``add_start_index``."""
    assert cls.engine is not None
    keyword = inspect.Parameter.KEYWORD_ONLY
    engine = inspect.signature(cls.engine).parameters.values()
    own = inspect.signature(cls.__init__).parameters.values()  # e.g. a positional embeddings argument
    kinds = {p.name: p.kind for p in own if p.kind == p.POSITIONAL_OR_KEYWORD and p.name not in ("self", "chunker")}
    ordered = sorted(engine, key=lambda p: p.name not in kinds)
    parameters = [p.replace(kind=kinds.get(p.name, keyword), default=cls._default(p.name)) for p in ordered]
    if cls.offers_context:
        parameters.append(inspect.Parameter("context_in_content", keyword, default=False, annotation="bool"))
    parameters.append(inspect.Parameter("add_start_index", keyword, default=False, annotation="bool"))
    parameters.append(inspect.Parameter("strip_whitespace", keyword, default=True, annotation="bool"))
    return inspect.Signature(parameters)
