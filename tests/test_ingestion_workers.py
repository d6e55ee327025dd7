"""Our LlamaIndex node parsers inside `IngestionPipeline.run(num_workers=N)`: LlamaIndex pickles the
transformations into spawned worker processes; the nodes must be the same as with `num_workers=1`."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline

from benchmarks.paths import CHROMA_CORPORA
from llama_chunkers import ASTNodeParser, PerplexityNodeParser, SentenceNodeParser

ENGINE = Path(__file__).parent.parent / "shared" / "chunkers"
CORPUS = CHROMA_CORPORA / "wikitexts.md"


def _prose(count: int, width: int) -> list[Document]:
    paragraphs = [p.strip() for p in CORPUS.read_text(encoding="utf-8").splitlines() if len(p.strip()) > width]
    return [
        Document(text=p[: width * 2].rsplit(" ", 1)[0], id_=f"prose-{i}", metadata={"source": f"wiki-{i}"})
        for i, p in enumerate(paragraphs[:count])
    ]


def _code(count: int) -> list[Document]:
    paths = sorted(ENGINE.glob("*.py"))[:count]
    return [Document(text=p.read_text(encoding="utf-8"), id_=p.name, metadata={"file_path": p.name}) for p in paths]


def _view(nodes) -> list[tuple]:
    """What must not depend on the number of workers (node ids are random uuids, so they are left out)."""
    return sorted(
        (n.ref_doc_id, n.start_char_idx, n.end_char_idx, n.text, sorted(n.metadata.items(), key=str)) for n in nodes
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make_parser", "documents"),
    [
        (lambda: ASTNodeParser(max_size=400), lambda: _code(4)),
        (lambda: SentenceNodeParser(max_size=200), lambda: _prose(6, 300)),
        (lambda: PerplexityNodeParser(max_size=250, target_size=150), lambda: _prose(2, 250)),
    ],
    ids=["ast", "sentence", "perplexity"],
)
def test_node_parser_pickles_and_gives_the_same_nodes_with_two_workers(make_parser, documents):
    parser = make_parser()
    copy = pickle.loads(pickle.dumps(parser))
    assert copy.to_dict() == parser.to_dict()
    docs = documents()
    one = IngestionPipeline(transformations=[make_parser()]).run(documents=docs, num_workers=1)
    two = IngestionPipeline(transformations=[make_parser()]).run(documents=docs, num_workers=2)
    assert len(one) > len(docs)
    assert _view(two) == _view(one)
