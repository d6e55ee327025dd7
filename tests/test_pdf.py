"""PDFs chunked as documents: real PDFs rendered by WeasyPrint (running header, "Page N" footer, hyphenation, one and
two columns), read by PDFium, by LangChain's PyPDFLoader and by LlamaIndex's SimpleDirectoryReader (pypdf), and
chunked through the engine, both faces, the routing parsers and the command line."""

from __future__ import annotations

import io
import json
import re
import warnings
from itertools import pairwise
from pathlib import Path

import pytest
from chunkers import PDFChunker
from chunkers.pdf import PDFError, assemble
from chunkers.pdf.layout import Page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.pdf_corpus import HEADER, articles, render, render_html

HEADINGS = [heading for level, heading, _ in articles(2) if level]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfs")
    blocks = articles(2)
    return {
        "one": render(blocks, folder / "articles.pdf"),
        "two": render(blocks, folder / "articles-2col.pdf", two_columns=True),
    }


def squashed(text: str) -> str:
    return "".join(text.split())


def assert_spans_exact(chunks: list, page_texts: list[str]) -> None:
    """Each chunk's page_spans point at characters of that page's text that the chunk holds, in order."""
    for chunk in chunks:
        text = chunk.text if hasattr(chunk, "text") else chunk.page_content
        metadata = chunk.metadata
        held = squashed(re.sub(r"(?m)^#+ ", "", text))  # the Markdown heading marks are inserted
        position = 0
        for page, start, end in metadata["page_spans"]:
            piece = squashed(page_texts[page - 1][start:end].replace("\ufffe", "-").replace("\u2010", ""))
            found = held.replace("\u2010", "").find(piece, position)
            assert found >= 0, (piece[:60], text[:200])
            position = found + len(piece)
        assert metadata["page_start"] == metadata["page_spans"][0][0]
        assert metadata["page_end"] == metadata["page_spans"][-1][0]


@pytest.mark.parametrize("layout", ["one", "two"])
def test_a_pdf_file_is_chunked_as_one_document_with_its_pages(pdfs: dict[str, Path], layout: str) -> None:
    chunker = PDFChunker(max_size=500)
    assembled = chunker.assemble_file(pdfs[layout])
    chunks = chunker.chunk_file(pdfs[layout])
    assert len(assembled.pages) > 5 and HEADER in assembled.removed
    text = chunker.extract(pdfs[layout])
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert all(HEADER not in c.text and not re.search(r"\bPage \d+\b", c.text) for c in chunks)
    # the headings come back as the section tree, in the two-column layout too
    found = [line.lstrip("# ") for line in assembled.text.split("\n\n") if line.startswith("#")]
    assert found == HEADINGS
    assert any(
        c.metadata["header_path"][-1:] == ["Gameplay"] or "Gameplay" in c.metadata["context_header"] for c in chunks
    )
    assert max(len(c.text) for c in chunks) <= 500
    assert_spans_exact(chunks, [page.text for page in assembled.pages])
    assert all(len(c.metadata["boxes"]) == c.metadata["page_end"] - c.metadata["page_start"] + 1 for c in chunks)
    assert any(c.metadata["page_start"] < c.metadata["page_end"] for c in chunks)  # a chunk across a page break


def test_words_hyphenated_at_line_ends_are_joined_and_real_hyphens_kept(pdfs: dict[str, Path]) -> None:
    text = PDFChunker().extract(pdfs["one"])
    assert "\u2010" not in text  # the typesetter's hyphens are gone ...
    assert "role-playing" in text and "real-time" in text  # ... the words' own stay (written whole elsewhere)
    broken = {w for w in re.findall(r"[a-z]+-[a-z]+", text)}  # every hyphenated word left is one the articles write
    written = {w for _, _, paragraph in articles(2) for w in re.findall(r"[a-z]+-[a-z]+", paragraph)}
    assert broken <= written, broken - written
    source_words = {w for _, _, paragraph in articles(2) for w in paragraph.split()}
    words = [w for w in text.split() if w.isalpha() and w.islower() and len(w) > 6]
    assert sum(w in source_words for w in words) / len(words) > 0.98


