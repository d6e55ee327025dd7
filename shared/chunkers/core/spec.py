"""Describing, writing and rebuilding settings, in one place for every use: cache keys (`describe`, which never
shows a memory address), the faces' ``to_dict``/``from_dict`` (`plain`, `written`, `restorable`) and the specs Ray
workers rebuild chunkers from (`spec_of`, `from_spec`).

Plain data is JSON: a sizer becomes its name or the local tokenizer folder it was loaded from, a tree-sitter grammar
its name, an engine object with declared options (a chunker, `chunkers.llms.local.LocalLLM`, ...) the spec
``{"class": "module:Name", "params": {...}}``. What plain data cannot rebuild (a callable, a loaded model, a tokenizer
from a hub) raises `NotPlain` with a description, which cache keys use instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .lazy import import_object
from .options import options_of
from .sizing import Sizer, callable_name, get_sizer, sizer_spec

UNRESTORABLE = "unrestorable"


class NotPlain(ValueError):
    """A setting plain data cannot rebuild; ``description`` says what it is."""

    def __init__(self, description: Any) -> None:
        super().__init__(f"{description} cannot be written as plain data")
        self.description = description


def qualified_name(cls: type, separator: str = ":") -> str:
    """``module:Name`` (or ``module.Name``) of a class."""
    return f"{cls.__module__}{separator}{cls.__qualname__}"


def _configurable(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type) and bool(options_of(type(value)))


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
    if _configurable(value):
        return value.config()
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


def plain(value: Any) -> Any:
    """``value`` as plain JSON data that rebuilds it, or `NotPlain`."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Sizer) or callable(getattr(value, "encode", None)):  # a sizer, or a tokenizer as one
        sizer = get_sizer(value)
        spec = sizer_spec(sizer)
        if spec is None:
            raise NotPlain(sizer.describe())
        return spec
    if type(value).__name__ == "Language" and isinstance(getattr(value, "name", None), str):
        return value.name  # a tree-sitter grammar: restored by name from the installed grammars
    if _configurable(value):
        return spec_of(value)
    raise NotPlain(describe(value))


def written(value: Any) -> Any:
    """What a face's ``to_dict`` writes for a setting: its plain data, else ``{"unrestorable": <description>}``
    (kept in the dict for the cache key; `restorable` refuses it by name)."""
    try:
        return plain(value)
    except NotPlain as exc:
        return {UNRESTORABLE: exc.description}


def restorable(settings: Mapping[str, Any], owner: str) -> None:
    """A `ValueError` naming the first setting that `written` could only describe."""
    for name, value in settings.items():
        if isinstance(value, Mapping) and set(value) == {UNRESTORABLE}:
            raise ValueError(
                f"{owner}.from_dict: field {name!r} held {value[UNRESTORABLE]}, which a dict can describe but not "
                f"rebuild; pass {name}=... to from_dict (or use a spec: a local folder, 'chars', ...)"
            )


def spec_of(obj: Any) -> dict[str, Any]:
    """``{"class": "module:Name", "params": {...}}`` for an engine object with declared options: every option as plain
    data, except those that are neither written nor change the output (a cache). Raises `NotPlain` naming the
    option (``exc.option``) that cannot be written."""
    cls = type(obj)
    if "<locals>" in cls.__qualname__:
        raise NotPlain(f"{cls.__name__}, a class defined inside a function (only module-level classes import)")
    params: dict[str, Any] = {}
    options = options_of(cls)
    for name, value in obj.params().items():
        if name in options and not options[name].written and not options[name].affects_output:
            continue
        try:
            params[name] = plain(value)
        except NotPlain as exc:
            exc.option = getattr(exc, "option", None) or name  # type: ignore[attr-defined]
            raise
    return {"class": qualified_name(cls), "params": params}


def is_spec(value: Any) -> bool:
    """Whether ``value`` has the shape of a `spec_of` result."""
    return isinstance(value, Mapping) and set(value) == {"class", "params"} and isinstance(value["class"], str)


def from_spec(spec: Mapping[str, Any], base: type | None = None) -> Any:
    """The object a `spec_of` spec describes (nested specs rebuilt first). ``base``: the class it must be. Raises
    `ValueError` (import failures, a class that is not ``base``) or what the constructor raises."""
    if not is_spec(spec) or ":" not in spec["class"]:
        raise ValueError(f"a spec needs 'class': 'module:Name' and 'params', got {dict(spec)!r}")
    try:
        target = import_object(spec["class"])
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import {spec['class']!r}: {exc}") from None
    if base is not None and not (isinstance(target, type) and issubclass(target, base)):
        raise ValueError(f"{spec['class']!r} is not a {base.__module__.split('.')[0]} {base.__name__} class")
    params = {k: from_spec(v) if is_spec(v) else v for k, v in dict(spec["params"] or {}).items()}
    return target(**params)
