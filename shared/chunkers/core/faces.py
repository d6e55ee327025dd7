"""What the framework faces share: engine objects derived from their fields, the peers' option names, unknown
keywords refused, and the metadata a chunk adds to its source. (Describing and writing settings: `chunkers.core.spec`.)

A face (LlamaIndex node parser, LangChain splitter, postprocessor, compressor) keeps its settings as public
fields and builds the engine object from them when it runs: `Derived` rebuilds it only when a setting changed,
so a field set after construction takes effect and the engine object never goes stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from .options import options_of
from .warn import warn_user

T = TypeVar("T")


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # objects whose == is not a truth value (arrays): only identity counts
        return False


class Derived(Generic[T]):
    """Builds an object from settings and rebuilds it only when a setting changed (by value, else identity)."""

    def __init__(self) -> None:
        self._settings: dict[str, Any] | None = None
        self._built: T | None = None

    def get(self, build: Callable[..., T], settings: dict[str, Any]) -> T:
        """``build(**settings)``, reusing the last result while the settings are the same."""
        last = self._settings
        unchanged = last is not None and last.keys() == settings.keys()
        unchanged = unchanged and all(_same(last[k], settings[k]) for k in last)  # type: ignore[index]
        if not unchanged or self._built is None:
            self._built = build(**settings)
            self._settings = dict(settings)
        return self._built  # type: ignore[return-value]

    def __getstate__(self) -> dict[str, Any]:
        return {"_settings": None, "_built": None}  # rebuilt after unpickling (models are never pickled)


def face_defaults(engine: type) -> dict[str, Any]:
    """The defaults every face of ``engine`` changes: ``context_in_budget`` None, so that the budget counts the context
    line wherever the face embeds it (`EngineFace._engine_settings`)."""
    return {"context_in_budget": None} if "context_in_budget" in options_of(engine) else {}


class EngineFace:
    """What a LlamaIndex and a LangChain face of an engine class share (mixed into each framework's base): the
    engine chunker built from the face's fields whenever one changed. A face sets ``engine`` (or wraps a ready
    chunker in ``_wrapped``) and keeps a `Derived` in ``_derived``; it may translate framework objects (an LLM) in
    `_engine_settings`."""

    engine: ClassVar[type | None] = None
    renames: ClassVar[dict[str, str]] = {}  # an engine option's name in the framework, where it differs
    _wrapped: Any
    _derived: Derived[Any]

    def _engine_settings(self) -> dict[str, Any]:
        """The engine chunker's constructor arguments, from the face's fields; ``context_in_budget`` left at None
        follows whether the face embeds the chunks' context (`_embeds_context`)."""
        names = options_of(self.engine) if self.engine is not None else {}
        settings = {name: getattr(self, self.renames.get(name, name)) for name in names}
        if settings.get("context_in_budget", False) is None:
            settings["context_in_budget"] = self._embeds_context()
        return settings

    def _embeds_context(self) -> bool:
        """Whether the face embeds each chunk's ``context_header`` with it (then the budget counts it by default)."""
        return False

    def _build_chunker(self, **settings: Any) -> Any:
        """The engine chunker for these settings."""
        if self.engine is None:
            raise TypeError(f"{type(self).__name__} needs chunker=... (an engine chunker instance)")
        return self.engine(**settings)

    @property
    def chunker(self) -> Any:
        """The engine chunker doing the work, as the fields configure it now."""
        if self._wrapped is not None:
            return self._wrapped
        return self._derived.get(self._build_chunker, self._engine_settings())


def default_of(cls: type, name: str) -> Any:
    """The default of option ``name`` of engine class ``cls`` (faces take the engine's defaults, so the two never
    drift apart)."""
    return options_of(cls)[name].default


def take_alias(options: dict[str, Any], alias: str, name: str, owner: str) -> None:
    """Move ``options[alias]`` to ``options[name]`` (a peer's spelling of the same setting); both given: TypeError."""
    if alias not in options:
        return
    if name in options:
        raise TypeError(f"{owner} got both {alias!r} and {name!r}: they are the same setting, pass one")
    options[name] = options.pop(alias)


def reject_unknown(options: Mapping[str, Any], known: set[str] | frozenset[str], owner: str) -> None:
    """A `TypeError` naming the first option ``owner`` does not take (as Python does for a function)."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"{owner}() got an unexpected keyword argument {unknown[0]!r}")


def no_overlap(options: dict[str, Any], owner: str, name: str = "chunk_overlap") -> None:
    """Accept a peer's overlap option only when it is 0 (these chunkers do not overlap chunks)."""
    if name in options:
        overlap = options.pop(name)
        if overlap:
            raise ValueError(
                f"{owner} does not overlap chunks: {name}={overlap!r} is not supported (pass 0 or leave it out)"
            )


def added_metadata(chunk: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """What a chunk's metadata adds to its source's in a face: the keys the source lacks (the source's own values
    win), or every key the chunker set when the source is itself a chunk of the same chunker (its positions and
    paths are stale then)."""
    if source.get("chunker") is not None and source.get("chunker") == chunk.get("chunker"):
        return dict(chunk)
    return {k: v for k, v in chunk.items() if k not in source}


# A face's own options that set what a routing parser's shared chunk_size / chunk_overlap would.
SIZE_OPTIONS = ("chunk_size", "max_size", "max_chars", "chunk_lines")
OVERLAP_OPTIONS = ("chunk_overlap", "overlap_nodes", "chunk_lines_overlap")


def routed_settings(face: Any, chunk_size: int | None, chunk_overlap: int | None, own: Mapping[str, Any]) -> dict:
    """The settings of one face a routing parser routes to: its ``own`` options, and the routing parser's shared
    ``chunk_size`` / ``chunk_overlap`` where ``own`` sets neither (the overlap only where its engine overlaps)."""
    settings = dict(own)
    if chunk_size is not None and not any(name in own for name in SIZE_OPTIONS):
        settings["chunk_size"] = chunk_size
    overlaps = "chunk_overlap" in options_of(face.engine)
    if chunk_overlap is not None and overlaps and not any(name in own for name in OVERLAP_OPTIONS):
        settings["chunk_overlap"] = chunk_overlap
    return settings


def warn_skipped(owner: str, skipped: list[tuple[str, str]], total: int) -> None:
    """One warning naming the documents a routing parser skipped (none: no warning)."""
    if skipped:
        named = "; ".join(f"{Path(source).name} ({reason})" for source, reason in skipped[:5])
        more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        warn_user(
            f"{owner} skipped {len(skipped)} of {total} documents that are no source text: {named}{more} "
            "(include_generated=True chunks the generated, minified and markup-only ones)"
        )
