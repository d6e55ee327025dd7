"""The int8 CPU path for causal-LM scoring: the decoder exported to ONNX and run by ONNX Runtime with int8
weights, the LM head kept in float32 torch.

Quantisation: dynamic (activations quantised per run, one row per run), per-channel, reduced-range QInt8
weights on every decoder MatMul except the MLP ``down_proj``, whose input (the SwiGLU product) has outliers
that int8 wrecks.
The export (``torch.onnx.export``, TorchScript, opset 18) and quantisation run once per model and are
cached on disk by `chunkers.runtime.models.int8_onnx_path`. Used through
`chunkers.runtime.models.load_causal_lm(quantize="int8")`.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from types import SimpleNamespace
from typing import Any

_FLOAT_FILE = "decoder.onnx"
_INT8_FILE = "decoder_int8.onnx"
# Part of the cache key: a new export (another graph, slightly other scores) is not read from an older one's cache.
EXPORT_VERSION = 2


def _decoder_module(model: Any) -> Any:
    import torch

    class Decoder(torch.nn.Module):
        """The decoder with explicit positions 0..T-1 in every row."""

        def __init__(self) -> None:
            super().__init__()
            self.decoder = model.get_decoder()

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            rows, width = input_ids.shape
            positions = torch.arange(width, device=input_ids.device).unsqueeze(0).expand(rows, -1)
            output = self.decoder(
                input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, use_cache=False
            )
            return output.last_hidden_state

    return Decoder().eval()


def export_int8(model: Any, folder: Path) -> Path:
    """Export ``model``'s decoder (a transformers causal LM, float32, CPU) to ``folder``/decoder_int8.onnx:
    input_ids and attention_mask (batch x tokens, int64) -> last hidden state (float32)."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The TorchScript exporter with eager attention: about 20 s for SmolLM2-135M on 2 cores, where torch.export's
    # took 90 s, and as fast in ONNX Runtime (its SDPA export adds a NaN guard: 40% slower). Checked to agree with
    # the float32 decoder at 1-4 rows of 2-300 tokens, padded or not.
    example = torch.arange(128, dtype=torch.long).view(2, 64) % int(model.config.vocab_size)
    mask = torch.ones((2, 64), dtype=torch.long)
    dynamic = {0: "rows", 1: "tokens"}
    attention = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        with torch.inference_mode(False), torch.no_grad(), _quiet():
            torch.onnx.export(
                _decoder_module(model),
                (example, mask),
                str(folder / _FLOAT_FILE),
                dynamo=False,
                opset_version=18,
                input_names=["input_ids", "attention_mask"],
                output_names=["hidden"],
                dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "hidden": dynamic},
            )
    finally:
        model.set_attn_implementation(attention)
    graph = onnx.load(str(folder / _FLOAT_FILE), load_external_data=False).graph
    weights = {tensor.name for tensor in graph.initializer}
    keep_float = [node.name for node in graph.node if node.op_type == "MatMul" and _keeps_float(node, weights)]
    with _quiet():
        quantize_dynamic(
            str(folder / _FLOAT_FILE),
            str(folder / _INT8_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_float,
            use_external_data_format=True,
        )
    for path in folder.iterdir():  # the float export is no longer needed
        if not path.name.startswith(_INT8_FILE):
            path.unlink()
    return folder / _INT8_FILE


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter's progress lines and its notes on optional operators, and the quantiser's per-tensor
    logs and advice (it logs on the root logger): the user has been told once what is happening."""
    loggers = [logging.getLogger(), logging.getLogger("torch.onnx"), logging.getLogger("torch.export")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.level, logging.ERROR))
    try:
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _keeps_float(node: Any, weights: set[str]) -> bool:
    """A MatMul left in float32: the MLP's down_proj, and the attention's products of two activations."""
    return "down_proj" in node.name or not any(name in weights for name in node.input)


class Int8CausalLM:
    """A causal LM for scoring whose decoder runs in ONNX Runtime int8 and whose LM head is the float32 torch
    one. It answers what the scorers use of a transformers model: ``get_decoder()(input_ids=, attention_mask=)
    .last_hidden_state``, ``get_output_embeddings()``, ``model(**inputs, logits_to_keep=k).logits``,
    ``parameters()`` and ``config``; it does not ``generate``."""

    def __init__(self, model: Any, onnx_path: Path, threads: int | None = None) -> None:
        import onnxruntime
        import torch

        from .policy import Runtime, default_batch_tokens

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.head = model.get_output_embeddings()
        self.config = model.config
        self.onnx_path = onnx_path
        self.chunkers_runtime = Runtime("cpu", "float32", "int8", default_batch_tokens("cpu"))

    def get_decoder(self) -> Any:
        return self._decode

    def get_output_embeddings(self) -> Any:
        return self.head

    def parameters(self) -> Any:
        return self.head.parameters()

    def _decode(self, input_ids: Any, attention_mask: Any = None, **_: Any) -> SimpleNamespace:
        import numpy as np
        import torch

        ids = input_ids.cpu().numpy()
        mask = np.ones_like(ids) if attention_mask is None else attention_mask.cpu().numpy()
        hidden = np.zeros((*ids.shape, self.config.hidden_size), dtype=np.float32)
        for row, (row_ids, row_mask) in enumerate(zip(ids, mask)):
            # One row per run, its padding cut off: the activations' int8 scale is taken over the whole input, so
            # a batch would give each row scores that depend on the other rows (and on their padding).
            kept = np.flatnonzero(row_mask)
            if len(kept) == 0:
                continue
            first, last = int(kept[0]), int(kept[-1]) + 1
            if last - first != len(kept):  # a mask with holes: the row as it is, with its mask
                first, last = 0, len(row_ids)
            feed = {"input_ids": row_ids[None, first:last], "attention_mask": row_mask[None, first:last]}
            (hidden[row, first:last],) = self.session.run(None, feed)
        return SimpleNamespace(last_hidden_state=torch.from_numpy(hidden))

    def __call__(self, input_ids: Any, attention_mask: Any = None, logits_to_keep: int = 0, **_: Any) -> Any:
        hidden = self._decode(input_ids, attention_mask).last_hidden_state
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        return SimpleNamespace(logits=self.head(hidden))

    def __repr__(self) -> str:
        return f"Int8CausalLM({self.config._name_or_path!r}, onnx={str(self.onnx_path)!r})"
