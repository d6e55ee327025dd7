"""Which chunker a file gets: the method table (name -> engine class) and `Router`, shared by the command line
(`chunkers.apps.cli`), the local process pool (`chunkers.apps.local`) and Ray (`chunkers.apps.ray`).

``auto`` picks by extension: JSON Lines / CSV / TSV -> "records"; Markdown and HTML -> "document"; PDF -> "pdf";
code and structured data with a grammar (JSON, YAML, TOML, ...) -> "ast"; anything else (plain text) -> "sentence". The
model-driven "ppl" and "semantic" run only when asked for. Defaults and the runtime options a method takes come from
the engine classes' option declarations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.base import BaseChunker
from ..core.lazy import import_object
from ..core.options import options_of
from ..core.registry import CHUNKERS

# The methods ``chunkers chunk`` runs (name -> engine class), from the registry.
METHODS: dict[str, str] = {entry.method: entry.engine for entry in CHUNKERS if entry.command}
RUNTIME_OPTIONS = ("device", "dtype", "quantize")
# What `Router` hands every method whose engine takes it: the runtime options and an encrypted PDF's password.
ROUTER_OPTIONS = (*RUNTIME_OPTIONS, "password")
TEXT_METHOD = "sentence"
# The routing parsers (AutoNodeParser, AutoTextSplitter): the methods chosen by file type, and those text may get.
ROUTED = tuple(entry.method for entry in CHUNKERS if entry.routing == "file")
TEXT_METHODS = tuple(entry.method for entry in CHUNKERS if entry.routing == "text")


def engine_class(method: str) -> type[BaseChunker]:
    """The engine class of a method name."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from auto, {', '.join(sorted(METHODS))}")
    return import_object(METHODS[method])


def option_default(method: str, name: str) -> Any:
    """The default of constructor option ``name`` of ``method``'s engine class."""
    return options_of(engine_class(method))[name].default


def takes(method: str, name: str) -> bool:
    """Whether ``method``'s engine class has the constructor option ``name``."""
    return name in options_of(engine_class(method))


def method_for(path: Path, method: str = "auto", text: str | None = None) -> str:
    """The method ``auto`` resolves to for ``path`` (see the module docstring); ``text``, when known: a file without
    an extension whose shebang line names a language (``#!/bin/sh``) is code."""
    if method != "auto":
        return method
    from ..code import language_for_path, language_for_shebang
    from ..documents import DOCUMENT_SUFFIXES
    from ..pdf import PDF_SUFFIXES
    from ..records.chunker import RECORD_SUFFIXES

    suffix = path.suffix.lower()
    if suffix in RECORD_SUFFIXES:
        return "records"
    if suffix in DOCUMENT_SUFFIXES:
        return "document"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if language_for_path(path) is not None or (not suffix and text and language_for_shebang(text)):
        return "ast"
    return TEXT_METHOD


def routed_methods(text_method: str, option_keys: Iterable[str], methods: Iterable[str]) -> tuple[str, ...]:
    """The methods a routing parser goes to (`ROUTED` and ``text_method``), after checking ``text_method`` and the
    methods its per-method options name (``methods``: those it has a face for)."""
    if text_method not in TEXT_METHODS:
        raise ValueError(f"text_method must be one of {', '.join(TEXT_METHODS)}, got {text_method!r}")
    known = list(methods)
    unknown = sorted(set(option_keys) - set(known))
    if unknown:
        raise ValueError(f"options has no method {unknown[0]!r}: the methods are {', '.join(known)}")
    return (*ROUTED, text_method)


def routed_method(path: str | None, text: str | None, text_method: str) -> str:
    """The method a routing parser gives a document: by its file (extension, or shebang line), else
    ``text_method``."""
    method = method_for(Path(path), text=text) if path else TEXT_METHOD
    return method if method in ROUTED else text_method


def make_chunker(method: str, max_size: int | None = None, **given: Any) -> BaseChunker:
    """``method``'s engine chunker: ``max_size`` (None: the engine's default) and those of the ``given`` options
    (`ROUTER_OPTIONS`) its engine takes (None: the engine's default)."""
    options: dict[str, Any] = {} if max_size is None else {"max_size": max_size}
    options |= {name: value for name, value in given.items() if value is not None and takes(method, name)}
    return engine_class(method)(**options)


@dataclass
class Router:
    """Picks (and caches) the chunker for each file; picklable, so it can run in worker processes."""

    method: str = "auto"
    max_size: int | None = None
    device: str | None = None
    dtype: str | None = None
    quantize: str | None = None
    password: str | None = field(default=None, repr=False)  # of encrypted PDFs

    def __post_init__(self) -> None:
        if self.method != "auto":
            engine_class(self.method)
        self._chunkers: dict[str, BaseChunker] = {}

    def chunker(self, method: str) -> BaseChunker:
        """The chunker of a method name, built once."""
        if method not in self._chunkers:
            given = {name: getattr(self, name) for name in ROUTER_OPTIONS}
            self._chunkers[method] = make_chunker(method, self.max_size, **given)
        return self._chunkers[method]

    def __call__(self, path: Path) -> tuple[str, BaseChunker]:
        """The method ``path`` gets and its chunker (the method is chosen here, once per file)."""
        method = method_for(path, self.method)
        return method, self.chunker(method)

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("method", "max_size", *ROUTER_OPTIONS)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]
