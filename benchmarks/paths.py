"""Where the benchmarks find their data: inside the repository, so a clone anywhere reproduces every figure.

``benchmarks/data/`` holds the vendored evaluation data (with its licence and provenance);
``$RAG_CHUNKERS_DATA`` overrides that folder (it must hold ``chroma-general/``).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("RAG_CHUNKERS_DATA") or ROOT / "benchmarks" / "data")
CHROMA = DATA_ROOT / "chroma-general"
CHROMA_CORPORA = CHROMA / "corpora"