def test_the_pages_of_a_loader_are_joined_in_langchain(pdfs: dict[str, Path]) -> None:
    from langchain_community.document_loaders import PyPDFLoader

    from langchain_chunkers import AutoTextSplitter, PDFTextSplitter

    pages = PyPDFLoader(str(pdfs["one"])).load()
    assert len(pages) > 5 and all(HEADER in p.page_content for p in pages)  # what every splitter gets today
    documents = PDFTextSplitter(chunk_size=500).split_documents(pages)
    assert documents and all(HEADER not in d.page_content for d in documents)
    assert all(d.metadata["source"] == str(pdfs["one"]) and d.metadata["page"] == d.metadata["page_start"] - 1
               and d.metadata["page_label"] == d.metadata["page_labels"][0] for d in documents)  # fmt: skip
    assert_spans_exact(documents, [p.page_content for p in pages])
    assert any(d.metadata["page_start"] < d.metadata["page_end"] for d in documents)
    # the file is at hand: its layout's headings structure the loader's text
    assert {d.metadata["context_header"] for d in documents} >= {"Valkyria Chronicles III > Gameplay"}
    routed = AutoTextSplitter(chunk_size=500).split_documents(pages)
    assert [d.page_content for d in routed] == [d.page_content for d in documents]


def test_the_pages_of_simple_directory_reader_are_joined_in_llamaindex(pdfs: dict[str, Path], tmp_path: Path) -> None:
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.ingestion import IngestionCache, IngestionPipeline

    from llama_chunkers import AutoNodeParser, PDFNodeParser

    pages = SimpleDirectoryReader(input_files=[pdfs["one"]]).load_data()
    assert len(pages) > 5 and "page_label" in pages[0].metadata
    cache = IngestionCache()
    pipeline = IngestionPipeline(transformations=[PDFNodeParser(chunk_size=128)], cache=cache)
    nodes = pipeline.run(documents=pages)
    assert nodes and all(HEADER not in n.text for n in nodes)
    assert all(n.metadata["page_label"] == n.metadata["page_labels"][0] for n in nodes)
    assert all(n.start_char_idx is None for n in nodes)  # the pages' offsets are in page_spans
    assert_spans_exact(nodes, [p.text for p in pages])
    assert "page_spans" not in nodes[0].get_content(metadata_mode="embed")
    again = IngestionPipeline(transformations=[PDFNodeParser(chunk_size=128)], cache=cache).run(documents=pages)
    assert [n.text for n in again] == [n.text for n in nodes]
    routed = AutoNodeParser(chunk_size=128).get_nodes_from_documents(pages)
    assert [n.text for n in routed] == [n.text for n in nodes]


def test_pdf_files_through_the_readers_of_both_frameworks(pdfs: dict[str, Path]) -> None:
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    from langchain_chunkers import PDFLoader, PDFTextSplitter
    from llama_chunkers import PDFNodeParser, PDFReader

    documents = SimpleDirectoryReader(input_files=[pdfs["two"]], file_extractor={".pdf": PDFReader()}).load_data()
    assert len(documents) == 1 and documents[0].text == PDFChunker().extract(pdfs["two"])
    nodes = PDFNodeParser(max_size=600).get_nodes_from_documents(documents)
    assert all(n.metadata["boxes"] for n in nodes)
    assert all(documents[0].text[n.start_char_idx : n.end_char_idx] == n.text for n in nodes)  # the reader's text
    engine = PDFChunker(max_size=600).chunk_file(pdfs["two"])
    from chunkers.runtime.models import minilm_path
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    index = VectorStoreIndex(nodes, embed_model=HuggingFaceEmbedding(model_name=str(minilm_path())))
    hit = index.as_retriever(similarity_top_k=1).retrieve("Who composed the music of the game?")[0]
    assert "page_spans" in hit.node.metadata

    assert len(PDFReader(return_full_document=True).load_data(pdfs["two"])) == 1  # the file reader's option
    with pytest.raises(ValueError, match="for a Document per page, use llama_index"):
        PDFReader(return_full_document=False)
    loaded = PDFLoader(pdfs["two"], mode="single").load()  # PyPDFLoader's option, with its meaning
    with pytest.raises(ValueError, match="use PyPDFLoader"):
        PDFLoader(pdfs["two"], mode="page")
    with pytest.raises(ValueError, match="download it first"):
        PDFLoader("https://arxiv.org/pdf/2410.13070")  # PyPDFLoader downloads web paths; we never download
    chunks = PDFTextSplitter(max_size=600).split_documents(loaded)
    assert [d.page_content for d in chunks] == [c.text for c in engine]
    assert all(d.metadata["boxes"] for d in chunks)


