"""The ``chunkers`` command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from chunkers.apps.cli import main

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


def test_chunk_writes_jsonl_with_exact_offsets_for_code_and_prose(tmp_path: Path) -> None:
    out = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(DATA / "textwrap.py"), str(DATA / "pubmed_abstracts.md"), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    methods = {Path(r["file_path"]).name: r["method"] for r in records}
    assert methods == {"textwrap.py": "ast", "pubmed_abstracts.md": "document"}  # Markdown: by its sections
    for record in records:
        assert set(record) >= {"file_path", "text", "start", "end", "start_line", "end_line", "method", "metadata"}
        text = Path(record["file_path"]).read_text(encoding="utf-8")
        assert text[record["start"] : record["end"]] == record["text"]


def test_a_bad_file_is_reported_at_the_end_and_the_run_goes_on(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "good.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (tmp_path / "notes.unknownext").write_text("some words", encoding="utf-8")
    (tmp_path / "latin1.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    code = main(["chunk", str(tmp_path), "--method", "ast", "--no-progress"])
    captured = capsys.readouterr()
    assert '"file_path"' in captured.out and "good.py" in captured.out
    # A file of unknown type is chunked by the flagged fallback; the undecodable one is skipped with the reason.
    records = [json.loads(line) for line in captured.out.splitlines()]
    unknown = [r for r in records if r["file_path"].endswith("notes.unknownext")]
    assert unknown and unknown[0]["metadata"]["fallback"] is True
    assert "skipped " in captured.err and "not UTF-8 text" in captured.err
    assert code == 0


def test_table_format_show_and_usage_errors(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    options = ["--method", "sentence", "--format", "table", "--workers", "2", "--no-progress"]
    assert main(["chunk", str(DATA), *options]) == 0
    table = capsys.readouterr().out
    assert "textwrap.py" in table and "rustdoc_storage.js" in table and "sentence" in table
    assert main(["show", str(DATA / "textwrap.py"), "--max-size", "300"]) == 0
    shown = capsys.readouterr()
    assert "⟦0⟧" in shown.out and "⟦1⟧" in shown.out and "chunks, method ast" in shown.err
    assert main(["chunk", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "chunkers"
    command = [str(script), "chunk", str(DATA / "textwrap.py"), "--max-size", "2000"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.count("\n") >= 3


# ---- chunkers filter ---------------------------------------------------------------------------------------

QUERY = "What is the capital of France?"
RELEVANT = "Paris is the capital and largest city of France."
PASSAGES = [
    RELEVANT,
    "The mitochondria is the powerhouse of the cell.",
    "Bananas are rich in potassium.",
    "Paris is the capital and the largest city of France.",  # a near-duplicate of the first
]


def _jsonl(records: list[dict]) -> str:  # type: ignore[type-arg]
    return "".join(json.dumps(r) + "\n" for r in records)


def _stdin(monkeypatch: pytest.MonkeyPatch, data: str | bytes) -> None:
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))


def test_filter_keeps_the_chunks_of_chunk_output_best_first_with_scores(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    chunks = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(DATA / "textwrap.py"), "--max-size", "600", "--out", str(chunks), "--no-progress"]) == 0
    originals = [json.loads(line) for line in chunks.read_text(encoding="utf-8").splitlines()]
    out = tmp_path / "kept.jsonl"
    query = "How is a paragraph wrapped into lines of a given width?"
    options = ["--scorer", "embedding", "--top-k", "3", "--show-dropped", "--out", str(out)]
    assert main(["filter", str(chunks), "--query", query, *options]) == 0
    kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 3
    scores = [record["relevance_score"] for record in kept]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    for record in kept:  # each object as read, plus the score and the flags
        assert {k: v for k, v in record.items() if k not in {"relevance_score", "flags"}} in originals
        assert record["flags"] == []
    assert any("def fill" in r["text"] or "def wrap" in r["text"] for r in kept)
    err = capsys.readouterr().err
    assert err.count("dropped line ") == len(originals) - 3 and "beyond top_k" in err
    assert f"kept 3 of {len(originals)} chunks (scorer embedding)" in err


def test_filter_from_stdin_names_duplicates_by_line_and_prints_a_table(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    records = [{"text": t, "file_path": "facts.md", "start": 0, "end": len(t)} for t in PASSAGES]
    _stdin(monkeypatch, _jsonl(records[:2]) + "\n" + _jsonl(records[2:]))  # a blank line 3 is skipped
    assert main(["filter", "-q", QUERY, "--scorer", "embedding", "--threshold", "0.5", "--show-dropped"]) == 0
    captured = capsys.readouterr()
    kept = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["text"] for r in kept] == [RELEVANT] and kept[0]["file_path"] == "facts.md"
    assert "dropped line 5 (facts.md[0:52]), score -: duplicate of line 1" in captured.err
    assert captured.err.count("below threshold 0.500") == 2

    _stdin(monkeypatch, _jsonl(records))
    table = ["filter", "-", "-q", QUERY, "--scorer", "embedding", "--threshold", "0.99", "--min-keep", "2"]
    assert main([*table, "--format", "table", "--show-dropped"]) == 0
    out = capsys.readouterr().out
    assert "kept (kept_by_min_keep)" in out and "dropped: duplicate of line 1" in out and "mitochondria" in out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"text": "a"}\n{"text": "b",}\n', "<stdin> line 2: not valid JSON"),
        ('{"text": "a"}\n\n{"file_path": "x.py"}\n', '<stdin> line 3: the object has no "text" field'),
        ("[1, 2]\n", "<stdin> line 1: expected a JSON object, got list"),
        ('{"text": 7}\n', '<stdin> line 1: "text": expected str, got int'),
        ('{"text": "\\ud800"}\n', '<stdin> line 1: "text": text contains a lone surrogate'),
        (b'{"text": "a"}\n{"text": "caf\xe9"}\n', "<stdin> line 2: not UTF-8 (byte 0xe9"),
    ],
    ids=["not-json", "no-text", "not-object", "text-not-str", "surrogate", "not-utf8"],
)
def test_filter_bad_input_names_the_line_and_exits_2(monkeypatch, capsys, data: str | bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    _stdin(monkeypatch, data)
    assert main(["filter", "-q", QUERY, "--scorer", "embedding"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chunkers: error: ") and message in err and "Traceback" not in err


def test_filter_usage_errors(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "chunks.jsonl"
    good.write_text(_jsonl([{"text": RELEVANT}]), encoding="utf-8")
    assert main(["filter", str(good), "--query", "   "]) == 2
    assert "--query must not be empty" in capsys.readouterr().err
    assert main(["filter", str(tmp_path / "missing.jsonl"), "-q", QUERY]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    usage_errors = (["--threshold", "high"], ["--top-k", "0"], ["--min-keep", "-1"], ["--scorer", "bm"], ["--llm", "x"])
    for bad in usage_errors:
        with pytest.raises(SystemExit) as exit_info:
            main(["filter", str(good), "-q", QUERY, *bad])
        assert exit_info.value.code == 2
    assert "expected 'dynamic', 'none' or a number" in capsys.readouterr().err
    # --scorer llm needs an LLM; a failed run leaves no output file behind (nor an empty one).
    out = tmp_path / "kept.jsonl"
    assert main(["filter", str(good), "-q", QUERY, "--scorer", "llm", "--out", str(out)]) == 2
    assert "an LLM is required" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == [good]
    out.write_text("earlier results\n", encoding="utf-8")
    assert main(["filter", str(tmp_path / "missing.jsonl"), "-q", QUERY, "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "earlier results\n"


def test_filter_console_script_with_the_default_embedding_scorer_on_stdin() -> None:
    script = Path(sys.executable).parent / "chunkers"
    records = _jsonl([{"text": t, "start": 0, "end": len(t)} for t in PASSAGES[:3]])
    command = [str(script), "filter", "--query", QUERY, "--threshold", "none"]
    result = subprocess.run(command, input=records, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    kept = [json.loads(line) for line in result.stdout.splitlines()]
    assert kept[0]["text"] == RELEVANT and len(kept) == 3
    assert kept[0]["relevance_score"] > kept[1]["relevance_score"] >= kept[2]["relevance_score"]
    assert "kept 3 of 3 chunks (scorer embedding)" in result.stderr
    broken = subprocess.run(command, input=records + "{oops\n", capture_output=True, text=True, timeout=600)
    assert broken.returncode == 2 and "<stdin> line 4: not valid JSON" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_auto_routes_structured_documents_text_and_code_and_ppl_only_by_name(tmp_path: Path) -> None:
    files = {"guide.md": "# A\n\nText.\n", "notes.markdown": "## B\n\nMore.\n", "page.html": "<h1>C</h1><p>x</p>",
             "old.htm": "<p>y</p>", "plain.txt": "Just text. Two sentences.", "README": "No extension here.",
             "tool.py": "def f():\n    return 1\n"}  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(tmp_path), "--out", str(out), "--no-progress"]) == 0
    methods = {Path(r["file_path"]).name: r["method"] for r in map(json.loads, out.read_text().splitlines())}
    assert methods == {"guide.md": "document", "notes.markdown": "document", "page.html": "document",
                       "old.htm": "document", "plain.txt": "sentence", "README": "sentence", "tool.py": "ast"}
    assert main(["chunk", str(tmp_path / "plain.txt"), "--method", "ppl", "--out", str(out), "--no-progress"]) == 0
    assert {json.loads(line)["method"] for line in out.read_text().splitlines()} == {"ppl"}
