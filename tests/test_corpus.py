"""Tests for bot.corpus: real files of every format in tmp_path, read the way the bot reads them."""

from __future__ import annotations

import io
import multiprocessing
import os
import time
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter

from bot.corpus import (
    IN_PROCESS_MAX_BYTES,
    SUPPORTED_SUFFIXES,
    Corpus,
    CorpusFile,
    Document,
    ReadingLimits,
    list_corpus_files,
    load_corpus,
    read_bounded,
    read_document,
    safe_file_name,
)
from bot.chunking import chunk
from bot.errors import CorpusError, DocumentError
from bot.structure import KINDS

SHIPPED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"

FRENCH = (
    "Le château se trouve près de la forêt. Les élèves étudient à l'école chaque matin. "
    "Où est le garçon qui a oublié son cahier ? Il fait très beau aujourd'hui, "
    "et nous allons déjeuner au café après la leçon de français.\n"
)
RUSSIAN = (
    "Отношения между двумя странами были установлены в январе тысяча девятьсот девяносто "
    "второго года. Посольство работает в столице. Обе стороны подписали декларацию "
    "о союзнических отношениях и договорились о сотрудничестве в области образования.\n"
)


def make_pdf(text: str, title: str | None = None) -> bytes:
    """A minimal one-page PDF showing `text` in Helvetica, with correct xref offsets."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title is not None:
        objects.append(b"<< /Title (" + title.encode("latin-1") + b") >>")
    return pdf_file(objects, b" /Info %d 0 R" % len(objects) if title is not None else b"")


def pdf_file(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """The objects (numbered from 1, the first the catalog) as a PDF file with correct xref offsets."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def read(folder: Path, name: str, content: str | bytes) -> Document:
    """Write one file and read it back as a Document."""
    write(folder, name, content)
    (file,) = [f for f in list_corpus_files(folder) if f.doc_id == name]
    return read_document(file)


def skip_reason(folder: Path, name: str, content: str | bytes) -> str:
    write(folder, name, content)
    (file,) = [f for f in list_corpus_files(folder) if f.doc_id == name]
    with pytest.raises(DocumentError) as info:
        read_document(file)
    return str(info.value)


# --- listing ---------------------------------------------------------------------------------


def test_lists_supported_files_recursively_sorted_by_posix_id(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "sub/deeper/c.html", "sub/b.PDF", "x.markdown", "y.htm"]:
        write(tmp_path, name, "text")
    files = list_corpus_files(tmp_path)
    assert [f.doc_id for f in files] == [
        "a.md",
        "b.txt",
        "sub/b.PDF",
        "sub/deeper/c.html",
        "x.markdown",
        "y.htm",
    ]
    first = files[0]
    assert first.path == (tmp_path / "a.md").absolute()
    assert first.size == 4
    assert first.mtime_ns == (tmp_path / "a.md").stat().st_mtime_ns


def test_listing_ignores_hidden_unsupported_and_sidecar_files(tmp_path: Path) -> None:
    write(tmp_path, "keep.txt", "text")
    write(tmp_path, ".hidden.txt", "text")
    write(tmp_path, ".git/notes.md", "text")
    write(tmp_path, "sub/.cache/page.html", "text")
    write(tmp_path, "image.png", b"\x89PNG")
    write(tmp_path, "notes.docx", b"PK")
    write(tmp_path, "keep.txt.meta.yaml", "title: x\n")
    (tmp_path / "folder.txt").mkdir()
    assert [f.doc_id for f in list_corpus_files(tmp_path)] == ["keep.txt"]


def test_missing_folder_is_a_corpus_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CorpusError, match="nowhere"):
        list_corpus_files(missing)
    with pytest.raises(CorpusError, match="nowhere"):
        load_corpus(missing)


def test_a_file_instead_of_a_folder_is_a_corpus_error(tmp_path: Path) -> None:
    path = write(tmp_path, "single.txt", "text")
    with pytest.raises(CorpusError, match="single.txt"):
        load_corpus(path)