def test_a_pdf_from_its_bytes_or_another_file_system_is_chunked_as_from_disk(pdfs: dict[str, Path]) -> None:
    from fsspec.implementations.memory import MemoryFileSystem
    from llama_index.core import SimpleDirectoryReader

    from llama_chunkers import PDFNodeParser, PDFReader

    data = pdfs["one"].read_bytes()
    assert PDFChunker().extract(io.BytesIO(data)) == PDFChunker().extract(bytearray(data))
    from_disk = PDFChunker(max_size=500).chunk_file(pdfs["one"])
    from_bytes = PDFChunker(max_size=500).chunk_file(data, source="upload")
    assert [(c.start, c.end, c.text) for c in from_bytes] == [(c.start, c.end, c.text) for c in from_disk]
    assert from_bytes[0].metadata["source"] == "upload" and "file_path" not in from_bytes[0].metadata
    assert from_bytes[0].metadata["boxes"] == from_disk[0].metadata["boxes"]
    with pytest.raises(PDFError, match="the PDF's bytes: not a readable PDF"):
        PDFChunker().chunk_file(b"%PDF-1.7 cut short")
    memory = MemoryFileSystem()  # as S3 or GCS would be: SimpleDirectoryReader passes its fs to the reader
    memory.pipe("/bucket/reports/articles.pdf", data)
    reader = SimpleDirectoryReader("/bucket/reports", fs=memory, file_extractor={".pdf": PDFReader()})
    (document,) = reader.load_data()
    assert document.text == PDFChunker().extract(pdfs["one"]) and document.metadata["file_name"] == "articles.pdf"
    with pytest.warns(UserWarning, match="not on this disk, so its pages are not at hand"):
        nodes = PDFNodeParser(max_size=500).get_nodes_from_documents([document])
    assert nodes and "page_start" not in nodes[0].metadata  # said, not lost in silence
    pages = SimpleDirectoryReader("/bucket/reports", fs=memory).load_data()  # LlamaIndex's own reader: a page each
    nodes = PDFNodeParser(max_size=500).get_nodes_from_documents(pages)
    assert len(pages) > 5 and all(n.metadata["page_spans"] for n in nodes)
    with pytest.raises(TypeError, match="bytes or a binary file"):
        PDFChunker().extract(3)
    with pytest.raises(TypeError):
        PDFReader().load_data(pdfs["one"], return_full_document=True)  # llama-index-readers-file's option: not ours


def test_a_page_without_text_is_named_once_from_a_reader_to_its_parser(pdfs: dict[str, Path], tmp_path: Path) -> None:
    import pypdf

    from langchain_chunkers import PDFLoader, PDFTextSplitter
    from llama_chunkers import PDFNodeParser, PDFReader

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(pdfs["one"]))
    writer.add_blank_page()
    blank = tmp_path / "with_blank.pdf"
    with blank.open("wb") as handle:
        writer.write(handle)
    with pytest.warns(UserWarning, match="pages without text") as loading:
        loaded, documents = PDFLoader(blank).load(), PDFReader().load_data(blank)
    named = [w for w in loading if "pages without text" in str(w.message)]
    assert len(named) == 2  # each reader says it once
    assert named[1].filename == __file__  # at the line that called the reader, not inside the library
    with warnings.catch_warnings():
        # and its parser, which reads the file again for the pages, not again
        warnings.filterwarnings("error", message=".*pages without text")
        chunks = PDFTextSplitter(max_size=600).split_documents(loaded)
        nodes = PDFNodeParser(max_size=600).get_nodes_from_documents(documents)
    assert chunks and nodes and all(d.metadata["boxes"] for d in chunks)


