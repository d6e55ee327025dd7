"""Tree-sitter grammars from whichever bundle is installed, and file extension -> language.

Providers, tried in order: ``tree-sitter-language-pack`` (< 1.0 ships its grammars; 1.x downloads them at
run time, which fails offline), the per-language packages (``tree-sitter-python``, ...), and the older
``tree-sitter-languages`` (needs ``tree-sitter==0.21.*``).
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import pkgutil
import re
import typing
from functools import cache
from pathlib import PurePath
from typing import Any

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".java": "java", ".go": "go", ".rs": "rust",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".php": "php", ".kt": "kotlin", ".kts": "kotlin",
    ".scala": "scala", ".sc": "scala", ".swift": "swift",
    ".sh": "bash", ".bash": "bash", ".zsh": "bash",
    ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".css": "css",
    ".xml": "xml", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".sql": "sql", ".lua": "lua",
    ".r": "r", ".hs": "haskell", ".ex": "elixir", ".exs": "elixir", ".dart": "dart", ".zig": "zig",
    ".jl": "julia", ".m": "objc", ".ml": "ocaml", ".pl": "perl", ".erl": "erlang", ".clj": "clojure",
}  # fmt: skip

# Languages where indentation is syntax: a chunk must not dedent below its first line to stay valid code.
OFFSIDE_RULE = frozenset({"python", "yaml", "haskell"})
# Grammars whose parser never returns on some input (tree-sitter has no parse timeout to stop it): their files get the
# flagged fallback. COBOL: tree-sitter-language-pack 0.13's grammar loops on plain text such as "hello\n".
HANGING_GRAMMARS = {"cobol": "the tree-sitter COBOL grammar never returns on some input"}

# Other spellings users pass (LangChain's Language enum values, LlamaIndex CodeSplitter names).
ALIASES: dict[str, str] = {
    "js": "javascript", "ts": "typescript", "c#": "csharp", "c_sharp": "csharp", "cs": "csharp",
    "c++": "cpp", "py": "python", "rb": "ruby", "rs": "rust", "golang": "go", "kt": "kotlin",
    "sh": "bash", "shell": "bash", "md": "markdown", "yml": "yaml", "proto": "proto", "sol": "solidity",
}  # fmt: skip

# Names in the per-language packages and the older tree-sitter-languages bundle, where they differ.
_OTHER_NAMES = {"csharp": "c_sharp", "embeddedtemplate": "embedded_template"}

# Known language names no extension above maps to: the other values of LangChain's ``Language`` enum, and "text"
# (plain text: always the line-aware split, as `chunk_directory` uses it for files of unknown type).
OTHER_LANGUAGES = frozenset({"text", "rst", "latex", "cobol", "powershell", "visualbasic6", "solidity"})


def normalise_language(name: str) -> str:
    """The canonical grammar name for a language name or alias ("JS" -> "javascript")."""
    key = str(getattr(name, "value", name)).strip().lower()
    return ALIASES.get(key, key)


def language_for_path(path: str | PurePath) -> str | None:
    """The language of a file from its extension, or None if unknown."""
    return EXTENSIONS.get(PurePath(str(path)).suffix.lower())


# Interpreters named on a shebang line -> language.
INTERPRETERS: dict[str, str] = {
    "python": "python", "python3": "python", "python2": "python", "pypy": "python", "pypy3": "python",
    "sh": "bash", "bash": "bash", "zsh": "bash", "dash": "bash", "ksh": "bash",
    "node": "javascript", "nodejs": "javascript", "deno": "typescript", "ruby": "ruby", "perl": "perl",
    "php": "php", "lua": "lua", "Rscript": "r", "julia": "julia", "elixir": "elixir",
}  # fmt: skip
_SHEBANG = re.compile(r"#![ \t]*(\S+)(?:[ \t]+(?:-\S+[ \t]+)*(\S+))?")


def language_for_shebang(text: str) -> str | None:
    """The language named by a ``#!`` first line (``#!/usr/bin/env python3``, ``#!/bin/bash``), or None."""
    match = _SHEBANG.match(text)
    if not match:
        return None
    program = PurePath(match.group(1)).name
    if program == "env" and match.group(2):
        program = PurePath(match.group(2)).name
    program = re.sub(r"[\d.]+$", "", program) or program  # python3.11 -> python
    return INTERPRETERS.get(program)


class GrammarNotFoundError(LookupError):
    """No installed grammar bundle provides the language."""


class UnknownLanguageError(LookupError):
    """A language name that is no known language (a misspelling, say): `check_language` names the close ones."""


