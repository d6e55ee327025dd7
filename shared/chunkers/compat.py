"""The module paths of rag-chunkers 0.1 (``chunkers.perplexity``, ``chunkers.models``, ...), kept importable for one
release after the engine moved into folders by capability: importing one gives a module that forwards every name to
its new home, with a `DeprecationWarning` naming that home. `MOVED` is the whole map (also in CHANGELOG.md)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings
from typing import Any

MOVED: dict[str, str | tuple[str, ...]] = {
    "chunk": "core.chunk", "base": "core.base", "sizing": "core.sizing", "segment": "core.segment",
    "merge": "core.merge", "segmentation_dp": "core.segmentation_dp", "settings": "core.faces",
    "lazy": "core.lazy", "usage": "llms.usage", "core.usage": "llms.usage",
    "models": "runtime.models", "onnx_int8": "runtime.onnx_int8", "lm_losses": "runtime.losses",
    "embeddings": "runtime.embeddings", "llm_runner": "llms.runner", "local_llm": "llms.local",
    "files": ("io.files", "apps.local"), "chunk_records": "io.chunk_records", "code.directory": "apps.local",
    "sentence_chunker": "prose.sentence", "perplexity": ("prose.perplexity", "prose.perplexity_scores"),
    "perplexity_scores": "prose.perplexity_scores", "lumber": "prose.lumber",
    "llm": ("prose.llm", "llms.protocol", "llms.runner", "llms.usage", "prose.lumber"),
    "scorers": "filtering.scorers", "contextual": "context.writer",
    "routing": "apps.routing", "cli_chunk": "apps.cli_chunk", "cli_filter": "apps.cli_filter",
    "cli": ("apps.cli", "apps.routing", "io.chunk_records"),
    "distributed": "apps.ray", "apps.distributed": "apps.ray",
    "evaluation": "apps.evaluation", "evaluation.sizes": "apps.evaluation.setting",
    "evaluation.embedding": "apps.evaluation.store",
    **{f"evaluation.{name}": f"apps.evaluation.{name}" for name in (
        "candidates", "cli", "compare", "documents", "generate", "intrinsic", "matching", "peers", "questions",
        "report", "retrieval", "scoring", "setting", "store")},
}  # fmt: skip
"""Old module name (under ``chunkers.``) -> its new one (or the new ones, its names now split between them).
``chunkers.runtime``, ``chunkers.llms``, ``chunkers.records`` and ``chunkers.filtering`` are packages now and export
what those modules did."""


class _Forwarder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``chunkers.<old>`` and loads it as a module whose names come from the new module."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, name = fullname.partition(".")
        if package == "chunkers" and name in MOVED:
            package = any(old.startswith(f"{name}.") for old in MOVED)  # its submodules moved too
            return importlib.util.spec_from_loader(fullname, self, is_package=package)
        return None

    def create_module(self, spec: Any) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        moved = MOVED[module.__name__.partition(".")[2]]
        new = [f"chunkers.{name}" for name in ((moved,) if isinstance(moved, str) else moved)]
        homes = " and ".join(new)
        warnings.warn(f"{module.__name__} moved to {homes}; the old path goes in 0.3", DeprecationWarning, stacklevel=2)
        targets = [importlib.import_module(name) for name in new]
        module.__getattr__ = _forward(module.__name__, targets)  # type: ignore[method-assign]
        module.__dir__ = lambda: sorted({name for target in targets for name in dir(target)})  # type: ignore[method-assign]
        module.__doc__ = f"Moved to {homes} (this path is kept for one release)."


def _forward(old: str, targets: list[types.ModuleType]) -> Any:
    """A module ``__getattr__`` that finds each name in the first of ``targets`` that has it."""

    def __getattr__(name: str) -> Any:
        for target in targets:
            if hasattr(target, name):
                return getattr(target, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__


# Names that left a package that is still there: package -> {name: its new module}.
MOVED_NAMES = {"code": {"chunk_directory": "apps.local"}}


def install() -> None:
    """Make the old paths importable (once per process)."""
    if not any(isinstance(finder, _Forwarder) for finder in sys.meta_path):
        sys.meta_path.append(_Forwarder())
    for package, names in MOVED_NAMES.items():
        module = importlib.import_module(f"chunkers.{package}")
        module.__getattr__ = _moved_name(module.__name__, names)  # type: ignore[method-assign]


def _moved_name(package: str, names: dict[str, str]) -> Any:
    """A package ``__getattr__`` that finds a moved name in its new module, with a `DeprecationWarning`."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        new = f"chunkers.{names[name]}"
        warnings.warn(f"{package}.{name} moved to {new}; the old path goes in 0.3", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new), name)

    return __getattr__
