"""`ChunkerNodeParser`: a LlamaIndex `NodeParser` around any engine chunker. It only translates."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from chunkers import BaseChunker, Chunk
from chunkers.core.faces import (
    Derived,
    EngineFace,
    added_metadata,
    face_defaults,
    no_overlap,
    reject_unknown,
    take_alias,
)
from chunkers.core.options import options_of
from chunkers.core.sizing import TIKTOKEN, CharSizer, LineSizer, NonWhitespaceSizer, TokenListSizer, get_sizer
from chunkers.core.spec import UNRESTORABLE, describe, restorable, written
from chunkers.core.warn import warn_user
from chunkers.pdf.chunker import chunk_pdf_pages
from chunkers.pdf.sources import pdf_page_sources
from llama_index.core import Settings
from llama_index.core.bridge.pydantic import Field, PlainSerializer, PrivateAttr, create_model
from llama_index.core.node_parser.interface import NodeParser
from llama_index.core.node_parser.node_utils import build_nodes_from_splits, default_id_func
from llama_index.core.schema import BaseNode, Document, MetadataMode, TextNode
from llama_index.core.utils import get_tqdm_iterable

PARSE_BATCH = 16  # nodes chunked together by one chunk_many call
# How a node whose only embedded metadata is its context line writes it: the value alone, so the context line is
# "Guide > Install", not "context_header: Guide > Install" (measured: benchmarks/results/context_ablation.md, where
# the label costs IoU).
CONTEXT_TEMPLATE = "{value}"


class ChunkerNodeParser(EngineFace, NodeParser):
    """Runs an engine chunker over each node's text and returns one `TextNode` per chunk.

    ``start_char_idx``/``end_char_idx`` are the engine's exact offsets into the parsed node's text (plus
    that node's own ``start_char_idx`` when it is itself a chunk of a larger document). Nodes get SOURCE
    and PREV/NEXT relationships and inherit the parent's metadata (a node that is itself a chunk of the same chunker
    gets the chunker's fresh values); metadata the chunker adds (scores, line numbers, ...) is kept on the node but
    excluded from the embedding and LLM text, except the non-empty keys in `embed_metadata_keys`.

    Faces are declared as ``class SentenceNodeParser(face_of(SentenceChunker))``: their fields are the engine
    class's options (`chunkers.core.options`: names, defaults and help); the engine chunker is built from the
    fields when the parser runs (and rebuilt when one changes), and `to_dict` (LlamaIndex's cache key) holds its
    full configuration, every field as plain data (a sizer as its spec, a grammar as its name; an object that
    cannot be written down is described, and `from_dict` then asks for it by name). Peers' option names are accepted
    where they mean the same (``chunk_size`` in tokens of ``tokenizer``, ``callback_manager``, ``include_metadata``,
    ``include_prev_next_rel``, ``id_func``, ``from_defaults``); unknown keyword arguments raise `TypeError`. The
    generic parser wraps a ready chunker:
    ``ChunkerNodeParser(chunker=SentenceChunker(max_size=500))`` (such a parser cannot be rebuilt by
    `from_dict`; the subclasses can).
    """

    engine: ClassVar[type[BaseChunker] | None] = None
    embed_metadata_keys: ClassVar[tuple[str, ...]] = ()

    _wrapped: BaseChunker | None = PrivateAttr(default=None)
    _derived: Derived[BaseChunker] = PrivateAttr(default_factory=Derived)
    _budgeted: dict[int, BaseChunker] = PrivateAttr(default_factory=dict)  # reserve -> the chunker with less room
    _budgeted_for: BaseChunker | None = PrivateAttr(default=None)  # the chunker those were derived from

    def __init__(self, chunker: BaseChunker | None = None, **data: Any) -> None:
        owner = type(self).__name__
        data = self._translate_options(dict(data))
        reject_unknown(data, set(type(self).model_fields), owner)
        if chunker is not None:
            if self.engine is not None:
                raise TypeError(f"{owner} takes its settings as fields; chunker=... is for ChunkerNodeParser")
            if not isinstance(chunker, BaseChunker):
                raise TypeError(f"chunker must be a chunkers.BaseChunker, got {type(chunker).__name__}")
        super().__init__(**data)
        self._wrapped = chunker
        self.chunker  # noqa: B018  (settings are validated now, not at the first run)

    @classmethod
    def from_defaults(cls, **kwargs: Any) -> ChunkerNodeParser:
        """The parser with these settings (LlamaIndex's parsers' usual constructor: the same arguments as ``cls``)."""
        return cls(**kwargs)

    @property
    def chunk_size(self) -> int:
        """LlamaIndex's ``chunk_size``, which ``Settings.chunk_size`` reads and sets: the chunker's ``max_size``."""
        return self.chunker.max_size

    @chunk_size.setter
    def chunk_size(self, value: int) -> None:
        """As ``chunk_size=`` at construction: ``max_size`` in tokens of ``Settings.tokenizer`` (a sizer that counts
        tokens already, or the user's own function, is kept)."""
        fields = type(self).model_fields
        if "max_size" not in fields:
            raise AttributeError(f"{type(self).__name__}'s size is its chunker's max_size: wrap one with another size")
        if "sizer" in fields and isinstance(get_sizer(self.sizer), (CharSizer, NonWhitespaceSizer, LineSizer)):
            self.sizer = TokenListSizer(Settings.tokenizer)
        self.max_size = value

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """Peers' option names turned into this parser's fields (subclasses add theirs): ``callback_manager=None``
        is LlamaIndex's default manager; ``chunk_size`` counts tokens of ``tokenizer`` (LlamaIndex's
        ``Settings.tokenizer`` unless given), as ``SentenceSplitter`` counts them; a ``"tiktoken:<encoding>"``
        sizer (as ``to_dict`` writes LlamaIndex's tokenizer) uses LlamaIndex's bundled encodings."""
        owner = cls.__name__
        if cls.engine is None or "chunk_overlap" not in options_of(cls.engine):
            no_overlap(options, owner)  # this chunker does not overlap chunks: only 0 is accepted
        if "callback_manager" in options and options["callback_manager"] is None:
            del options["callback_manager"]
        if "chunk_size" in options and "sizer" not in options:
            options.setdefault("tokenizer", None)
        take_alias(options, "chunk_size", "max_size", owner)
        if "tokenizer" in options:
            if "sizer" in options:
                raise TypeError(f"{owner} got both 'tokenizer' and 'sizer': they are the same setting, pass one")
            options["sizer"] = TokenListSizer(options.pop("tokenizer") or Settings.tokenizer)
        if isinstance(options.get("sizer"), str) and options["sizer"].startswith(TIKTOKEN):
            Settings.tokenizer  # noqa: B018  (loads LlamaIndex's bundled tiktoken encodings, as SentenceSplitter does)
        return options

    @classmethod
    def class_name(cls) -> str:
        return cls.__name__

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """The fields, plus ``engine``: the configuration of the chunker they give (every setting that changes
        the output, the LLM's identity included), so IngestionCache keys differ whenever the output can."""
        data = super().to_dict(**kwargs)
        data["engine"] = self.chunker.config()
        for name, option in options_of(self.engine).items() if self.engine is not None else ():
            field = self.renames.get(name, name)
            value = getattr(self, field)
            if not option.written and option.affects_output and value is not None and field not in data:
                data[field] = {UNRESTORABLE: describe(value)}  # an object: from_dict asks for it by name
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> ChunkerNodeParser:
        """Rebuild a parser from `to_dict` output (LlamaIndex's own parsers fail on the id_func entry)."""
        data = dict(data, **kwargs)
        data.pop("class_name", None)
        data.pop("engine", None)  # derived from the fields
        restorable({k: v for k, v in data.items() if k not in kwargs}, cls.__name__)
        id_func = data.get("id_func")
        if isinstance(id_func, dict):
            if id_func.get("id_func_name") != default_id_func.__name__:
                raise ValueError(
                    f"cannot restore the custom id_func {id_func.get('id_func_name')!r}: pass id_func=... to from_dict"
                )
            data.pop("id_func")
        return cls(**data)

    def split_text(self, text: str) -> list[str]:
        """The chunks of ``text`` as strings (``SentenceSplitter.split_text``, ``CodeSplitter.split_text``)."""
        shown = (self.chunker.shown_text(text, chunk) for chunk in self.chunker.chunk(text))
        return [piece for piece in shown if piece.strip()]

    def split_texts(self, texts: list[str]) -> list[str]:
        """The chunks of every text, in order (``split_texts`` of LlamaIndex's text splitters)."""
        results = zip(texts, self.chunker.chunk_many(texts))
        shown = (self.chunker.shown_text(text, chunk) for text, chunks in results for chunk in chunks)
        return [piece for piece in shown if piece.strip()]

    def _nodes_from_chunks(self, node: BaseNode, chunks: list[Chunk]) -> list[BaseNode]:
        offset = node.start_char_idx if isinstance(node, TextNode) and not isinstance(node, Document) else None
        base = offset or 0
        source = self._text_of(node)
        shown = [(chunk, self.chunker.shown_text(source, chunk)) for chunk in chunks]
        shown = [(chunk, text) for chunk, text in shown if text.strip()]  # markup only (an HTML <script>): no node
        built = build_nodes_from_splits([text for _, text in shown], node, id_func=self.id_func)
        for new, (chunk, _) in zip(built, shown):
            new.start_char_idx = base + chunk.start
            new.end_char_idx = base + chunk.end
            added = self._added_metadata(chunk, node)
            new.metadata.update(added)
            hidden = [k for k in added if k not in self._embedded_keys() or added[k] in ("", None)]
            new.excluded_embed_metadata_keys = [*new.excluded_embed_metadata_keys, *hidden]
            new.excluded_llm_metadata_keys = [*new.excluded_llm_metadata_keys, *hidden]
            inherited = node.metadata if self.include_metadata else {}  # merged in by _postprocess_parsed_nodes
            embed_bare(new, [k for k in added if k not in hidden], inherited)
        return built

    def _added_metadata(self, chunk: Chunk, node: BaseNode) -> dict[str, Any]:
        """The metadata a chunk's node adds to its source node's (`chunkers.core.faces.added_metadata`)."""
        return added_metadata(chunk.metadata, node.metadata)

    def _embedded_keys(self) -> tuple[str, ...]:
        """The chunk metadata keys embedded with the node and shown to the LLM."""
        return self.embed_metadata_keys

    def _embeds_context(self) -> bool:
        return "context_header" in self._embedded_keys()

    @staticmethod
    def _text_of(node: BaseNode) -> str:
        return node.get_content(metadata_mode=MetadataMode.NONE)

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        """The nodes of ``nodes``, in order; the pages of one PDF (``file_path`` + ``page_label``) joined first."""
        metadatas = [dict(node.metadata) for node in nodes]
        sources = pdf_page_sources(metadatas)
        if all(source.kind == "text" for source in sources):  # no PDF's pages to join
            return self._parse_texts(nodes, show_progress, **kwargs)
        texts = [self._text_of(node) for node in nodes]
        out: list[BaseNode] = []
        pending: list[BaseNode] = []
        for source in sources:
            if source.kind == "text":
                pending.append(nodes[source.indices[0]])
                continue
            out += self._parse_texts(pending, show_progress, **kwargs)
            pending = []
            first = nodes[source.indices[0]]
            _, chunks = chunk_pdf_pages(self._chunker_for(first), source, texts, metadatas)
            out += self._page_nodes(first, chunks, exact=False)
        return out + self._parse_texts(pending, show_progress, **kwargs)

    def _page_nodes(self, first: BaseNode, chunks: list[Chunk], exact: bool) -> list[BaseNode]:
        """Nodes of chunks of a PDF's pages, each with its first page's ``page_label``; not ``exact`` (pages
        joined): no ``start_char_idx``/``end_char_idx``, as no one Document holds the text (``page_spans`` does)."""
        built = self._nodes_from_chunks(first, chunks)
        for node, chunk in zip(built, (c for c in chunks if c.text.strip())):
            if "page_labels" in chunk.metadata:
                node.metadata["page_label"] = chunk.metadata["page_labels"][0]
            if not exact:
                node.start_char_idx = node.end_char_idx = None
        return built

    def _parse_texts(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        # Batches go through chunk_many, so chunkers that share work across texts (model batches, concurrent
        # LLM calls) get to; the progress bar advances per batch.
        batches = [nodes[i : i + PARSE_BATCH] for i in range(0, len(nodes), PARSE_BATCH)]
        out: list[BaseNode] = []
        for batch in get_tqdm_iterable(batches, show_progress, "Chunking nodes"):
            results: list[list[Chunk]] = [[] for _ in batch]
            for chunker, indices in self._by_chunker(batch).items():
                texts, metadatas = self._inputs(batch, indices)
                for i, chunks in zip(indices, chunker.chunk_many(texts, metadatas)):
                    results[i] = chunks
            for node, chunks in zip(batch, results):
                out.extend(self._nodes_from_chunks(node, chunks))
        return out

    async def _aparse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        if any(s.kind == "pages" for s in pdf_page_sources([n.metadata for n in nodes])):
            return self._parse_nodes(nodes, show_progress, **kwargs)  # a PDF's pages: joined, then chunked
        results: list[list[Chunk]] = [[] for _ in nodes]
        for chunker, indices in self._by_chunker(nodes).items():
            texts, metadatas = self._inputs(nodes, indices)
            for i, chunks in zip(indices, await chunker.achunk_many(texts, metadatas)):
                results[i] = chunks
        out: list[BaseNode] = []
        for node, chunks in zip(nodes, results):
            out.extend(self._nodes_from_chunks(node, chunks))
        return out

    def _inputs(self, nodes: Sequence[BaseNode], indices: list[int]) -> tuple[list[str], list[dict[str, Any]]]:
        """The texts and metadata of ``nodes[i]`` for ``i`` in ``indices``, as the engine takes them."""
        return [self._text_of(nodes[i]) for i in indices], [dict(nodes[i].metadata) for i in indices]

    def _by_chunker(self, nodes: Sequence[BaseNode]) -> dict[BaseChunker, list[int]]:
        """The positions of ``nodes`` by the engine chunker each is chunked with (`_chunker_for`)."""
        groups: dict[BaseChunker, list[int]] = {}
        for i, node in enumerate(nodes):
            groups.setdefault(self._chunker_for(node), []).append(i)
        return groups

    def _chunker_for(self, node: BaseNode) -> BaseChunker:
        """The engine chunker for ``node``: where the context line counts in the budget (``context_in_budget``), one
        whose ``max_size`` leaves room for the node's own metadata that LlamaIndex embeds with every chunk (the longer
        of its embedded and LLM strings, as LlamaIndex's splitters count it)."""
        chunker = self.chunker
        if not (self.include_metadata and getattr(chunker, "context_in_budget", False)):
            return chunker
        metadata = max((node.get_metadata_str(mode) for mode in (MetadataMode.EMBED, MetadataMode.LLM)), key=len)
        if not metadata.strip():
            return chunker
        reserve = chunker.sizer(metadata + "\n\n")
        if reserve > chunker.max_size // 2 or chunker.max_size - reserve <= getattr(chunker, "chunk_overlap", 0):
            warn_user(
                f"{type(self).__name__}: the metadata LlamaIndex embeds with every node of a document is over half of "
                f"max_size={chunker.max_size}, so it is not counted in the budget; leave keys out of it with the "
                "document's excluded_embed_metadata_keys / excluded_llm_metadata_keys, or raise max_size"
            )
            return chunker
        if self._budgeted_for is not chunker:
            self._budgeted_for, self._budgeted = chunker, {}
        if reserve not in self._budgeted:
            self._budgeted[reserve] = dataclasses.replace(chunker, max_size=chunker.max_size - reserve)
        return self._budgeted[reserve]

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        # LlamaIndex re-derives offsets with str.find, which is wrong for repeated text: keep ours.
        spans = [(n.start_char_idx, n.end_char_idx) for n in nodes]
        nodes = super()._postprocess_parsed_nodes(nodes, parent_doc_map)
        for node, (start, end) in zip(nodes, spans):
            node.start_char_idx, node.end_char_idx = start, end
        return nodes


_Written = Annotated[Any, PlainSerializer(written)]


def embed_bare(node: BaseNode, keys: list[str], inherited: dict[str, Any]) -> None:
    """Embed (and show the LLM) the context line in ``keys`` without a "key: " label, the node's other metadata with
    theirs: alone, the context line is the node's metadata string (`CONTEXT_TEMPLATE`); after other metadata, it goes
    in the node's text template, between the metadata and the text. Where other metadata is embedded but not shown
    to the LLM (or the reverse), every key keeps its label. ``inherited``: the metadata the node will get from its
    source."""
    if not keys:
        return
    others = [k for k in {**inherited, **node.metadata} if k not in keys]
    embedded = [k for k in others if k not in node.excluded_embed_metadata_keys]
    shown = [k for k in others if k not in node.excluded_llm_metadata_keys]
    if not embedded and not shown:
        node.metadata_template = CONTEXT_TEMPLATE
    elif embedded and shown:
        line = "\n".join(str(node.metadata[k]) for k in keys).replace("{", "{{").replace("}", "}}")
        node.text_template = "{metadata_str}\n" + line + "\n\n{content}"
        node.excluded_embed_metadata_keys = [*node.excluded_embed_metadata_keys, *keys]
        node.excluded_llm_metadata_keys = [*node.excluded_llm_metadata_keys, *keys]


def option_fields(engine: type, renames: dict[str, str] | None = None, **defaults: Any) -> dict[str, Any]:
    """Pydantic field definitions for ``engine``'s options (`chunkers.core.options`): each with the engine's
    default (``defaults`` overrides some, where the face's default is measured to be better) and help, written by
    ``to_dict`` as plain data unless the option is an object (an LLM, a tokenizer, a cache). ``renames``: an
    option's name in LlamaIndex where it differs (``embeddings`` is ``embed_model``)."""
    renames = renames or {}
    fields: dict[str, Any] = {}
    for name, option in options_of(engine).items():
        default = defaults.get(name, option.default)
        field = Field(default, description=option.help, exclude=not option.written)
        fields[renames.get(name, name)] = (_Written, field)
    return fields


def face_of(
    engine: type[BaseChunker], renames: dict[str, str] | None = None, **defaults: Any
) -> type[ChunkerNodeParser]:
    """The base of a LlamaIndex face of ``engine``: a `ChunkerNodeParser` whose fields are the engine's options
    (`option_fields`, ``renames`` for LlamaIndex's names of some; ``context_in_budget`` defaults to None: on when the
    face embeds the context). A face subclasses it and adds only what is LlamaIndex's."""
    fields = option_fields(engine, renames, **{**face_defaults(engine), **defaults})
    base = create_model(f"{engine.__name__}Fields", __base__=ChunkerNodeParser, **fields)
    base.engine, base.renames = engine, dict(renames or {})
    return base
