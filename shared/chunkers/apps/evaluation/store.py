"""What a comparison remembers: chunk vectors (`Embedder`, the embedding it retrieves with) and per-setting results
(`SettingStore`), so an interrupted comparison resumes where it stopped: one JSON file per (chunker, size) under
``<out>/settings/``, keyed by everything that changes its numbers."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from ...runtime.embeddings import UnitEmbeddings


class SettingStore:
    """Per-setting rows in ``folder`` (None: nothing saved, nothing resumed)."""

    def __init__(self, folder: Path | None, context: dict[str, Any]) -> None:
        self.folder = folder
        self.context = context  # corpus and questions fingerprints, embedding, top k

    def _path(self, chunker: str, target: int) -> Path | None:
        if self.folder is None:
            return None
        key = json.dumps({**self.context, "chunker": chunker, "target": target}, sort_keys=True)
        slug = "".join(ch if ch.isalnum() else "-" for ch in chunker)[:40].strip("-")
        return self.folder / f"{slug}-{target}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.json"

    def load(self, chunker: str, target: int) -> dict[str, Any] | None:
        """The saved row of this setting, if a previous run finished it."""
        path = self._path(chunker, target)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):  # a torn write: measure it again
            return None

    def save(self, chunker: str, target: int, row: dict[str, Any]) -> None:
        path = self._path(chunker, target)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps(row, indent=1) + "\n", encoding="utf-8")
        os.replace(staging, path)  # atomic: an interrupt never leaves half a file


class Embedder(UnitEmbeddings):
    """Embeds chunks and questions with one model (anything `chunkers.runtime.embeddings.as_embeddings` takes; None:
    the embedded MiniLM); ``name`` identifies it in reports and saved results. Chunk vectors are remembered by text, so
    chunks that recur across settings or runs are embedded once (``memo``: a mapping to keep them in, e.g. a
    ``shelve`` on disk; default: in memory); ``batch_size``: texts per pass of a local model (None: the device's
    default, `chunkers.runtime.DEFAULT_EMBED_BATCH`)."""

    def __init__(
        self, model: Any = None, batch_size: int | None = None, memo: MutableMapping[str, Any] | None = None
    ) -> None:
        super().__init__(model, memo=True if memo is None else memo, batch_size=batch_size)
