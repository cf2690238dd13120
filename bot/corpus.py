"""Reads a corpus folder into plain-text Documents, whatever the format and encoding of each file.

Usage::

    corpus = load_corpus(Path("corpus"))
    for doc in corpus.documents:
        print(doc.doc_id, doc.title)
    for skipped in corpus.skipped:
        print("skipped", skipped.doc_id, skipped.reason)

One unreadable file never stops the rest: it becomes a `Skipped` entry with a short reason the user
can act on. Only a folder that cannot be used at all raises `CorpusError`.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
import yaml
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError
from tqdm import tqdm

from .errors import CorpusError, DocumentError
from . import markup
from .html_text import read_html
from .structure import Mark, Structured, StructuredText

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES: frozenset[str] = _TEXT_SUFFIXES | _HTML_SUFFIXES | {".pdf"}

SIDECAR_SUFFIX = ".meta.yaml"
_TITLE_MAX = 100
_UPLOAD_STEM_BYTES = 200  # file systems allow 255 bytes per name
PROGRESS_MIN_FILES = 200

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*$\n?", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """A supported file found in the corpus; sizes and mtimes let the index notice changes."""

    doc_id: str
    location: str | Path  # as listed: a listing of many thousand files makes no Path objects
    size: int
    mtime_ns: int
    sidecar_mtime_ns: int = 0  # of its `.meta.yaml` file; 0 when there is none

    @property
    def path(self) -> Path:
        return Path(self.location)


@dataclass(frozen=True, slots=True)
class Document:
    """One document as plain text; paragraphs are separated by blank lines."""

    doc_id: str
    title: str
    text: str
    path: Path
    url: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    marks: tuple[Mark, ...] = ()  # its headings, code, tables and lists (see bot.structure)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that could not be turned into a document, and why, so the user can fix it."""

    doc_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Corpus:
    """Everything read from a folder: the documents and the files left out."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True, slots=True)
class _Content:
    """What a format reader extracts before metadata and title fallbacks are applied."""

    text: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    marks: tuple[Mark, ...] = ()


def list_corpus_files(folder: Path) -> list[CorpusFile]:
    """Supported files under folder, recursively, sorted by doc_id; hidden entries are ignored.

    Sidecar metadata files end in `.meta.yaml`, which is not a supported suffix, so they are never
    listed as documents.
    """
    if not folder.exists():
        raise CorpusError(f"corpus folder {folder} does not exist")
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} is not a folder")
    root = folder.absolute()
    files = []
    pending = [(root, "")]  # folders to list, with their doc id prefix
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as entries:
            listed = [entry for entry in entries if not entry.name.startswith(".")]
        names = {entry.name for entry in listed}
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):  # as os.walk: symlinked folders are not entered
                pending.append((Path(entry.path), f"{prefix}{entry.name}/"))
            elif os.path.splitext(entry.name)[1].lower() in SUPPORTED_SUFFIXES and entry.is_file():
                stat = entry.stat()
                sidecar = entry.name + SIDECAR_SUFFIX
                sidecar_mtime_ns = os.stat(os.path.join(directory, sidecar)).st_mtime_ns if sidecar in names else 0
                files.append(
                    CorpusFile(
                        _printable(f"{prefix}{entry.name}"),
                        entry.path,
                        stat.st_size,
                        stat.st_mtime_ns,
                        sidecar_mtime_ns,
                    )
                )
    return sorted(files, key=lambda file: file.doc_id)


def _printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (which Python keeps as lone surrogates) become
    "�", so the name can be shown and stored; such a file is then skipped with the reason."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def safe_file_name(name: str) -> str:
    """A file name for an uploaded document that cannot leave the corpus folder or hide in it.

    Only the last path component is kept; characters outside letters, digits, `-`, `_` and `.`
    become `_`; leading dots go (no hidden files); the suffix is kept and lowercased. Raises
    DocumentError for a name without a supported suffix.
    """
    base = unicodedata.normalize("NFKC", re.split(r"[/\\]", name)[-1]).strip()
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        known = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"{name!r} is not a supported kind of document ({known})")
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._-")
    stem = stem.encode("utf-8")[:_UPLOAD_STEM_BYTES].decode("utf-8", "ignore") or "document"
    return stem + suffix


def load_corpus(folder: Path, files: list[CorpusFile] | None = None, progress: bool = False) -> Corpus:
    """Read every file, turning each unreadable one into a Skipped entry instead of failing.

    With `progress`, a terminal shows a progress bar while a large corpus is read.
    """
    if files is None:
        files = list_corpus_files(folder)
    if not files:
        suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise CorpusError(f"no supported files in {folder} (looking for {suffixes})")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    shown = progress and len(files) >= PROGRESS_MIN_FILES
    for file in tqdm(files, desc="reading documents", unit="file", disable=None if shown else True):
        try:
            documents.append(read_document(file))
        except DocumentError as exc:
            skipped.append(Skipped(file.doc_id, str(exc)))
    documents.sort(key=lambda doc: doc.doc_id)
    return Corpus(tuple(documents), tuple(skipped))


def read_document(file: CorpusFile) -> Document:
    """Read one file of any supported format; DocumentError says why it cannot be used."""
    path = file.path
    suffix = path.suffix.lower()
    if _printable(path.name) != path.name:
        raise DocumentError("the file name is not valid UTF-8: rename the file")
    try:
        data = path.read_bytes()
        sidecar = _read_sidecar(path)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    if suffix in _HTML_SUFFIXES:
        content = _html_content(data)
    elif suffix == ".pdf":
        content = _pdf_content(data)
    else:
        content = _text_content(data, markdown=suffix in _MARKDOWN_SUFFIXES)
    metadata = {**content.metadata, **sidecar}
    title = _clean_title(_meta_str(metadata.pop("title", "")))
    url = _meta_str(metadata.pop("url", "")).strip() or None
    if not title and content.title:
        title = _clean_title(content.title)
    if not title:
        title = _clean_title(next(line for line in content.text.split("\n") if line.strip()))
    pairs = sorted((str(key), _meta_str(value)) for key, value in metadata.items() if value is not None)
    return Document(file.doc_id, title, content.text, path, url, tuple(pairs), content.marks)


def _text_content(data: bytes, *, markdown: bool) -> _Content:
    """Decode a text file, take off its front matter, and read its markup: Markdown, or
    reStructuredText in a .txt file that is written in it (as Sphinx ships its sources)."""
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    metadata: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        metadata = _parse_yaml(match.group(1), "front matter", first_line=2)
        text = text[match.end() :]
    text = text.strip()
    if not text:
        raise DocumentError("empty document")
    if markdown:
        read = markup.markdown(text)
    elif markup.looks_restructured(text):
        read = markup.restructured(text)
    else:
        return _Content(text, None, metadata)
    if not read.text:
        raise DocumentError("empty document")
    return _Content(read.text, read.title, metadata, read.marks)


def _decode(data: bytes) -> str:
    """UTF-8 first, since valid UTF-8 is almost never anything else; then guess the encoding."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError("looks like a binary file") from None
    if b"\x00" in data:
        raise DocumentError("looks like a binary file")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise DocumentError("not valid UTF-8 and no encoding could be detected")
    # Western European text often fits several code pages equally well (é, è, à are in all of
    # them); charset_normalizer then keeps the first it tried, cp1250, though cp1252 is commoner.
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    return str(next((m for m in tied if m.encoding == "cp1252"), best))


