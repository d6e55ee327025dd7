"""`SentenceNodeParser`: packs whole sentences under a budget."""

from __future__ import annotations

from typing import Any

from chunkers import SentenceChunker
from chunkers.core.faces import take_alias
from chunkers.core.sizing import TokenListSizer

from .base import face_of


class SentenceNodeParser(face_of(SentenceChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.SentenceChunker`; stands in for ``SentenceSplitter``.

    ``SentenceSplitter``'s options work with the same meaning: ``chunk_size`` is then counted in tokens of
    ``tokenizer`` (default: LlamaIndex's global tokenizer, ``Settings.tokenizer``); ``chunk_overlap`` too (the end of
    the chunk before, at whole sentences, within ``chunk_size``).
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        owner = cls.__name__
        if "chunk_size" in options and "sizer" not in options:
            options.setdefault("tokenizer", None)  # SentenceSplitter counts chunk_size in tokens
        take_alias(options, "chunk_size", "max_size", owner)
        if "tokenizer" in options:
            from llama_index.core import Settings

            tokenizer = options.pop("tokenizer") or Settings.tokenizer
            if "sizer" in options:
                raise TypeError(f"{owner} got both 'tokenizer' and 'sizer': they are the same setting, pass one")
            options["sizer"] = TokenListSizer(tokenizer)
        return options