def test_folder_without_supported_files_is_a_corpus_error(tmp_path: Path) -> None:
    write(tmp_path, "image.png", b"\x89PNG")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert all(suffix in message for suffix in SUPPORTED_SUFFIXES)


# --- plain text ------------------------------------------------------------------------------


def test_utf8_text_takes_its_title_from_the_first_line(tmp_path: Path) -> None:
    source = "\n\n  Türkiye   and Azerbaijan \r\nFirst paragraph.\r\n\r\nSecond.\r"
    doc = read(tmp_path, "a.txt", source)
    assert doc.title == "Türkiye and Azerbaijan"
    assert doc.text == "Türkiye   and Azerbaijan \nFirst paragraph.\n\nSecond."
    assert doc.doc_id == "a.txt"
    assert doc.url is None
    assert doc.metadata == ()


def test_long_title_is_cut_at_a_word_boundary(tmp_path: Path) -> None:
    first_line = "word " * 40
    doc = read(tmp_path, "long.txt", first_line + "\n\nBody.")
    assert len(doc.title) <= 100
    assert doc.title.endswith("word…")


@pytest.mark.parametrize(("text", "encoding"), [(FRENCH, "latin-1"), (RUSSIAN, "cp1251")])
def test_legacy_encodings_are_detected(tmp_path: Path, text: str, encoding: str) -> None:
    doc = read(tmp_path, "legacy.txt", (text * 3).encode(encoding))
    assert doc.text == (text * 3).strip()


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    doc = read(tmp_path, "bom.txt", b"\xef\xbb\xbfTitle line\n\nBody.\n")
    assert doc.title == "Title line"
    assert doc.text.startswith("Title line")


def test_utf16_with_bom_is_text_not_binary(tmp_path: Path) -> None:
    doc = read(tmp_path, "wide.txt", "Wide title\n\nBody ü.".encode("utf-16"))
    assert doc.title == "Wide title"
    assert doc.text == "Wide title\n\nBody ü."


def test_binary_and_empty_files_are_skipped_while_the_rest_loads(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", "Good title\n\nGood text.")
    write(tmp_path, "binary.txt", b"GIF89a\x00\x01\x02\x00\xff\xfe")
    write(tmp_path, "empty.md", "")
    write(tmp_path, "blank.txt", " \n\t\r\n")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["good.txt"]
    assert {s.doc_id: s.reason for s in corpus.skipped} == {
        "binary.txt": "looks like a binary file",
        "blank.txt": "empty document",
        "empty.md": "empty document",
    }


def test_a_file_whose_name_is_not_utf8_is_skipped_with_its_name_shown(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", "Good title\n\nGood text.")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9 notes.txt"), "wb") as stream:  # Latin-1 "é"
        stream.write(b"Notes\n\nSome text.")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["good.txt"]
    assert [(s.doc_id, s.reason) for s in corpus.skipped] == [
        ("caf\ufffd notes.txt", "the file name is not valid UTF-8: rename the file")
    ]
    assert corpus.skipped[0].doc_id.encode("utf-8")  # shown and stored like any name


def test_a_folder_whose_files_are_all_skipped_returns_no_documents(tmp_path: Path) -> None:
    write(tmp_path, "empty.txt", "")
    corpus = load_corpus(tmp_path)
    assert corpus == Corpus(documents=(), skipped=corpus.skipped)
    assert len(corpus.skipped) == 1


def test_an_unreadable_path_becomes_a_document_error(tmp_path: Path) -> None:
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    file = CorpusFile("dir.txt", folder, 0, 0)
    with pytest.raises(DocumentError, match="cannot read file: Is a directory"):
        read_document(file)
    assert load_corpus(tmp_path, [file]).skipped[0].reason.startswith("cannot read file")


# --- Markdown and metadata -------------------------------------------------------------------


