"""lmchunker (the Meta-Chunking authors' package) in its own venv (benchmarks/setup_lmchunker_env.sh: it needs
transformers < 5), driven with the embedded SmolLM2 that ``SMOLLM2_DIR`` points to.

    .venv-lmchunker/bin/python -m benchmarks.lmchunker_worker TARGET_WORDS < text   # prints {"chunks", "seconds"}

Its English sentence splitter is NLTK punkt, whose data must be downloaded; offline it gets this project's
sentence splitter instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv-lmchunker" / "bin" / "python"


def load() -> tuple[Any, Any, Any]:
    """lmchunker's ``chunker`` function, the model and the tokenizer (run inside lmchunker's venv)."""
    sys.path.insert(0, str(ROOT / "shared"))
    import lmchunker.modules.ppl_chunking as ppl_chunking
    from chunkers.core.segment import sentence_spans
    from lmchunker.chunker import chunker
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    folder = Path(os.environ["SMOLLM2_DIR"])
    ppl_chunking.sent_tokenize = lambda t: [t[a:b] for a, b in sentence_spans(t)]
    # transformers 4 cannot read the tokenizer config transformers 5 wrote; the tokenizer itself is the same.
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    return chunker, model, tokenizer


def main() -> None:
    import torch

    target_words = int(sys.argv[1])
    text = sys.stdin.read()
    chunker, model, tokenizer = load()
    started = time.perf_counter()
    with torch.no_grad():
        chunks = chunker(
            text, model, tokenizer, "en", "ppl", threshold=0, dynamic_merge="yes", target_size=target_words
        )
    print(json.dumps({"chunks": chunks, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
