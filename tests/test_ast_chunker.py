"""The cAST chunker on real tree-sitter grammars."""

from __future__ import annotations

import ast
import textwrap
from itertools import pairwise
from pathlib import Path

import pytest
from chunkers import CharSizer, NonWhitespaceSizer, chunk_directory
from chunkers.code import ASTChunker, language_for_path
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import assert_invariants

ROOT = Path(__file__).resolve().parents[1]
TEXTWRAP = (ROOT / "examples" / "data" / "textwrap.py").read_text(encoding="utf-8")

SNIPPETS = {
    "python": "import os\n\nclass A:\n    def f(self, x):\n        return x + 1\n",
    "javascript": "const a = 1;\nfunction f(x) {\n  return x + a;\n}\nclass B { m() { return 2; } }\n",
    "typescript": "interface P { x: number }\nfunction f(p: P): number {\n  return p.x;\n}\n",
    "tsx": 'export function App(): JSX.Element {\n  return <div className="a">hi</div>;\n}\n',
    "java": "class A {\n  int f(int x) {\n    return x + 1;\n  }\n}\n",
    "go": "package main\n\nfunc f(x int) int {\n\treturn x + 1\n}\n",
    "rust": "struct P { x: i32 }\nimpl P {\n    fn f(&self) -> i32 { self.x }\n}\n",
    "c": "#include <stdio.h>\nint f(int x) {\n  return x + 1;\n}\n",
    "cpp": "namespace n {\nclass A {\n public:\n  int f() { return 1; }\n};\n}\n",
    "csharp": "class A {\n  int F(int x) {\n    return x + 1;\n  }\n}\n",
    "ruby": "class A\n  def f(x)\n    x + 1\n  end\nend\n",
    "php": "<?php\nfunction f($x) {\n  return $x + 1;\n}\n",
    "kotlin": "class A {\n  fun f(x: Int): Int {\n    return x + 1\n  }\n}\n",
    "scala": "object A {\n  def f(x: Int): Int = x + 1\n}\n",
    "swift": "class A {\n  func f(x: Int) -> Int {\n    return x + 1\n  }\n}\n",
    "bash": 'f() {\n  echo "$1"\n}\nf hello\n',
    "markdown": "# Title\n\nSome text.\n\n## Part\n\n- a\n- b\n",
    "html": "<html><body><p>Hello</p><div>World</div></body></html>\n",
    "css": "a { color: red; }\n.b { margin: 0 auto; }\n",
    "json": '{"a": [1, 2, 3], "b": {"c": null}}\n',
    "yaml": "a: 1\nb:\n  - x\n  - y\n",
}


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_every_supported_language_parses_and_keeps_the_invariants(language: str) -> None:
    code = SNIPPETS[language] * 6
    chunker = ASTChunker(language=language, max_size=60)
    chunks = chunker.chunk(code)
    assert_invariants(chunker, code, chunks)
    assert chunks and not any(c.metadata["fallback"] for c in chunks)
    assert all(c.metadata["language"] == language for c in chunks)


def test_functions_that_fit_stay_whole_and_chunks_parse_on_their_own() -> None:
    chunker = ASTChunker(max_size=600)
    chunks = chunker.chunk(TEXTWRAP, file_path="textwrap.py")
    assert_invariants(chunker, TEXTWRAP, chunks)
    sizer = NonWhitespaceSizer()
    functions = [n for n in ast.walk(ast.parse(TEXTWRAP)) if isinstance(n, ast.FunctionDef)]
    lines = TEXTWRAP.splitlines(keepends=True)
    fitting = 0
    for function in functions:
        source = "".join(lines[function.lineno - 1 : function.end_lineno])
        if sizer(source) <= 600:
            fitting += 1
            assert any(source.strip() in c.text for c in chunks), f"{function.name} was cut"
    assert fitting >= 10
    whole = [c for c in chunks if not c.metadata["ancestors"] or c.metadata["node_types"] == ["function_definition"]]
    for chunk in whole:
        ast.parse(textwrap.dedent(chunk.text))


def test_metadata_lines_ancestors_and_sizes() -> None:
    code = "class Outer:\n    '''Doc.'''\n\n    def method(self):\n" + "".join(
        f"        value_{i} = {i} * 2\n" for i in range(40)
    )
    chunker = ASTChunker(max_size=120)
    chunks = chunker.chunk(code, file_path="m.py")
    for chunk in chunks:
        assert chunk.metadata["start_line"] == code.count("\n", 0, chunk.start) + 1
        assert chunk.metadata["end_line"] == code.count("\n", 0, chunk.end - 1) + 1
        assert chunk.metadata["size"] == NonWhitespaceSizer()(chunk.text)
        assert chunk.metadata["file_path"] == "m.py"
    inner = next(c for c in chunks if "value_30" in c.text)
    assert inner.metadata["ancestors"] == ["class Outer:", "def method(self):"]
    assert inner.metadata["node_types"] == ["assignment"]