def test_markdown_title_is_the_first_heading_read_as_a_reader_sees_it(tmp_path: Path) -> None:
    source = "Intro line.\n\n## The  *Real* Title ##\n\nBody text.\n"
    doc = read(tmp_path, "notes.md", source)
    assert doc.title == "The Real Title"
    assert doc.text == "Intro line.\n\nThe Real Title\n\nBody text."
    assert [(KINDS[m.kind], doc.text[m.start : m.end]) for m in doc.marks] == [("heading", "The Real Title")]


def test_front_matter_sets_title_url_and_metadata(tmp_path: Path) -> None:
    source = (
        "---\ntitle: From Front Matter\nurl: https://example.org/a\nauthor: Ann\n"
        "year: 2021\ntags: [x, y]\n---\n# Heading\n\nBody.\n"
    )
    doc = read(tmp_path, "fm.md", source)
    assert doc.title == "From Front Matter"
    assert doc.url == "https://example.org/a"
    assert doc.metadata == (("author", "Ann"), ("tags", "x, y"), ("year", "2021"))
    assert doc.text == "Heading\n\nBody."


def test_bad_front_matter_names_the_problem(tmp_path: Path) -> None:
    reason = skip_reason(tmp_path, "bad.txt", "---\ntitle: ok\nurl: [unclosed\n---\nBody.\n")
    assert reason.startswith("bad YAML in front matter")


def test_sidecar_metadata_overrides_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "a.md.meta.yaml", "title: Sidecar Title\nsource: archive\n")
    doc = read(tmp_path, "a.md", "---\ntitle: Front\nauthor: Ann\n---\nBody.\n")
    assert doc.title == "Sidecar Title"
    assert doc.metadata == (("author", "Ann"), ("source", "archive"))


def test_bad_sidecar_is_a_document_error(tmp_path: Path) -> None:
    write(tmp_path, "page.html.meta.yaml", "- just\n- a list\n")
    reason = skip_reason(tmp_path, "page.html", "<p>Text</p>")
    assert reason == "bad YAML in page.html.meta.yaml: expected key: value pairs"


# --- HTML ------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title> Page &amp; Title </title><style>p { color: red }</style>
<script>var hidden = 1;</script></head>
<body>
<noscript>Enable JS</noscript>
<h1>Heading</h1>
<p>First <b>bold</b>   paragraph,
spread over lines &mdash; with&nbsp;entities &lt;ok&gt;.</p>
<!-- a comment -->
<div>Second<br>third</div>
<table>
  <tr><th>Country</th><th>Year</th></tr>
  <tr><td><p>Türkiye</p></td><td>1991</td></tr>
  <tr><td>Azerbaijan</td><td>1992</td></tr>
