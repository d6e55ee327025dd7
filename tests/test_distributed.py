"""The Ray Data stage (chunkers.apps.ray) on a real local Ray (2 CPUs, started once for this module): the
distributed output equals `chunk_many` in one process, row for row; failures are recorded rows; a worker that
dies is retried; bad configuration gives a one-line error."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest
from chunkers import ASTChunker, LLMChunker, LocalLLM, PDFChunker, PerplexityChunker, SentenceChunker
from chunkers.apps.cli import main
from chunkers.io.files import read_source

from benchmarks.paths import CHROMA_CORPORA

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
distributed = pytest.importorskip("chunkers.apps.ray")

TESTS = Path(__file__).parent
ENGINE = TESTS.parent / "shared" / "chunkers"
CORPUS = CHROMA_CORPORA / "wikitexts.md"


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray for the module; tests/ on the workers' path so they can import tests/ray_chunkers.py."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), old) if p)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if ray.is_initialized():
        ray.shutdown()
    distributed.init_ray(num_cpus=2, object_store_memory=200 * 1024 * 1024)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


def _local_rows(chunker, texts, metadatas, ids):
    """What `chunk_many` in this process gives, as (doc_id, start, end, text, metadata) sorted rows."""
    rows = []
    for doc_id, chunks in zip(ids, chunker.chunk_many(texts, metadatas)):
        rows += [(doc_id, c.start, c.end, c.text, json.loads(json.dumps(c.metadata))) for c in chunks]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _ray_rows(dataset):
    rows = [r for r in dataset.take_all() if r["chunk_index"] >= 0]
    out = sorted(
        ((r["doc_id"], r["start"], r["end"], r["text"], json.loads(r["metadata"])) for r in rows),
        key=lambda r: (r[0], r[1]),
    )
    # chunk_index numbers each document's chunks 0.. in order of their start
    by_doc: dict = {}
    for r in sorted(rows, key=lambda r: (r["doc_id"], r["start"])):
        by_doc.setdefault(r["doc_id"], []).append(r["chunk_index"])
    assert all(indexes == list(range(len(indexes))) for indexes in by_doc.values())
    return out


def _paragraphs(count: int, width: int) -> list[str]:
    paragraphs = [p.strip() for p in CORPUS.read_text(encoding="utf-8").splitlines() if len(p.strip()) > width]
    return [p[: width * 2].rsplit(" ", 1)[0] for p in paragraphs[:count]]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A small repository: real modules of this engine, plus a file that is not UTF-8, one that does not parse,
    an empty one and a Markdown file."""
    root = tmp_path_factory.mktemp("repo")
    for source in sorted(ENGINE.glob("*.py"))[:8] + sorted((ENGINE / "code").glob("*.py")):
        target = root / source.relative_to(ENGINE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    (root / "latin1.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    (root / "broken.py").write_text("def f(:\n    return )))\nclass\n" * 20, encoding="utf-8")
    (root / "empty.py").write_text("", encoding="utf-8")
    (root / "notes.md").write_text("# Notes\n\nShort prose. " * 10, encoding="utf-8")
    return root


# ---- specs and configuration (no Ray needed) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "chunker",
    [
        ASTChunker(max_size=400, overlap_nodes=1),
        SentenceChunker(300, sizer="non_whitespace"),
        ASTChunker(language="python", max_size=40, sizer="lines"),
        PerplexityChunker(max_size=500, target_size=300, method="margin", cache={}),
        LLMChunker(llm="local", group_tokens=300),
        PDFChunker(max_size=500, password="secret"),
    ],
)
def test_spec_is_plain_json_and_rebuilds_the_same_chunker(chunker):
    spec = distributed.chunker_spec(chunker)
    assert json.loads(json.dumps(spec)) == spec
    rebuilt = distributed.chunker_from_spec(spec)
    assert type(rebuilt) is type(chunker)
    assert distributed.chunker_spec(rebuilt) == spec
    assert "cache" not in spec["params"]
    assert getattr(rebuilt, "password", None) == getattr(chunker, "password", None)  # the workers read the PDF


@pytest.mark.parametrize(
    ("chunker", "parameter"),
    [
        (LLMChunker(llm=lambda prompt: "Answer: ID 2"), "'llm'"),
        (SentenceChunker(300, sizer=len), "'sizer'"),
        (PerplexityChunker(model=object(), tokenizer=object()), "'model'"),
    ],
)
def test_spec_refuses_what_cannot_be_rebuilt_naming_the_parameter(chunker, parameter):
    with pytest.raises(distributed.DistributedError, match=parameter) as error:
        distributed.chunker_spec(chunker)
    assert "\n" not in str(error.value)


def test_bad_specs_give_one_line_errors():
    for spec, message in [
        ({"class": "os:path", "params": {}}, "not a chunkers BaseChunker"),
        ({"class": "chunkers:NoSuchChunker", "params": {}}, "NoSuchChunker"),
        ({"class": "chunkers:SentenceChunker", "params": {"max_size": -1}}, "max_size"),
        ({"params": {}}, "'class'"),
    ]:
        with pytest.raises(distributed.DistributedError, match=message) as error:
            distributed.chunker_from_spec(spec)
        assert "\n" not in str(error.value)


