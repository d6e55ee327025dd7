"""Options declared once: each constructor option of an engine class is an `Option` (its default, its help and its
check) carried by a dataclass field, so the class's signature, its validation, its `OPTIONS` help, the LlamaIndex
faces' fields, the LangChain faces' signatures and the command line's help all come from the one declaration.

An engine class is a ``@dataclass(eq=False)`` subclass of `chunkers.core.configurable.Configurable` whose fields
are made with `Option.field`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[str, Any], Any]
"""``check(name, value)``: the value to keep (possibly normalised), or a `ValueError`/`TypeError` naming ``name``."""

_NO_DEFAULT: Any = object()


@dataclass(frozen=True)
class Option:
    """One constructor option. ``affects_output``: False for options that change only speed (a cache, a number of
    threads), left out of cache keys. ``written``: False for objects a face cannot write as plain data into its
    ``to_dict`` (an LLM, a tokenizer, a cache): they are described in the cache key instead."""

    default: Any
    help: str
    check: Check | None = None
    affects_output: bool = True
    written: bool = True

    def field(
        self, default: Any = _NO_DEFAULT, *, help: str | None = None, kw_only: bool = False, shown: bool = True
    ) -> Any:
        """A dataclass field carrying this option (``default`` and ``help`` override the declared ones for one
        class; ``shown=False``: left out of the ``repr``, for a secret)."""
        option = self if default is _NO_DEFAULT else dataclasses.replace(self, default=default)
        option = option if help is None else dataclasses.replace(option, help=help)
        return dataclasses.field(default=option.default, kw_only=kw_only, repr=shown, metadata={"option": option})


def options_of(cls: type) -> dict[str, Option]:
    """The options of an engine class, in signature order (keyword-only ones last, as in its ``__init__``)."""
    if not dataclasses.is_dataclass(cls):
        return {}
    fields = [f for f in dataclasses.fields(cls) if "option" in f.metadata]
    ordered = [f for f in fields if not f.kw_only] + [f for f in fields if f.kw_only]
    return {f.name: f.metadata["option"] for f in ordered}


# ---- checks ------------------------------------------------------------------------------------------------


def positive(name: str, value: Any) -> int:
    """A positive integer, else a clear `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def positive_or_none(name: str, value: Any) -> int | None:
    """None or a positive integer."""
    return None if value is None else positive(name, value)


def non_negative(name: str, value: Any) -> int:
    """A non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def number(name: str, value: Any) -> float:
    """A real number (not NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def finite_non_negative(name: str, value: Any) -> float:
    """A finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or math.isinf(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def seconds_or_none(name: str, value: Any) -> float | None:
    """None (no limit) or a positive number of seconds."""
    if value is not None and not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return value


def one_of(*choices: Any, none: bool = False, hint: str = "") -> Check:
    """A check that the value is one of ``choices`` (or None when ``none``; ``hint`` says what None means)."""
    listed = [repr(c) for c in choices] + (["None" + (f" ({hint})" if hint else "")] if none else [])
    allowed = " or ".join(listed) if len(listed) <= 2 else ", ".join(listed[:-1]) + " or " + listed[-1]
    allowed = allowed if len(choices) <= 2 else "one of " + allowed

    def check(name: str, value: Any) -> Any:
        if (value is None and none) or (isinstance(value, str) and value in choices):
            return value
        raise ValueError(f"{name} must be {allowed}, got {value!r}")

    return check


def both(*checks: Check) -> Check:
    """Several checks, in order."""

    def check(name: str, value: Any) -> Any:
        for step in checks:
            value = step(name, value)
        return value

    return check