def test_the_command_line_routes_pdfs_and_one_bad_file_does_not_stop_the_batch(
    pdfs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chunkers.apps.cli import main

    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(pdfs["one"].read_bytes())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is no PDF at all\n")
    (folder / "notes.md").write_text("# Notes\n\nA short note.\n", encoding="utf-8")
    status = main(["chunk", str(folder), "--max-size", "500"])
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    pdf_records = [r for r in records if r["file_path"].endswith("a.pdf")]
    assert pdf_records and {r["method"] for r in pdf_records} == {"pdf"}
    assert all("page_start" in r["metadata"] for r in pdf_records)
    assert any(r["file_path"].endswith("notes.md") for r in records)
    assert "broken.pdf" in err and "not a readable PDF" in err
    assert status != 0


def test_scanned_and_encrypted_pdfs_get_clear_errors(tmp_path: Path) -> None:
    import weasyprint

    scanned = tmp_path / "scan.pdf"
    svg = '<svg width="400" height="300"><rect width="300" height="200" fill="gray"/></svg>'
    weasyprint.HTML(string=f"<html><body>{svg}</body></html>").write_pdf(scanned)
    with pytest.raises(PDFError, match=r"no text layer.*OCR"):
        PDFChunker().chunk_file(scanned)

    plain = render(articles(1)[:6], tmp_path / "plain.pdf")
    locked = _encrypted(plain, tmp_path / "locked.pdf")
    with pytest.raises(PDFError, match="encrypted: pass password="):
        PDFChunker().chunk_file(locked)
    assert PDFChunker(password="secret").extract(locked) == PDFChunker().extract(plain)
    assert "secret" not in repr(PDFChunker(password="secret"))  # nor in a log line or a traceback
    with pytest.raises(TypeError, match=r"PDFChunker\(password=\.\.\.\)"):  # never a password in each chunk's metadata
        PDFChunker().chunk_file(locked, password="secret")
    from langchain_chunkers import PDFLoader, PDFTextSplitter

    loaded = PDFLoader(locked, password="secret").load()
    with pytest.raises(PDFError, match="give it password= as well as the loader"):
        PDFTextSplitter(max_size=600).split_documents(loaded)  # it reads the file again for the pages
    assert PDFTextSplitter(max_size=600, password="secret").split_documents(loaded)


def _encrypted(plain: Path, locked: Path) -> Path:
    """``plain`` encrypted with the user password "secret" (pypdf)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    writer.encrypt(user_password="secret", owner_password="owner")
    with locked.open("wb") as handle:
        writer.write(handle)
    return locked


def test_the_command_line_takes_a_pdf_password_embeds_late_and_shows_a_pdf(
    pdfs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chunkers.apps.cli import main

    locked = _encrypted(pdfs["one"], tmp_path / "locked.pdf")
    assert main(["chunk", str(locked)]) == 1
    assert "encrypted: pass password=" in capsys.readouterr().err
    assert main(["chunk", str(locked), "--password", "secret", "--embed", "late", "--max-size", "500"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    text = PDFChunker().extract(pdfs["one"])  # the text the offsets index: the PDF's pages joined
    assert len(records) > 1 and all(text[r["start"] : r["end"]] == r["text"] for r in records)
    assert all(len(r["embedding"]) == 384 and r["metadata"]["page_start"] >= 1 for r in records)
    assert main(["show", str(locked), "--password", "secret", "--max-size", "500"]) == 0
    shown = capsys.readouterr()
    assert f"{len(records)} chunks, method pdf" in shown.err
    words = " ".join(shown.out.split())  # as printed, wrapped at 120 columns
    assert all(" ".join(r["text"].split()) in words for r in records)


def test_arabic_reads_in_its_order_with_its_lam_alef_ligatures(tmp_path: Path) -> None:
    # PDFium gives the two letters of a lam-alef glyph reversed ("ال" for "لا"); HarfBuzz draws "لا" as one glyph.
    sentence = "تحسين الإنتاجية وحل المشكلات من خلال البرمجة بلغة Python لا شك"
    pdf = render_html(f'<p dir="rtl" lang="ar">{sentence}</p>', tmp_path / "arabic.pdf")
    assert PDFChunker().extract(pdf) == sentence
    (chunk,) = PDFChunker().chunk_file(pdf)
    assert chunk.text == sentence and chunk.metadata["page_spans"] == [[1, 0, len(sentence)]]


def test_any_method_of_the_command_line_chunks_a_pdf_with_its_pages(
    pdfs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from chunkers.apps.cli import main

    assert main(["chunk", str(pdfs["one"]), "--method", "sentence", "--max-size", "400"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    text = PDFChunker().extract(pdfs["one"])  # the text the offsets index, whichever chunker cut it
    assert len(records) > 5 and all(text[r["start"] : r["end"]] == r["text"] for r in records)
    assert all(r["method"] == "sentence" and r["metadata"]["page_spans"] for r in records)


def test_a_rotated_page_reads_in_order(tmp_path: Path) -> None:
    import pypdf

    plain = render(articles(1)[:8], tmp_path / "plain.pdf")
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    for page in writer.pages:
        page.rotate(90)
    rotated = tmp_path / "rotated.pdf"
    with rotated.open("wb") as handle:
        writer.write(handle)
    assert PDFChunker().extract(rotated) == PDFChunker().extract(plain)


def _pages(tmp_path: Path, name: str, pages: list[str]) -> Path:
    """A PDF from WeasyPrint with each of ``pages`` (HTML) on a page of its own."""
    import weasyprint

    body = "".join(f'<div style="page-break-after: always">{page}</div>' for page in pages)
    weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf(tmp_path / name)
    return tmp_path / name


def test_a_line_that_is_all_the_text_of_its_pages_is_kept(tmp_path: Path) -> None:
    # A slide or a label sheet: the same line alone on every page repeats at the pages' edges, but it is the text.
    labels = _pages(tmp_path, "labels.pdf", ["<p>Background</p>"] * 4)
    chunks = PDFChunker(max_size=800).chunk_file(labels)
    assert chunks and PDFChunker().extract(labels).split() == ["Background"] * 4


def test_a_book_header_with_the_page_number_and_its_section_title_is_removed(tmp_path: Path) -> None:
    # LaTeX's book style: "12 Section C" on even pages, "Section C 13" on odd ones, in body type; each title on too
    # few pages to count as repeating.
    import weasyprint

    from benchmarks.paths import CHROMA_CORPORA

    words = (CHROMA_CORPORA / "wikitexts.md").read_text(encoding="utf-8").split()
    sections = "".join(
        f"<h2>Section {name}</h2>" + "".join(f"<p>{' '.join(words[k : k + 90])}</p>" for k in range(at, at + 900, 90))
        for name, at in zip("ABCDEF", range(0, 6 * 900, 900))
    )
    style = (
        "@page { size: A5; margin: 2cm 1.5cm; } @page :left { @top-left { content: counter(page) ' ' string(title);"
        " font-size: 10pt; } } @page :right { @top-right { content: string(title) ' ' counter(page); font-size: 10pt;"
        " } } body { font-size: 10pt; } h2 { string-set: title content(); font-size: 14pt; }"
    )
    book = tmp_path / "book.pdf"
    weasyprint.HTML(string=f"<html><head><style>{style}</style></head><body>{sections}</body></html>").write_pdf(book)
    text = PDFChunker().extract(book)
    assert re.findall(r"(?m)^# Section [A-F]$", text) == [f"# Section {name}" for name in "ABCDEF"]  # the headings
    header = re.compile(r"\d+ Section [A-F]|Section [A-F] \d+")
    assert not header.findall(text)
    from langchain_community.document_loaders import PyPDFLoader

    from langchain_chunkers import PDFTextSplitter

    chunks = PDFTextSplitter(max_size=800).split_documents(PyPDFLoader(str(book)).load())  # the pages as text
    assert chunks and not any(header.search(d.page_content) for d in chunks)


def test_numbered_headings_opening_each_page_are_no_page_numbers(tmp_path: Path) -> None:
    # "1 Scope" on page 1, "2 Terms" on page 2, ...: numbered like the pages, but headings (larger type).
    names = ["Scope", "Terms", "Methods", "Results"]
    body = "<p>The text of the {} section, long enough to be a paragraph of its own on the page.</p>"
    pages = [f"<h2>{n} {name}</h2>{body.format(name)}" for n, name in enumerate(names, 1)]
    pdf = _pages(tmp_path, "sections.pdf", pages)
    want = [f"{n} {name}" for n, name in enumerate(names, 1)]
    assert re.findall(r"(?m)^#+ (\d \w+)$", PDFChunker().extract(pdf)) == want
    from langchain_community.document_loaders import PyPDFLoader

    from langchain_chunkers import PDFTextSplitter

    chunks = PDFTextSplitter(max_size=2000).split_documents(PyPDFLoader(str(pdf)).load())  # no sizes: the file's
    assert re.findall(r"(?m)^#+ (\d \w+)$", "\n".join(d.page_content for d in chunks)) == want  # layout tells


def test_a_repeated_body_line_is_kept_where_it_opens_a_page(tmp_path: Path) -> None:
    # A sentence that recurs through the text opens some pages too: standing inside pages as well, it is body text.
    sentence = "Hello, here is some text without a meaning."
    filler = "Another paragraph of ordinary text that differs on every page, number {}."
    pages = [f"<p>{sentence}</p><p>{filler.format(n)}</p><p>{sentence}</p><p>{filler.format(n + 9)}</p>"
             for n in range(4)]  # fmt: skip
    text = PDFChunker().extract(_pages(tmp_path, "repeats.pdf", pages))
    assert text.count(sentence) == 8


LINE = st.text(alphabet=st.sampled_from("abc XYZ.-\u2010,12\ufffe"), min_size=1, max_size=40)  # U+FFFE: a PDFium mark
PAGES = st.lists(st.lists(LINE, min_size=0, max_size=8).map("\n".join), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAGES)
def test_joined_pages_map_back_exactly_and_lose_no_text(texts: list[str]) -> None:
    pages = [Page.from_text(text, str(i + 1)) for i, text in enumerate(texts)]
    assembled = assemble(pages)
    copied = {(run.page, run.page_start + k) for run in assembled.runs for k in range(run.length)}
    for run in assembled.runs:  # every run is an exact copy
        page_text = pages[run.page].text
        assert (
            assembled.text[run.start : run.start + run.length]
            == page_text[run.page_start : run.page_start + run.length]
        )
    from chunkers.pdf.assemble import running_lines

    dropped = running_lines(pages)
    for number, page in enumerate(pages):  # every character of a kept line is copied, but a joining hyphen
        for index, line in enumerate(page.lines):
            if (number, index) in dropped:
                continue
            for offset in range(line.start, line.end):
                if (number, offset) not in copied:
                    assert offset == line.end - 1 and page.text[offset] in "-\u2010\u00ad\ufffe", (page.text, offset)
    if not any(text.strip() for text in texts):  # nothing to chunk: said, not an empty list in silence
        with pytest.raises(PDFError, match="no text layer"):
            PDFChunker(max_size=60).chunk_pages(texts)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pages without text are named in a warning
        chunks = PDFChunker(max_size=60).chunk_pages(texts)
    assert bool(chunks) == bool(assembled.text.strip())  # only running lines and page numbers: nothing to chunk
    assert all(chunk.metadata["page_spans"] for chunk in chunks)  # every chunk knows its pages


def test_any_of_our_parsers_joins_the_pages_of_a_pdf(pdfs: dict[str, Path]) -> None:
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_core.documents import Document as LCDocument
    from llama_index.core import Document, SimpleDirectoryReader

    from langchain_chunkers import SentenceTextSplitter
    from llama_chunkers import DocumentNodeParser, SentenceNodeParser

    pages = PyPDFLoader(str(pdfs["one"])).load()
    note = LCDocument(page_content="A note of its own. It is no PDF.", metadata={"source": "note.txt"})
    documents = SentenceTextSplitter(chunk_size=400, add_start_index=True).split_documents([note, *pages])
    assert documents[0].page_content == note.page_content and documents[0].metadata["start_index"] == 0
    joined = documents[1:]
    assert joined and all(HEADER not in d.page_content and "start_index" not in d.metadata for d in joined)
    assert_spans_exact(joined, [p.page_content for p in pages])
    assert any(d.metadata["page_start"] < d.metadata["page_end"] for d in joined)

    llama_pages = SimpleDirectoryReader(input_files=[pdfs["one"]]).load_data()
    for parser in (SentenceNodeParser(chunk_size=128), DocumentNodeParser(max_size=600, include_parents=True)):
        nodes = parser.get_nodes_from_documents([Document(text="Plain text, no pages."), *llama_pages])
        assert nodes[0].text == "Plain text, no pages." and nodes[0].start_char_idx == 0
        assert all(HEADER not in n.text and n.metadata["page_label"] == n.metadata["page_labels"][0]
                   for n in nodes[1:])  # fmt: skip
        assert_spans_exact(nodes[1:], [p.text for p in llama_pages])


def test_a_two_page_pdf_loses_its_running_header_and_keeps_body_text_that_repeats(tmp_path: Path) -> None:
    paragraphs = [text for level, _, text in articles(1) if not level][:2]
    body = f'<h1>Valkyria</h1><p>{paragraphs[0]}</p><p style="break-before: page">{paragraphs[1]}</p>'
    assembled = PDFChunker().assemble_file(render_html(body, tmp_path / "two.pdf"))
    assert len(assembled.pages) == 2 and HEADER in assembled.removed
    assert HEADER not in assembled.text and not re.search(r"\bPage \d\b", assembled.text)
    assert squashed(paragraphs[1][:200]) in squashed(assembled.text)
    # a paragraph that opens both pages is body text, not a running header: it stays
    pages = [Page.from_text(f"{'Same opening paragraph of the report, long enough to be body text. ' * 2}\n{t}", n)
             for n, t in (("1", "First page."), ("2", "Second page."))]  # fmt: skip
    assert assemble(pages).text.count("Same opening paragraph") == 4


def test_a_title_wrapped_in_large_type_is_one_heading_and_headings_set_one_under_another_stay_two(
    tmp_path: Path,
) -> None:
    paragraph = next(text for level, _, text in articles(1) if not level)
    title = "Many veterans who served overseas can get disability compensation for their illnesses."
    body = (f"<h1>{title}</h1><p>{paragraph}</p>"
            "<h2>Repay Your Direct Loans and Federal Family Education Loan (FFEL) Program Loans</h2>"
            f"<h2>Repay Your Federal Perkins Loan</h2><p>{paragraph}</p>")  # fmt: skip
    text = PDFChunker().extract(render_html(body, tmp_path / "titles.pdf"))
    assert re.findall(r"(?m)^#+ .*$", text) == [
        f"# {title}",  # over two lines in the PDF, and a sentence
        "## Repay Your Direct Loans and Federal Family Education Loan (FFEL) Program Loans",  # over two lines too
        "## Repay Your Federal Perkins Loan",
    ]


def test_a_one_page_pdf_loses_its_page_header_in_the_file_and_in_a_loaders_pages(tmp_path: Path) -> None:
    from langchain_community.document_loaders import PyPDFLoader

    from langchain_chunkers import PDFTextSplitter

    paragraph = next(text for level, _, text in articles(1) if not level)
    pdf = render_html(f"<h1>Valkyria</h1><p>{paragraph[:1500]}</p>", tmp_path / "one-page.pdf")
    assembled = PDFChunker().assemble_file(pdf)
    assert len(assembled.pages) == 1 and HEADER in assembled.removed and HEADER not in assembled.text
    pages = PyPDFLoader(str(pdf)).load()
    assert HEADER in pages[0].page_content  # nothing repeats in the loader's text: the file's layout tells
    chunks = PDFTextSplitter(chunk_size=300).split_documents(pages)
    assert chunks and not any(HEADER in c.page_content or "Page 1" in c.page_content for c in chunks)
    assert squashed(paragraph[:1500]) in squashed("".join(c.page_content for c in chunks))


def test_s2_strategy_clusters_the_paragraphs_in_both_frameworks(pdfs: dict[str, Path]) -> None:
    from langchain_chunkers import PDFLoader, PDFTextSplitter
    from llama_chunkers import PDFNodeParser, PDFReader

    chunker = PDFChunker(max_size=400, strategy="s2")
    text = chunker.extract(pdfs["two"])
    chunks = chunker.chunk_file(pdfs["two"])
    assert chunks and all(text[c.start : c.end] == c.text and len(c.text) <= 400 for c in chunks)
    squashed_text = squashed(re.sub(r"(?m)^#+ ", "", text))
    assert squashed("".join(c.text for c in chunks)).replace("#", "") == squashed_text.replace("#", "")
    clusters = [c.metadata["s2_cluster"] for c in chunks]
    assert len(set(clusters)) > 1 and all(c.metadata["page_spans"] and c.metadata["boxes"] for c in chunks)
    # a cluster holds paragraphs that are not next to each other: chunks of one cluster, apart
    apart = [(i, j) for i in range(len(clusters)) for j in range(i + 2, len(clusters)) if clusters[i] == clusters[j]]
    assert any(any(clusters[k] != clusters[i] for k in range(i + 1, j)) for i, j in apart)
    with pytest.raises(ValueError, match="strategy='s2'"):
        PDFChunker(embeddings=lambda texts: [[1.0] for _ in texts])

    parser = PDFNodeParser(max_size=400, strategy="s2")
    assert parser.to_dict()["strategy"] == "s2" and PDFNodeParser.from_dict(parser.to_dict()).strategy == "s2"
    nodes = parser.get_nodes_from_documents(PDFReader().load_data(pdfs["two"]))
    assert all(text[n.start_char_idx : n.end_char_idx] == n.text and "s2_cluster" in n.metadata for n in nodes)
    assert len(set(n.metadata["s2_cluster"] for n in nodes)) > 1
    splitter = PDFTextSplitter(max_size=400)
    splitter.strategy = "s2"  # a field set after construction takes effect
    assert [d.page_content for d in splitter.split_documents(PDFLoader(str(pdfs["two"])).load())] == [
        c.text for c in chunks
    ]


PARAGRAPHS = st.lists(
    st.text(alphabet=st.sampled_from("ab cd.\n#-"), min_size=1, max_size=300), min_size=1, max_size=12
).map("\n\n".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PARAGRAPHS, st.integers(min_value=20, max_value=200))
def test_s2_chunks_are_exact_within_the_budget_and_lose_no_text(text: str, max_size: int) -> None:
    chunks = PDFChunker(max_size=max_size, strategy="s2").chunk(text)
    assert all(text[c.start : c.end] == c.text and len(c.text) <= max_size for c in chunks)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert all(a.end <= b.start for a, b in pairwise(chunks))  # no chunk overlaps another
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered or text[i].isspace() for i in range(len(text)))  # only whitespace falls between chunks


def test_a_table_is_kept_by_rows_with_its_header_row_as_context(tmp_path: Path) -> None:
    import csv
    import html

    from benchmarks.paths import CHROMA

    with (CHROMA / "questions.csv").open(encoding="utf-8", newline="") as handle:
        rows = [(r["corpus_id"], r["question"][:70]) for r in csv.DictReader(handle)][:10]
    td = '<td style="padding: 2pt 8pt; border: 0.5pt solid gray">'  # cells apart, as tables are set
    cells = "".join(f"<tr>{td}{html.escape(a)}</td>{td}{html.escape(b)}</td></tr>" for a, b in rows)
    paragraph = next(text for level, _, text in articles(1) if not level)
    header = f"<tr>{td}Corpus</td>{td}Question</td></tr>"
    body = f'<h2>Questions</h2><p>{paragraph}</p><table style="border-collapse: collapse">{header}{cells}</table>'
    pdf = render_html(body, tmp_path / "table.pdf")
    chunker = PDFChunker(max_size=400)
    text = chunker.extract(pdf)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert table[:2] == ["| Corpus | Question |", "| --- | --- |"]
    assert [line.split(" | ")[0].lstrip("| ") for line in table[2:]] == [a for a, _ in rows]
    assert squashed(paragraph) in squashed(text)  # the prose around it is no table
    chunks = chunker.chunk_file(pdf)
    assert all(text[c.start : c.end] == c.text and len(c.text) <= 400 for c in chunks)
    pieces = [c for c in chunks if c.text.startswith("|") and "Corpus" not in c.text]
    assert pieces and all(c.metadata["context_header"].endswith("| Corpus | Question |") for c in pieces)


CELL = st.text(alphabet=st.sampled_from("ab |-.1"), min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=6), st.booleans())
def test_table_rows_are_copied_cell_by_cell_and_lose_no_text(grid: list[list[str]], prose_after: bool) -> None:
    from chunkers.pdf.layout import Line

    text, lines, y = "", [], 700.0
    for row in grid:  # cells at x = 60, 160, 260, set 5 points a character, apart by wide blanks
        start, words, x = len(text), [], 60.0
        for column, cell in enumerate(row):
            for k, part in enumerate(cell.split(" ")):
                offset = len(text)
                if column or k:
                    words.append((offset, x, 40.0 if k == 0 else 4.0))
                text += part + " "
                x += 5.0 * (len(part) + 1)
            x = 60.0 + 100.0 * (column + 1)
        text = text.rstrip(" ")
        lines.append(Line(start, len(text), 10.0, False, (60.0, y - 10, x, y), tuple(words)))
        text += "\n"
        y -= 14.0
    if prose_after:
        start = len(text)
        text += "A closing sentence of plain prose."
        lines.append(Line(start, len(text), 10.0, False, (60.0, y - 10, 230.0, y)))
    assembled = assemble([Page(text, "1", lines)])
    for run in assembled.runs:  # every run is an exact copy
        assert assembled.text[run.start : run.start + run.length] == text[run.page_start : run.page_start + run.length]
    copied = {run.page_start + k for run in assembled.runs for k in range(run.length)}
    ends = {line.end - 1 for line in lines}  # (a hyphen ending a line before a lower-case word joins it)
    assert all(i in copied or text[i].isspace() or (i in ends and text[i] == "-") for i in range(len(text)))
    from chunkers.pdf.tables import LIST_MARKER

    if len(grid) >= 3 and not all(LIST_MARKER.match(row[0]) for row in grid):  # a table (not a list): one row a line
        rows = [line for line in assembled.text.split("\n") if line.startswith("| ")]
        assert len(rows) == len(grid) + 1 and rows[1].count("---") >= 3  # (words lined up in every row: a column)
        assert len({row.replace("\\|", "").count("|") for row in rows}) == 1  # every row has every column
