"""The chunkers an evaluation compares. Each `Candidate` makes, for a target chunk size in characters, a
`Setting`: a label for the report and a function from a document's text to its chunk spans. Built-in names
cover our chunkers and, when installed, the frameworks' splitters, semchunk and chonkie; any chunker object
(ours, a LlamaIndex node parser, a LangChain text splitter with ``add_start_index=True``, or a function
``text -> spans``) joins through `custom`."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core.registry import BY_METHOD, CHUNKERS, Registered
from ...runtime.embeddings import Embeddings
from .documents import EvaluationInputError
from .setting import Setting, spans_of


@dataclass
class Candidate:
    """A chunker to compare: its report ``name``, whether it is ours, and ``make(target chars) -> Setting``."""

    name: str
    ours: bool
    make: Callable[[int], Setting]
    requires: tuple[str, ...] = ()  # modules it needs

    def available(self) -> bool:
        return all(importlib.util.find_spec(module) is not None for module in self.requires)


def custom(name: str, factory: Callable[[int], Any], ours: bool = False) -> Candidate:
    """A candidate from ``factory(target chars) -> chunker`` (any object `spans_of` accepts)."""

    def make(target: int) -> Setting:
        splitter = factory(target)
        return Setting(f"{name}({target})", lambda text: spans_of(splitter, text))

    return Candidate(name, ours, make)


# SemanticSplitterNodeParser has no size parameter: its breakpoint percentile sets how often it cuts.
SEMANTIC_PERCENTILE = {200: 50, 400: 75, 800: 90}


def semantic_percentile(target: int) -> int:
    """The breakpoint percentile used for a target size (the measured map, nearest target beyond it)."""
    return SEMANTIC_PERCENTILE[min(SEMANTIC_PERCENTILE, key=lambda t: abs(t - target))]


class Registry:
    """The built-in candidates by short name. Model-heavy ones share caches across sizes (sentence perplexities,
    sentence embeddings); ``llm`` drives the LLM chunker (None: the embedded SmolLM2), ``embedding`` the semantic
    splitter (None or a non-LlamaIndex object: the embedded MiniLM)."""

    def __init__(self, llm: Any = None, embedding: Any = None) -> None:
        self.llm = llm
        self.embedding = embedding
        self.caches: dict[str, dict] = {}  # per method: model results shared across sizes
        self._semantic_embedding: Any = None

    def semantic_embedding(self) -> Any:
        if hasattr(self.embedding, "get_text_embedding_batch"):
            return self.embedding
        if self._semantic_embedding is None:
            from .peers import cached_minilm_embedding

            self._semantic_embedding = cached_minilm_embedding()
        return self._semantic_embedding

    def _semantic(self, target: int) -> Setting:
        from . import peers

        return peers.semantic(self.semantic_embedding(), semantic_percentile(target))

    def _langchain_semantic(self, target: int) -> Setting:
        from . import peers

        if isinstance(self.embedding, Embeddings):  # a LangChain Embeddings of the user's
            embeddings = self.embedding
        else:  # the embedded MiniLM, remembering its sentence vectors across breakpoint settings
            from ...runtime.embeddings import UnitEmbeddings

            embeddings = _LangChainMemo(UnitEmbeddings(memo=True))
        return peers.langchain_semantic(embeddings, semantic_percentile(target))

    def _ours(self, entry: Registered) -> Callable[[int], Setting]:
        from . import peers

        cache = self.caches.setdefault(entry.method, {}) if entry.evaluate_cache else None
        return lambda target: peers.ours(entry, target, cache)

    def candidates(self) -> dict[str, Candidate]:
        """Short name -> candidate, for every built-in chunker (installed or not: see `Candidate.available`)."""
        from . import peers

        semantic = "LlamaIndex SemanticSplitterNodeParser"
        if not hasattr(self.embedding, "get_text_embedding_batch"):
            semantic += " (MiniLM)"
        llm = "rag-chunkers LLMChunker" + (" (SmolLM2)" if self.llm is None else "")
        ours = {
            entry.method: Candidate(
                f"rag-chunkers {entry.class_name}{entry.evaluate_label}", True, self._ours(entry), entry.requires
            )
            for entry in CHUNKERS
            if entry.evaluate is not None
        }
        ours["llm"] = Candidate(llm, True, lambda t: peers.llm_chunker(t, self.llm), BY_METHOD["llm"].requires)
        return {
            **ours,
            "langchain-recursive": Candidate("LangChain RecursiveCharacterTextSplitter", False, peers.recursive,
                                             ("langchain_text_splitters",)),
            "llamaindex-sentence": Candidate("LlamaIndex SentenceSplitter", False, peers.sentence_splitter,
                                             ("llama_index.core",)),
            "llamaindex-semantic": Candidate(semantic, False, self._semantic,
                                             ("llama_index.core", "llama_index.embeddings.huggingface")),
            "langchain-semantic": Candidate("LangChain SemanticChunker (MiniLM)", False, self._langchain_semantic,
                                            ("langchain_experimental",)),
            "semchunk": Candidate("semchunk", False, peers.semchunk, ("semchunk",)),
            "chonkie-recursive": Candidate("chonkie RecursiveChunker", False, peers.chonkie, ("chonkie",)),
        }  # fmt: skip


class _LangChainMemo:
    """`chunkers.runtime.embeddings.UnitEmbeddings` with LangChain's method names (for the LangChain peer)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.engine.documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.engine.query(text).tolist()


# What `chunkers eval` compares when no --chunkers is given: the fast ones (the model-driven ones on request).
DEFAULT_CHUNKERS = ("sentence", "langchain-recursive", "llamaindex-sentence", "semchunk", "chonkie-recursive")


def resolve(names: list[Any], registry: Registry, skip_missing: bool = False) -> list[Candidate]:
    """Candidates for ``names``: built-in short names, "all" (every installed built-in but the LLM, AST and
    document chunkers, which are asked for by name), `Candidate` objects, ``(name, factory)`` pairs, or
    ``"module:attribute"`` strings naming a factory ``target -> chunker``. An unknown name is an error; a built-in
    peer that is not installed is an error too, unless ``skip_missing`` (then it is left out)."""
    known = registry.candidates()
    out: list[Candidate] = []
    for item in names:
        if isinstance(item, Candidate):
            out.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            out.append(custom(str(item[0]), item[1]))
        elif item == "all":
            out += [c for key, c in known.items() if c.available() and key not in ("llm", "ast", "document")]
        elif isinstance(item, str) and item in known:
            candidate = known[item]
            if candidate.available():
                out.append(candidate)
            elif not skip_missing:
                raise EvaluationInputError(
                    f"chunker {item!r} needs {', '.join(candidate.requires)}, which is not installed"
                )
        elif isinstance(item, str) and ":" in item:
            out.append(custom(item, _import(item)))
        else:
            raise EvaluationInputError(
                f"unknown chunker {item!r}; choose from {', '.join(known)}, all, or module:factory"
            )
    if not out:
        raise EvaluationInputError("no chunker to compare")
    if len({c.name for c in out}) < len(out):
        raise EvaluationInputError("a chunker is named twice")
    return out


def _import(spec: str) -> Any:
    """The object ``module:attribute`` names (the current directory is importable, as with ``python -m``)."""
    import sys

    from ...core.lazy import import_object

    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        return import_object(spec)
    except (ImportError, AttributeError) as exc:
        raise EvaluationInputError(f"cannot import {spec!r}: {exc}") from None