def test_a_cuda_chunker_asks_ray_for_a_gpu():
    specs = lambda chunker: {"": distributed.chunker_spec(chunker)}  # noqa: E731
    assert distributed.gpus_for(specs(PerplexityChunker(device="cuda"))) == 1
    assert distributed.gpus_for(specs(LLMChunker(llm=LocalLLM(device="cuda:0")))) == 1
    assert distributed.gpus_for(specs(PerplexityChunker(device="cpu"))) == 0
    assert distributed.gpus_for(specs(ASTChunker())) == 0


def test_the_command_line_gives_ray_workers_its_device_dtype_and_quantize():
    from chunkers.apps.cli import build_parser
    from chunkers.apps.routing import Router

    command = ["chunk", "notes.txt", "--engine", "ray", "--method", "ppl", "--device", "cuda", "--quantize", "none"]
    args = build_parser().parse_args(command)
    router = Router(args.method, args.max_size, args.device, args.dtype, args.quantize)  # as cmd_chunk builds it
    spec = distributed.chunker_spec(router.chunker("ppl"))  # what file_results sends to the workers
    assert (spec["params"]["device"], spec["params"]["quantize"]) == ("cuda", "none")
    assert distributed.gpus_for({"ppl": spec}) == 1
    cpu = distributed.chunker_spec(Router("auto", None, "cpu", "float32", "int8").chunker("ppl"))["params"]
    assert (cpu["device"], cpu["dtype"], cpu["quantize"]) == ("cpu", "float32", "int8")
    assert "device" not in distributed.chunker_spec(Router("auto", 500, "cuda").chunker("sentence"))["params"]


