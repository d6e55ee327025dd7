"""Engine core: sizers, the merge routine, segmentation and input validation."""

from __future__ import annotations

import pytest
from chunkers import (
    BudgetError,
    CharSizer,
    Chunk,
    FunctionSizer,
    NonWhitespaceSizer,
    SentenceChunker,
    TokenSizer,
    get_sizer,
    pack,
    pack_spans,
    paragraph_spans,
    sentence_spans,
    split_span,
)
from hypothesis import given
from hypothesis import strategies as st
from invariants import assert_invariants


def test_chunk_rejects_offsets_that_do_not_match_text() -> None:
    with pytest.raises(ValueError, match="do not match"):
        Chunk("abc", 0, 2)
    assert Chunk.from_span("hello world", 6, 11).text == "world"


@given(st.text(max_size=300).filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)), st.data())
def test_non_whitespace_span_measure_matches_direct_count(text: str, data: st.DataObject) -> None:
    sizer = NonWhitespaceSizer()
    measure = sizer.span_measure(text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert measure(start, end) == sizer(text[start:end]) == sum(not c.isspace() for c in text[start:end])


def test_get_sizer_accepts_names_tokenizers_and_callables() -> None:
    assert isinstance(get_sizer("chars"), CharSizer)
    assert isinstance(get_sizer("non_whitespace"), NonWhitespaceSizer)
    words = get_sizer(lambda t: len(t.split()))
    assert isinstance(words, FunctionSizer) and words("a b c") == 3

    class WhitespaceTokenizer:
        def encode(self, text: str, add_special_tokens: bool = False) -> list[str]:
            return text.split()

    assert isinstance(get_sizer(WhitespaceTokenizer()), TokenSizer)
    with pytest.raises(ValueError, match="Unknown sizer 'bytes'"):
        get_sizer("bytes")
    with pytest.raises(TypeError, match="sizer must be"):
        get_sizer(42)


def test_pack_groups_greedily_and_refuses_oversized_units() -> None:
    spans = [(0, 3), (4, 7), (8, 11), (12, 19)]
    measure = CharSizer().span_measure("x" * 19)
    assert pack(spans, measure, 7) == [(0, 2), (2, 3), (3, 4)]
    assert pack([], measure, 5) == []
    with pytest.raises(BudgetError, match="size 7 exceeds max_size=5"):
        pack(spans, measure, 5)


def test_split_span_prefers_coarse_separators_and_tiles() -> None:
    text = "First line here.\nSecond line is a bit longer.\n\nNew paragraph."
    measure = CharSizer().span_measure(text)
    pieces = split_span(text, 0, len(text), measure, 30)
    assert "".join(text[a:b] for a, b in pieces) == text
    assert all(b - a <= 30 for a, b in pieces)
    assert text[pieces[0][0] : pieces[0][1]].startswith("First line here.\n")


def test_split_span_cuts_characters_as_last_resort_and_reports_impossible_budgets() -> None:
    text = "x" * 25
    measure = CharSizer().span_measure(text)
    assert split_span(text, 0, 25, measure, 10) == [(0, 10), (10, 20), (20, 25)]
    doubled = FunctionSizer(lambda t: 2 * len(t))
    with pytest.raises(BudgetError, match="smaller than the single character 'x'"):
        split_span(text, 0, 25, doubled.span_measure(text), 1)


def test_pack_spans_never_exceeds_a_token_budget() -> None:
    class CharPairTokenizer:  # one token per two characters, like a crude subword tokenizer
        def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
            return list(range((len(text) + 1) // 2))

    text = "Alpha beta gamma. Delta epsilon! " * 20
    sizer = TokenSizer(CharPairTokenizer())
    spans = pack_spans(text, sentence_spans(text), sizer.span_measure(text), 12)
    assert spans and all(sizer(text[a:b]) <= 12 for a, b in spans)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith arrived. He sat down.", ["Dr. Smith arrived.", "He sat down."]),
        ('He said "stop!" Then left.', ['He said "stop!"', "Then left."]),
        ("J. R. R. Tolkien wrote books. True.", ["J. R. R. Tolkien wrote books.", "True."]),
        ("你好。我是中国人！真的吗？是的", ["你好。", "我是中国人！", "真的吗？", "是的"]),
        ("no punctuation at all", ["no punctuation at all"]),
        ("Title\n\nBody text. More.", ["Title", "Body text.", "More."]),
        ("Version 3.14 is out. Yes.", ["Version 3.14 is out.", "Yes."]),
    ],
)
def test_sentence_spans(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == expected


def test_paragraph_spans_blank_lines_and_single_newlines() -> None:
    text = "  One\nstill one.\n \t\nTwo.\n\n\n\nThree\n"
    assert [text[a:b] for a, b in paragraph_spans(text)] == ["One\nstill one.", "Two.", "Three"]
    assert [text[a:b] for a, b in paragraph_spans(text, single_newline=True)] == [
        "One",
        "still one.",
        "Two.",
        "Three",
    ]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (b"bytes", TypeError, "decode it first"),
        (None, TypeError, "expected str, got NoneType"),
        (["a list"], TypeError, "expected str, got list"),
        ("ok \ud800 broken", ValueError, "lone surrogate '\\\\ud800' at index 3"),
    ],
)
def test_bad_input_gets_a_clear_error(bad: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        SentenceChunker().chunk(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("blank", ["", " ", "\n\n\t  \r\n", "\u3000"])
def test_blank_text_gives_no_chunks(blank: str) -> None:
    assert SentenceChunker().chunk(blank) == []


def test_five_megabyte_single_line_is_chunked_within_budget() -> None:
    words = ("lorem ipsum dolor sit amet " * 200_000)[:5_000_000]
    no_spaces = "y" * 5_000_000
    for text in (words, no_spaces):
        chunker = SentenceChunker(max_size=2000)
        chunks = chunker.chunk(text)
        assert_invariants(chunker, text, chunks)
        assert len(chunks) >= 2500


def test_chunker_settings_are_validated() -> None:
    for bad in (0, -5, 1.5, True, "10"):
        with pytest.raises(ValueError, match="max_size must be a positive integer"):
            SentenceChunker(max_size=bad)  # type: ignore[arg-type]


def test_metadata_is_copied_into_every_chunk_and_chunk_many_checks_lengths() -> None:
    chunker = SentenceChunker(max_size=25)
    chunks = chunker.chunk("One sentence. Another sentence here.", source="a.txt")
    assert len(chunks) == 2 and all(c.metadata["source"] == "a.txt" for c in chunks)
    many = chunker.chunk_many(["A. B.", "C."], [{"i": 0}, {"i": 1}])
    assert [[c.metadata["i"] for c in cs] for cs in many] == [[0], [1]]
    with pytest.raises(ValueError, match="2 texts but 1 metadata"):
        chunker.chunk_many(["a", "b"], [{}])


async def test_achunk_equals_chunk() -> None:
    chunker = SentenceChunker(max_size=15)
    text = "Async works. It gives the same chunks."
    assert await chunker.achunk(text) == chunker.chunk(text)
