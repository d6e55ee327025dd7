"""The AST chunker through LlamaIndex and LangChain, as users drop it in for CodeSplitter / from_language."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document as LCDocument
from langchain_text_splitters import Language
from llama_index.core import SimpleDirectoryReader
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import MetadataMode

from langchain_chunkers import ASTTextSplitter
from llama_chunkers import ASTNodeParser

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


def test_llamaindex_ingestion_pipeline_over_a_code_folder() -> None:
    documents = SimpleDirectoryReader(input_files=[DATA / "textwrap.py", DATA / "rustdoc_storage.js"]).load_data()
    parser = ASTNodeParser(max_size=400, expand_context=True)
    nodes = IngestionPipeline(transformations=[parser]).run(documents=documents)
    by_doc = {d.doc_id: d for d in documents}
    languages = set()
    for node in nodes:
        source = by_doc[node.ref_doc_id].text
        assert source[node.start_char_idx : node.end_char_idx] == node.text
        languages.add(node.metadata["language"])
        assert node.metadata["file_name"] in {"textwrap.py", "rustdoc_storage.js"}
        embedded = node.get_content(MetadataMode.EMBED)
        assert node.metadata["context_header"] in embedded and "node_types" not in embedded
    assert languages == {"python", "javascript"}
    method = next(n for n in nodes if n.metadata["ancestors"] == ["class TextWrapper:"])
    assert method.metadata["start_line"] > 1


def test_llamaindex_parser_round_trips_and_takes_an_explicit_language() -> None:
    parser = ASTNodeParser(language="python", max_size=300, overlap_nodes=1)
    clone = ASTNodeParser.from_dict(parser.to_dict())
    assert (clone.language, clone.max_size, clone.overlap_nodes) == ("python", 300, 1)


def test_langchain_from_language_and_split_documents_with_start_index() -> None:
    code = (DATA / "textwrap.py").read_text(encoding="utf-8")
    splitter = ASTTextSplitter.from_language(Language.PYTHON, max_size=500, add_start_index=True)
    docs = splitter.split_documents([LCDocument(page_content=code, metadata={"source": "textwrap.py"})])
    assert len(docs) > 5
    for doc in docs:
        start, end = doc.metadata["start_index"], doc.metadata["end_index"]
        assert code[start:end] == doc.page_content
        assert doc.metadata["language"] == "python" and doc.metadata["source"] == "textwrap.py"
    script = (DATA / "rustdoc_storage.js").read_text(encoding="utf-8")
    js_doc = LCDocument(page_content=script, metadata={"source": "s.js"})
    by_source = ASTTextSplitter(max_size=500).split_documents([js_doc])
    assert {d.metadata["language"] for d in by_source} == {"javascript"}


def test_langchain_context_in_content_puts_the_header_where_langchain_embeds() -> None:
    code = (DATA / "textwrap.py").read_text(encoding="utf-8")
    splitter = ASTTextSplitter(
        language="python", max_size=300, add_start_index=True, context_in_content=True, context_in_budget=False
    )  # the same chunks as without the header: compared below
    docs = splitter.split_documents([LCDocument(page_content=code, metadata={"source": "textwrap.py"})])
    method = next(d for d in docs if d.metadata["ancestors"] == ["class TextWrapper:"])
    header = method.metadata["context_header"]
    assert header == "textwrap.py\nclass TextWrapper:\n"
    assert method.page_content == header + code[method.metadata["start_index"] : method.metadata["end_index"]]
    plain = ASTTextSplitter(language="python", max_size=300, add_start_index=True)
    assert [code[d.metadata["start_index"] : d.metadata["end_index"]] for d in docs] == plain.split_text(code)
    counted = ASTTextSplitter(language="python", max_size=300, context_in_content=True)  # the default: header counted
    pages = counted.split_documents([LCDocument(page_content=code, metadata={"source": "textwrap.py"})])
    assert all(counted.chunker.sizer(d.page_content) <= 300 for d in pages)