def test_ray_not_installed_is_one_clear_line(monkeypatch, capsys, repo):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError, as without the extra
    with pytest.raises(distributed.DistributedError, match=r"rag-chunkers\[ray\]"):
        distributed.require_ray()
    assert main(["chunk", str(repo), "--engine", "ray", "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert "rag-chunkers[ray]" in error and "\n" not in error


def test_unreachable_address_is_one_clear_line(capsys, repo):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["chunk", str(repo), "--engine", "ray", "--address", f"127.0.0.1:{port}", "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert f"cannot reach a Ray cluster at '127.0.0.1:{port}'" in error and "\n" not in error


# ---- real Ray ---------------------------------------------------------------------------------------------


def test_ast_on_a_repository_matches_chunk_many(ray_local, repo):
    chunker = ASTChunker(max_size=400)
    paths = sorted(p for p in repo.rglob("*.py"))
    rows = distributed.chunk_files(paths, chunker, concurrency=2, num_blocks=4, batch_size=4).take_all()
    readable = [(i, p, read_source(p)[0]) for i, p in enumerate(paths)]
    texts = [(i, p, t) for i, p, t in readable if t is not None]
    expected = _local_rows(chunker, [t for *_, t in texts], [{"file_path": str(p)} for _, p, _ in texts],
                           [i for i, *_ in texts])  # fmt: skip
    assert _ray_rows(ray.data.from_items(rows)) == expected
    assert len(expected) > 30
    # every file exactly once: chunks, or one row saying why not (the empty file has no chunks, as locally)
    reasons = [(i, read_source(p)[1]) for i, p in enumerate(paths) if read_source(p)[1]]
    assert (paths.index(repo / "latin1.py"), "not UTF-8 text (invalid byte at offset 11)") in reasons
    recorded = [r for r in rows if r["chunk_index"] < 0]
    assert sorted((r["doc_id"], r["skipped"]) for r in recorded) == reasons
    assert {r["doc_id"] for r in rows} == set(range(len(paths))) - {paths.index(repo / "empty.py")}
    broken = [json.loads(r["metadata"]) for r in rows if r["doc_id"] == paths.index(repo / "broken.py")]
    assert broken and all(m["file_path"].endswith("broken.py") for m in broken)


def test_sentence_chunker_on_documents_with_metadata_matches_chunk_many(ray_local):
    texts = _paragraphs(12, 400)
    metadatas = [{"source": f"wiki-{i}", "position": i} for i in range(len(texts))]
    dataset = ray.data.from_items(
        [{"doc_id": f"d{i:02}", "text": t, **m} for i, (t, m) in enumerate(zip(texts, metadatas))],
        override_num_blocks=4,
    )
    chunker = SentenceChunker(max_size=250)
    result = distributed.chunk_dataset(dataset, chunker, concurrency=2, batch_size=3)
    expected = _local_rows(chunker, texts, metadatas, [f"d{i:02}" for i in range(len(texts))])
    assert _ray_rows(result) == expected
    assert all(m["source"] == f"wiki-{int(d[1:])}" for d, *_, m in expected)


def test_perplexity_chunker_matches_chunk_many(ray_local):
    texts = _paragraphs(3, 300)
    chunker = PerplexityChunker(max_size=250, target_size=150)
    dataset = ray.data.from_items([{"doc_id": i, "text": t, "lang": "en"} for i, t in enumerate(texts)])
    result = distributed.chunk_dataset(dataset, chunker, concurrency=1, batch_size=8)
    expected = _local_rows(chunker, texts, [{"lang": "en"}] * len(texts), list(range(len(texts))))
    assert _ray_rows(result) == expected
    assert len(expected) > len(texts)


def test_dead_worker_is_retried_and_failures_are_rows(ray_local, tmp_path):
    from ray_chunkers import FlakySentenceChunker

    marker = tmp_path / "first-attempt-happened"
    texts = _paragraphs(6, 300)
    texts[4] = "This one says BOOM. " + texts[4]
    chunker = FlakySentenceChunker(str(marker), max_size=200)
    dataset = ray.data.from_items([{"doc_id": i, "text": t} for i, t in enumerate(texts)])
    rows = distributed.chunk_dataset(dataset, chunker, concurrency=1, batch_size=2).take_all()
    assert marker.exists()  # the first attempt killed its worker
    errors = [r for r in rows if r["chunk_index"] < 0]
    assert [(r["doc_id"], r["error"]) for r in errors] == [(4, "RuntimeError: this document always fails")]
    plain = SentenceChunker(max_size=200)
    good = [i for i in range(len(texts)) if i != 4]
    expected = _local_rows(plain, [texts[i] for i in good], None, good)
    assert _ray_rows(ray.data.from_items(rows)) == expected  # every other document exactly once


def test_missing_columns_and_several_chunkers_without_a_route(ray_local):
    with pytest.raises(distributed.DistributedError, match="route_column"):
        distributed.chunk_dataset(
            ray.data.from_items([{"doc_id": 0, "text": "x"}]), {"a": SentenceChunker(), "b": SentenceChunker()}
        )
    with pytest.raises(distributed.DistributedError, match="no column 'doc_id'"):
        distributed.chunk_dataset(
            ray.data.from_items([{"text": "Some text."}]), SentenceChunker(), concurrency=1
        ).take_all()


def _encrypted_pdf(plain: Path, out: Path) -> Path:
    """A real PDF (WeasyPrint, at ``plain``) encrypted with the user password "secret" (pypdf) at ``out``."""
    import pypdf

    from benchmarks.pdf_corpus import articles, render

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(render(articles(1)[:8], plain)))
    writer.encrypt(user_password="secret", owner_password="owner")
    with out.open("wb") as handle:
        writer.write(handle)
    return out


def test_cli_ray_engine_writes_the_same_jsonl_and_parquet(ray_local, repo, tmp_path, capsys):
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    common = ["chunk", str(repo), "--method", "auto", "--max-size", "400", "--no-progress", "--password", "secret"]
    (repo / "notes.md").rename(tmp_path / "notes.md")  # keep the perplexity model out of this test
    _encrypted_pdf(tmp_path / "plain.pdf", repo / "report.pdf")  # read by PDFium on the workers, with the password
    (repo / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    try:
        assert main([*common, "--out", str(local)]) == 1  # broken.pdf is an error, the rest is chunked
        local_err = capsys.readouterr().err
        assert main([*common, "--engine", "ray", "--workers", "1", "--out", str(remote)]) == 1
        ray_err = capsys.readouterr().err
        assert remote.read_text(encoding="utf-8") == local.read_text(encoding="utf-8")
        assert "latin1.py: not UTF-8" in local_err and "latin1.py: not UTF-8" in ray_err
        assert "not a readable PDF" in local_err and "not a readable PDF" in ray_err
        pdf_records = [
            r
            for r in map(json.loads, local.read_text(encoding="utf-8").splitlines())
            if r["file_path"].endswith("report.pdf")
        ]
        assert len(pdf_records) > 1 and all(r["metadata"]["page_start"] >= 1 for r in pdf_records)
        parquet = tmp_path / "chunks.parquet"
        assert main([*common, "--engine", "ray", "--workers", "1", "--format", "parquet", "--out", str(parquet)]) == 1
    finally:
        (tmp_path / "notes.md").rename(repo / "notes.md")
        (repo / "report.pdf").unlink()
        (repo / "broken.pdf").unlink()
    table = ray.data.read_parquet(str(parquet)).take_all()
    records = [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]
    chunks = sorted((r for r in table if r["chunk_index"] >= 0), key=lambda r: (r["doc_id"], r["chunk_index"]))
    assert [(r["file_path"], r["start"], r["text"]) for r in chunks] == [
        (r["file_path"], r["start"], r["text"]) for r in records
    ]
    recorded = [r["skipped"] for r in table if r["chunk_index"] < 0 and r["skipped"]]
    assert "not UTF-8 text (invalid byte at offset 11)" in recorded
    assert len(recorded) == local_err.count("skipped ")  # every skipped file has its row
    (error,) = [r for r in table if r["error"]]  # and the broken PDF its error
    assert error["file_path"].endswith("broken.pdf") and "broken.pdf: not a readable PDF" in error["error"]
