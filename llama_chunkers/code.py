"""`ASTNodeParser`: the cAST code chunker as a LlamaIndex node parser."""

from __future__ import annotations

from typing import Any

from chunkers import Chunk
from chunkers.code import ASTChunker
from chunkers.core.chunk import SOURCE_KEYS
from chunkers.core.faces import take_alias
from llama_index.core.schema import BaseNode

from .base import face_of


class ASTNodeParser(face_of(ASTChunker, expand_context=True)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.code.ASTChunker`; a drop-in for LlamaIndex's ``CodeSplitter``.

    ``max_size`` counts non-whitespace characters by default (``sizer="chars"`` for plain characters).
    ``CodeSplitter``'s options work with the same meaning: ``max_chars=1500`` is ``max_size=1500,
    sizer="chars"``; ``chunk_lines=40`` is ``max_size=40, sizer="lines"`` (one budget at a time: CodeSplitter
    itself never reads ``chunk_lines``); ``parser=`` (a tree-sitter ``Parser``) gives the grammar.
    ``chunk_lines_overlap`` with ``chunk_lines`` is ``chunk_overlap`` in lines (whole lines); with ``max_chars`` it
    raises (pass ``chunk_overlap`` in characters, or ``overlap_nodes`` in syntax units).
    ``language`` may be omitted when documents carry a ``file_path`` or ``file_name`` (as SimpleDirectoryReader
    sets); files of unknown type get the flagged line-aware fallback. ``expand_context`` (on by default: measured
    to raise retrieval IoU, see docs/code.md) embeds the chunk's header (file path and enclosing signatures) with it
    through the ``context_header`` metadata key (without the path when the node's own metadata holds it, which
    LlamaIndex embeds already); the node's text and offsets stay the exact source slice.
    """

    embed_metadata_keys = ("context_header",)

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        owner = cls.__name__
        line_options = [name for name in ("chunk_lines", "chunk_lines_overlap") if name in options]
        if "max_chars" in options and line_options:  # LlamaIndex's documented call passes all three
            given = " and ".join(line_options)
            raise TypeError(
                f"{owner} got max_chars with {given}: CodeSplitter enforces max_chars and never reads {given}; "
                f"{owner} enforces what it is given, one budget at a time: drop {given} for CodeSplitter's budget "
                "(chunk_overlap=... for an overlap in characters), or pass chunk_lines (and chunk_lines_overlap) "
                "without max_chars for a budget in lines"
            )
        if "chunk_lines_overlap" in options:
            if "chunk_lines" not in options:
                raise TypeError(
                    f"{owner} takes chunk_lines_overlap with chunk_lines only (overlap in lines; CodeSplitter never "
                    "used it): else pass chunk_overlap=... (whole lines, in units of the sizer) or overlap_nodes=..."
                )
            take_alias(options, "chunk_lines_overlap", "chunk_overlap", owner)
        for alias, unit in (("max_chars", "chars"), ("chunk_lines", "lines")):
            if alias in options:
                take_alias(options, alias, "max_size", owner)
                options.setdefault("sizer", unit)
        if "parser" in options:
            parser = options.pop("parser")
            if not hasattr(parser, "language") or not hasattr(parser, "parse"):
                raise TypeError(f"parser must be a tree_sitter.Parser, got {type(parser).__name__}")
            options["language"] = parser.language
        return super()._translate_options(options)

    def _added_metadata(self, chunk: Chunk, node: BaseNode) -> dict[str, Any]:
        """As the base, but the context line leaves out the file path when the source node's metadata holds it:
        LlamaIndex embeds that metadata itself (or the user excluded it), so the path is never embedded twice."""
        added = super()._added_metadata(chunk, node)
        header = added.get("context_header")
        if isinstance(header, str):
            first, _, rest = header.partition("\n")
            if first and any(node.metadata.get(key) == first for key in SOURCE_KEYS):
                added["context_header"] = rest
        return added
