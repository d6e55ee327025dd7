"""The embedded local LLM: SmolLM2-135M-Instruct (or any local causal LM), chat template, greedy decoding."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from .base import check_positive
from .llm import LLMUsage


class LocalLLM:
    """The embedded SmolLM2-135M-Instruct (or any local causal LM), chat template, greedy decoding.

    ``device``/``dtype`` (None: CUDA, then MPS, then CPU; bfloat16/float16 on GPU, float32 on CPU) are resolved
    by `chunkers.models.resolve_runtime`; ``runtime`` tells the choice. ``quantize``: None or "none" (the int8
    path scores, it does not generate). `complete_batch` answers several prompts in shared ``generate`` calls
    of at most the runtime's ``batch_tokens``; `LLMChunker.chunk_many` uses it for the prompts of different
    documents."""

    def __init__(
        self,
        model: Any = None,
        tokenizer: Any = None,
        max_new_tokens: int = 16,
        device: str | None = None,
        dtype: str | None = None,
        quantize: str | bool | None = None,
    ):
        if quantize not in (None, False, "none"):
            raise ValueError(
                f"LocalLLM generates, and the int8 path only scores: quantize must be None or 'none', got {quantize!r}"
            )
        self.model, self.tokenizer, self.device, self.dtype, self.quantize = model, tokenizer, device, dtype, quantize
        self._spec = (model, tokenizer, device, dtype, "none")
        self._loaded: tuple[Any, Any] | None = None
        self.max_new_tokens = check_positive("max_new_tokens", max_new_tokens)
        self.usage = LLMUsage()
        self._lock = threading.Lock()
        self.model_id = str(model) if isinstance(model, str) else "smollm2-135m-instruct"

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            with self._lock:  # concurrent first calls load the model once
                if self._loaded is None:
                    from .models import load_causal_lm

                    self._loaded = load_causal_lm(*self._spec, generate=True)
        return self._loaded

    @property
    def runtime(self) -> Any:
        """The `chunkers.models.Runtime` the model runs with (loads it)."""
        from .models import runtime_of

        return runtime_of(self._model()[0])

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model."""
        return len(self._model()[1].encode(text, add_special_tokens=False))

    def complete(self, prompt: str) -> str:
        return self.complete_batch([prompt])[0]

    async def acomplete(self, prompt: str) -> str:
        return await asyncio.to_thread(self.complete, prompt)

    def complete_batch(self, prompts: Sequence[str]) -> list[str]:
        """The replies to ``prompts``, in order. Prompts of similar length share a left-padded ``generate`` call
        while (prompts x (longest prompt + ``max_new_tokens``)) stays within the runtime's ``batch_tokens``."""
        tokenizer = self._model()[1]
        encoded = [
            list(tokenizer.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True,
                                               tokenize=True, return_dict=True)["input_ids"])
            for p in prompts
        ]  # fmt: skip
        budget = self.runtime.batch_tokens
        replies = [""] * len(prompts)
        batch: list[int] = []
        for index in sorted(range(len(prompts)), key=lambda i: len(encoded[i])):
            if batch and (len(batch) + 1) * (len(encoded[index]) + self.max_new_tokens) > budget:
                self._generate([encoded[i] for i in batch], batch, replies)
                batch = []
            batch.append(index)
        if batch:
            self._generate([encoded[i] for i in batch], batch, replies)
        return replies

    def _generate(self, inputs: list[list[int]], indices: list[int], replies: list[str]) -> None:
        """One greedy ``generate`` over left-padded ``inputs``; the replies go to ``replies[indices]``."""
        import torch

        model, tokenizer = self._model()
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        width = max(map(len, inputs))
        ids = torch.tensor([[pad] * (width - len(row)) + row for row in inputs])
        mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in inputs])
        device = next(model.parameters()).device
        with self._lock, torch.inference_mode():  # one generation at a time; the counters stay exact
            output = model.generate(
                input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=self.max_new_tokens,
                do_sample=False, pad_token_id=pad,
            )  # fmt: skip
            stops = {tokenizer.eos_token_id, pad}
            for row, index, prompt in zip(output[:, width:].tolist(), indices, inputs):
                ended = next((n + 1 for n, token in enumerate(row) if token in stops), len(row))
                replies[index] = tokenizer.decode(row[:ended], skip_special_tokens=True)
                self.usage.calls += 1
                self.usage.prompt_tokens += len(prompt)
                self.usage.completion_tokens += ended
