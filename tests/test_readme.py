"""Every Python block of README.md and docs/*.md runs as written, offline and with no API key, from a folder holding
a small project (src/ with code, docs/ with Markdown and HTML), as a user would paste it into theirs."""

from __future__ import annotations

import ast
import asyncio
import re
import shutil
import sys
import types
from pathlib import Path

import pytest

from benchmarks.paths import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[tuple[str, str]]:
    """``(id, code)`` for every Python block: the page and the block's first line number."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{page.name}:{line}", match.group(1)))
    return found


@pytest.fixture(scope="module")
def printed_guide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real PDF (WeasyPrint): three WikiText articles with a running header and page numbers."""
    from benchmarks.pdf_corpus import articles, render

    return render(articles(3), tmp_path_factory.mktemp("pdf") / "guide.pdf")


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, printed_guide: Path) -> Path:
    """A user's project: src/ (Python and JavaScript from examples/data) and docs/ (Markdown, HTML, a PDF, a PNG
    image and a lockfile)."""
    (tmp_path / "src").mkdir()
    for name in ("textwrap.py", "rustdoc_storage.js"):
        shutil.copy(ROOT / "examples" / "data" / name, tmp_path / "src" / name)
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "architecture.md", tmp_path / "docs" / "architecture.md")
    (tmp_path / "docs" / "install.html").write_text(
        "<html><head><title>Install</title></head><body><h1>Install</h1><p>Run <code>make demo</code>.</p>"
        "<h2>Offline</h2><p>Every model ships as a wheel: nothing is downloaded.</p></body></html>",
        encoding="utf-8",
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.figure()
    plt.plot([1, 2, 3])
    plt.savefig(tmp_path / "docs" / "plot.png")  # a binary beside the docs, as real docs folders have
    plt.close()
    shutil.copy(printed_guide, tmp_path / "docs" / "guide.pdf")
    (tmp_path / "docs" / "uv.lock").write_text('version = 1\n[[package]]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def run_block(code: str, name: str) -> None:
    """Run ``code`` as a module of its own (top-level ``await`` allowed, as in a notebook)."""
    module = types.ModuleType(f"readme_block_{abs(hash(name))}")
    sys.modules[module.__name__] = module  # dataclasses and pickling look their module up
    try:
        compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, module.__dict__)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    finally:
        del sys.modules[module.__name__]


def test_the_pages_have_python_blocks() -> None:
    names = [name for name, _ in blocks()]
    assert sum(name.startswith("README.md") for name in names) >= 4  # the deep dives are in docs/
    assert len(names) >= 15 and {"documents.md", "code.md", "faces.md"} <= {n.split(":")[0] for n in names}
    quickstart = blocks()[0][1]
    assert "AutoNodeParser" in quickstart and "minilm_path" in quickstart  # the local embedding model, in one line


@pytest.mark.parametrize(("name", "code"), blocks(), ids=[name for name, _ in blocks()])
def test_block_runs_as_written(name: str, code: str, project: Path) -> None:
    from llama_index.core import Settings

    embed_model = Settings._embed_model
    try:
        run_block(code, name)
    finally:
        Settings._embed_model = embed_model  # a block that sets the app's model does not leak into other tests