def test_comments_before_a_definition_travel_with_it() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(12))
    code = f"def first():\n{body}\n# Explains second.\ndef second():\n{body}"
    chunks = ASTChunker(max_size=110).chunk(code, file_path="c.py")
    second = next(c for c in chunks if "def second" in c.text)
    assert second.text.startswith("# Explains second.")


def test_a_split_definition_keeps_its_signature_with_the_start_of_its_body() -> None:
    body = "".join(f"        total = total + {i} * weight\n" for i in range(40))
    header = "# The scorer.\n@dataclass\nclass Scorer:\n    def score(self, weight):\n        total = 0\n"
    code = f"import os\n\n{header}{body}"
    chunks = ASTChunker(max_size=300).chunk(code, file_path="s.py")
    assert len(chunks) > 2
    first_of_class = next(c for c in chunks if "class Scorer" in c.text)
    # Comment, decorator, class line and method signature open the window with the first statements.
    assert header in first_of_class.text
    for chunk in chunks:
        ast.parse(textwrap.dedent(chunk.text))  # signature-only chunks ("def f():" alone) would not parse


def test_python_chunks_never_dedent_below_their_first_line() -> None:
    """A window that ends inside a split method does not merge with the top-level code after it."""
    body = "".join(f"        value_{i} = compute({i})\n" for i in range(30))
    code = f"class Holder:\n    def big(self):\n{body}\n\ndef after():\n    return 1\n\n\nLIMIT = 3\n"
    chunks = ASTChunker(max_size=400).chunk(code, file_path="h.py")
    for chunk in chunks:
        lines = [line for line in chunk.text.splitlines() if line.strip()]
        first = len(lines[0]) - len(lines[0].lstrip())
        assert all(len(line) - len(line.lstrip()) >= first for line in lines), chunk.text
        ast.parse(textwrap.dedent(chunk.text))
    # In a brace language the same layout packs freely.
    statements = body.replace("value_", "let v").replace(")\n", ");\n")
    js = "class Holder {\n  big() {\n" + statements + "  }\n}\nfunction after() { return 1; }\n"
    js_chunks = ASTChunker(max_size=400).chunk(js, file_path="h.js")
    assert "function after" in js_chunks[-1].text and "compute" in js_chunks[-1].text


def test_oversized_leaves_long_lines_and_huge_strings_are_split_within_budget() -> None:
    code = 'BIG = "' + "abc " * 5000 + '"\nx = [' + ", ".join(str(i) for i in range(4000)) + "]\n"
    chunker = ASTChunker(max_size=500)
    chunks = chunker.chunk(code, file_path="big.py")
    assert_invariants(chunker, code, chunks)
    minified = "var a=1;" * 20000
    chunks = chunker.chunk(minified, file_path="min.js")
    assert_invariants(chunker, minified, chunks)


def test_offsets_are_characters_with_crlf_tabs_and_non_ascii() -> None:
    code = "def héllo():\r\n\treturn '日本語 ünïcödé 🙂'\r\n\r\nclass Ça:\r\n\tdef 方法(self):\r\n\t\treturn 1\r\n" * 8
    chunker = ASTChunker(max_size=70, sizer=CharSizer())
    chunks = chunker.chunk(code, file_path="u.py")
    assert_invariants(chunker, code, chunks)
    assert any("方法" in c.text for c in chunks)


def test_syntax_errors_and_unknown_languages() -> None:
    broken = "def f(:\n    return (\nclass\n" + "x = 1\n" * 50 + "def g():\n  pass\n"
    chunker = ASTChunker(max_size=40)
    assert_invariants(chunker, broken, chunker.chunk(broken, file_path="broken.py"))
    prose = "Just some words\nover a few lines\n\nand a paragraph."
    # A known language without an installed grammar ("text" never has one) gets the flagged fallback.
    fallback = ASTChunker(language="text", max_size=20).chunk(prose)
    assert fallback and all(c.metadata["fallback"] for c in fallback)
    assert fallback[0].metadata["fallback_reason"] == "no tree-sitter grammar installed for 'text'"
    # A file whose language cannot be told (a README, setup.cfg) gets the flagged fallback, not an error that
    # would stop a whole folder (SimpleDirectoryReader -> ASTNodeParser).
    unknown = ASTChunker(max_size=20).chunk("[metadata]\nname = demo\nversion = 1.0\n", file_path="setup.cfg")
    assert unknown and all(c.metadata["fallback"] and c.metadata["language"] == "text" for c in unknown)
    assert "extension of 'setup.cfg' is not known" in unknown[0].metadata["fallback_reason"]
    bare = ASTChunker().chunk("x = 1")
    assert bare[0].metadata["fallback_reason"] == "cannot tell the language: no language, file_path or shebang given"
    # A shebang line names the language of a file without an extension.
    script = ASTChunker(max_size=20).chunk("#!/usr/bin/env python3\ndef f():\n    return 1\n", file_path="bin/run")
    assert {c.metadata["language"] for c in script} == {"python"} and not script[0].metadata["fallback"]
    with pytest.raises(ValueError, match="overlap_nodes must be a non-negative integer"):
        ASTChunker(overlap_nodes=-1)


