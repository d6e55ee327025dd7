"""A clone anywhere is self-contained: no tracked file names a path of the machine it was developed on, or the
folder beside the checkout that held the development notes and data (a user's clone has neither)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from benchmarks.paths import CHROMA, DATA_ROOT, ROOT

# Absolute home/work folders of a development machine, the sibling folder "../shared", and its data folder in any
# spelling (the repository's own shared/ holds only the engine's source, never data).
FORBIDDEN = re.compile(
    r"(?<![\w.~-])/(?:work|root|home/[\w.-]+|Users/[\w.-]+)/"
    r"|\.\./shared\b"
    r"|\bshared[\"']?\s*/\s*[\"']?data\b"
    r"|\b(?:ALGORITHMS|DESIGN)\.md\b"  # the development notes: the repository has docs/ of its own
)


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    paths = [ROOT / name.decode() for name in names if name]
    return [p for p in paths if p.is_file() and p != Path(__file__).resolve() and b"\0" not in p.read_bytes()[:4096]]


def test_no_tracked_file_names_a_development_machine_path() -> None:
    offending = []
    for path in tracked_text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if FORBIDDEN.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not offending, "paths that exist only on the development machine:\n" + "\n".join(offending)


def test_the_pattern_catches_what_it_guards_against() -> None:
    for bad in (
        "/work/shared/data/x.md",
        'ROOT.parent / "shared" / "data"',
        "see ../shared/DESIGN.md",
        "/home/dev/x",
        "see ALGORITHMS.md, cAST",
    ):
        assert FORBIDDEN.search(bad), bad
    for fine in (
        "shared/chunkers/base.py",
        "https://example.org/work/x",
        "~/.cache/rag-chunkers",
        "a/work/b",
        "docs/algorithms.md",
    ):
        assert not FORBIDDEN.search(fine), fine


def test_the_evaluation_data_is_inside_the_repository() -> None:
    assert DATA_ROOT.resolve().is_relative_to(ROOT) or "RAG_CHUNKERS_DATA" in __import__("os").environ
    assert (CHROMA / "LICENSE").is_file() and (CHROMA / "questions.csv").is_file()
    assert {p.name for p in (CHROMA / "corpora").glob("*.md")} == {"chatlogs.md", "pubmed.md", "wikitexts.md"}
