"""The AST chunker works with each grammar bundle: the language pack, per-language packages, and the
legacy tree-sitter-languages (in its own venv, since it needs tree-sitter 0.21)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from chunkers.code import GrammarNotFoundError, get_language
from chunkers.code.languages import PROVIDERS, new_parser

ROOT = Path(__file__).resolve().parents[1]
LEGACY_VENV = ROOT / ".venv-tsl"


def test_per_language_packages_provide_grammars() -> None:
    from_package = dict(PROVIDERS)["tree-sitter-<language>"]
    for name in ("csharp", "yaml"):
        language = from_package(name)
        parser = new_parser(name)
        parser.language = language
        assert not parser.parse(b"a: 1\n" if name == "yaml" else b"class A {}").root_node.has_error


def test_a_missing_grammar_names_every_provider_tried() -> None:
    with pytest.raises(GrammarNotFoundError) as error:
        get_language("no-such-language")
    message = str(error.value)
    assert "tree-sitter-language-pack" in message and "tree-sitter-languages" in message


@pytest.mark.skipif(not (LEGACY_VENV / "bin" / "python").exists(), reason="`make test` creates .venv-tsl")
def test_legacy_tree_sitter_languages_bundle() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    script = ROOT / "tests" / "legacy_grammars" / "check_tree_sitter_languages.py"
    result = subprocess.run(
        [str(LEGACY_VENV / "bin" / "python"), "-W", "ignore", str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "python: " in result.stdout and "rust: " in result.stdout