def _from_language_pack(name: str) -> Any:
    from tree_sitter_language_pack import get_language

    return get_language(name)


def _from_language_package(name: str) -> Any:
    from tree_sitter import Language

    name = _OTHER_NAMES.get(name, name)
    module = importlib.import_module(f"tree_sitter_{name}")
    factory = getattr(module, "language", None) or getattr(module, f"language_{name}", None)
    if factory is None:
        raise LookupError(f"tree_sitter_{name} has no language() function")
    return Language(factory())


def _from_legacy_bundle(name: str) -> Any:
    from tree_sitter_languages import get_language

    return get_language(_OTHER_NAMES.get(name, name))


PROVIDERS = (
    ("tree-sitter-language-pack", _from_language_pack),
    ("tree-sitter-<language>", _from_language_package),
    ("tree-sitter-languages", _from_legacy_bundle),
)


@cache
def get_language(name: str) -> Any:
    """The tree-sitter ``Language`` for ``name`` from the first provider that has it."""
    name = normalise_language(name)
    failures = []
    for provider, load in PROVIDERS:
        try:
            return load(name)
        except Exception as exc:  # a provider missing or lacking this grammar: try the next one
            failures.append(f"{provider}: {type(exc).__name__}: {exc}")
    raise GrammarNotFoundError(
        f"no tree-sitter grammar for {name!r}; install tree-sitter-language-pack<1.0 or tree-sitter-{name}. "
        + "; ".join(failures)
    )


@cache
def bundled_languages() -> frozenset[str]:
    """The grammar names the installed bundles offer: the language pack's list and the per-language packages
    (``tree-sitter-python``, ...)."""
    names: set[str] = set()
    with contextlib.suppress(Exception):  # no pack, or one without a list of its languages
        import tree_sitter_language_pack as pack

        names.update(typing.get_args(getattr(pack, "SupportedLanguage", None)))
    modules = (m.name for m in pkgutil.iter_modules())
    packaged = {name.removeprefix("tree_sitter_") for name in modules if name.startswith("tree_sitter_")}
    own = {other: name for name, other in _OTHER_NAMES.items()}
    names.update(own.get(name, name) for name in packaged - {"language_pack", "languages"})
    return frozenset(n for n in names if isinstance(n, str))


def known_languages() -> frozenset[str]:
    """Every language name an explicit ``language=`` may take: the languages of the extension map, the aliases,
    the shebang interpreters, `OTHER_LANGUAGES` and the installed bundles' grammar names."""
    return frozenset(
        {*EXTENSIONS.values(), *ALIASES, *ALIASES.values(), *INTERPRETERS.values(), *OTHER_LANGUAGES}
        | bundled_languages()
    )


def check_language(language: Any) -> str:
    """The canonical name of an explicitly given language ("JS" -> "javascript"); a name that is no known
    language and no installed grammar raises `UnknownLanguageError` naming the close known names."""
    name = normalise_language(language)
    if not name or name in known_languages():
        return name
    with contextlib.suppress(GrammarNotFoundError):
        get_language(name)  # a grammar installed under a name not listed anywhere
        return name
    close = difflib.get_close_matches(name, sorted(known_languages()), n=3, cutoff=0.6)
    names = ", ".join(map(repr, close[:-1])) + " or " * (len(close) > 1) + "".join(map(repr, close[-1:]))
    hint = f"did you mean {names}?" if close else "no known language name is close to it."
    raise UnknownLanguageError(
        f"unknown language {str(getattr(language, 'value', language))!r}: {hint} Pass a tree-sitter grammar name "
        "('python', 'typescript', 'go', ...), a loaded tree_sitter.Language, or language=None to tell each file's "
        "language from its extension or shebang line."
    )


def is_grammar(value: Any) -> bool:
    """Whether ``value`` is a loaded tree-sitter ``Language`` (rather than a language name)."""
    return type(value).__name__ == "Language" and type(value).__module__.startswith("tree_sitter")


def grammar_name(language: Any) -> str:
    """The name of a language given by name or as a loaded ``Language`` ("custom" if it has none)."""
    return getattr(language, "name", None) or "custom" if is_grammar(language) else str(language)


def new_parser(name: Any) -> Any:
    """A fresh tree-sitter ``Parser`` for a language name or a loaded ``Language`` (parsers are not thread-safe;
    languages are cached)."""
    from tree_sitter import Parser

    language = name if is_grammar(name) else get_language(name)
    parser = Parser()
    try:
        parser.language = language
    except AttributeError:  # tree-sitter 0.21
        parser.set_language(language)
    return parser
