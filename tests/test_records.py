"""`RecordChunker` and the routing of data files: JSON Lines, CSV and TSV by whole records, JSON/YAML/TOML by their
grammar; no data file goes to a prose chunker or a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chunkers import RecordChunker
from chunkers.apps.cli import main
from chunkers.records import record_spans

CSV = 'id,name,notes\n1,alpha,"two\nlines"\n2,beta,"say ""hi"""\r\n3,gamma,plain\n'


def test_a_quoted_line_break_does_not_end_a_csv_record() -> None:
    spans = record_spans(CSV, quoted=True)
    rows = ["id,name,notes", '1,alpha,"two\nlines"', '2,beta,"say ""hi"""', "3,gamma,plain"]
    assert [CSV[a:b] for a, b in spans] == rows
    assert len(record_spans(CSV, quoted=False)) == 5  # JSON Lines: one record per line


def test_csv_chunks_hold_whole_rows_and_carry_the_header_row() -> None:
    chunks = RecordChunker(max_size=40).chunk(CSV, file_path="table.csv")
    assert [c.metadata["records"] for c in chunks] == [2, 2]
    assert chunks[0].metadata["format"] == "csv" and "header_row" not in chunks[0].metadata
    assert chunks[1].metadata["header_row"] == "id,name,notes"
    assert chunks[1].metadata["context_header"] == "id,name,notes"
    assert all(CSV[c.start : c.end] == c.text for c in chunks)


def test_a_record_over_the_budget_is_split_and_flagged() -> None:
    text = json.dumps({"text": "word " * 60}) + "\n" + json.dumps({"text": "short"}) + "\n"
    chunks = RecordChunker(max_size=100).chunk(text, file_path="data.jsonl")
    assert all(len(c.text) <= 100 for c in chunks)
    assert chunks[0].metadata["split_record"] is True and "split_record" not in chunks[-1].metadata
    assert "".join("".join(c.text for c in chunks).split()) == "".join(text.split())  # only whitespace between


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        RecordChunker(format="xml")


def test_auto_routes_every_data_format_to_a_structural_chunker(tmp_path: Path) -> None:
    files = {
        "rows.jsonl": '{"a": 1}\n{"a": 2}\n',
        "rows.ndjson": '{"a": 1}\n',
        "table.csv": CSV,
        "table.tsv": "id\tname\n1\talpha\n",
        "config.json": '{"name": "x", "values": [1, 2, 3]}\n',
        "config.yaml": "name: x\nvalues:\n  - 1\n  - 2\n",
        "config.toml": '[tool]\nname = "x"\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(tmp_path), "--out", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    methods = {Path(r["file_path"]).name: r["method"] for r in records}
    expected = {"rows.jsonl": "records", "rows.ndjson": "records", "table.csv": "records", "table.tsv": "records"}
    expected |= {"config.json": "ast", "config.yaml": "ast", "config.toml": "ast"}
    assert methods == expected
    languages = {Path(r["file_path"]).name: r["metadata"].get("language") for r in records if r["method"] == "ast"}
    assert languages == {"config.json": "json", "config.yaml": "yaml", "config.toml": "toml"}
    assert not any(r["metadata"].get("fallback") for r in records)


def test_the_demo_chunks_no_data_file_as_prose(capsys: pytest.CaptureFixture[str]) -> None:
    data = Path(__file__).resolve().parents[1] / "examples" / "data"
    assert main(["chunk", str(data), "--format", "table", "--no-progress", "--method", "auto"]) == 0
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in capsys.readouterr().out.splitlines()
            if line.startswith("│")}  # fmt: skip
    data_rows = {name: method for name, method in rows.items() if name.endswith((".jsonl", ".csv", ".json"))}
    assert data_rows and set(data_rows.values()) <= {"records", "ast"}
