"""The examples run: both framework scripts end to end, both notebooks without an error cell (in this venv); the
scripts never index the evaluation's answer key (examples/data/questions.jsonl), and route JSON Lines to the
RecordChunker as ``chunkers chunk`` does."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted((EXAMPLES / "notebooks").glob("*.ipynb"))
ANSWER_KEY = "questions.jsonl"


def run_script(name: str, *args: str) -> str:
    command = [sys.executable, str(EXAMPLES / name), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.slow
def test_llamaindex_app_ingests_indexes_retrieves_and_filters() -> None:
    out = run_script("llamaindex_app.py", "--prose", "sentence")  # the notebooks run the perplexity parsers
    assert "code nodes (ASTNodeParser)" in out and "prose nodes (SentenceNodeParser)" in out
    assert "indexed " in out and "with all-MiniLM-L6-v2" in out
    assert out.count("\nQ: ") == 3 and out.count("by retriever + ChunkFilterPostprocessor (scorer embedding") == 2
    assert out.count("by query engine (MockLLM, no_text) with ChunkFilterPostprocessor (scorer embedding") == 1
    first_answer = out.split("\nQ: ")[1]
    assert "textwrap.py:" in first_answer  # the code question retrieved code nodes, with their lines
    assert "done in" in out
    assert ANSWER_KEY not in out  # neither ingested nor retrieved nor kept


@pytest.mark.slow
def test_langchain_chain_splits_embeds_compresses_and_runs_the_lcel_chain() -> None:
    # The fast option: the notebooks run the perplexity chunker (and the notebook
    # the "local" scorer, kept for comparison); the default scorer is "embedding".
    out = run_script("langchain_chain.py", "--prose", "sentence")
    assert "code chunks (ASTTextSplitter)" in out and "prose chunks (SentenceTextSplitter)" in out
    assert out.count("\nQ: ") == 3 and out.count("by ChunkFilterCompressor (scorer embedding, relevance)") == 3
    assert "valkyria_chronicles_wikitext.md[" in out.split("\nQ: ")[2]  # exact offsets from add_start_index
    assert out.count("answer: (FakeListLLM") == 3 and "done in" in out
    assert ANSWER_KEY not in out  # neither split nor retrieved nor kept


def example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """An example script imported as a module (its ``main`` does not run)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module(name)


def test_the_langchain_chain_never_indexes_the_answer_key(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = example("langchain_chain", monkeypatch)
    sources = {Path(c.metadata["source"]).name for c in chain.split("sentence")}  # what the chain indexes
    assert sources == {"textwrap.py", "rustdoc_storage.js", "valkyria_chronicles_wikitext.md", "pubmed_abstracts.md"}


def test_the_llamaindex_app_never_ingests_the_answer_key(monkeypatch: pytest.MonkeyPatch) -> None:
    app = example("llamaindex_app", monkeypatch)
    nodes = app.ingest("sentence")
    names = {Path(n.metadata["file_path"]).name for n in nodes}
    assert names == {"textwrap.py", "rustdoc_storage.js", "valkyria_chronicles_wikitext.md", "pubmed_abstracts.md"}


def test_both_examples_route_json_lines_to_the_record_chunker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("textwrap.py", "pubmed_abstracts.md", ANSWER_KEY):
        shutil.copy(EXAMPLES / "data" / name, tmp_path / name)
    rows = "".join(json.dumps({"id": i, "title": f"Product {i}", "text": f"A short description {i}."}) + "\n"
                   for i in range(30))  # fmt: skip
    (tmp_path / "products.jsonl").write_text(rows, encoding="utf-8")
    chain, app = example("langchain_chain", monkeypatch), example("llamaindex_app", monkeypatch)
    monkeypatch.setattr(chain, "DATA", tmp_path)
    monkeypatch.setattr(app, "DATA", tmp_path)
    documents = [(Path(d.metadata["source"]).name, d.metadata) for d in chain.split("sentence")]
    nodes = [(Path(n.metadata["file_path"]).name, n.metadata) for n in app.ingest("sentence")]
    for chunks in (documents, nodes):
        assert {name for name, _ in chunks} == {"textwrap.py", "pubmed_abstracts.md", "products.jsonl"}
        records = [metadata for name, metadata in chunks if name == "products.jsonl"]
        assert records and all(m["chunker"] == "records" for m in records)
        assert sum(m["records"] for m in records) == 30  # every record, whole


def test_the_notebooks_are_saved_executed_with_outputs_and_no_error() -> None:
    assert [p.name for p in NOTEBOOKS] == ["01_chunking.ipynb", "02_filtering_and_frameworks.ipynb"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code_cells), f"{path.name} is saved without being run"
        assert not [o for c in code_cells for o in c.outputs if o.output_type == "error"]
        images = [o for c in code_cells for o in c.outputs if "image/png" in o.get("data", {})]
        assert images, f"{path.name} has lost its plot"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_an_error_cell(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel "python3" must be this venv's: its kernelspec (installed by ipykernel under sys.prefix) runs
    # "python", which jupyter_client resolves to sys.executable; JUPYTER_PATH puts it before any user kernelspec.
    monkeypatch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell("import sys\nprint(sys.prefix)"))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and the traceback, at the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert nb.cells[-1].outputs[0].text.strip() == sys.prefix, "the notebook ran in another Python environment"
