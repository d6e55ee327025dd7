"""Run inside a venv that has only tree-sitter 0.21 + tree-sitter-languages (no language pack):
the AST chunker must find its grammars there and keep its invariants. Exits non-zero on failure."""

from __future__ import annotations

import importlib.util
import sys

from chunkers.code import ASTChunker
from chunkers.code.languages import get_language

assert importlib.util.find_spec("tree_sitter_language_pack") is None, "this check needs a venv without the pack"
SNIPPETS = {
    "python": "class A:\n    def f(self, x):\n        return x + 1\n\n\ndef g():\n    return 'é'\n",
    "go": "package main\n\nfunc f(x int) int {\n\treturn x + 1\n}\n",
    "rust": "struct P { x: i32 }\nimpl P {\n    fn f(&self) -> i32 { self.x }\n}\n",
    "csharp": "class A {\n  int F(int x) {\n    return x + 1;\n  }\n}\n",
}
for language, snippet in SNIPPETS.items():
    assert type(get_language(language)).__module__.startswith("tree_sitter"), language
    code = snippet * 10
    chunker = ASTChunker(language=language, max_size=50)
    chunks = chunker.chunk(code)
    assert chunks and not any(c.metadata["fallback"] for c in chunks), language
    position = 0
    for chunk in chunks:
        assert code[chunk.start : chunk.end] == chunk.text
        assert not code[position : chunk.start].strip()
        assert chunker.sizer(chunk.text) <= 50
        position = chunk.end
    assert not code[position:].strip()
    print(f"{language}: {len(chunks)} chunks via tree-sitter-languages")
sys.exit(0)
