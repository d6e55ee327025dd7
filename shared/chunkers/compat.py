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

MOVED = {
    "chunk": "core.chunk", "base": "core.base", "sizing": "core.sizing", "segment": "core.segment",
    "merge": "core.merge", "segmentation_dp": "core.segmentation_dp", "settings": "core.faces",
    "lazy": "core.lazy", "usage": "llms.usage", "core.usage": "llms.usage",
    "models": "runtime.models", "onnx_int8": "runtime.onnx_int8", "lm_losses": "runtime.losses",
    "embeddings": "runtime.embeddings", "llm_runner": "llms.runner", "local_llm": "llms.local",
    "files": "io.files", "chunk_records": "io.chunk_records",
    "sentence_chunker": "prose.sentence", "perplexity": "prose.perplexity",
    "perplexity_scores": "prose.perplexity_scores", "llm": "prose.llm", "lumber": "prose.lumber",
    "scorers": "filtering.scorers", "contextual": "context.writer",
    "routing": "apps.routing", "cli": "apps.cli", "cli_chunk": "apps.cli_chunk", "cli_filter": "apps.cli_filter",
    "distributed": "apps.ray", "apps.distributed": "apps.ray",
}  # fmt: skip
"""Old module name (under ``chunkers.``) -> its new one. ``chunkers.runtime``, ``chunkers.llms``, ``chunkers.records``
and ``chunkers.filtering`` are packages now and export what those modules did."""


class _Forwarder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``chunkers.<old>`` and loads it as a module whose names come from the new module."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, name = fullname.partition(".")
        if package == "chunkers" and name in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        new = f"chunkers.{MOVED[module.__name__.partition('.')[2]]}"
        warnings.warn(f"{module.__name__} moved to {new}; the old path goes in 0.3", DeprecationWarning, stacklevel=2)
        target = importlib.import_module(new)
        module.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]
        module.__dir__ = lambda: dir(target)  # type: ignore[method-assign]
        module.__doc__ = f"Moved to {new} (this path is kept for one release)."


def install() -> None:
    """Make the old paths importable (once per process)."""
    if not any(isinstance(finder, _Forwarder) for finder in sys.meta_path):
        sys.meta_path.append(_Forwarder())
