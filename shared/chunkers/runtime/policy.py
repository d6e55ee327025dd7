"""Where and how a model runs: the one policy for device, precision, quantisation and batch size.

`resolve_runtime` turns what the user asked for (None: choose) into a `Runtime`; every model-driven part (the
perplexity chunker, the local-LM scorer, the local LLM, the intrinsic metrics, the embeddings) goes through it,
by way of `chunkers.runtime.models`, which loads the models. Measured speeds and agreements of these choices are in the
docs/ pages and ``benchmarks/results/``, with the machine they were measured on.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from typing import Any

LOCAL_EXTRA_INSTALL = "pip install 'rag-chunkers[local]' torch==2.13.0"
DTYPES = ("float32", "bfloat16", "float16")
QUANTIZE = ("none", "int8")
# The CPU default for scoring when neither quantize nor dtype is given (benchmarks/results/perplexity_speed*.md).
CPU_DEFAULT_QUANTIZE = "int8"
# Tokens per forward pass (rows x padded width) when the caller gives no budget.
DEFAULT_BATCH_TOKENS = {"cpu": 5120, "mps": 16384, "cuda": 65536}
# Texts per embedding pass. On CPU small batches are fastest (benchmarks/results/embed_batch.md: 8 is within 11% of
# the best batch in every setting measured, 64 took up to 1.64x as long).
DEFAULT_EMBED_BATCH = {"cpu": 8, "mps": 128, "cuda": 256}


class ModelNotInstalledError(ImportError):
    """An embedded model's package (or the libraries to run it) is not installed."""


def require_local_extra() -> None:
    """Raise a clear error if torch or transformers is missing."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise ModelNotInstalledError(f"{module} is needed to run local models. Run: {LOCAL_EXTRA_INSTALL}")


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


def device_kind(device: str) -> str:
    """ "cuda" for "cuda:1", and so on."""
    return device.split(":", 1)[0]


def resolve_device(device: str | None) -> str:
    """``device`` as given, or when None the best available: CUDA, then Apple MPS, then CPU."""
    if device is not None:
        if not isinstance(device, str) or device_kind(device) not in ("cpu", "cuda", "mps"):
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
    kind = device_kind(device)
    if kind == "cpu":
        return "float32"
    if kind == "cuda":
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float16"


def int8_available() -> bool:
    """Whether the int8 path's libraries (onnx, onnxruntime: the ``local`` extra) are installed;
    without them the CPU default falls back to float32."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))


def resolve_quantize(quantize: str | bool | None, device: str, dtype: str | None = None, generate: bool = False) -> str:
    """The quantisation, "none" or "int8". None: the default decision (``CPU_DEFAULT_QUANTIZE`` for scoring on
    CPU when ``dtype`` is left to choose (None) and `int8_available`; "none" with an explicit ``dtype``,
    elsewhere and for generation); False or "none": off; "int8": ONNX Runtime int8 weights on CPU (scoring
    only: per-token losses and next-token logits)."""
    if quantize is None:
        scoring_on_cpu = device_kind(device) == "cpu" and dtype is None and not generate
        return CPU_DEFAULT_QUANTIZE if scoring_on_cpu and int8_available() else "none"
    if quantize is False or quantize == "none":
        return "none"
    if quantize != "int8":
        raise ValueError(f"quantize must be None (auto), 'none', False or 'int8', got {quantize!r}")
    if device_kind(device) != "cpu" or dtype not in (None, "float32"):
        raise ValueError(f"quantize='int8' is a CPU path (device='cpu', dtype='float32'); got {device!r}, {dtype!r}")
    if generate:
        raise ValueError("quantize='int8' serves scoring (losses, next-token logits), not generation; use 'none'")
    return "int8"


def default_batch_tokens(device: str) -> int:
    """Tokens per forward pass for ``device`` when none is given (larger on accelerators)."""
    return DEFAULT_BATCH_TOKENS[device_kind(device)]


def default_embed_batch(device: object) -> int:
    """Texts per embedding pass on ``device`` (a name or a torch device) when none is given."""
    return DEFAULT_EMBED_BATCH.get(device_kind(str(device)), DEFAULT_EMBED_BATCH["cpu"])


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
    """The `Runtime` a loaded model runs with: the one its loader recorded, else read from its weights."""
    recorded = getattr(model, "chunkers_runtime", None)
    if recorded is None:
        parameter = next(model.parameters())
        device = str(parameter.device)
        recorded = Runtime(device, str(parameter.dtype).removeprefix("torch."), "none", default_batch_tokens(device))
    if batch_tokens is not None:
        recorded = replace(recorded, batch_tokens=batch_tokens)
    return recorded