</table>
<ul><li>one</li><li>two</li></ul>
<script>alert("no")</script>
</body></html>
"""


def test_html_is_read_as_paragraphs_with_table_rows_as_lines(tmp_path: Path) -> None:
    doc = read(tmp_path, "page.html", PAGE)
    assert doc.title == "Page & Title"
    assert doc.text == (
        "Heading\n\n"
        "First bold paragraph, spread over lines — with entities <ok>.\n\n"
        "Second\nthird\n\n"
        "Country     Year\nTürkiye     1991\nAzerbaijan  1992\n\n"
        "• one\n• two"
    )
    marked = [(KINDS[mark.kind], doc.text[mark.start : mark.end]) for mark in doc.marks]
    assert marked == [
        ("heading", "Heading"),
        ("table", "Country     Year\nTürkiye     1991\nAzerbaijan  1992"),
        ("list", "• one\n• two"),
    ]


def test_html_title_falls_back_to_the_first_h1(tmp_path: Path) -> None:
    doc = read(tmp_path, "page.htm", "<body><p>Intro</p><h1>Main  heading</h1></body>")
    assert doc.title == "Main heading"


def test_html_meta_charset_is_honoured(tmp_path: Path) -> None:
    html = f'<html><head><meta charset="windows-1251"></head><body><p>{RUSSIAN}</p></body></html>'
    doc = read(tmp_path, "ru.html", html.encode("cp1251"))
    assert doc.text == RUSSIAN.strip()


def test_html_without_text_is_skipped(tmp_path: Path) -> None:
    html = "<html><head><title>T</title></head><body> <script>x()</script></body>"
    reason = skip_reason(tmp_path, "blank.html", html)
    assert reason == "no text in HTML"


def test_sidecar_metadata_on_html(tmp_path: Path) -> None:
    write(tmp_path, "page.html.meta.yaml", "url: https://example.org/page\nlang: en\n")
    doc = read(tmp_path, "page.html", PAGE)
    assert doc.title == "Page & Title"
    assert doc.url == "https://example.org/page"
    assert doc.metadata == (("lang", "en"),)


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    doc = read(tmp_path, "hello.pdf", make_pdf("Hello PDF world"))
    assert doc.text == "Hello PDF world"
    assert doc.title == "Hello PDF world"


def test_pdf_title_comes_from_its_metadata_and_sidecar_wins(tmp_path: Path) -> None:
    assert read(tmp_path, "a.pdf", make_pdf("Body", title="Info Title")).title == "Info Title"
    write(tmp_path, "b.pdf.meta.yaml", "title: Report 2021\nurl: https://example.org/r.pdf\n")
    doc = read(tmp_path, "b.pdf", make_pdf("Body", title="Info Title"))
    assert (doc.title, doc.url) == ("Report 2021", "https://example.org/r.pdf")


def test_truncated_pdf_is_skipped_with_a_reason(tmp_path: Path) -> None:
    data = make_pdf("Hello PDF world")
    write(tmp_path, "ok.txt", "Fine\n")
    write(tmp_path, "broken.pdf", data[: len(data) // 2])
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["ok.txt"]
    (skipped,) = corpus.skipped
    assert skipped.doc_id == "broken.pdf"
    assert skipped.reason.startswith("PDF could not be read: ")


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf("Secret text")))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_encrypted_with_a_password_is_skipped(tmp_path: Path) -> None:
    reason = skip_reason(tmp_path, "locked.pdf", encrypted_pdf("secret"))
    assert reason == "PDF could not be read: encrypted with a password"


def test_pdf_encrypted_with_an_empty_password_is_read(tmp_path: Path) -> None:
    assert read(tmp_path, "open.pdf", encrypted_pdf("")).text == "Secret text"


def test_pdf_without_text_is_skipped(tmp_path: Path) -> None:
    reason = skip_reason(tmp_path, "scan.pdf", make_pdf(""))
    assert reason == "no extractable text (scanned PDF?)"


Outline = list[tuple[str, int, "Outline"]]  # (title, page index, the entries under it)


def make_pages_pdf(pages: list[list[tuple[int, str]]], outline: Outline = (), title: str = "Gauge manual") -> bytes:
    """A PDF of several pages, each a column of (font size, line) in Helvetica, with an outline."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        shown = "\n".join(f"/F1 {size} Tf 0 -{size + 6} Td ({line}) Tj" for size, line in lines)
        stream = f"BT 72 740 Td\n{shown}\nET".encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> >> >>" % len(objects)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    writer = PdfWriter(clone_from=io.BytesIO(pdf_file(objects)))
    writer.add_metadata({"/Title": title})

    def add(entries: Outline, parent=None) -> None:
        for entry_title, page, children in entries:
            add(children, writer.add_outline_item(title=entry_title, page_number=page, parent=parent))

    add(outline)
    written = io.BytesIO()
    writer.write(written)
    return written.getvalue()


MANUAL_PAGES = [
    [(18, "Installing"), (11, "The gauge software runs on any Linux system."), (11, "Unpack it where you like.")],
    [(11, "Read the licence first."), (14, "2.1   From   SOURCE"), (11, "Build it with make.")],
    [(14, "Upgrading"), (11, "Stop the gauge before you upgrade it.")],
]
MANUAL_OUTLINE: Outline = [
    ("Installing", 0, [("From source", 1, []), ("Upgrading", 2, [])]),
    ("Calibrating", 2, []),  # a title its page does not show
]


