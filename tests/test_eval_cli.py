"""``chunkers eval`` end to end on real files: the README's example, resuming, one-line errors for bad input,
per-document error records, and generated questions from an LLM named on the command line."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from chunkers.apps.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    """A folder with the two prose files of examples/data."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("valkyria_chronicles_wikitext.md", "pubmed_abstracts.md"):
        shutil.copy(EXAMPLES / name, folder)
    return folder


@pytest.mark.slow
def test_the_readme_example_prints_the_table_writes_the_report_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    command = ["eval", str(EXAMPLES), "-q", str(EXAMPLES / "questions.jsonl"), "--chunkers",
               "sentence,langchain-recursive", "--sizes", "200,400", "--out", str(out)]  # fmt: skip
    assert main(command) == 0
    first = capsys.readouterr()
    assert "at a mean chunk size of" in first.out and "rag-chunkers SentenceChunker" in first.out
    assert "Traceback" not in first.err and "report: " in first.err
    data = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    # the questions file beside the documents is not one of them; the other five files are
    assert data["setup"].startswith("5 documents") and "12 questions (12 with evidence spans" in data["setup"]
    assert len(data["rows"]) == 4 and all(r["errors"] == [] and 0 < r["iou"] < 1 for r in data["rows"])
    assert {m["chunker"] for m in data["matched"]} == {"rag-chunkers SentenceChunker",
                                                        "LangChain RecursiveCharacterTextSplitter"}  # fmt: skip
    for kind in ("size", "speed"):
        assert (out / f"eval_{kind}.png").read_bytes()[:4] == b"\x89PNG"
    saved = sorted((out / "settings").glob("*.json"))
    stamps = [p.stat().st_mtime_ns for p in saved]
    assert len(saved) == 4
    assert main(command) == 0  # a rerun resumes: every setting comes from its saved result
    again = capsys.readouterr()
    assert [p.stat().st_mtime_ns for p in sorted((out / "settings").glob("*.json"))] == stamps
    assert again.out.splitlines()[:3] == first.out.splitlines()[:3]


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("chunkers: error: "), err
    return err


def test_bad_input_is_one_clear_line(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "Who?", "document": "pubmed_abstracts.md"}) + "\n"
                         + json.dumps({"question": "What?", "evidence": "a sentence not in the files"}) + "\n",
                         encoding="utf-8")  # fmt: skip
    base = ["eval", str(small), "--out", str(tmp_path / "out"), "--sizes", "300"]
    err = _one_line_error(capsys, [*base, "-q", str(questions)])
    assert "q.jsonl line 2: evidence 'a sentence not in the files' not found in the documents" in err
    err = _one_line_error(capsys, [*base, "-q", str(EXAMPLES / "questions.jsonl"), "--chunkers", "sentence,nope"])
    assert "unknown chunker 'nope'" in err
    (tmp_path / "empty").mkdir()
    err = _one_line_error(capsys, ["eval", str(tmp_path / "empty"), "-q", str(questions)])
    assert "the corpus is empty" in err
    assert "no questions" in _one_line_error(capsys, base)
    assert "--generate needs --llm" in _one_line_error(capsys, [*base, "--generate", "3"])


FAKES = '''
import json

def llm(prompt):
    """A fake remote LLM: a question about the excerpt's first long sentence, quoting it exactly."""
    excerpt = prompt.split("Text:\\n", 1)[1]
    sentence = next(s.strip() for s in excerpt.split(" . ") if len(s.strip()) > 40)
    return json.dumps({"question": "What is said about " + sentence[:40] + "?", "references": [sentence]})

def fragile(target):
    from chunkers import SentenceChunker

    chunker = SentenceChunker(max_size=target)

    def chunk(text):
        if text.startswith("PMID"):
            raise RuntimeError("cannot read this one")
        return chunker.chunk(text)

    return chunk
'''


@pytest.mark.slow
def test_generated_questions_and_a_failing_chunker_from_the_command_line(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "eval_cli_fakes.py").write_text(textwrap.dedent(FAKES), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # module:attribute names resolve from the current directory
    monkeypatch.syspath_prepend(str(tmp_path))
    command = ["eval", str(small), "--generate", "4", "--llm", "eval_cli_fakes:llm", "--chunkers",
               "sentence,eval_cli_fakes:fragile", "--sizes", "300", "--out", "out"]  # fmt: skip
    assert main(command) == 1  # a chunker failed on a document: reported, and the exit status says so
    captured = capsys.readouterr()
    assert "generated 4 of 4 questions into out/questions.generated.jsonl" in captured.err
    assert "error   eval_cli_fakes:fragile @ 300 on pubmed_abstracts.md: RuntimeError: cannot read this one" in (
        captured.err)  # fmt: skip
    generated = [json.loads(line) for line in Path("out/questions.generated.jsonl").read_text().splitlines()]
    assert len(generated) == 4
    for record in generated:
        [reference] = record["references"]
        text = (small / reference["document"]).read_text(encoding="utf-8")
        assert text[reference["start"] : reference["end"]] == reference["content"]
    rows = json.loads(Path("out/eval.json").read_text(encoding="utf-8"))["rows"]
    assert [len(r["errors"]) for r in rows] == [0, 1]
    assert main(command) == 1
    assert "reusing the generated questions in out/questions.generated.jsonl" in capsys.readouterr().err
