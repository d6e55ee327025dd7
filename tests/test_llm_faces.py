"""The LLM chunker through LlamaIndex and LangChain, driven by the frameworks' own mock/fake models."""

from __future__ import annotations

from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import MockLLM

from langchain_chunkers import LLMTextSplitter
from llama_chunkers import LLMNodeParser

TEXT = "\n\n".join(f"Paragraph {i} talks about topic {i // 3} in a few plain words." for i in range(9))


def test_llamaindex_mock_llm_drives_the_node_parser_in_a_pipeline() -> None:
    # MockLLM echoes the prompt: the first valid ID in it is the group's second paragraph.
    parser = LLMNodeParser(llm=MockLLM(), group_tokens=40, min_tail=2)
    nodes = IngestionPipeline(transformations=[parser]).run(documents=[Document(text=TEXT)])
    assert len(nodes) >= 3
    for node in nodes:
        assert TEXT[node.start_char_idx : node.end_char_idx] == node.text
    assert {n.metadata["boundary"] for n in nodes} == {"llm", "end"}
    assert parser.chunker.usage.calls == len(nodes) - 1
    clone = LLMNodeParser.from_dict(parser.to_dict(), llm=MockLLM())
    assert (clone.group_tokens, clone.min_tail) == (40, 2)


def test_langchain_fake_chat_model_and_fake_llm_with_a_bad_reply() -> None:
    replies = ["Answer: ID 2", "Hmm, hard to say.", "Answer: ID 99", "ID 5", "The topic changes at ID 7."]
    chat = FakeListChatModel(responses=replies)
    splitter = LLMTextSplitter(llm=chat, group_tokens=60, min_tail=3, max_retries=2, add_start_index=True)
    docs = splitter.split_documents([LCDocument(page_content=TEXT, metadata={"source": "t.md"})])
    assert TEXT[docs[0].metadata["start_index"] : docs[0].metadata["end_index"]] == docs[0].page_content
    assert docs[0].page_content.endswith("Paragraph 1 talks about topic 0 in a few plain words.")
    assert docs[1].metadata["boundary"] == "llm" and docs[1].metadata["source"] == "t.md"
    starts = [int(d.page_content.split()[1]) for d in docs]
    assert starts == [0, 2, 5, 7]
    assert splitter.usage.retries == 2 and splitter.usage.fallbacks == 0  # prose and out-of-group replies retried
    plain = LLMTextSplitter(llm=FakeListLLM(responses=["Answer: ID 1"]), group_tokens=40, min_tail=2)
    assert "".join(plain.split_text(TEXT)).replace("\n", "") == TEXT.replace("\n", "")
