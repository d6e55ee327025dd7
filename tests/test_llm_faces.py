"""The LLM chunker through LlamaIndex and LangChain, driven by the frameworks' own mock/fake models."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import CompletionResponse, MockLLM

from langchain_chunkers import LLMTextSplitter
from llama_chunkers import LLMNodeParser

TEXT = "\n\n".join(f"Paragraph {i} talks about topic {i // 3} in a few plain words." for i in range(9))
# How long a test waits for something that happens at once unless the code under test is broken: a guard against
# hanging forever, never a measure of speed.
HANG_GUARD_S = 300


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


class InFlight:
    """Counts calls in progress (on one event loop) and the most seen at once; `hold` keeps the first calls'
    replies until ``expected`` calls are in flight together, so a test sees how many calls run at once without
    depending on how long anything takes."""

    def __init__(self, expected: int) -> None:
        self.now = self.peak = 0
        self.expected = expected
        self._full: asyncio.Event | None = None

    def __enter__(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        self.now -= 1

    async def hold(self) -> None:
        """Wait until ``expected`` calls have been in flight at once (at most `HANG_GUARD_S`: then the test fails)."""
        self._full = self._full or asyncio.Event()
        if self.peak >= self.expected:
            self._full.set()
        try:
            await asyncio.wait_for(self._full.wait(), HANG_GUARD_S)
        except asyncio.TimeoutError:  # fewer calls ever ran together: let them all go
            self._full.set()


async def test_llamaindex_async_pipeline_runs_nodes_concurrently_through_acomplete() -> None:
    flight = InFlight(expected=3)

    class SlowMockLLM(MockLLM):
        async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            with flight:
                await flight.hold()
            return self.complete(prompt, formatted=formatted, **kwargs)

    parser = LLMNodeParser(llm=SlowMockLLM(), group_tokens=40, min_tail=2, concurrency=3)
    documents = [Document(text=TEXT, metadata={"doc": i}) for i in range(4)]
    nodes = await IngestionPipeline(transformations=[parser]).arun(documents=documents)
    assert flight.peak == 3  # nodes overlapped, at most `concurrency` calls at once
    assert len(nodes) == parser.usage.llm_boundaries + 4 and parser.usage.fallbacks == 0
    for node in nodes:
        assert TEXT[node.start_char_idx : node.end_char_idx] == node.text
    sync_nodes = LLMNodeParser(llm=MockLLM(), group_tokens=40, min_tail=2).get_nodes_from_documents(documents[:1])
    assert [n.text for n in nodes if n.metadata["doc"] == 0] == [n.text for n in sync_nodes]


async def test_langchain_atransform_documents_runs_documents_concurrently_through_ainvoke() -> None:
    flight = InFlight(expected=4)

    class SlowFakeChat(FakeListChatModel):
        async def _agenerate(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            with flight:
                await flight.hold()
            return self._generate(messages, stop=stop, **kwargs)

    # Every group's second paragraph is the first ID of the reply that lies inside the group.
    reply = "Answer: " + ", ".join(f"ID {i}" for i in range(20))
    splitter = LLMTextSplitter(llm=SlowFakeChat(responses=[reply]), group_tokens=40, min_tail=2, add_start_index=True)
    documents = [LCDocument(page_content=TEXT, metadata={"doc": i}) for i in range(4)]
    docs = await splitter.atransform_documents(documents)
    assert flight.peak == 4  # the default concurrency
    assert splitter.usage.calls == splitter.usage.llm_boundaries > 4 and splitter.usage.fallbacks == 0
    for doc in docs:
        assert TEXT[doc.metadata["start_index"] : doc.metadata["end_index"]] == doc.page_content
    assert [d.metadata["doc"] for d in docs] == sorted(d.metadata["doc"] for d in docs)
    plain = LLMTextSplitter(llm=FakeListChatModel(responses=[reply]), group_tokens=40, min_tail=2, add_start_index=True)
    assert plain.split_documents(documents) == docs  # the sync path (threads, invoke) gives the same documents