def test_a_misspelled_language_raises_at_construction_naming_the_close_ones() -> None:
    from langchain_chunkers import ASTTextSplitter
    from llama_chunkers import ASTNodeParser

    with pytest.raises(LookupError, match=r"unknown language 'pyhton': did you mean 'python'"):
        ASTChunker(language="pyhton")
    with pytest.raises(LookupError, match="unknown language 'Typescrpt': did you mean 'typescript'"):
        ASTChunker(language="Typescrpt")
    with pytest.raises(LookupError, match=r"no known language name is close to it\..*language=None"):
        ASTChunker(language="qqqqqqqq")
    # The faces build the engine chunker at construction, so they raise there too (as CodeSplitter does).
    with pytest.raises(LookupError, match="did you mean 'python'"):
        ASTNodeParser(language="pyhton")
    with pytest.raises(LookupError, match="did you mean 'python'"):
        ASTTextSplitter.from_language("pyhton")
    parser = ASTNodeParser(language="python")
    parser.language = "javascrpt"  # a field set late raises when the chunker is next built
    with pytest.raises(LookupError, match="did you mean 'javascript'"):
        parser.split_text("x = 1")
    # Aliases, other spellings and every LangChain Language value are known names.
    from langchain_text_splitters import Language

    assert ASTChunker(language="JS").language == "javascript" and ASTChunker(language="c++").language == "cpp"
    assert all(ASTTextSplitter.from_language(language).chunker.language for language in Language)
    # A language told from a path stays lenient: an unknown extension gets the flagged fallback, never an error.
    chunks = ASTChunker(max_size=20).chunk("some notes\n", file_path="notes.pyhton")
    assert (
        chunks[0].metadata["fallback"]
        and "extension of 'notes.pyhton' is not known" in chunks[0].metadata["fallback_reason"]
    )


def test_a_grammar_that_hangs_gets_the_flagged_fallback() -> None:
    import subprocess
    import sys

    script = (
        "from langchain_text_splitters import Language\n"
        "from langchain_chunkers import ASTTextSplitter\n"
        "s = ASTTextSplitter.from_language(Language.COBOL, chunk_size=200)\n"
        "c = s.chunker.chunk('hello\\n')\n"
        "print(c[0].metadata['fallback_reason'])\n"
    )
    # in a process of its own with a time limit: a regression must fail the test, not hang the suite
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    assert "COBOL grammar never returns" in done.stdout


def test_expand_context_adds_a_header_without_touching_text() -> None:
    plain = ASTChunker(max_size=200).chunk(TEXTWRAP, file_path="lib/textwrap.py")
    expanded = ASTChunker(max_size=200, expand_context=True).chunk(TEXTWRAP, file_path="lib/textwrap.py")
    assert [(c.start, c.end) for c in plain] == [(c.start, c.end) for c in expanded]
    method = next(c for c in expanded if c.metadata["ancestors"] == ["class TextWrapper:"])
    assert method.metadata["context_header"] == "lib/textwrap.py\nclass TextWrapper:\n"
    assert "context" not in method.metadata  # the header alone: the text is not stored twice


def test_overlap_nodes_extends_chunks_into_their_neighbours() -> None:
    code = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(30))
    chunker = ASTChunker(max_size=60, overlap_nodes=1)
    chunks = chunker.chunk(code, file_path="o.py")
    for chunk in chunks:  # the budget holds for the core span; overlap comes on top
        assert code[chunk.start : chunk.end] == chunk.text
        assert chunker.sizer(code[chunk.metadata["core_start"] : chunk.metadata["core_end"]]) <= 60
    for previous, current in pairwise(chunks):
        assert current.start < previous.end  # they overlap
        assert previous.metadata["core_end"] <= current.metadata["core_start"]
    cores = "".join(code[c.metadata["core_start"] : c.metadata["core_end"]] for c in chunks)
    assert cores.replace("\n", "") == code.replace("\n", "")


_identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_statements = st.one_of(
    _identifiers.map(lambda n: f"{n} = {len(n)}"),
    _identifiers.map(lambda n: f"print({n!r} * 3)"),
    _identifiers.map(lambda n: f"# comment about {n}"),
    st.text(alphabet="ab é日", max_size=300).map(lambda s: f"s = {s!r}"),
)


@st.composite
def python_modules(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        name = draw(_identifiers)
        body = draw(st.lists(_statements, min_size=1, max_size=12))
        indent = draw(st.sampled_from(["    ", "\t", "  "]))
        if draw(st.booleans()):
            parts.append(f"class C_{name}:\n{indent}def m(self):\n" + "".join(f"{indent * 2}{s}\n" for s in body))
        else:
            parts.append(f"def f_{name}():\n" + "".join(f"{indent}{s}\n" for s in body))
        parts.append(draw(st.sampled_from(["\n", "\n\n", "\r\n", "\n\n\n"])))
    return "".join(parts)


@settings(max_examples=60, deadline=None)
@given(python_modules(), st.integers(8, 400), st.sampled_from(["non_whitespace", "chars"]))
def test_budget_and_tiling_hold_on_generated_python(code: str, max_size: int, sizer: str) -> None:
    chunker = ASTChunker(language="python", max_size=max_size, sizer=sizer)
    assert_invariants(chunker, code, chunker.chunk(code))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=500).filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)),
       st.sampled_from(["python", "javascript", "go", "rust", "json"]), st.integers(1, 80))  # fmt: skip
def test_budget_and_tiling_hold_on_arbitrary_text(text: str, language: str, max_size: int) -> None:
    chunker = ASTChunker(language=language, max_size=max_size)
    assert_invariants(chunker, text, chunker.chunk(text))


def test_language_detection_from_extensions() -> None:
    assert language_for_path("a/b/c.PY") == "python"
    assert language_for_path("x.tsx") == "tsx"
    assert language_for_path("Makefile") is None
    chunks = ASTChunker(max_size=100).chunk(SNIPPETS["go"], source="main.go")
    assert chunks[0].metadata["language"] == "go"


def test_chunk_directory_respects_gitignore_skips_binaries_and_runs_in_parallel(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(TEXTWRAP, encoding="utf-8")
    (tmp_path / "pkg" / "main.go").write_text(SNIPPETS["go"], encoding="utf-8")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "secret.py").write_text("y = 2\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("build/\nsecret.py\n", encoding="utf-8")
    (tmp_path / "image.py").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (tmp_path / "notes.txt").write_text("plain notes", encoding="utf-8")
    (tmp_path / "gen.py").write_text("# Code generated by protoc. DO NOT EDIT.\nx = 1\n", encoding="utf-8")
    (tmp_path / "bundle.min.js").write_text("var a=1;" * 2000, encoding="utf-8")

    serial = list(chunk_directory(tmp_path, max_size=300, workers=1))
    parallel = list(chunk_directory(tmp_path, max_size=300, workers=2))
    outline = [(r.path, r.skipped, len(r.chunks)) for r in serial]
    assert outline == [(r.path, r.skipped, len(r.chunks)) for r in parallel]
    by_name = {r.path.name: r for r in serial}
    assert set(by_name) == {"mod.py", "main.go", "image.py", "notes.txt", "gen.py", "bundle.min.js", ".gitignore"}
    assert by_name["mod.py"].chunks and by_name["main.go"].chunks
    assert by_name["mod.py"].chunks[0].metadata["file_path"].endswith("mod.py")
    assert by_name["image.py"].skipped == "binary (NUL bytes)"
    assert by_name["notes.txt"].skipped == "no chunker for this file type"
    assert by_name["gen.py"].skipped.startswith("generated")
    assert by_name["bundle.min.js"].skipped.startswith("minified")
    with_unknown = {r.path.name: r for r in chunk_directory(tmp_path, workers=1, include_unknown=True)}
    assert with_unknown["notes.txt"].chunks[0].metadata["fallback"] is True


def test_deeply_nested_trees_neither_overflow_the_stack_nor_go_quadratic() -> None:
    code = "total = " + " + ".join(f"f({i})" for i in range(20_000)) + "\n"  # a 20,000-deep left-leaning tree
    chunker = ASTChunker(max_size=200)
    chunks = chunker.chunk(code, file_path="deep.py")
    assert_invariants(chunker, code, chunks)
    assert sum(chunker.sizer(c.text) for c in chunks) / len(chunks) > 150  # windows were merged, not left tiny
