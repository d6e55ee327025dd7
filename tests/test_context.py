"""Context embedded with a chunk: the budget that counts it (a property test on generated Markdown, in characters
and in MiniLM tokens), the section context any chunker's spans get in the evaluation, and the LlamaIndex node's
embedded text without a "key: " label."""

from __future__ import annotations

import pytest
from chunkers import ASTChunker, DocumentChunker
from chunkers.core.chunk import embedded_text
from chunkers.runtime.models import minilm_path
from hypothesis import HealthCheck, given, settings
from invariants import assert_invariants
from llama_index.core import Document
from llama_index.core.schema import MetadataMode
from test_documents import Generated, markdown_documents

from llama_chunkers import DocumentNodeParser


def embedded_size(chunker, chunk) -> int:
    return chunker.sizer(embedded_text(chunk.metadata.get("context_header") or "", chunk.text))


@pytest.mark.parametrize(("sizer", "budget", "path"), [("chars", 80, "full"), ("non_whitespace", 60, "enclosing")])
def test_the_budget_holds_for_context_and_chunk_together(sizer: str, budget: int, path: str) -> None:
    counted = DocumentChunker(max_size=budget, sizer=sizer, context_in_budget=True, context_path=path)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(markdown_documents())
    def check(generated: Generated) -> None:
        chunks = counted.chunk(generated.text)
        assert_invariants(counted, generated.text, chunks)  # exact offsets, tiling, text within the budget
        assert all(embedded_size(counted, c) <= budget for c in chunks)

    check()


def test_the_budget_holds_in_tokens_and_for_code_headers() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    counted = DocumentChunker(max_size=48, sizer=tokenizer, context_in_budget=True)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(markdown_documents())
    def check(generated: Generated) -> None:
        chunks = counted.chunk(generated.text)
        assert_invariants(counted, generated.text, chunks)
        assert all(embedded_size(counted, c) <= 48 for c in chunks)

    check()
    code = "class Outer:\n    class Inner:\n        def method(self, value):\n" + "            x = value\n" * 40
    chunker = ASTChunker(max_size=120, expand_context=True, context_in_budget=True)
    chunks = chunker.chunk(code, file_path="pkg/deep/module.py")
    assert_invariants(chunker, code, chunks)
    assert all(chunker.sizer(embedded_text(c.metadata["context_header"], c.text)) <= 120 for c in chunks)
    assert all("context" not in c.metadata for c in chunks)  # the header once, not the chunk again


def test_a_context_longer_than_the_budget_is_cut_and_flagged() -> None:
    title = "A heading far longer than the whole budget of the chunker, " * 3
    text = f"# {title}\n\n## {title}\n\nBody text that must keep its place. More of it here.\n"
    chunker = DocumentChunker(max_size=60, context_in_budget=True, context_path="full", context_title=True)
    chunks = chunker.chunk(text)
    assert_invariants(chunker, text, chunks)
    assert all(embedded_size(chunker, c) <= 60 for c in chunks)
    assert any(c.metadata.get("context_truncated") for c in chunks)


def test_the_llamaindex_node_embeds_the_context_line_bare_and_the_llm_sees_the_same() -> None:
    text = "# Guide\n\nIntro.\n\n## Install\n\nRun the installer. Then restart.\n"
    nodes = DocumentNodeParser(max_size=40).get_nodes_from_documents([Document(text=text)])
    node = next(n for n in nodes if "installer" in n.text)
    embedded = node.get_content(MetadataMode.EMBED)
    assert embedded == embedded_text(node.metadata["context_header"], node.text)
    assert "context_header:" not in embedded and node.get_content(MetadataMode.LLM) == embedded


def test_the_evaluation_gives_any_chunkers_spans_their_section_context() -> None:
    from chunkers.apps.evaluation import Corpus
    from chunkers.apps.evaluation import Document as EvalDocument
    from chunkers.apps.evaluation.scoring import section_contexts

    text = "# Guide\n\nIntro.\n\n## Install\n\nRun the installer.\n\n### Linux\n\nUse the package.\n"
    corpus = Corpus([EvalDocument("guide.md", text)])
    starts = [text.index("## Install"), text.index("Run"), text.index("Use")]
    local = [(0, s, s + 3) for s in starts]
    assert section_contexts(corpus, local, "path") == ["", "Install", "Install > Linux"]
    assert section_contexts(corpus, local, "full-path") == ["Install", "Install", "Install > Linux"]
    assert section_contexts(corpus, local, "title+path")[1] == "Guide > Install"
