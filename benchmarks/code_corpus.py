"""Build the fixed real-code corpus for the AST benchmark from local sources only.

Sources (nothing here was written by this project): public repositories, read with `git show` at the commit the
committed manifest records, and the Python sources of two installed packages. The corpus lands in
benchmarks/corpora/code/ (gitignored); the manifest records every source, commit, file count, byte count and a
digest of the file list and contents, and the build checks that it reproduces them.

    python -m benchmarks.code_corpus --clone-commands | sh    # git clone each repository into benchmarks/mirrors/
    python -m benchmarks.code_corpus [--mirrors benchmarks/mirrors] [--out benchmarks/corpora/code]
    python -m benchmarks.code_corpus --record                 # take each clone's HEAD and write a new manifest

A mirror folder holds one clone per repository, named ``owner+name`` (a normal clone, or a bare one in
``owner+name/repo``).
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
DEFAULT_MIRRORS = ROOT / "benchmarks" / "mirrors"
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


def _git_dir(mirrors: Path, repo: str) -> Path:
    """The git directory of ``repo``'s clone under ``mirrors`` (a bare clone in ``owner+name/repo`` or a normal one)."""
    folder = mirrors / repo.replace("/", "+")
    for candidate in (folder / "repo", folder / ".git", folder):
        if (candidate / "HEAD").is_file():
            return candidate
    raise SystemExit(
        f"no clone of {repo} in {folder}; run `python -m benchmarks.code_corpus --clone-commands` for the commands"
    )


def recorded_commits() -> dict[str, str]:
    """Repository -> the commit the committed manifest records."""
    if not MANIFEST.is_file():
        return {}
    sources = json.loads(MANIFEST.read_text(encoding="utf-8"))["sources"]
    return {s["repo"]: s["commit"] for s in sources if "repo" in s}


def clone_commands(mirrors: Path) -> list[str]:
    """Shell commands that clone every repository of the manifest into ``mirrors`` (full history, so the recorded
    commit is there)."""
    return [f"git clone --quiet https://github.com/{repo}.git {mirrors / repo.replace('/', '+')}"
            for repo in recorded_commits() or {s["repo"]: "" for s in GIT_SOURCES}]  # fmt: skip


def build(mirrors: Path, out: Path, record: bool = False) -> dict:
    """Write the corpus to ``out`` and return its manifest: at the recorded commits, or each clone's HEAD with
    ``record``."""
    manifest: dict = {"max_file_bytes": MAX_FILE_BYTES, "exclude": EXCLUDE, "sources": []}
    commits = {} if record else recorded_commits()
    for source in GIT_SOURCES:
        git_dir = _git_dir(mirrors, source["repo"])
        commit = commits.get(source["repo"]) or _git(git_dir, "rev-parse", "HEAD").decode().strip()
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
        manifest["sources"].append(
            {**source, "commit": commit, "files": files, "bytes": total, "sha256": digest.hexdigest()}
        )
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


def _differences(built: dict) -> list[str]:
    """Sources whose files or contents differ from the committed manifest's."""
    recorded = json.loads(MANIFEST.read_text(encoding="utf-8"))["sources"]
    digests = {s.get("repo") or s["package"]: s["sha256"] for s in recorded}
    return [
        s.get("repo") or s["package"]
        for s in built["sources"]
        if digests.get(s.get("repo") or s["package"]) != s["sha256"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="one clone per repository")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--record", action="store_true", help="build from each clone's HEAD; rewrite the manifest")
    parser.add_argument("--clone-commands", action="store_true", help="print the git commands that fetch the sources")
    args = parser.parse_args()
    if args.clone_commands:
        print("\n".join(clone_commands(args.mirrors)))
        return
    manifest = build(args.mirrors, args.out, args.record)
    if args.record:
        MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    elif changed := _differences(manifest):
        print(f"note: these sources differ from the manifest (other package versions?): {', '.join(changed)}")
    print(f"{manifest['total_files']} files, {manifest['total_bytes'] / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