def test_pdf_outline_titles_are_headings_where_their_pages_show_them(tmp_path: Path) -> None:
    doc = read(tmp_path, "manual.pdf", make_pages_pdf(MANUAL_PAGES, MANUAL_OUTLINE))
    assert [(KINDS[m.kind], m.level, doc.text[m.start : m.end]) for m in doc.marks] == [
        ("heading", 1, "Installing"),
        ("heading", 2, "2.1 From SOURCE"),  # case, spacing and a section number aside
        ("heading", 2, "Upgrading"),
    ]
    assert doc.text.split("\n\n") == [
        "Installing",
        "The gauge software runs on any Linux system.\nUnpack it where you like.",
        "Read the licence first.",
        "2.1 From SOURCE",
        "Build it with make.",
        "Upgrading",
        "Stop the gauge before you upgrade it.",
    ]
    passages = chunk(doc.doc_id, doc.text, marks=doc.marks, title=doc.title)
    first = "The gauge software runs on any Linux system.\nUnpack it where you like.\n\nRead the licence first."
    assert [(p.section, p.text) for p in passages] == [
        (("Installing",), first),
        (("Installing", "2.1 From SOURCE"), "Build it with make."),
        (("Installing", "Upgrading"), "Stop the gauge before you upgrade it."),
    ]


def test_a_pdf_outline_title_only_begins_a_line_of_its_own_page(tmp_path: Path) -> None:
    pages = [[(11, "Installing the gauge takes an hour.")], [(11, "See Upgrading below.")], [(14, "Upgrading")]]
    outline: Outline = [("Installing", 0, []), ("Upgrading", 1, [])]
    doc = read(tmp_path, "manual.pdf", make_pages_pdf(pages, outline))
    assert doc.marks == ()
    assert doc.text == "Installing the gauge takes an hour.\n\nSee Upgrading below.\n\nUpgrading"


def test_a_pdf_without_outline_has_no_marks(tmp_path: Path) -> None:
    doc = read(tmp_path, "manual.pdf", make_pages_pdf(MANUAL_PAGES))
    assert doc.marks == ()
    assert doc.text.startswith("Installing\nThe gauge software")


# --- the shipped corpus ----------------------------------------------------------------------


def test_shipped_corpus_loads_with_titles() -> None:
    corpus = load_corpus(SHIPPED_CORPUS)
    assert corpus.skipped == ()
    assert len(corpus.documents) == 5
    assert all(doc.title and doc.text for doc in corpus.documents)
    assert corpus.documents[0].doc_id.startswith("000_")
    assert corpus.documents[0].title == "Relations between Türkiye and Azerbaijan"


# --- names for uploaded documents ------------------------------------------------------------


