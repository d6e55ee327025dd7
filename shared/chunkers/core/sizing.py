"""Length functions ("sizers") used wherever a size budget is enforced.

Every chunker takes ``sizer=``: ``"chars"``, ``"non_whitespace"`` (cAST's metric), ``"lines"``, a Hugging Face
tokenizer (counts tokens), a path to a local tokenizer directory, ``"tiktoken:<encoding>"`` (tiktoken's tokens),
any ``Sizer`` or a plain ``callable(str) -> int``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

SpanMeasure = Callable[[int, int], int]
"""``measure(start, end)``: the size of ``source[start:end]`` for one fixed source string."""


def callable_name(fn: Any) -> str:
    """A stable name for a function: module and qualified name, else its repr (a ``functools.partial``'s names
    what it wraps)."""
    if hasattr(fn, "__qualname__"):
        return f"{getattr(fn, '__module__', '')}.{fn.__qualname__}"
    return repr(fn)


class Sizer(ABC):
    """Measures text. Subclasses implement `size`; additive ones also make span sizes O(1)."""

    name: str = "sizer"

    @abstractmethod
    def size(self, text: str) -> int:
        """The size of ``text`` in this sizer's unit."""

    def __call__(self, text: str) -> int:
        return self.size(text)

    def span_measure(self, source: str) -> SpanMeasure:
        """A function giving the size of any span of ``source`` (exact, by measuring the slice)."""
        size = self.size
        return lambda start, end: size(source[start:end])

    def describe(self) -> str:
        """A stable name of this sizer and what it counts (part of cache keys)."""
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CharSizer(Sizer):
    """Counts characters (Python string length)."""

    name = "chars"

    def size(self, text: str) -> int:
        return len(text)

    def span_measure(self, source: str) -> SpanMeasure:
        return lambda start, end: end - start


@lru_cache(maxsize=1)
def _non_whitespace_table() -> Any:
    """1 for each code point up to U+3000 that is not whitespace, else 0 (every str.isspace() code point lies there)."""
    import numpy as np

    table = np.ones(0x3001, dtype=np.int32)
    table[[c for c in range(0x3001) if chr(c).isspace()]] = 0
    return table


