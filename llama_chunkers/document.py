"""`DocumentNodeParser`: Markdown and HTML chunked along their sections, as a LlamaIndex node parser."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chunkers.documents import DocumentChunker
from llama_index.core.bridge.pydantic import Field
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode

from .base import face_of


class DocumentNodeParser(face_of(DocumentChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.documents.DocumentChunker`; stands in for ``MarkdownNodeParser`` (and
    ``HTMLNodeParser``) with a size cap. Each node's text is the exact source slice (HTML: the slice's text view,
    `chunkers.documents.html_text`, while ``start_char_idx``/``end_char_idx`` give the slice); its ``context_header``
    (the section path with the chunk's own heading, a split table's header row, split code's fence and signatures) is
    embedded with it and shown to the LLM as a bare line after the document's own metadata (the other chunk metadata,
    ``header_path`` included, is kept on the node but left out of both; ``embed_context=False`` leaves
    ``context_header`` out too, and ``context_title=True`` starts it with the document's title).
    ``metadata_style="llamaindex"`` gives ``header_path`` as ``MarkdownNodeParser`` writes it ("/Title/Section/";
    ``header_path_separator`` as there, which implies that style).

    ``include_parents=True`` also returns one node per section holding a chunk, with PARENT/CHILD relationships
    (a chunk's parent is the innermost section that holds all of it; a section's parent, the one around it), so
    ``get_leaf_nodes``/``get_root_nodes`` and ``AutoMergingRetriever`` work on the output: index the leaves, put
    every node in the docstore.
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """MarkdownNodeParser's ``header_path_separator`` (its header_path string, so metadata_style="llamaindex");
        HTMLNodeParser's ``tags`` raises: the split follows the page's sections and blocks, not a tag list."""
        if "tags" in options:
            raise TypeError(
                f"{cls.__name__} has no tags: it splits HTML along its sections (h1-h6) and blocks (paragraphs, list "
                "items, table rows, code), under max_size; leave tags out"
            )
        if "header_path_separator" in options:
            options.setdefault("metadata_style", "llamaindex")
        return super()._translate_options(options)

    include_parents: bool = Field(default=False, description="Also a parent node per section (PARENT/CHILD).")
    embed_context: bool = Field(default=True, description="Embed context_header with the node and show it to the LLM.")
    embed_metadata_keys = ("context_header",)

    def _embedded_keys(self) -> tuple[str, ...]:
        return self.embed_metadata_keys if self.embed_context else ()

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        leaves = super()._parse_nodes(nodes, show_progress, **kwargs)
        if not self.include_parents:
            return leaves
        by_source: dict[str, list[BaseNode]] = {}
        for leaf in leaves:
            by_source.setdefault(leaf.source_node.node_id if leaf.source_node else "", []).append(leaf)
        sources = {node.node_id: node for node in nodes}
        out: list[BaseNode] = []
        for leaf in leaves:  # in order; a chunk of a PDF's joined pages (no offsets into its source): no parents
            key = leaf.source_node.node_id if leaf.source_node else ""
            if leaf.start_char_idx is None:
                out.append(leaf)
            elif key in by_source and key in sources:
                children = [c for c in by_source.pop(key) if c.start_char_idx is not None]
                out += children + self._sections(sources[key], children)
        return out

    def _sections(self, node: BaseNode, leaves: list[BaseNode]) -> list[BaseNode]:
        """Parent nodes for the sections of ``node`` that hold chunks, linked to the chunks and to each other."""
        text = self._text_of(node)
        sections = self.chunker.sections(text, **node.metadata)  # type: ignore[attr-defined]
        base = node.start_char_idx if isinstance(node, TextNode) and not isinstance(node, Document) else None
        offset = base or 0
        made: dict[int, TextNode] = {}
        first_id = len(leaves)  # a custom id_func(i, node) gets numbers the chunks did not

        def parent(index: int | None) -> TextNode | None:
            """The node of section ``index`` (made once, with its own parents); None for the document."""
            if index is None or sections[index].parent is None:
                return None
            if index not in made:
                section = sections[index]
                made[index] = TextNode(
                    text=text[section.start : section.end], id_=self.id_func(first_id + len(made), node),
                    start_char_idx=offset + section.start, end_char_idx=offset + section.end,
                    metadata={**node.metadata, "section_title": section.title, "section_level": section.level},
                    excluded_embed_metadata_keys=list(node.excluded_embed_metadata_keys),
                    excluded_llm_metadata_keys=list(node.excluded_llm_metadata_keys),
                )  # fmt: skip
                made[index].relationships[NodeRelationship.SOURCE] = node.as_related_node_info()
                _link(made[index], parent(section.parent))
            return made[index]

        for leaf in leaves:
            _link(leaf, parent(leaf.metadata.get("section")))
        return list(made.values())

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        # Previous/next links join the chunks of a document, not its section nodes.
        leaves = [n for n in nodes if NodeRelationship.CHILD not in n.relationships]
        parents = [n for n in nodes if NodeRelationship.CHILD in n.relationships]
        return super()._postprocess_parsed_nodes(leaves, parent_doc_map) + parents


def _link(child: BaseNode, parent: TextNode | None) -> None:
    """Record ``parent`` as ``child``'s PARENT and ``child`` among ``parent``'s CHILD nodes."""
    if parent is None:
        return
    child.relationships[NodeRelationship.PARENT] = parent.as_related_node_info()
    children = parent.relationships.get(NodeRelationship.CHILD) or []
    parent.relationships[NodeRelationship.CHILD] = [*children, child.as_related_node_info()]  # type: ignore[list-item]
