"""`AutoNodeParser`: one node parser for a mixed folder, each node routed by its file type as ``chunkers chunk``
routes files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chunkers.apps.routing import TEXT_METHODS, routed_method, routed_methods
from chunkers.core.chunk import source_path
from chunkers.core.faces import Derived, reject_unknown, routed_settings, warn_skipped
from chunkers.core.registry import CHUNKERS
from chunkers.core.spec import restorable
from chunkers.io.files import text_skip_reason
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.node_parser.interface import NodeParser
from llama_index.core.schema import BaseNode, Document, MetadataMode

from .base import ChunkerNodeParser, _Written

# The face of each routing method, from the registry ("llm" is never routed to, only chosen as text_method).
FACES = {entry.method: entry.node_parser for entry in CHUNKERS}
SHARED_FIELDS = ("include_metadata", "include_prev_next_rel", "id_func")  # passed on to every routed parser


class AutoNodeParser(NodeParser):
    """Routes each node by its file (``file_path``, ``file_name``, ``source`` or ``path`` metadata, as LlamaIndex's
    and LangChain's loaders set it) through `chunkers.apps.routing`, the command line's router: code and structured
    data with a grammar to `ASTNodeParser` (cAST), Markdown and HTML to `DocumentNodeParser` (sections, the path
    embedded), JSON Lines / CSV / TSV to `RecordNodeParser` (whole records), anything else, and nodes without a file,
    to ``text_method``'s parser (`SentenceNodeParser` by default); an extensionless script with a shebang line is
    code. ``chunk_size`` and ``chunk_overlap`` (``SentenceSplitter``'s, in tokens) go to every routed parser (the
    overlap to those that overlap chunks: not records); ``options`` holds each parser's own keyword arguments by
    method, e.g. ``{"ast": {"max_size": 1500}, "document": {"max_size": 1000}}``, in that parser's units, and wins.

    Documents that are no source text are skipped as ``chunkers chunk`` skips files, with one warning per call
    naming them (and in `last_skipped`): generated files (lockfiles such as ``uv.lock``, ``@generated`` headers),
    minified assets, source maps, SVG, binaries read as text (NUL characters); ``include_generated=True`` chunks
    all but the binaries.

    Nodes come back in the order of their sources, each as its parser makes it (offsets, relationships, the
    context embedded); ``to_dict`` (the ``IngestionCache`` key) holds every parser's configuration.
    """

    options: _Written = Field(
        default_factory=dict, description="Keyword arguments of each method's parser: {'ast': {...}, 'document': ...}"
    )
    chunk_size: int | None = Field(default=None, description="Every routed parser's chunk_size (tokens).")
    chunk_overlap: int | None = Field(default=None, description="Every routed parser's chunk_overlap that overlaps.")
    include_generated: bool = Field(default=False, description="Chunk generated, minified and markup-only files.")
    text_method: str = Field(
        default="sentence", description="The parser of text that is not code, a document or records: " + ", ".join(
            TEXT_METHODS)
    )  # fmt: skip

    _parsers: dict[str, Derived[ChunkerNodeParser]] = PrivateAttr(default_factory=dict)
    _method_of: dict[str, str] = PrivateAttr(default_factory=dict)
    _skipped: list[tuple[str, str]] = PrivateAttr(default_factory=list)

    def __init__(self, **data: Any) -> None:
        if data.get("callback_manager", 0) is None:
            del data["callback_manager"]
        reject_unknown(data, set(type(self).model_fields), type(self).__name__)
        super().__init__(**data)
        for method in self._methods():  # settings are checked now, not at the first run
            self.parser(method)

    @classmethod
    def from_defaults(cls, **kwargs: Any) -> AutoNodeParser:
        """The parser with these settings (LlamaIndex's usual constructor)."""
        return cls(**kwargs)

    @classmethod
    def class_name(cls) -> str:
        return cls.__name__

    def _methods(self) -> tuple[str, ...]:
        """The methods this parser routes to, after checking ``text_method`` and the ``options`` keys."""
        return routed_methods(self.text_method, self.options, FACES)

    def parser(self, method: str) -> ChunkerNodeParser:
        """The node parser of ``method`` with its ``options`` (built again only when they changed)."""
        import llama_chunkers

        face = getattr(llama_chunkers, FACES[method])
        own = {name: getattr(self, name) for name in SHARED_FIELDS} | dict(self.options.get(method, {}))
        settings = routed_settings(face, self.chunk_size, self.chunk_overlap, own)
        return self._parsers.setdefault(method, Derived()).get(face, settings)

    def method_of(self, node: BaseNode) -> str:
        """The method a node goes to: by its file's extension (or shebang line), else ``text_method``."""
        return routed_method(source_path(node.metadata), node.get_content(MetadataMode.NONE), self.text_method)

    @property
    def last_skipped(self) -> list[tuple[str, str]]:
        """``(file or node id, reason)`` for each document the last run skipped."""
        return list(self._skipped)

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """The fields, plus ``parsers``: each routed parser's ``to_dict`` (so the cache key follows every setting)."""
        data = super().to_dict(**kwargs)
        data["parsers"] = {method: self.parser(method).to_dict() for method in self._methods()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> AutoNodeParser:
        """Rebuild the parser from `to_dict` output."""
        data = dict(data, **kwargs)
        for derived in ("class_name", "parsers", "id_func"):  # id_func: the default unless passed in kwargs
            if derived not in kwargs:
                data.pop(derived, None)
        restorable({k: v for k, v in data.items() if k not in kwargs}, cls.__name__)
        return cls(**data)

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        groups: dict[str, list[BaseNode]] = {}
        self._skipped = []
        for node in nodes:
            path = source_path(node.metadata)
            reason = text_skip_reason(node.get_content(metadata_mode=MetadataMode.NONE), path, self.include_generated)
            if reason is not None:
                self._skipped.append((path or node.node_id, reason))
                continue
            groups.setdefault(self.method_of(node), []).append(node)
        warn_skipped(type(self).__name__, self._skipped, len(nodes))
        made: dict[str, list[BaseNode]] = {}
        for method, group in groups.items():
            for new in self.parser(method)._parse_nodes(group, show_progress, **kwargs):
                self._method_of[new.node_id] = method
                made.setdefault(new.source_node.node_id if new.source_node else "", []).append(new)
        return [new for node in nodes for new in made.get(node.node_id, [])]

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        # Each routed parser finishes its own nodes (exact offsets, its relationships), in the order they came.
        by_method: dict[str, list[BaseNode]] = {}
        for node in nodes:
            by_method.setdefault(self._method_of.pop(node.node_id, self.text_method), []).append(node)
        finished = {
            id(node): node
            for method, group in by_method.items()
            for node in self.parser(method)._postprocess_parsed_nodes(group, parent_doc_map)
        }
        return [node for node in nodes if id(node) in finished]
