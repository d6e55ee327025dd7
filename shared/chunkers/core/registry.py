"""Every chunker, declared once: its engine class, its method name (``chunkers chunk --method``, the routing
parsers' ``options`` keys, ``chunkers eval``), its LlamaIndex and LangChain faces, how the routing parsers may
choose it, and how an evaluation sizes it. Routing, the faces' exports, the evaluation's candidates and the
contract tests read this table; adding a chunker is its module, one `Registered` line here and its faces.

Classes are named by ``"module:Class"`` strings and imported on first use, so this module imports nothing above
``core``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Routing = Literal["file", "text"]
"""How the routing parsers (``AutoNodeParser``, ``AutoTextSplitter``) choose a chunker: "file" by the file's type,
"text" as the ``text_method`` for everything that is not code, a document or records."""


@dataclass(frozen=True)
class Registered:
    """One chunker. ``engine`` is ``"module:Class"``; ``face_module`` is the module of its faces in
    ``llama_chunkers`` and ``langchain_chunkers``; ``command``: ``chunkers chunk`` runs it with no further argument
    (the LLM chunker needs the user's LLM); ``evaluate``: the engine options for a target chunk size in characters,
    as ``chunkers eval`` runs it (None: not a built-in candidate), with a cache shared across sizes when
    ``evaluate_cache``; ``evaluate_label``: what the report adds after its class name; ``requires``: the modules it
    needs beyond the base install (the ``local`` extra's models)."""

    method: str
    engine: str
    face_module: str
    node_parser: str
    text_splitter: str
    routing: Routing
    command: bool = True
    evaluate: Callable[[int], dict[str, Any]] | None = field(default=None, compare=False)
    evaluate_cache: bool = False
    evaluate_label: str = ""
    requires: tuple[str, ...] = ()

    @property
    def class_name(self) -> str:
        return self.engine.rpartition(":")[2]


LOCAL_MODELS = ("torch", "transformers")

CHUNKERS: tuple[Registered, ...] = (
    Registered("sentence", "chunkers.prose.sentence:SentenceChunker", "sentence", "SentenceNodeParser",
               "SentenceTextSplitter", "text", evaluate=lambda target: {"max_size": target}),
    Registered("ppl", "chunkers.prose.perplexity:PerplexityChunker", "perplexity", "PerplexityNodeParser",
               "PerplexityTextSplitter", "text", evaluate=lambda target: {"max_size": 2 * target,
                                                                           "target_size": target},
               evaluate_cache=True, requires=LOCAL_MODELS),
    Registered("semantic", "chunkers.prose.semantic:SemanticChunker", "semantic", "SemanticNodeParser",
               "SemanticTextSplitter", "text", evaluate=lambda target: {"max_size": 2 * target},
               evaluate_cache=True, evaluate_label=" (MiniLM)", requires=LOCAL_MODELS),
    Registered("llm", "chunkers.prose.llm:LLMChunker", "llm", "LLMNodeParser", "LLMTextSplitter", "text",
               command=False, requires=LOCAL_MODELS),
    Registered("ast", "chunkers.code:ASTChunker", "code", "ASTNodeParser", "ASTTextSplitter", "file",
               evaluate=lambda target: {"max_size": target}),
    Registered("document", "chunkers.documents:DocumentChunker", "document", "DocumentNodeParser",
               "DocumentTextSplitter", "file", evaluate=lambda target: {"max_size": target}),
    Registered("pdf", "chunkers.pdf:PDFChunker", "pdf", "PDFNodeParser", "PDFTextSplitter", "file",
               requires=("pypdfium2",)),
    Registered("records", "chunkers.records:RecordChunker", "records", "RecordNodeParser", "RecordTextSplitter",
               "file"),
)  # fmt: skip

BY_METHOD: dict[str, Registered] = {entry.method: entry for entry in CHUNKERS}


def face_exports(framework: Literal["llama", "langchain"]) -> dict[str, str]:
    """Face class name -> its module (relative, as `chunkers.core.lazy.lazy_exports` takes it) for one framework."""
    attribute = "node_parser" if framework == "llama" else "text_splitter"
    return {getattr(entry, attribute): f".{entry.face_module}" for entry in CHUNKERS}