class NonWhitespaceSizer(Sizer):
    """Counts non-whitespace characters: indentation and blank lines cost nothing (cAST's metric)."""

    name = "non_whitespace"

    def size(self, text: str) -> int:
        return len(text) - sum(map(str.isspace, text))

    def prefix_sums(self, source: str) -> Any:
        """``p`` with ``p[j] - p[i]`` = non-whitespace characters in ``source[i:j]``."""
        import numpy as np

        table = _non_whitespace_table()
        if source.isascii():
            counted = table.take(np.frombuffer(source.encode("ascii"), dtype=np.uint8))
        else:
            codes = np.frombuffer(source.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            counted = np.ones(len(codes), dtype=np.int32)
            small = codes <= 0x3000
            counted[small] = table.take(codes[small])
        prefix = np.empty(len(counted) + 1, dtype=np.int32 if len(counted) < 2**31 else np.int64)
        prefix[0] = 0
        np.cumsum(counted, out=prefix[1:])
        return prefix

    def span_measure(self, source: str) -> SpanMeasure:
        prefix = memoryview(self.prefix_sums(source))  # indexes to Python ints, much faster than numpy scalars
        return lambda start, end: prefix[end] - prefix[start]


class LineSizer(Sizer):
    """Counts lines (a chunk of non-empty text has one more line than it has newlines)."""

    name = "lines"

    def size(self, text: str) -> int:
        return text.count("\n") + 1 if text else 0

    def span_measure(self, source: str) -> SpanMeasure:
        import numpy as np

        codes = np.frombuffer(source.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        newlines = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(codes == ord("\n"), out=newlines[1:])
        prefix = memoryview(newlines)
        return lambda start, end: prefix[end] - prefix[start] + 1 if end > start else 0


class TokenSizer(Sizer):
    """Counts tokens of a Hugging Face tokenizer (special tokens excluded)."""

    name = "tokens"

    def __init__(self, tokenizer: Any) -> None:
        if not callable(getattr(tokenizer, "encode", None)):
            raise TypeError(f"TokenSizer needs a tokenizer with an encode() method, got {type(tokenizer).__name__}")
        self.tokenizer = tokenizer

    @classmethod
    def from_path(cls, path: str) -> TokenSizer:
        """A sizer for the tokenizer saved in a local directory (never downloads)."""
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        except OSError as exc:
            raise ValueError(f"No tokenizer could be loaded from local path {path!r}: {exc}") from None
        return cls(tokenizer)

    def size(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def describe(self) -> str:
        return f"tokens:{getattr(self.tokenizer, 'name_or_path', None) or type(self.tokenizer).__qualname__}"

    def __repr__(self) -> str:
        return f"TokenSizer({getattr(self.tokenizer, 'name_or_path', type(self.tokenizer).__name__)!r})"


class TokenListSizer(Sizer):
    """Counts the tokens a ``tokenize(text) -> list`` callable returns (LlamaIndex's ``tokenizer`` setting)."""

    name = "tokens"

    def __init__(self, tokenize: Callable[[str], Any]) -> None:
        if not callable(tokenize):
            raise TypeError(f"tokenizer must be a callable(text) -> list of tokens, got {type(tokenize).__name__}")
        self.tokenize = tokenize

    def size(self, text: str) -> int:
        return len(self.tokenize(text))

    def describe(self) -> str:
        encoding = tiktoken_name(self.tokenize)
        return f"{TIKTOKEN}{encoding}" if encoding else f"tokens:{callable_name(self.tokenize)}"

    def __repr__(self) -> str:
        return f"TokenListSizer({self.tokenize!r})"


TIKTOKEN = "tiktoken:"  # a sizer spec prefix: "tiktoken:cl100k_base" counts that encoding's tokens


def tiktoken_name(tokenize: Any) -> str | None:
    """The encoding name when ``tokenize`` is a tiktoken ``Encoding.encode`` (bound, or in a ``functools.partial``
    as LlamaIndex's ``Settings.tokenizer``), else None."""
    func = getattr(tokenize, "func", tokenize)
    encoding = getattr(func, "__self__", None)
    if type(encoding).__module__.startswith("tiktoken") and getattr(func, "__name__", "") == "encode":
        return getattr(encoding, "name", None)
    return None


def tiktoken_sizer(name: str) -> TokenListSizer:
    """Counts the tokens of tiktoken encoding ``name`` (special tokens counted as text would be: allowed)."""
    from functools import partial

    try:
        import tiktoken
    except ImportError:
        raise ImportError(f"sizer {TIKTOKEN}{name} needs tiktoken: pip install tiktoken") from None
    return TokenListSizer(partial(tiktoken.get_encoding(name).encode, allowed_special="all"))


class FunctionSizer(Sizer):
    """Wraps any ``callable(str) -> int``."""

    def __init__(self, fn: Callable[[str], int], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "function")

    def size(self, text: str) -> int:
        return int(self.fn(text))

    def describe(self) -> str:
        return f"function:{callable_name(self.fn)}"

    def __repr__(self) -> str:
        return f"FunctionSizer({self.name})"


_NAMED: dict[str, type[Sizer]] = {
    "chars": CharSizer,
    "characters": CharSizer,
    "non_whitespace": NonWhitespaceSizer,
    "nws": NonWhitespaceSizer,
    "lines": LineSizer,
}


def get_sizer(spec: Any = "chars") -> Sizer:
    """Turn a sizer spec into a `Sizer` (see the module docstring for accepted specs)."""
    if isinstance(spec, Sizer):
        return spec
    if isinstance(spec, str):
        if spec in _NAMED:
            return _NAMED[spec]()
        if spec.startswith(TIKTOKEN):
            return tiktoken_sizer(spec[len(TIKTOKEN) :])
        from pathlib import Path

        if Path(spec).is_dir():
            return TokenSizer.from_path(spec)
        raise ValueError(
            f"Unknown sizer {spec!r}: use one of {sorted(_NAMED)}, a tokenizer, a local tokenizer "
            "directory or a callable(str) -> int"
        )
    if callable(getattr(spec, "encode", None)):
        return TokenSizer(spec)
    if callable(spec):
        return FunctionSizer(spec)
    raise TypeError(f"sizer must be a name, a tokenizer or a callable(str) -> int, got {type(spec).__name__}")


def sizer_spec(sizer: Sizer) -> str | None:
    """A plain value that rebuilds ``sizer`` anywhere through `get_sizer`: its name ("chars", "non_whitespace",
    "lines") or the local folder its tokenizer was loaded from; None when there is none (a tokenizer from a hub,
    a callable), so the sizer cannot be sent to another machine or written into a JSON configuration."""
    if type(sizer) in (CharSizer, NonWhitespaceSizer, LineSizer):
        return sizer.name
    if isinstance(sizer, TokenListSizer) and tiktoken_name(sizer.tokenize):
        return sizer.describe()
    if isinstance(sizer, TokenSizer):
        path = getattr(sizer.tokenizer, "name_or_path", None)
        if path and Path(path).is_dir():
            return str(path)
    return None
