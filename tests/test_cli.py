"""The ``chunkers`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chunkers.cli import main

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


def test_chunk_writes_jsonl_with_exact_offsets_for_code_and_prose(tmp_path: Path) -> None:
    out = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(DATA / "textwrap.py"), str(DATA / "pubmed_abstracts.md"), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    methods = {Path(r["file_path"]).name: r["method"] for r in records}
    assert methods == {"textwrap.py": "ast", "pubmed_abstracts.md": "ppl"}
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
    assert code == 1
    assert '"file_path"' in captured.out and "good.py" in captured.out
    assert "error   " in captured.err and "notes.unknownext" in captured.err
    assert "cannot tell the language" in captured.err
    assert "skipped " in captured.err and "not UTF-8 text" in captured.err
    assert "1 of 3 files failed" in captured.err


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
