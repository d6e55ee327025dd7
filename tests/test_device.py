"""Device, precision, int8 and batching choices (chunkers.runtime.models) with the real torch and the real SmolLM2."""

from __future__ import annotations

import importlib.util
import logging
from itertools import pairwise
from pathlib import Path

import pytest
import torch
from chunkers.apps.cli import build_parser
from chunkers.apps.routing import Router
from chunkers.filtering import LocalLMScorer
from chunkers.llms.local import LocalLLM
from chunkers.prose.perplexity import PerplexityChunker
from chunkers.runtime import models
from chunkers.runtime import policy as runtime

from benchmarks.perplexity_speed import DATA, boundary_f1

CUDA_MISSING = "needs a CUDA GPU (torch.cuda.is_available() is False on this machine)"


def _accelerators(monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, bf16: bool = True) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"), [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_auto_device_prefers_cuda_then_mps_then_cpu(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    _accelerators(monkeypatch, cuda, mps)
    assert runtime.resolve_device(None) == expected
    assert runtime.resolve_device("cpu") == "cpu"  # forcing wins over what is available
    assert runtime.resolve_device("cuda:1") == "cuda:1"


def test_auto_dtype_is_bf16_on_cuda_that_supports_it_else_fp16_and_fp32_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    _accelerators(monkeypatch, cuda=True, mps=False, bf16=True)
    assert runtime.resolve_dtype(None, "cuda") == "bfloat16"
    assert runtime.resolve_dtype("float32", "cuda") == "float32"
    _accelerators(monkeypatch, cuda=True, mps=False, bf16=False)
    assert runtime.resolve_dtype(None, "cuda:0") == "float16"
    assert runtime.resolve_dtype(None, "mps") == "float16"
    assert runtime.resolve_dtype(None, "cpu") == "float32"


def test_runtime_on_a_cuda_machine_and_forced_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    _accelerators(monkeypatch, cuda=True, mps=False, bf16=True)
    gpu = runtime.resolve_runtime()
    assert (gpu.device, gpu.dtype, gpu.quantize) == ("cuda", "bfloat16", "none")
    cpu = runtime.resolve_runtime(device="cpu")
    assert (cpu.device, cpu.dtype, cpu.quantize) == ("cpu", "float32", runtime.CPU_DEFAULT_QUANTIZE)
    assert runtime.CPU_DEFAULT_QUANTIZE == "int8"  # measured to agree with float32 (perplexity_speed_agreement.md)
    assert runtime.resolve_runtime("cpu", "float32").quantize == "none"  # an explicit dtype: the float32 path
    assert gpu.batch_tokens > cpu.batch_tokens
    assert runtime.resolve_runtime("cpu", "float32", "none", batch_tokens=999).batch_tokens == 999
    assert runtime.resolve_runtime("cpu", quantize=None, generate=True).quantize == "none"


def test_an_int8_cpu_default_falls_back_to_float32_without_onnx_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runtime.int8_available()  # the local extra installs it
    monkeypatch.setattr(runtime, "CPU_DEFAULT_QUANTIZE", "int8")  # as if int8 were the default
    assert runtime.resolve_runtime("cpu").quantize == "int8"
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real_find_spec(name, *a)
    )
    assert runtime.resolve_runtime("cpu").quantize == "none"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device": "tpu"}, "device must be"),
        ({"dtype": "fp8"}, "dtype must be"),
        ({"quantize": "int4"}, "quantize must be"),
        ({"device": "cpu", "dtype": "bfloat16", "quantize": "int8"}, "CPU path"),
        ({"device": "cpu", "quantize": "int8", "generate": True}, "not generation"),
        ({"device": "cpu", "batch_tokens": 0}, "batch_tokens must be"),
    ],
)
def test_bad_runtime_choices_fail_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        runtime.resolve_runtime(**kwargs)


