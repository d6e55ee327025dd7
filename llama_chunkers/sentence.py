"""`SentenceNodeParser`: packs whole sentences under a budget."""

from __future__ import annotations

import re
from typing import Any

from chunkers import SentenceChunker

from .base import face_of

# LlamaIndex SentenceSplitter's defaults: at these values its levels are ours (paragraphs, sentences, clauses, words).
SENTENCE_SPLITTER_DEFAULTS = {
    "paragraph_separator": "\n\n\n",
    "separator": " ",
    "secondary_chunking_regex": "[^,.;。？！]+[,.;。？！]?",
}
SENTENCE_END = r"(?<=[.!?\u3002\uff01\uff1f])\s+"


class SentenceNodeParser(face_of(SentenceChunker)):  # type: ignore[misc]
    """LlamaIndex face of `chunkers.SentenceChunker`; stands in for ``SentenceSplitter``.

    ``SentenceSplitter``'s options work with the same meaning: ``chunk_size`` is then counted in tokens of
    ``tokenizer`` (default: LlamaIndex's global tokenizer, ``Settings.tokenizer``); ``chunk_overlap`` too (the end of
    the chunk before, at whole sentences, within ``chunk_size``). ``paragraph_separator``, ``separator`` and
    ``secondary_chunking_regex`` at other values than SentenceSplitter's defaults make the levels SentenceSplitter
    cuts at: paragraphs at ``paragraph_separator``, sentence ends, ``secondary_chunking_regex``'s pieces, words at
    ``separator``, then characters (as ``separators``). ``chunking_tokenizer_fn`` has no equivalent: pass
    ``separators=[...]`` (regular expressions with ``is_separator_regex=True``).
    """

    @classmethod
    def _translate_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        owner = cls.__name__
        if options.pop("chunking_tokenizer_fn", None) is not None:
            raise TypeError(
                f"{owner} has no chunking_tokenizer_fn: give the cut points as separators=[...] "
                "(regular expressions with is_separator_regex=True), coarsest first"
            )
        levels = {name: options.pop(name) for name in SENTENCE_SPLITTER_DEFAULTS if name in options}
        if any(value != SENTENCE_SPLITTER_DEFAULTS[name] for name, value in levels.items()):
            if "separators" in options:
                raise TypeError(f"{owner} got separators and {', '.join(levels)}: they set the same cuts, pass one")
            given = {**SENTENCE_SPLITTER_DEFAULTS, **levels}
            options["separators"] = [
                re.escape(given["paragraph_separator"]),
                SENTENCE_END,
                given["secondary_chunking_regex"],
                re.escape(given["separator"]),
            ]
            options.update(is_separator_regex=True, keep_separator="end")
        return super()._translate_options(options)
