"""Late chunking (Günther et al., "Late Chunking: Contextual Chunk Embeddings Using Long-Context Embedding Models"):
chunk by any rule, embed late. The whole document goes through the encoder, in windows of the model's length with
``overlap_tokens`` of overlap for a document longer than that (the paper's "long late chunking"), each token's vector
taken from the window where it has the most context on both sides; a chunk's vector is the mean of the vectors of
the tokens its span covers (the tokenizer's offset mapping turns the chunk's exact character span into tokens),
normalised. So every chunk vector has seen the text around it. Queries are embedded as usual, by the same model.
With ``with_context`` (the default), a chunk that has a context line (its ``context_header``) gets the normalised mean
of its late vector and the ordinary embedding of that line with its text: late chunking and the section path
together, the best worst-suite setting measured (benchmarks/results/context_ablation.md); a chunk without one keeps
its late vector.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.chunk import Chunk, embedded_text
from ..core.configurable import Configurable
from ..core.options import Option, non_negative, positive_or_none
from ..runtime.model_options import DEVICE, DTYPE
from ..runtime.policy import default_embed_batch

Span = tuple[int, int]


@dataclass
class _Document:
    """A document's tokens: ids, character offsets, and (once encoded) one vector per token."""

    ids: list[int]
    starts: list[int]
    ends: list[int]
    vectors: Any = None


