"""Packaging: light imports, and a built wheel that works outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT_ALL = "import chunkers, llama_chunkers, langchain_chunkers"


def test_importing_the_packages_pulls_in_no_heavy_library(tmp_path: Path) -> None:
    heavy = ("torch", "transformers", "llama_index", "langchain_core", "tree_sitter")
    probe = f"{IMPORT_ALL}; import sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_wheel_contains_the_three_packages_and_imports_outside_the_repo(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("rag_chunkers-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    expected = ("chunkers/__init__.py", "chunkers/models.py", "llama_chunkers/base.py", "langchain_chunkers/base.py")
    assert set(expected) <= set(names)
    assert not any(name.startswith(("shared/", "tests/")) for name in names)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import sys; sys.path = [p for p in sys.path if 'rag_chunkers' not in p and not p.endswith('/shared')];"
        f"sys.path.insert(0, {str(target)!r}); {IMPORT_ALL}; print(chunkers.__file__);"
        "from llama_chunkers import SentenceNodeParser; from langchain_chunkers import SentenceTextSplitter;"
        "print(len(SentenceTextSplitter(max_size=10).split_text('One. Two. Three.')))"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", f"import site; site.main(); {probe}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    first, second = out.stdout.split()
    assert first.startswith(str(target)) and second == "2"
