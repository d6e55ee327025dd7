"""`ChunkerTextSplitter`: a LangChain `TextSplitter` around an engine chunker. It only translates."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

from chunkers import BaseChunker, Chunk
from chunkers.core.settings import Derived, added_metadata, default_of, no_overlap, reject_unknown, take_alias
from langchain_core.documents import Document
from langchain_text_splitters import TextSplitter


class ChunkerTextSplitter(TextSplitter):
    """Runs an engine chunker; ``start_index`` (with ``add_start_index=True``) is the engine's exact offset.

    Every output document gets a deep copy of its source document's metadata plus what the chunker adds
    (e.g. line numbers, scores; the source's own values win, unless the source is itself a chunk of the same
    chunker, whose positions and paths are then replaced); ``end_index`` accompanies ``start_index``.
    Use it directly around any chunker: ``ChunkerTextSplitter(SentenceChunker(max_size=500))``.

    Subclasses name an engine class in `engine` and take its settings as keyword arguments, kept as public
    attributes: the engine chunker is built from them when the splitter runs (and rebuilt when one changes).
    LangChain's own names work where they mean the same: ``chunk_size`` (``max_size``), ``length_function``
    (``sizer``), ``chunk_overlap=0``; so do the inherited ``from_huggingface_tokenizer`` and
    ``from_tiktoken_encoder``. Unknown keyword arguments raise `TypeError`.
    """

    engine: ClassVar[type[BaseChunker] | None] = None
    _derived: Derived[BaseChunker]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.engine is not None:
            cls.__signature__ = splitter_signature(cls)  # type: ignore[attr-defined]

    def __init__(self, chunker: BaseChunker | None = None, add_start_index: bool = False, **settings: Any) -> None:
        owner = type(self).__name__
        super().__init__(chunk_size=1, chunk_overlap=0, add_start_index=add_start_index)
        self._derived = Derived()
        self._wrapped = chunker
        if self.engine is None:
            if not isinstance(chunker, BaseChunker):
                raise TypeError(f"chunker must be a chunkers.BaseChunker, got {type(chunker).__name__}")
            reject_unknown(settings, set(), owner)
        else:
            if chunker is not None:
                raise TypeError(f"{owner} takes its settings as keyword arguments; chunker= is for ChunkerTextSplitter")
            settings = self._translate_options(settings)
            names = self.setting_names()
            reject_unknown(settings, names, owner)
            for name in names:
                setattr(self, name, settings[name] if name in settings else default_of(self.engine, name))
        self.chunker  # noqa: B018  (settings are validated now, not at the first run)

    @classmethod
    def setting_names(cls) -> set[str]:
        """The keyword arguments this splitter takes besides ``add_start_index``."""
        if cls.engine is None:
            return set()
        return {name for name in inspect.signature(cls.engine.__init__).parameters if name != "self"}

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """LangChain's option names turned into the engine's (subclasses may add theirs)."""
        owner = cls.__name__
        no_overlap(options, owner)
        take_alias(options, "chunk_size", "max_size", owner)
        if options.get("length_function") is len:
            options["length_function"] = "chars"
        take_alias(options, "length_function", "sizer", owner)
        return options

    @classmethod
    def from_huggingface_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> ChunkerTextSplitter:
        """A splitter whose sizes count ``tokenizer``'s tokens (as LangChain's splitters do)."""
        return cls(sizer=tokenizer, **kwargs)

    def _engine_settings(self) -> dict[str, Any]:
        """The settings the engine chunker is built from (it is rebuilt when one of them changes)."""
        return {name: getattr(self, name) for name in self.setting_names()}

    def _build(self, **settings: Any) -> BaseChunker:
        """The engine chunker for these settings (subclasses translate framework objects here)."""
        assert self.engine is not None
        return self.engine(**settings)

    @property
    def chunker(self) -> BaseChunker:
        """The engine chunker doing the work, as the settings configure it now."""
        if self._wrapped is not None:
            return self._wrapped
        return self._derived.get(self._build, self._engine_settings())

    def split_text(self, text: str) -> list[str]:
        return [chunk.text for chunk in self.chunker.chunk(text)]

    def create_documents(self, texts: list[str], metadatas: list[dict[Any, Any]] | None = None) -> list[Document]:
        texts = list(texts)
        metadatas = None if metadatas is None else list(metadatas)
        if metadatas is not None and len(metadatas) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(metadatas)} metadata dicts")
        sources = metadatas or [{} for _ in texts]
        return self._documents(sources, self.chunker.chunk_many(texts, [_keyed(m) for m in sources]))

    async def atransform_documents(self, documents: Sequence[Document], **kwargs: Any) -> Sequence[Document]:
        """`split_documents` without blocking the event loop (the LLM chunker: through the model's async API)."""
        documents = list(documents)  # any iterable, read once
        sources = [d.metadata for d in documents]
        results = await self.chunker.achunk_many([d.page_content for d in documents], [_keyed(m) for m in sources])
        return self._documents(sources, results)

    def _documents(self, sources: list[dict[Any, Any]], results: list[list[Chunk]]) -> list[Document]:
        """One document per chunk: a deep copy of its source's metadata plus the chunker's, and exact offsets."""
        documents = []
        for source_metadata, chunks in zip(sources, results):
            passed = _keyed(source_metadata)  # what the engine was given (and copied into every chunk)
            for chunk in chunks:
                metadata = copy.deepcopy(source_metadata)
                metadata.update(added_metadata(chunk.metadata, passed))
                if self._add_start_index:
                    metadata["start_index"] = chunk.start
                    metadata["end_index"] = chunk.end
                documents.append(Document(page_content=self._content(chunk), metadata=metadata))
        return documents

    def _content(self, chunk: Chunk) -> str:
        """The ``page_content`` of a chunk's document (the chunk's text; subclasses may prefix a header)."""
        return chunk.text


def _keyed(metadata: dict[Any, Any]) -> dict[str, Any]:
    """Metadata passed to the engine has string keys."""
    return {str(k): v for k, v in metadata.items()}


def splitter_signature(cls: type[ChunkerTextSplitter]) -> inspect.Signature:
    """The real signature of a splitter class (IDEs, ``help``, ``inspect.signature``): the engine's options with
    their defaults and annotations, the keyword options the face's own ``__init__`` adds, and ``add_start_index``."""
    assert cls.engine is not None
    keyword = inspect.Parameter.KEYWORD_ONLY
    engine = inspect.signature(cls.engine.__init__).parameters.values()
    own = [p for p in inspect.signature(cls.__init__).parameters.values() if p.kind == keyword]
    parameters = [p.replace(kind=keyword) for p in engine if p.name != "self"] + own
    parameters.append(inspect.Parameter("add_start_index", keyword, default=False, annotation="bool"))
    unique = {p.name: p for p in parameters}
    return inspect.Signature(list(unique.values()))
