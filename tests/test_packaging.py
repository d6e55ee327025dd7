"""Packaging: light imports, and a built wheel that works outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMPORT_ALL = "import chunkers, llama_chunkers, langchain_chunkers"


def test_importing_the_packages_pulls_in_no_heavy_library(tmp_path: Path) -> None:
    heavy = ("torch", "transformers", "llama_index", "langchain_core", "tree_sitter")
    probe = f"{IMPORT_ALL}; import sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once for this module."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("rag_chunkers-*.whl")
    return built


def test_wheel_contains_the_three_packages_and_imports_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    expected = (
        "chunkers/__init__.py",
        "chunkers/runtime/models.py",
        "llama_chunkers/base.py",
        "langchain_chunkers/base.py",
    )
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


@pytest.mark.slow
def test_the_installed_wheel_runs_chunkers_eval_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv holding only the wheel (its dependencies come from this venv's site-packages through a .pth
    line, which adds the folder but runs none of its .pth files: the editable install of the checkout stays out);
    ``chunkers eval`` runs from a temporary folder on a copy of the example data."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    Path(site, "deps_from_dev_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples" / "data", work / "data")
    where = subprocess.run([python, "-c", "import chunkers; print(chunkers.__file__)"], cwd=work, check=True,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT)
    out = subprocess.run(
        [venv / "bin" / "chunkers", "eval", "data", "-q", "data/questions.jsonl", "--chunkers", "sentence",
         "--sizes", "300,600", "--out", "report"],
        cwd=work, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "rag-chunkers SentenceChunker" in out.stdout and "at a mean chunk size of" in out.stdout
    assert (work / "report" / "eval.md").is_file() and (work / "report" / "eval_size.png").is_file()