def windows(count: int, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """``(start, end, keep_from, keep_to)`` token windows over ``count`` tokens: windows of ``size`` tokens, each
    starting ``size - overlap`` after the last, and the part of each whose vectors are kept (the overlap is split
    at its middle, so every token's vector comes from the window where it has context on both sides)."""
    if count <= size:
        return [(0, count, 0, count)]
    step = max(size - overlap, 1)
    starts = [*range(0, count - size, step), count - size]
    out = []
    for k, start in enumerate(starts):
        keep_from = 0 if k == 0 else (start + starts[k - 1] + size) // 2
        keep_to = count if k == len(starts) - 1 else (starts[k + 1] + start + size) // 2
        out.append((start, start + size, keep_from, keep_to))
    return out


def document_of(pieces: Sequence[tuple[int, int, str]]) -> str | None:
    """The text of a document rebuilt from chunks ``(start, end, text)`` that tile it (as this library's chunkers'
    do: only whitespace lies between them), each gap filled with spaces so every offset stays exact; None when two
    chunks disagree where they overlap, or a chunk's span does not match its text's length."""
    if not pieces or any(start < 0 or end - start != len(text) for start, end, text in pieces):
        return None
    buffer = [" "] * max(end for _, end, _ in pieces)
    written = [False] * len(buffer)
    for start, end, text in pieces:
        for position, char in zip(range(start, end), text):
            if written[position] and buffer[position] != char:
                return None
            buffer[position], written[position] = char, True
    return "".join(buffer)


@dataclass(eq=False)
class LateChunkingEmbedder(Configurable):
    """Chunk vectors pooled from the whole document's contextual token vectors (see the module docstring).

    ``model``: None (the embedded all-MiniLM-L6-v2), a local sentence-transformers folder or model, or a local
    Hugging Face encoder folder (mean pooling); its tokenizer must be a fast one (character offsets).
    ``window_tokens``: tokens per encoder pass (None: the model's length, e.g. 256 for MiniLM), special tokens
    included; ``overlap_tokens``: tokens two consecutive windows share. ``batch_size``: windows per pass (None: the
    device's default); ``device``/``dtype`` as for every model here. A chunk whose span holds no token (whitespace)
    gets the ordinary embedding of its text. ``with_context``: see the module docstring (the context of a `Chunk`
    is its ``context_header``; spans take theirs from ``contexts``)."""

    model: Any = Option(None, "Local sentence-transformers or Hugging Face encoder; None: the embedded MiniLM.").field()
    window_tokens: int | None = Option(None, "Tokens per encoder pass; None: the model's length.",
                                       positive_or_none).field()  # fmt: skip
    overlap_tokens: int = Option(64, "Tokens shared by consecutive windows of a long document.", non_negative).field()
    batch_size: int | None = Option(None, "Windows per pass; None: the device's default.", positive_or_none,
                                    affects_output=False).field()  # fmt: skip
    with_context: bool = Option(
        True,
        "Average each chunk's late vector with the ordinary embedding of its context line (context_header) and text.",
    ).field()
    device: str | None = DEVICE.field(kw_only=True)
    dtype: str | None = DTYPE.field(kw_only=True)

    def _validate(self) -> None:
        self._encoder: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_encoder": None}  # models are loaded again, never pickled

    @property
    def encoder(self) -> Any:
        """The `chunkers.runtime.models.TokenEncoder` (loaded on first use)."""
        if self._encoder is None:
            from ..runtime.models import load_token_encoder

            self._encoder = load_token_encoder(self.model, self.device, self.dtype)
            window = self.window_tokens or self._encoder.window
            if window - sum(map(len, _specials(self._encoder.tokenizer))) <= self.overlap_tokens:
                raise ValueError(f"overlap_tokens={self.overlap_tokens} must be below the window of {window} tokens")
        return self._encoder

    @property
    def name(self) -> str:
        """The model's name, for reports and cache keys."""
        from ..runtime.embeddings import describe_model

        return f"late chunking, {describe_model(self.model)}"

    # ---- the public calls ---------------------------------------------------------------------------------------

    def embed_chunks(self, text: str, chunks: Sequence[Chunk | Span]) -> list[list[float]]:
        """One unit vector per chunk of ``text`` (`Chunk` objects or ``(start, end)`` spans of it), in order."""
        return self.embed_many([text], [chunks])[0]

    def embed_many(
        self,
        texts: Sequence[str],
        chunk_lists: Sequence[Sequence[Chunk | Span]],
        contexts: Sequence[Sequence[str]] | None = None,
    ) -> list[list[list[float]]]:
        """`embed_chunks` for several documents, their windows sharing encoder batches. ``contexts``: each chunk's
        context line, for ``with_context`` (default: a `Chunk`'s ``context_header``, none for a span)."""
        import numpy as np

        if len(texts) != len(chunk_lists) or (contexts is not None and len(contexts) != len(texts)):
            raise ValueError(f"got {len(texts)} texts but {len(chunk_lists)} chunk lists"
                             + ("" if contexts is None else f" and {len(contexts)} context lists"))  # fmt: skip
        pooled = self._pooled(texts, chunk_lists)
        if not self.with_context:
            return pooled
        lines = [list(contexts[d]) if contexts is not None else
                 [c.metadata.get("context_header") or "" if isinstance(c, Chunk) else "" for c in chunks]
                 for d, chunks in enumerate(chunk_lists)]  # fmt: skip
        jobs = [(d, k, embedded_text(line, texts[d][a:b])) for d, chunks in enumerate(chunk_lists)
                for k, ((a, b), line) in enumerate(zip(map(_span, chunks), lines[d])) if line]  # fmt: skip
        out = [np.asarray(vectors, dtype=np.float32) for vectors in pooled]
        for (d, k, _), vector in zip(jobs, self._plain([job[2] for job in jobs])):
            out[d][k] = _unit((out[d][k] + vector)[None])[0]
        return [vectors.tolist() for vectors in out]

    def _pooled(self, texts: Sequence[str], chunk_lists: Sequence[Sequence[Chunk | Span]]) -> list[list[list[float]]]:
        """The late vectors alone."""
        import numpy as np

        documents = [self._tokens(text) for text in texts]
        self._encode(documents)
        out: list[list[list[float]]] = []
        for text, document, chunks in zip(texts, documents, chunk_lists):
            spans = [_span(c) for c in chunks]
            for start, end in spans:
                if not 0 <= start <= end <= len(text):
                    raise ValueError(f"chunk span [{start}, {end}) is outside the text of length {len(text)}")
            vectors: list[Any] = []
            empty: list[int] = []
            for index, (start, end) in enumerate(spans):
                first, last = bisect_right(document.ends, start), bisect_left(document.starts, end)
                if first >= last:
                    empty.append(index)
                    vectors.append(None)
                else:
                    vectors.append(document.vectors[first:last].mean(axis=0))
            if empty:  # no token in the span (whitespace): the ordinary embedding of its text
                plain = self.embed_documents([text[spans[i][0] : spans[i][1]] for i in empty])
                for i, vector in zip(empty, plain):
                    vectors[i] = np.asarray(vector, dtype=np.float32)
            out.append(_unit(np.stack(vectors)).tolist() if vectors else [])
        return out

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Ordinary embeddings of whole texts (no late pooling), normalised: the model's own pooling."""
        return [v.tolist() for v in self._plain(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        """The ordinary embedding of a query, by the same model."""
        return self.embed_documents([text])[0]

    # ---- the work -----------------------------------------------------------------------------------------------

    def _tokens(self, text: str) -> _Document:
        encoding = self.encoder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = encoding["offset_mapping"]
        return _Document(list(encoding["input_ids"]), [a for a, _ in offsets], [b for _, b in offsets])

    def _encode(self, documents: list[_Document]) -> None:
        """Every document's token vectors, its windows batched across documents (longest first)."""
        import numpy as np
        import torch

        encoder = self.encoder
        before, after = _specials(encoder.tokenizer)
        size = (self.window_tokens or encoder.window) - len(before) - len(after)  # room for the special tokens
        jobs = []  # (document, window)
        for document in documents:
            document.vectors = np.zeros((len(document.ids), _width(encoder)), dtype=np.float32)
            jobs += [(document, window) for window in windows(len(document.ids), size, self.overlap_tokens)]
        jobs = [job for job in jobs if job[1][1] > job[1][0]]
        jobs.sort(key=lambda job: job[1][1] - job[1][0], reverse=True)
        batch = self.batch_size or default_embed_batch(encoder.device)
        tokenizer = encoder.tokenizer
        with torch.inference_mode():
            for first in range(0, len(jobs), batch):
                group = jobs[first : first + batch]
                rows = [before + d.ids[a:b] + after for d, (a, b, _, _) in group]
                width = max(map(len, rows))
                pad = tokenizer.pad_token_id or 0
                ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows], device=encoder.device)
                mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows], device=encoder.device)
                hidden = encoder.module(input_ids=ids, attention_mask=mask).last_hidden_state.float().cpu().numpy()
                for row, (document, (start, _, keep_from, keep_to)) in zip(hidden, group):
                    lead = len(before) - start
                    document.vectors[keep_from:keep_to] = row[lead + keep_from : lead + keep_to]

    def _plain(self, texts: list[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, _width(self.encoder)), dtype=np.float32)
        if self.encoder.embedder is not None:
            return _unit(self.encoder.embedder.encode(texts, convert_to_numpy=True, show_progress_bar=False))
        documents = [self._tokens(t) for t in texts]
        self._encode(documents)
        width = _width(self.encoder)
        return _unit(np.stack([d.vectors.mean(axis=0) if d.ids else np.zeros(width) for d in documents]))


def _span(chunk: Chunk | Span) -> Span:
    return (chunk.start, chunk.end) if isinstance(chunk, Chunk) else (int(chunk[0]), int(chunk[1]))


def _width(encoder: Any) -> int:
    return int(encoder.module.config.hidden_size)


def _specials(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a sequence ([CLS] and [SEP] for BERT)."""
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    marked = tokenizer("a", add_special_tokens=True)["input_ids"]
    at = next(i for i in range(len(marked)) if marked[i : i + len(plain)] == plain)
    return marked[:at], marked[at + len(plain) :]


def _unit(matrix: Any) -> Any:
    from ..runtime.embeddings import unit_rows

    return unit_rows(matrix)