@pytest.mark.parametrize(
    "name, safe",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/absolute/path/notes.md", "notes.md"),
        ("C:\\Users\\someone\\Desktop\\report.txt", "report.txt"),
        ("mixed/slashes\\..\\final.html", "final.html"),
        ("folder/../report.pdf", "report.pdf"),
    ],
)
def test_upload_name_keeps_only_the_last_path_component(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


@pytest.mark.parametrize("name", ["../..", "x/..", "docs/", "..\\..", ""])
def test_upload_name_that_is_only_a_path_is_refused(name: str) -> None:
    with pytest.raises(DocumentError):
        safe_file_name(name)


@pytest.mark.parametrize(
    "name, safe",
    [(".hidden.md", "hidden.md"), ("...notes.txt", "notes.txt"), ("..txt", "document.txt"), (".md", "document.md")],
)
def test_upload_name_cannot_be_hidden_or_empty(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


@pytest.mark.parametrize(
    "name, safe",
    [
        ("my report (final)!.txt", "my_report_final.txt"),
        ("a\x00b;rm -rf $HOME.md", "a_b_rm_-rf_HOME.md"),
        ("  spaced  name .txt ", "spaced_name.txt"),
        ("-rf.txt", "rf.txt"),
        ('quote\'s "and" <tag>.html', "quote_s_and_tag.html"),
    ],
)
def test_odd_characters_in_an_upload_name_are_replaced(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


@pytest.mark.parametrize(
    "name, safe",
    [
        ("NOTES.MD", "NOTES.md"),
        ("Scan.PDF", "Scan.pdf"),
        ("page.Html", "page.html"),
        ("ｒｅｐｏｒｔ.ＴＸＴ", "report.txt"),
    ],
)
def test_upload_name_suffix_is_lowercased(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


@pytest.mark.parametrize("name", ["virus.exe", "README", "archive.txt.zip", "notes.txt/", "photo.jpeg", "no_dot_txt"])
def test_upload_name_without_a_supported_suffix_is_a_document_error(name: str) -> None:
    with pytest.raises(DocumentError) as caught:
        safe_file_name(name)
    assert ".txt" in str(caught.value) and ".pdf" in str(caught.value)  # it says what is supported


def test_every_supported_suffix_is_accepted() -> None:
    for suffix in SUPPORTED_SUFFIXES:
        assert safe_file_name(f"document{suffix.upper()}") == f"document{suffix}"


def test_a_very_long_upload_name_is_capped(tmp_path: Path) -> None:
    safe = safe_file_name("a" * 1000 + ".txt")
    assert safe.endswith(".txt") and set(safe[:-4]) == {"a"}
    assert len(safe.encode("utf-8")) <= 255
    (tmp_path / safe).write_text("fits", encoding="utf-8")


def test_non_ascii_letters_in_an_upload_name_are_kept() -> None:
    assert safe_file_name("Şuşa bəyannaməsi.txt") == "Şuşa_bəyannaməsi.txt"
    assert safe_file_name("Отчёт за 2021 год.md") == "Отчёт_за_2021_год.md"
    assert safe_file_name("Ελληνικά.pdf") == "Ελληνικά.pdf"


def test_a_safe_name_is_safe_again() -> None:
    for name in ["../x y.TXT", ".hidden.md", "Şuşa.html", "a" * 300 + ".pdf"]:
        once = safe_file_name(name)
        assert safe_file_name(once) == once


def test_a_very_long_non_ascii_upload_name_can_be_written(tmp_path: Path) -> None:
    safe = safe_file_name("文" * 300 + ".txt")
    (tmp_path / safe).write_text("fits", encoding="utf-8")


def test_deeply_nested_html_is_read_without_recursion(tmp_path: Path) -> None:
    depth = 5000  # far past Python's recursion limit, and unclosed tags nest this deep by themselves
    page = "<html><body>" + "<div>" * depth + "<p>The deep answer.</p>" + "</div>" * depth + "<ul>" * 300
    page += "<li><a href='a'>one</a> <a href='b'>two</a>" * 300 + "</ul>" * 300 + "</body></html>"
    doc = read(tmp_path, "deep.html", page)
    assert doc.text == "The deep answer."  # the nested lists of links are navigation


# --- bounded work ----------------------------------------------------------------------------


def shared_stream_pdf(pages: int, operators: int) -> bytes:
    """A PDF of a few kilobytes whose pages all show one compressed content stream of `operators`
    text operators: little to read, much to extract (each page about `operators` * 0.015 ms)."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"(ab) Tj " * operators + b"ET", 9)
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *[page] * pages,
        ]
    )


def test_a_pdf_that_reads_too_long_is_stopped_and_the_rest_is_read(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "Field notes\n\nThe heron returned in March.\n")
    write(tmp_path, "slow.pdf", shared_stream_pdf(pages=2_000, operators=100_000))  # 5 KB, about an hour
    started = time.perf_counter()
    corpus = load_corpus(tmp_path, limits=ReadingLimits(max_seconds=1))
    assert time.perf_counter() - started < 20  # one second of reading, and starting the reader process
    assert [document.doc_id for document in corpus.documents] == ["notes.txt"]
    assert [(s.doc_id, s.reason) for s in corpus.skipped] == [
        ("slow.pdf", "reading took over 1 s (reading.max_seconds)")
    ]
    assert multiprocessing.active_children() == []


def test_a_pdf_stops_being_extracted_once_it_has_too_much_text(tmp_path: Path) -> None:
    write(tmp_path, "wordy.pdf", shared_stream_pdf(pages=2_000, operators=1_000))  # 2,000 characters a page
    started = time.perf_counter()
    corpus = load_corpus(tmp_path, limits=ReadingLimits(max_text_chars=10_000))
    assert time.perf_counter() - started < 20  # a few pages, not 2,000
    assert corpus.skipped[0].reason == "over 10,000 characters of text (reading.max_text_chars)"


def test_a_document_with_too_much_text_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "long.md", "# Log\n\n" + "The pump ran for an hour.\n\n" * 500)
    write(tmp_path, "short.md", "# Log\n\nThe pump ran.\n")
    corpus = load_corpus(tmp_path, limits=ReadingLimits(max_text_chars=5_000))
    assert [document.doc_id for document in corpus.documents] == ["short.md"]
    assert corpus.skipped[0].reason == "over 5,000 characters of text (reading.max_text_chars)"


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, "dump.html", "<p>" + "x" * (1024 * 1024) + "</p>")
    (file,) = list_corpus_files(tmp_path)
    with pytest.raises(DocumentError, match=r"^the file is 1\.0 MB, over the 1 MB limit \(reading\.max_file_mb\)$"):
        read_bounded(file, ReadingLimits(max_file_mb=1))
    assert multiprocessing.active_children() == []  # refused by its size, without a reader process
    path = write(tmp_path / "growing", "log.txt", "Log\n")
    (file,) = list_corpus_files(tmp_path / "growing")
    path.write_text("Log\n" + "x" * (3 * 1024 * 1024), encoding="utf-8")  # grown since it was listed
    with pytest.raises(DocumentError, match=r"^the file is over the 1 MB limit \(reading\.max_file_mb\)$"):
        read_document(file, ReadingLimits(max_file_mb=1))


def test_a_large_file_is_read_apart_as_it_is_read_here(tmp_path: Path) -> None:
    steps = "".join(
        f"<h2>Step {n}</h2><p>Turn valve {n} a quarter turn.</p><pre>valve {n} open</pre>" for n in range(4000)
    )
    write(tmp_path, "manual.html", f"<title>Valves</title><h1>Valves</h1>{steps}")
    write(tmp_path, "manual.pdf", make_pages_pdf(MANUAL_PAGES, MANUAL_OUTLINE))
    files = list_corpus_files(tmp_path)
    assert files[0].size > IN_PROCESS_MAX_BYTES
    corpus = load_corpus(tmp_path)
    assert corpus.documents == tuple(read_document(file) for file in files)
    assert corpus.documents[0].marks and corpus.documents[1].marks


ALIAS_BOMB = """---
title: Pump log
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
loop: &loop [*loop]
---
The pump ran.
"""


def test_yaml_aliases_in_front_matter_cannot_make_a_value_huge(tmp_path: Path) -> None:
    """Nine lines naming a list of a billion items: each value is cut at 1,000 characters."""
    started = time.perf_counter()
    document = read(tmp_path, "log.md", ALIAS_BOMB)
    assert time.perf_counter() - started < 2
    values = dict(document.metadata)
    assert values["a"] == ", ".join(["lol"] * 10)
    assert len(values["i"]) == 1000 and values["i"].startswith("lol, lol") and values["i"].endswith("…")
    assert document.title == "Pump log" and document.text == "The pump ran."


def test_a_sidecar_over_a_megabyte_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.txt.meta.yaml", "tags: [" + "x, " * 400_000 + "]\n")
    reason = skip_reason(tmp_path, "a.txt", "A\n\nText.\n")
    assert reason == "a.txt.meta.yaml is over 1024 KB: metadata, not a document"


def test_metadata_lists_and_mappings_read_as_text(tmp_path: Path) -> None:
    document = read(tmp_path, "a.md", "---\ntags: [x, [y, z]]\ncontact: {name: Ann, room: 12}\n---\nText.\n")
    assert dict(document.metadata) == {"tags": "x, y, z", "contact": "name: Ann, room: 12"}
