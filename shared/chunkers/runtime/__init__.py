"""Where and how models run: the device/precision/batch policy (`policy`), loading the embedded and local models
(`models`, `CausalLM`), the int8 CPU path (`onnx_int8`), per-token losses (`losses`) and the one embeddings adapter
(`embeddings`)."""

from .model_options import RUNTIME_OPTIONS, ModelOptions
from .policy import (
    CPU_DEFAULT_QUANTIZE,
    DEFAULT_BATCH_TOKENS,
    DEFAULT_EMBED_BATCH,
    DTYPES,
    LOCAL_EXTRA_INSTALL,
    QUANTIZE,
    ModelNotInstalledError,
    Runtime,
    default_batch_tokens,
    default_embed_batch,
    device_kind,
    int8_available,
    require_local_extra,
    resolve_device,
    resolve_dtype,
    resolve_quantize,
    resolve_runtime,
    runtime_of,
)

__all__ = [
    "CPU_DEFAULT_QUANTIZE",
    "DEFAULT_BATCH_TOKENS",
    "DEFAULT_EMBED_BATCH",
    "DTYPES",
    "LOCAL_EXTRA_INSTALL",
    "QUANTIZE",
    "RUNTIME_OPTIONS",
    "ModelNotInstalledError",
    "ModelOptions",
    "Runtime",
    "default_batch_tokens",
    "default_embed_batch",
    "device_kind",
    "int8_available",
    "require_local_extra",
    "resolve_device",
    "resolve_dtype",
    "resolve_quantize",
    "resolve_runtime",
    "runtime_of",
]
