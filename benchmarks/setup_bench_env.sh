#!/usr/bin/env bash
# The benchmark venv: rag-chunkers plus the peers it is compared with, pinned, beside (not inside) .venv,
# because some peers pin other tree-sitter packages. chonkie's CodeChunker is not installed: it needs
# tree-sitter-language-pack 1.x, which downloads grammars at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-bench
.venv-bench/bin/python -m pip install --quiet -e . "astchunk==0.1.0"
