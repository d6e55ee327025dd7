"""What the framework faces share: stable descriptions of settings (cache keys) and chunkers derived from them.

A face (LlamaIndex node parser, LangChain splitter, postprocessor, compressor) keeps its settings as public
fields and builds the engine object from them when it runs: `Derived` rebuilds it only when a setting changed,
so a field set after construction takes effect and the engine object never goes stale.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from .sizing import Sizer, callable_name, get_sizer, sizer_spec

T = TypeVar("T")


def describe(value: Any) -> Any:
    """A stable, JSON-friendly description of a setting: equal settings give equal descriptions, and no memory
    address appears in it (LlamaIndex's cache keys drop those, which would make different objects collide)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): describe(v) for k, v in value.items()}
    if isinstance(value, Sizer):
        return value.describe()
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    for attribute in ("model_id", "name_or_path", "model_name", "model", "name"):
        name = getattr(value, attribute, None)
        if isinstance(name, str) and name:
            return f"{kind}({name})"
    config_name = getattr(getattr(value, "config", None), "_name_or_path", None)
    if isinstance(config_name, str) and config_name:
        return f"{kind}({config_name})"
    if callable(value) and hasattr(value, "__qualname__"):
        return callable_name(value)
    return kind


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


def default_of(cls: type, name: str) -> Any:
    """The default of constructor argument ``name`` of ``cls`` (faces declare their fields with the engine's
    defaults, so the two never drift apart)."""
    return inspect.signature(cls.__init__).parameters[name].default


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


UNRESTORABLE = "unrestorable"


def plain_setting(value: Any) -> Any:
    """A setting as plain JSON data that rebuilds it where possible: plain values as they are, a sizer as its spec
    (`chunkers.core.sizing.sizer_spec`), a tree-sitter grammar as its name; anything else (a loaded model, a callable, a
    tokenizer from a hub) as ``{"unrestorable": <description>}``, which `restorable` refuses by name."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain_setting(v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: plain_setting(v) for k, v in value.items()}
    if isinstance(value, Sizer) or callable(getattr(value, "encode", None)):  # a sizer, or a tokenizer as one
        sizer = get_sizer(value)
        spec = sizer_spec(sizer)
        return spec if spec is not None else {UNRESTORABLE: sizer.describe()}
    if type(value).__name__ == "Language" and isinstance(getattr(value, "name", None), str):
        return value.name  # a tree-sitter grammar: restored by name from the installed grammars
    return {UNRESTORABLE: describe(value)}


def restorable(settings: Mapping[str, Any], owner: str) -> None:
    """A `ValueError` naming the first setting that `plain_setting` could only describe."""
    for name, value in settings.items():
        if isinstance(value, Mapping) and set(value) == {UNRESTORABLE}:
            raise ValueError(
                f"{owner}.from_dict: field {name!r} held {value[UNRESTORABLE]}, which a dict can describe but not "
                f"rebuild; pass {name}=... to from_dict (or use a spec: a local folder, 'chars', ...)"
            )


def added_metadata(chunk: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """What a chunk's metadata adds to its source's in a face: the keys the source lacks (the source's own values
    win), or every key the chunker set when the source is itself a chunk of the same chunker (its positions and
    paths are stale then)."""
    if source.get("chunker") is not None and source.get("chunker") == chunk.get("chunker"):
        return dict(chunk)
    return {k: v for k, v in chunk.items() if k not in source}
