"""Chunk a corpus as a Ray Data stage: a Dataset of documents in, a Dataset of chunks out.

Optional extra ``ray`` (``pip install "rag-chunkers[ray]"``). Any chunker of this package runs on the
workers: it is described by a plain, JSON-serialisable spec (`chunker_spec`: class path + constructor
arguments) and rebuilt once per worker (`chunker_from_spec`), so a worker loads its model or grammars once
and reuses them across batches; a loaded model is never pickled into a task.

Input rows: a text column, a document-id column and any metadata columns (`chunk_dataset`), or file paths
read with Ray's own reader (`read_documents`, `chunk_files`). Output rows, one per chunk (`OUTPUT_COLUMNS`):
``doc_id``, ``chunk_index``, ``start``, ``end``, ``text``, ``metadata`` (the chunk's metadata as a JSON
string: the document's metadata columns merged with the chunker's, exactly what `BaseChunker.chunk_many`
gives), ``error`` and ``skipped``. A document that fails (a chunker error, text that is not a string) or is
skipped (a file that is binary, not UTF-8, minified, generated or too large) gives one row with
``chunk_index == -1`` and the reason in ``error`` / ``skipped``; it never goes missing silently. An empty or
whitespace-only document gives no rows, as `chunk_many` gives it no chunks.

Modules: `specs` (chunkers as plain specs), `cluster` (connecting to Ray), `worker` (the per-worker chunking),
`dataset` (the stage: `chunk_dataset`, `read_documents`, `chunk_files`), `files` (the command line's path).
"""

from .cluster import init_ray, require_ray
from .dataset import chunk_dataset, chunk_files, chunks_by_document, gpus_for, read_documents
from .files import file_results
from .specs import DistributedError, chunker_from_spec, chunker_spec
from .worker import OUTPUT_COLUMNS, ChunkWorker, dumps_metadata

__all__ = [
    "OUTPUT_COLUMNS",
    "ChunkWorker",
    "DistributedError",
    "chunk_dataset",
    "chunk_files",
    "chunker_from_spec",
    "chunker_spec",
    "chunks_by_document",
    "dumps_metadata",
    "file_results",
    "gpus_for",
    "init_ray",
    "read_documents",
    "require_ray",
]
