"""A chunker for the Ray tests, importable by Ray workers (tests/ is put on their PYTHONPATH): a real
`SentenceChunker` that raises on documents containing "BOOM" and kills its own worker process the first time
it runs (the marker file records that the first attempt happened)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chunkers import Chunk, SentenceChunker


class FlakySentenceChunker(SentenceChunker):
    def __init__(self, marker: str, max_size: int = 200, sizer: Any = "chars") -> None:
        super().__init__(max_size, sizer)
        self.marker = marker

    def _chunk(self, text: str, metadata: dict[str, Any]) -> list[Chunk]:
        if not Path(self.marker).exists():
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)  # the worker dies mid-batch, as a crash or an OOM kill would
        if "BOOM" in text:
            raise RuntimeError("this document always fails")
        return super()._chunk(text, metadata)
