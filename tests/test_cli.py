"""The ``chunkers`` command line."""

from __future__ import annotations

import io
import json
import re
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
    assert methods == {
        "guide.md": "document",
        "notes.markdown": "document",
        "page.html": "document",
        "old.htm": "document",
        "plain.txt": "sentence",
        "README": "sentence",
        "tool.py": "ast",
    }
    assert main(["chunk", str(tmp_path / "plain.txt"), "--method", "ppl", "--out", str(out), "--no-progress"]) == 0
    assert {json.loads(line)["method"] for line in out.read_text().splitlines()} == {"ppl"}


# ---- corpus hygiene: generated and markup-only files, sizes, files named explicitly, line numbers --------------

GENERATED_FILES = {
    "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>\n',
    "uv.lock": 'version = 1\n\n[[package]]\nname = "rag-chunkers"\n',
    "poetry.lock": '[[package]]\nname = "requests"\n',
    "package-lock.json": '{"name": "app", "lockfileVersion": 3, "packages": {}}\n',
    "yarn.lock": 'left-pad@^1.3.0:\n  version "1.3.0"\n',
    "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    "Cargo.lock": '[[package]]\nname = "serde"\n',
    "Gemfile.lock": "GEM\n  specs:\n",
    "composer.lock": '{"packages": []}\n',
    "flake.lock": '{"nodes": {}}\n',
    "app.min.js": "var a=1;function f(){return a}\n",
    "site.min.css": "body{margin:0}\n",
    "app.js.map": '{"version":3,"sources":["app.js"],"mappings":"AAAA"}\n',
}
XML = '<?xml version="1.0"?>\n<catalog>\n  <book id="b1">\n    <title>Dune</title>\n  </book>\n</catalog>\n'


def _records_of(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines()]


def test_walking_a_folder_skips_generated_and_markup_files_with_the_reason(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    for name, text in {**GENERATED_FILES, "catalog.xml": XML, "tool.py": "def f():\n    return 1\n"}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["chunk", str(tmp_path), "--no-progress"]) == 0  # skipped files found in a folder: not an error
    captured = capsys.readouterr()
    by_file = {Path(r["file_path"]).name: r for r in _records_of(captured.out)}
    reasons = {
        "logo.svg": "markup only (an SVG image)",
        "app.min.js": "minified (a .min.js asset)",
        "site.min.css": "minified (a .min.css asset)",
        "app.js.map": "generated (a source map)",
    }
    for name in GENERATED_FILES:
        assert name not in by_file
        reason = reasons.get(name, "generated (a lockfile)")
        assert f"skipped {tmp_path / name}: {reason}\n" in captured.err
    assert by_file["tool.py"]["method"] == "ast"
    xml = by_file["catalog.xml"]  # XML is code with a grammar: chunked by its syntax tree (tree-sitter-language-pack)
    assert xml["method"] == "ast" and xml["metadata"]["language"] == "xml" and not xml["metadata"]["fallback"]

    assert main(["chunk", str(tmp_path), "--no-progress", "--include-generated"]) == 0
    captured = capsys.readouterr()
    assert {Path(r["file_path"]).name for r in _records_of(captured.out)} >= set(GENERATED_FILES)
    assert "skipped " not in captured.err


def _markdown(size: int) -> str:
    """A real-looking Markdown document of at least ``size`` bytes: headed sections of short paragraphs."""
    parts, length, section = [], 0, 0
    while length < size:
        part = f"## Section {section}\n\n" + "This is a sentence about the topic of this section. " * 8 + "\n\n"
        parts.append(part)
        length += len(part)
        section += 1
    return "# A large document\n\n" + "".join(parts)