def _html_content(data: bytes) -> _Content:
    """Visible text of an HTML page, with its headings, code, tables and lists marked."""
    page = read_html(data)
    if not page.text:
        raise DocumentError("no text in HTML")
    return _Content(page.text, page.title, marks=page.marks)


def _pdf_content(data: bytes) -> _Content:
    """Text of every page, pages separated by a blank line, with the titles of the PDF's outline
    (its bookmarks) marked as headings; damaged files give a short reason."""
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            pages = [page.extract_text() or "" for page in reader.pages]
            info = reader.metadata
            title = str(info.title or "") if info else ""
        except FileNotDecryptedError as exc:
            raise DocumentError("PDF could not be read: encrypted with a password") from exc
        except Exception as exc:  # pypdf raises many exception types on damaged files
            raise DocumentError(f"PDF could not be read: {_short(exc)}") from exc
        outline = _outline(reader)
    texts = [page.replace("\r\n", "\n").replace("\r", "\n").strip() for page in pages]
    text = "\n\n".join(page for page in texts if page)
    if not text:
        raise DocumentError("no extractable text (scanned PDF?)")
    outlined = _outlined(texts, outline)
    if outlined is not None:
        return _Content(outlined.text, title.strip() or None, marks=outlined.marks)
    return _Content(text, title.strip() or None)


