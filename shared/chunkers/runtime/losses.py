"""Per-token losses of a causal LM over token streams of any length: the one scoring routine shared by the
perplexity chunker and the intrinsic metrics (boundary clarity, chunk stickiness)."""

from __future__ import annotations

import math
from itertools import groupby
from typing import Any


def token_losses(
    model: Any,
    tokenizer: Any,
    streams: list[list[int]],
    window_tokens: int = 1024,
    context_tokens: int = 256,
    batch_tokens: int | None = None,
    batch_size: int | None = None,
) -> list[list[float]]:
    """Negative log-likelihood of every token of every stream given the tokens before it (NaN for the first
    token, which has nothing before it).

    Streams are cut into windows of ``window_tokens`` targets, each carrying up to ``context_tokens`` of the
    preceding tokens as context, so cost is linear in length and memory bounded; windows of equal length
    (from any stream) share a batch of up to ``batch_tokens`` tokens (None: the model's device default, see
    `chunkers.runtime.runtime_of`), at most ``batch_size`` windows if given. Batching changes no result
    beyond float rounding.
    """
    import torch

    from .policy import runtime_of

    budget = runtime_of(model, batch_tokens).batch_tokens

    jobs = []  # (stream, first target position, input ids with carried context, context length)
    for index, ids in enumerate(streams):
        for start in range(0, len(ids), window_tokens):
            context_start = max(0, start - context_tokens)
            jobs.append((index, start, ids[context_start : start + window_tokens], start - context_start))
    jobs.sort(key=lambda job: len(job[2]), reverse=True)
    # Only windows of equal length share a batch: padding would cost as much as real tokens.
    batches = []
    for _, group in groupby(jobs, key=lambda job: len(job[2])):
        same = list(group)
        rows = max(1, budget // len(same[0][2]))
        rows = min(rows, batch_size) if batch_size else rows
        batches += [same[i : i + rows] for i in range(0, len(same), rows)]
    losses = [[math.nan] * len(ids) for ids in streams]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    decoder, head = model.get_decoder(), model.get_output_embeddings()
    device = next(model.parameters()).device
    with torch.inference_mode():
        for batch in batches:
            width = max(len(job[2]) for job in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (_, _, ids, _) in enumerate(batch):
                input_ids[row, : len(ids)] = torch.tensor(ids)
                mask[row, : len(ids)] = 1
            hidden = decoder(input_ids=input_ids.to(device), attention_mask=mask.to(device)).last_hidden_state
            for row, (stream, start, ids, context) in enumerate(batch):
                targets = torch.tensor(ids[1:], device=device)
                row_losses: list[float] = []
                for piece in range(max(context - 1, 0), len(ids) - 1, 512):  # logits in slices: bounded memory
                    logits = head(hidden[row, piece : min(piece + 512, len(ids) - 1)]).float()
                    row_losses += torch.nn.functional.cross_entropy(
                        logits, targets[piece : piece + logits.shape[0]], reduction="none"
                    ).tolist()
                scored_from = start + 1 if context == 0 else start
                losses[stream][scored_from : scored_from + len(row_losses)] = row_losses
    return losses
