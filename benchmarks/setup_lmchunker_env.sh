#!/usr/bin/env bash
# lmchunker (the Meta-Chunking authors' package) needs transformers < 5: it gets a venv of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-lmchunker
.venv-lmchunker/bin/python -m pip install --quiet torch==2.13.0
.venv-lmchunker/bin/python -m pip install --quiet lmchunker==0.5.1 "transformers==4.46.3" numpy  # newer 4.x dropped the legacy KV-cache lists lmchunker passes
