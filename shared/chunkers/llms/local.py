"""`LocalLLM`: a local causal LM (the embedded SmolLM2-135M-Instruct by default) as an engine `LLM`: chat template,
greedy decoding, prompts of several documents answered in shared ``generate`` calls. The model is held by a
`chunkers.runtime.models.CausalLM`; `chunkers.llms.as_llm("local")` builds one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.configurable import Configurable
from ..core.options import Option, positive
from ..runtime.model_options import MODEL, QUANTIZE, TOKENIZER, ModelOptions
from .usage import LLMUsage


def generation_quantize(name: str, value: Any) -> Any:
    """None or 'none': the int8 path only scores."""
    if value not in (None, False, "none"):
        raise ValueError(
            f"LocalLLM generates, and the int8 path only scores: {name} must be None or 'none', got {value!r}"
        )
    return value


@dataclass(eq=False)
class LocalLLM(ModelOptions, Configurable):
    """The embedded SmolLM2-135M-Instruct (or any local causal LM), chat template, greedy decoding.

    ``device``/``dtype`` (None: chosen by `chunkers.runtime.policy.resolve_runtime`) and ``runtime`` as for every
    model here. ``quantize``: None or "none" (the int8 path scores, it does not generate). `complete_batch` answers
    several prompts in shared ``generate`` calls of at most the runtime's ``batch_tokens``; `cancel` stops the
    generations running or waiting (a caller's timeout uses it, so an abandoned call does not hold the model)."""

    model: Any = MODEL.field(help="Local causal LM folder or loaded model; None: the embedded SmolLM2-135M-Instruct.")
    tokenizer: Any = TOKENIZER.field()
    max_new_tokens: int = Option(16, "Most tokens generated per reply.", positive).field()
    quantize: str | bool | None = QUANTIZE.field(kw_only=True, help="None or 'none': generation has no int8 path.")

    def _validate(self) -> None:
        generation_quantize("quantize", self.quantize)
        self._lm = self.causal_lm(generate=True)
        self.usage = LLMUsage()
        self._lock = threading.Lock()  # one generation at a time; the counters stay exact
        self._requests = 0  # generations asked for so far
        self._cancelled_below = 0  # generations asked for before this number are to stop
        self.model_id = str(self.model) if isinstance(self.model, str) else "smollm2-135m-instruct"

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    @property
    def runtime(self) -> Any:
        """The `chunkers.runtime.Runtime` the model runs with (loads it)."""
        return self._lm.runtime

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model."""
        return len(self._lm.load()[1].encode(text, add_special_tokens=False))

    def complete(self, prompt: str) -> str:
        return self.complete_batch([prompt])[0]

    async def acomplete(self, prompt: str) -> str:
        return await asyncio.to_thread(self.complete, prompt)

    def cancel(self) -> None:
        """Stop every generation asked for so far, at its next token (later ones run normally)."""
        self._cancelled_below = self._requests

    def complete_batch(self, prompts: Sequence[str]) -> list[str]:
        """The replies to ``prompts``, in order. Prompts of similar length share a left-padded ``generate`` call
        while (prompts x (longest prompt + ``max_new_tokens``)) stays within the runtime's ``batch_tokens``."""
        ticket = self._requests = self._requests + 1
        tokenizer = self._lm.load()[1]
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
                self._generate([encoded[i] for i in batch], batch, replies, ticket)
                batch = []
            batch.append(index)
        if batch:
            self._generate([encoded[i] for i in batch], batch, replies, ticket)
        return replies

    def _generate(self, inputs: list[list[int]], indices: list[int], replies: list[str], ticket: int) -> None:
        """One greedy ``generate`` over left-padded ``inputs``; the replies go to ``replies[indices]``."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        llm = self

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), ticket <= llm._cancelled_below, dtype=torch.bool)

        model, tokenizer = self._lm.load()
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        width = max(map(len, inputs))
        ids = torch.tensor([[pad] * (width - len(row)) + row for row in inputs])
        mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in inputs])
        device = next(model.parameters()).device
        with self._lock, torch.inference_mode():
            if ticket <= self._cancelled_below:
                return
            output = model.generate(
                input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=self.max_new_tokens,
                do_sample=False, pad_token_id=pad, stopping_criteria=StoppingCriteriaList([Cancelled()]),
            )  # fmt: skip
            stops = {tokenizer.eos_token_id, pad}
            for row, index, prompt in zip(output[:, width:].tolist(), indices, inputs):
                ended = next((n + 1 for n, token in enumerate(row) if token in stops), len(row))
                replies[index] = tokenizer.decode(row[:ended], skip_special_tokens=True)
                self.usage.calls += 1
                self.usage.prompt_tokens += len(prompt)
                self.usage.completion_tokens += ended