@dataclass(frozen=True, slots=True)
class _OutlineEntry:
    title: str
    level: int  # its depth in the outline, from 1
    page: int  # index of the page it points to


# A section's number before its title ("2.1 ", "A.1 ", "IV. "), in the outline or the text; in the
# text also after a word ("Chapter 3 ", "Appendix A ").
_SECTION_NUMBER = r"(?:(?-i:\d+|[A-Z]|[IVXLCDM]+)(?:\.\d+)*\.?[ \t]+)"
_NUMBERED = rf"(?:(?:[^\W\d_]+[ \t]+)?{_SECTION_NUMBER})?"
_HEADING_LEVELS = 6


def _outline(reader: PdfReader) -> list[_OutlineEntry]:
    """The PDF's outline, in order; an entry that points to no page is left out, and an outline
    that cannot be read is none (the text is still worth having)."""
    entries: list[_OutlineEntry] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):  # the entries under the one before
                walk(item, depth + 1)
                continue
            title = " ".join(str(item.title or "").split())
            page = reader.get_destination_page_number(item)
            if title and page is not None and page >= 0:
                entries.append(_OutlineEntry(title, min(depth + 1, _HEADING_LEVELS), page))

    try:
        walk(reader.outline, 0)
    except Exception:  # a damaged or too deeply nested outline
        return []
    return entries


def _outlined(pages: list[str], outline: list[_OutlineEntry]) -> Structured | None:
    """The pages' text with each outline title that begins a line of its page (in outline order,
    case and spacing aside, a section number before it or not) made a heading block of its own;
    None when no title is found."""
    found: list[list[tuple[int, int, int]]] = [[] for _ in pages]  # per page: (start, end, level)
    for entry in outline:
        if entry.page >= len(pages):
            continue
        page, headings = pages[entry.page], found[entry.page]
        words = re.sub(rf"^{_SECTION_NUMBER}", "", entry.title).split() or entry.title.split()
        pattern = rf"^[ \t]*{_NUMBERED}" + r"\s+".join(map(re.escape, words)) + r"[ \t]*$"
        match = re.compile(pattern, re.IGNORECASE | re.MULTILINE).search(page, headings[-1][1] if headings else 0)
        if match:
            headings.append((match.start(), match.end(), entry.level))
    if not any(found):
        return None
    out = StructuredText()
    for page, headings in zip(pages, found, strict=True):
        position = 0
        for start, end, level in headings:
            _paragraphs(out, page[position:start])
            out.heading(page[start:end], level)
            position = end
        _paragraphs(out, page[position:])
    return out.build()


def _paragraphs(out: StructuredText, text: str) -> None:
    """A page's text between headings, as the paragraphs its blank lines separate."""
    for block in re.split(r"\n[ \t]*\n", text):
        out.paragraph(block)


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns about every flaw it repairs; the Skipped reason is enough for users."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _short(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    return detail if len(detail) <= 120 else detail[:119] + "…"


def _read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata from `<file name>.meta.yaml` next to the file, which wins over front matter."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    return _parse_yaml(sidecar.read_bytes(), sidecar.name, first_line=1)


def _parse_yaml(source: str | bytes, where: str, *, first_line: int) -> dict[str, Any]:
    """A YAML mapping (empty is fine), or a DocumentError naming where and what is wrong."""
    try:
        value = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or _short(exc)
        at = f" at line {mark.line + first_line}" if mark is not None else ""
        raise DocumentError(f"bad YAML in {where}{at}: {problem}") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DocumentError(f"bad YAML in {where}: expected key: value pairs")
    return value


def _meta_str(value: Any) -> str:
    """Metadata values as text: lists joined by commas, a missing value as an empty string."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_meta_str(item) for item in value)
    return str(value)


def _clean_title(title: str) -> str:
    """One line, at most 100 characters, cut at a word boundary so it reads well in a citation."""
    title = " ".join(title.split())
    if len(title) <= _TITLE_MAX:
        return title
    cut = title[: _TITLE_MAX - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"