def test_a_file_named_explicitly_is_never_skipped_silently(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "corpus" / "big.md"
    big.parent.mkdir()
    big.write_text(_markdown(2_000_000), encoding="utf-8")
    size = big.stat().st_size
    out = tmp_path / "chunks.jsonl"
    # Named explicitly and over the 1 MB default: exit status 2, the file, the reason and the flag that includes it.
    assert main(["chunk", str(big), "--no-progress", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{big}: skipped: larger than 1000000 bytes ({size}); pass --max-bytes {size} (or more)" in err
    assert not out.exists()  # nothing written
    # Found by walking its folder: skipped with the reason, and the run succeeds.
    assert main(["chunk", str(big.parent), "--no-progress", "--out", str(out)]) == 0
    assert f"skipped {big}: larger than 1000000 bytes ({size})" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == ""
    # --max-bytes raises the limit: the whole file is chunked.
    assert main(["chunk", str(big), "--no-progress", "--max-bytes", str(size), "--out", str(out)]) == 0
    records = _records_of(out.read_text(encoding="utf-8"))
    whole = big.read_text(encoding="utf-8").rstrip()  # the trailing whitespace is in no chunk
    assert records[0]["start"] == 0 and records[-1]["end"] == len(whole) and records[0]["method"] == "document"

    lock, binary = tmp_path / "uv.lock", tmp_path / "blob.txt"
    lock.write_text(GENERATED_FILES["uv.lock"], encoding="utf-8")
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    assert main(["chunk", str(lock), str(binary), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{lock}: skipped: generated (a lockfile); pass --include-generated to include it" in err
    assert f"{binary}: skipped: binary (NUL bytes); no option includes it" in err
    assert main(["chunk", str(lock), "--no-progress", "--include-generated"]) == 0
    assert _records_of(capsys.readouterr().out)[0]["text"].startswith("version = 1")
    with pytest.raises(SystemExit) as exit_info:
        main(["chunk", str(lock), "--max-bytes", "0"])
    assert exit_info.value.code == 2


def test_the_console_script_exits_2_for_a_named_file_it_would_skip(tmp_path: Path) -> None:
    minified = tmp_path / "app.min.js"
    minified.write_text(GENERATED_FILES["app.min.js"], encoding="utf-8")
    script = Path(sys.executable).parent / "chunkers"
    result = subprocess.run([str(script), "chunk", str(minified), "--no-progress"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert f"{minified}: skipped: minified (a .min.js asset); pass --include-generated" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_chunk_written_carries_its_lines_for_every_method(tmp_path: Path) -> None:
    files = {
        "notes.txt": "First sentence here.\r\nSecond one, on a CRLF line. Third.\r\n\r\nA new paragraph.\r\n" * 40,
        "rows.jsonl": "".join(json.dumps({"id": i, "text": f"record {i} " * 20}) + "\n" for i in range(40)),
        "guide.md": _markdown(6000),
        "tool.py": (DATA / "textwrap.py").read_text(encoding="utf-8"),
    }
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))  # as is: CRLF stays CRLF
    out = tmp_path / "out" / "chunks.jsonl"
    for method in ("auto", "sentence", "records", "document", "ast"):
        assert main(["chunk", *(str(tmp_path / n) for n in files), "--method", method, "--max-size", "300",
                     "--no-progress", "--out", str(out)]) == 0  # fmt: skip
        records = _records_of(out.read_text(encoding="utf-8"))
        assert {Path(r["file_path"]).name for r in records} == set(files)
        for record in records:
            text = files[Path(record["file_path"]).name]
            start, end = record["start"], record["end"]
            assert text[start:end] == record["text"]
            last = max(start, end - 1)  # the chunk's last character
            lines = (text.count("\n", 0, start) + 1, text.count("\n", 0, last) + 1)
            assert (record["start_line"], record["end_line"]) == lines, (method, record)


def test_help_names_each_methods_size_unit_and_every_eval_candidate(capsys) -> None:  # type: ignore[no-untyped-def]
    from chunkers.apps.evaluation.candidates import Registry
    from chunkers.apps.routing import option_default

    with pytest.raises(SystemExit) as exit_info:
        main(["chunk", "--help"])
    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"ast: {option_default('ast', 'max_size')} non-whitespace characters" in help_text
    for method in ("sentence", "document", "records"):
        assert f"{method}: {option_default(method, 'max_size')} characters" in help_text
    assert "--max-bytes" in help_text and "--include-generated" in help_text

    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    help_text = " ".join(re.sub(r"-\n\s*", "-", capsys.readouterr().out).split())  # argparse wraps at hyphens
    listed = help_text.split("comma-separated: ", 1)[1].split(", all, or module:factory", 1)[0].split(", ")
    assert listed == list(Registry().candidates())
    assert {"document", "semantic", "langchain-semantic", "ast", "llm"} <= set(listed)
