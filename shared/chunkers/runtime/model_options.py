"""The model bundle, declared once: which model (``model``, ``tokenizer``) and where and how it runs (``device``,
``dtype``, ``quantize``, ``batch_tokens``). Every engine class that runs a local model takes these options by
inheriting `ModelOptions` (the perplexity chunker, the local-LM scorer, the local LLM, the intrinsic metrics) and
holds the model through `ModelOptions.causal_lm`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.options import Option, one_of, positive_or_none
from .models import CausalLM
from .policy import DTYPES, resolve_device


def device_check(name: str, value: Any) -> str | None:
    """None (choose) or a device name of the form `chunkers.runtime.policy.resolve_device` takes."""
    return None if value is None else resolve_device(value)


def quantize_check(name: str, value: Any) -> Any:
    """None (choose), False or 'none' (off), or 'int8'."""
    if value is None or value is False or value in ("none", "int8"):
        return value
    raise ValueError(f"{name} must be None (auto), 'none', False or 'int8', got {value!r}")


MODEL = Option(None, "Local model folder or loaded transformers model; None: the embedded one.", written=True)
TOKENIZER = Option(None, "The loaded model's tokenizer.", written=False)
DEVICE = Option(None, "'cpu', 'cuda', 'cuda:N' or 'mps'; None: CUDA, then MPS, then CPU.", device_check)
DTYPE = Option(None, "'float32', 'bfloat16' or 'float16'; None: bf16/fp16 on GPU, fp32 on CPU.",
               one_of(*DTYPES, none=True, hint="auto"))  # fmt: skip
QUANTIZE = Option(None, "'int8' (ONNX Runtime, CPU, scoring) or 'none'; None: int8 on CPU unless dtype is given.",
                  quantize_check)  # fmt: skip
BATCH_TOKENS = Option(None, "Tokens per forward pass; None: the device's default.", positive_or_none)
RUNTIME = {"device": DEVICE, "dtype": DTYPE, "quantize": QUANTIZE, "batch_tokens": BATCH_TOKENS}
RUNTIME_OPTIONS = {name: option.help for name, option in RUNTIME.items()}
"""The help of the runtime options (the command line's ``--device``, ``--dtype``, ``--quantize``)."""


@dataclass(eq=False)
class ModelOptions:
    """The model bundle as options: ``model`` and ``tokenizer`` first (positional), the runtime ones keyword-only."""

    model: Any = MODEL.field()
    tokenizer: Any = TOKENIZER.field()
    device: str | None = DEVICE.field(kw_only=True)
    dtype: str | None = DTYPE.field(kw_only=True)
    quantize: str | bool | None = QUANTIZE.field(kw_only=True)
    batch_tokens: int | None = BATCH_TOKENS.field(kw_only=True)

    def causal_lm(self, generate: bool = False) -> CausalLM:
        """The handle of the causal LM these options describe (loaded on first use); ``generate``: for generation
        (no int8 scoring path)."""
        quantize = "none" if generate else self.quantize
        return CausalLM(self.model, self.tokenizer, self.device, self.dtype, quantize, self.batch_tokens, generate)
