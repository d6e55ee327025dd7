"""Chunkers as plain, JSON-serialisable specs, sent to Ray workers and rebuilt there once per worker."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...core.base import BaseChunker
from ...core.spec import NotPlain, from_spec, spec_of


class DistributedError(ValueError):
    """Bad configuration for a distributed run (Ray missing, cluster unreachable, a chunker with no spec)."""


def chunker_spec(chunker: BaseChunker) -> dict[str, Any]:
    """A plain, JSON-serialisable description of ``chunker``: ``{"class": "module:Name", "params": {...}}``
    (`chunkers.core.spec.spec_of`: sizers as their name or local tokenizer folder, the local LLM as its own spec,
    ``cache`` left out, since it never changes the chunks; an encrypted PDF's ``password``, left out of specs and
    cache keys, put in: the workers need it to read). Raises `DistributedError` naming the parameter that cannot be
    described (a Python callable as ``llm`` or ``sizer``, a loaded model or tokenizer object)."""
    if not isinstance(chunker, BaseChunker):
        raise DistributedError(f"expected a chunkers BaseChunker, got {type(chunker).__name__}")
    try:
        spec = spec_of(chunker)
        if getattr(chunker, "password", None) is not None:
            spec["params"]["password"] = chunker.password
        return spec
    except NotPlain as exc:
        name = getattr(exc, "option", None)
        where = f"parameter {name!r} is {exc.description}" if name else exc.description
        raise DistributedError(
            f"{type(chunker).__name__}: {where}, which cannot be sent to Ray workers as a spec; pass a plain value "
            "instead ('chars', 'non_whitespace', a local model or tokenizer folder, llm='local'), or run this "
            "chunker with chunk_many in one process"
        ) from None


def chunker_from_spec(spec: Mapping[str, Any]) -> BaseChunker:
    """The chunker a `chunker_spec` describes (raises `DistributedError` if it cannot be rebuilt)."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("class"), str) or ":" not in spec["class"]:
        raise DistributedError(f"a chunker spec needs 'class': 'module:Name' and 'params', got {spec!r}")
    try:
        return from_spec({"class": spec["class"], "params": spec.get("params") or {}}, BaseChunker)
    except (TypeError, ValueError, OSError) as exc:
        raise DistributedError(f"cannot rebuild chunker {spec['class']!r}: {exc}") from None


def route_specs(chunker: Any) -> dict[str, dict[str, Any]]:
    """Route name -> validated spec, for a chunker, a spec, or a mapping of route names to either."""
    routes = chunker if isinstance(chunker, Mapping) and "class" not in chunker else {"": chunker}
    specs = {}
    for route, value in routes.items():
        spec = dict(value) if isinstance(value, Mapping) else chunker_spec(value)
        chunker_from_spec(spec)  # fail here, on the driver, with a clear message, not on every worker
        specs[str(route)] = json.loads(json.dumps(spec))
    return specs
