"""Build the fixed real-code corpus for the AST benchmark from local sources only.

Sources (nothing here was written by this project): public repositories brought onto this machine as bare
git snapshots (read with `git show`, at the commit recorded in the manifest) and the Python sources of an
installed package. The corpus lands in benchmarks/corpora/code/ (gitignored); the manifest, committed,
records every source, commit, file count, byte count and a digest of the file list and contents.

    python -m benchmarks.code_corpus [--mirrors /work/.mirror] [--out benchmarks/corpora/code]
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import importlib.metadata
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "corpora" / "code"
MANIFEST = ROOT / "benchmarks" / "code_corpus_manifest.json"
MAX_FILE_BYTES = 1_000_000
EXCLUDE = ["*/deps/*", "deps/*", "*/vendor/*", "vendor/*", "*/dist/*", "dist/*", "*.min.js", "*node_modules*"]

GIT_SOURCES = [
    {"repo": "redis/redis", "language": "c", "patterns": ["*.c", "*.h"]},
    {"repo": "vuejs/core", "language": "typescript", "patterns": ["*.ts"]},
    {"repo": "lodash/lodash", "language": "javascript", "patterns": ["*.js"]},
    {"repo": "google/gson", "language": "java", "patterns": ["*.java"]},
    {"repo": "BurntSushi/ripgrep", "language": "rust", "patterns": ["*.rs"]},
    {"repo": "gin-gonic/gin", "language": "go", "patterns": ["*.go"]},
]
PACKAGE_SOURCES = [
    {"package": "llama-index-core", "module_dir": "llama_index/core", "language": "python"},
    {"package": "langchain-core", "module_dir": "langchain_core", "language": "python"},
]


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def _wanted(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) for p in patterns) and not any(fnmatch.fnmatch(path, p) for p in EXCLUDE)


def build(mirrors: Path, out: Path) -> dict:
    manifest: dict = {"max_file_bytes": MAX_FILE_BYTES, "exclude": EXCLUDE, "sources": []}
    for source in GIT_SOURCES:
        git_dir = mirrors / source["repo"].replace("/", "+") / "repo"
        commit = _git(git_dir, "rev-parse", "HEAD").decode().strip()
        listing = _git(git_dir, "ls-tree", "-r", "-l", commit).decode().splitlines()
        digest, files, total = hashlib.sha256(), 0, 0
        for line in listing:
            meta, path = line.split("\t", 1)
            size = meta.split()[3]
            if size == "-" or int(size) > MAX_FILE_BYTES or not _wanted(path, source["patterns"]):
                continue
            data = _git(git_dir, "show", f"{commit}:{path}")
            target = out / source["repo"].replace("/", "+") / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
            files, total = files + 1, total + len(data)
        manifest["sources"].append({**source, "commit": commit, "files": files, "bytes": total, "sha256": digest.hexdigest()})
    for source in PACKAGE_SOURCES:
        distribution = importlib.metadata.distribution(source["package"])
        base = Path(distribution.locate_file(source["module_dir"]))
        digest, files, total = hashlib.sha256(), 0, 0
        for path in sorted(base.rglob("*.py")):
            data = path.read_bytes()
            if len(data) > MAX_FILE_BYTES:
                continue
            relative = path.relative_to(base).as_posix()
            target = out / source["package"] / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            digest.update(relative.encode() + b"\0" + hashlib.sha256(data).digest())
            files, total = files + 1, total + len(data)
        manifest["sources"].append(
            {**source, "version": distribution.version, "files": files, "bytes": total, "sha256": digest.hexdigest()}
        )
    manifest["total_files"] = sum(s["files"] for s in manifest["sources"])
    manifest["total_bytes"] = sum(s["bytes"] for s in manifest["sources"])
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    manifest = build(args.mirrors, args.out)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{manifest['total_files']} files, {manifest['total_bytes'] / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
