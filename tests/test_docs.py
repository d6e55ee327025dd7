"""The worked example of docs/architecture.md ("Adding a chunker") runs and keeps every chunker's invariants."""

from __future__ import annotations

import re
import sys
import types

from chunker_cases import ANY_TEXT
from hypothesis import given, settings
from invariants import assert_invariants

from benchmarks.paths import ROOT


def example_chunker_class() -> type:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    module = types.ModuleType("architecture_example")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(code, "docs/architecture.md", "exec"), module.__dict__)
    return module.LineChunker


def test_the_architecture_pages_chunker_works() -> None:
    line_chunker = example_chunker_class()
    chunker = line_chunker(max_size=12)
    text = "first line\nsecond line here\n\nthird\n"
    assert [c.text for c in chunker.chunk(text)] == ["first line", "second line", "here\n\nthird"]
    assert line_chunker.OPTIONS["ending"].startswith("What ends a line")
    try:
        line_chunker(ending="|")
    except ValueError as exc:
        assert "ending must be" in str(exc)
    else:
        raise AssertionError("a bad option was accepted")

    @settings(max_examples=80, deadline=None)
    @given(ANY_TEXT)
    def check(text: str) -> None:
        assert_invariants(chunker, text, chunker.chunk(text))

    check()