def test_forced_float32_cpu_load_is_logged_and_visible(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(models, "_logged", set())
    chunker = PerplexityChunker(device="cpu", dtype="float32", quantize="none", batch_tokens=2560)
    with caplog.at_level(logging.INFO, logger="chunkers.runtime.models"):
        model = chunker.scorer.lm.load()[0]
    assert "on cpu, float32" in caplog.text
    assert next(model.parameters()).dtype == torch.float32
    assert chunker.runtime == runtime.Runtime("cpu", "float32", "none", 2560)
    assert "runtime=(cpu, float32, 2560 tokens per batch)" in repr(chunker)
    # params() rebuilds from the values as passed, not the resolved ones
    assert chunker.params()["quantize"] == "none" and PerplexityChunker(**chunker.params()).batch_tokens == 2560
    assert PerplexityChunker().params()["quantize"] is None


def test_cli_passes_device_and_dtype_to_the_model_chunker() -> None:
    args = build_parser().parse_args(["chunk", "notes.md", "--device", "cpu", "--dtype", "float32"])
    _, chunker = Router("ppl", 500, args.device, args.dtype)(Path("notes.md"))
    assert (chunker.device, chunker.dtype) == ("cpu", "float32")
    assert Router("auto", 500, "cpu")(Path("code.py"))[1].params()["max_size"] == 500  # other methods unaffected
    with pytest.raises(SystemExit):
        build_parser().parse_args(["show", "notes.md", "--dtype", "fp8"])


def _excerpt(name: str, chars: int) -> str:
    text = (DATA / name).read_text(encoding="utf-8")[:chars]
    return text[: text.rfind(" ")]


@pytest.fixture(scope="module")
def excerpts() -> list[str]:
    return [_excerpt("wikitexts.md", 3000), _excerpt("chatlogs.md", 3000)]


@pytest.fixture(scope="module")
def float32_chunks(excerpts: list[str]) -> list[list]:
    chunker = PerplexityChunker(max_size=600, device="cpu", dtype="float32", quantize="none", window_tokens=256)
    return chunker.chunk_many(excerpts)


def test_batching_alone_gives_identical_chunks(excerpts: list[str], float32_chunks: list[list]) -> None:
    # One window per pass, where the default budget puts every window of both documents in one pass.
    chunker = PerplexityChunker(
        max_size=600, device="cpu", dtype="float32", quantize="none", window_tokens=256, batch_tokens=320
    )
    spans = [[(c.start, c.end) for c in chunks] for chunks in chunker.chunk_many(excerpts)]
    assert spans == [[(c.start, c.end) for c in chunks] for chunks in float32_chunks]


def test_int8_boundaries_agree_with_float32(excerpts: list[str], float32_chunks: list[list]) -> None:
    chunker = PerplexityChunker(max_size=600, device="cpu", quantize="int8", window_tokens=256)
    assert chunker.runtime.quantize == "int8"
    for text, want, got in zip(excerpts, float32_chunks, chunker.chunk_many(excerpts)):
        assert got and all(text[c.start : c.end] == c.text for c in got)
        assert boundary_f1(text, want, got) >= 0.95


def test_int8_results_do_not_depend_on_the_other_texts_of_a_batch(excerpts: list[str]) -> None:
    # Int8 activations are scaled over the whole input: batched as one, a text's scores moved with its neighbours.
    scorer = LocalLMScorer(device="cpu", quantize="int8")
    passages = [*excerpts, "Paris is the capital of France.", "Bananas are yellow."]
    together, _ = scorer.score("What is the capital of France?", passages)
    alone = [scorer.score("What is the capital of France?", [passage])[0][0] for passage in passages]
    assert together == pytest.approx(alone, abs=1e-5)
    chunker = PerplexityChunker(max_size=600, device="cpu", quantize="int8", window_tokens=256)
    spans = [[(c.start, c.end) for c in chunks] for chunks in chunker.chunk_many(excerpts)]
    assert spans == [[(c.start, c.end) for c in chunker.chunk_many([text])[0]] for text in excerpts]


def test_boundary_f1_counts_a_neighbouring_sentence_as_equal() -> None:
    from chunkers.core.chunk import Chunk

    text = "One. Two. Three. Four. Five. Six."
    ends = [4, 9, 16, 22, 28, len(text)]

    def chunks(cuts: list[int]) -> list[Chunk]:
        bounds = [0, *cuts, len(text)]
        return [Chunk(text[a:b], a, b, {}) for a, b in pairwise(bounds)]

    assert boundary_f1(text, chunks([ends[1]]), chunks([ends[2]])) == 1.0
    assert boundary_f1(text, chunks([ends[0]]), chunks([ends[3]])) == 0.0
    assert boundary_f1(text, chunks([ends[0], ends[3]]), chunks([ends[0]])) == pytest.approx(2 / 3)


def test_lm_scorer_batches_by_tokens_and_keeps_the_order() -> None:
    passages = [
        "Paris is the capital and largest city of France.",
        "The mitochondrion is the powerhouse of the cell. " * 6,
        "Bananas are yellow.",
    ]
    whole = LocalLMScorer(device="cpu", dtype="float32", quantize="none")
    one_by_one = LocalLMScorer(device="cpu", dtype="float32", quantize="none", batch_size=1)
    scores, _ = whole.score("What is the capital of France?", passages)
    singles, _ = one_by_one.score("What is the capital of France?", passages)
    assert scores == pytest.approx(singles, abs=0.05)  # padding changes the positions a little, nothing more
    reordered, _ = whole.score("What is the capital of France?", passages[::-1])
    assert reordered[::-1] == pytest.approx(scores, abs=1e-5)  # same batch, scores back in the caller's order


def test_local_llm_refuses_int8_generation_and_picks_its_device() -> None:
    with pytest.raises(ValueError, match="only scores"):
        LocalLLM(quantize="int8")
    llm = LocalLLM(device="cpu", dtype="float32")
    assert llm.runtime.device == "cpu" and llm.runtime.quantize == "none"
    int8_model, tokenizer = models.load_causal_lm(device="cpu", quantize="int8")
    with pytest.raises(ValueError, match="does not generate"):  # a loaded int8 scorer handed to the LLM
        LocalLLM(model=int8_model, tokenizer=tokenizer).complete("Say yes.")


def test_embeddings_run_on_the_chosen_device() -> None:
    vectors = models.embed(["A cat.", "A dog."], device="cpu")
    assert vectors.shape == (2, 384)
    assert str(models.load_embedder(device="cpu").device) == "cpu"


def test_every_embedding_path_uses_the_devices_batch_unless_given_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from chunkers.apps.evaluation import Embedder
    from chunkers.runtime.embeddings import UnitEmbeddings

    from langchain_chunkers import LocalEmbeddings

    assert runtime.default_embed_batch("cpu") == runtime.default_embed_batch(torch.device("cpu")) == 8
    assert runtime.default_embed_batch("cuda:1") == runtime.DEFAULT_EMBED_BATCH["cuda"]
    encoder = models.load_embedder(device="cpu")
    batches: list[int] = []
    real_encode = type(encoder).encode

    def encode(self, texts, batch_size=32, **kwargs):  # the real encode, its batch size noted
        batches.append(batch_size)
        return real_encode(self, texts, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(type(encoder), "encode", encode)
    texts = ["A cat.", "A dog.", "A bird."]
    Embedder().documents(texts)  # the evaluation (`chunkers eval`, the benchmarks)
    UnitEmbeddings(encoder).documents(texts)  # a loaded sentence-transformers model
    LocalEmbeddings().embed_documents(texts)  # LangChain's face
    models.embed(texts)
    Embedder(batch_size=2).documents(texts)
    assert batches == [8, 8, 8, 8, 2]


@pytest.mark.skipif(not torch.cuda.is_available(), reason=CUDA_MISSING)
def test_cuda_default_is_half_precision_and_agrees_with_cpu(excerpts: list[str], float32_chunks: list[list]) -> None:
    chunker = PerplexityChunker(max_size=600, window_tokens=256)
    assert chunker.runtime.device == "cuda" and chunker.runtime.dtype in ("bfloat16", "float16")
    for text, want, got in zip(excerpts, float32_chunks, chunker.chunk_many(excerpts)):
        assert boundary_f1(text, want, got) >= 0.95
