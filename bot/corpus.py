"""Reads a corpus folder into plain-text Documents, whatever the format and encoding of each file.

Usage::

    corpus = load_corpus(Path("corpus"))
    for doc in corpus.documents:
        print(doc.doc_id, doc.title)
    for skipped in corpus.skipped:
        print("skipped", skipped.doc_id, skipped.reason)

One unreadable file never stops the rest: it becomes a `Skipped` entry with a short reason the user
can act on. Only a folder that cannot be used at all raises `CorpusError`.

No document may take unbounded work (`ReadingLimits`): a file over `max_file_mb` is not read, a
document of more than `max_text_chars` characters of text is skipped, and a PDF or any file over
256 KB is read in a separate process that the kernel stops after `max_seconds` (a PDF's size says
nothing about its work: a 5 KB one whose pages share one compressed stream reads for minutes).
Smaller text, Markdown, reStructuredText and HTML files are read here, where their readers' work
grows with their size: a few seconds at most, even when crafted, and no process is started for a
corpus of them.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import signal
import traceback
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import yaml

from .errors import CorpusError, DocumentError
from .logs import Progress
from .structure import Mark, Structured, StructuredText

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from pypdf import PdfReader

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES: frozenset[str] = _TEXT_SUFFIXES | _HTML_SUFFIXES | {".pdf"}

SIDECAR_SUFFIX = ".meta.yaml"
_TITLE_MAX = 100
_UPLOAD_STEM_BYTES = 200  # file systems allow 255 bytes per name
PROGRESS_MIN_FILES = 200
IN_PROCESS_MAX_BYTES = 256 * 1024  # larger files, and every PDF, are read in a process of their own
_SIDECAR_MAX_BYTES = 1024 * 1024
_METADATA_CHARS = 1_000  # of one metadata value: YAML aliases can make a short file's value huge
_READER_GRACE = 30.0  # seconds waited beyond max_seconds (the reader starting, a long reply) before stopping it

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*$\n?", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ReadingLimits:
    """The most work one document may take to read; a document over a limit is skipped with the
    reason, and the rest of the corpus is indexed."""

    max_file_mb: int = 100  # a larger file is not read at all
    max_text_chars: int = 20_000_000  # a document with more text than this is skipped
    max_seconds: float = 60.0  # a PDF or a file over 256 KB reading longer is stopped (see the module)


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


def load_corpus(
    folder: Path, files: list[CorpusFile] | None = None, progress: bool = False, limits: ReadingLimits = ReadingLimits()
) -> Corpus:
    """Read every file, turning each unreadable one (or one over the `limits`) into a Skipped entry
    instead of failing.

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
    with Reader(limits) as reader:
        bar = Progress(len(files), "reading documents", "file", shown)
        for file in files:
            try:
                documents.append(reader.read(file))
            except DocumentError as exc:
                skipped.append(Skipped(file.doc_id, str(exc)))
            bar.update()
        bar.close()
    documents.sort(key=lambda doc: doc.doc_id)
    return Corpus(tuple(documents), tuple(skipped))


def read_bounded(file: CorpusFile, limits: ReadingLimits = ReadingLimits()) -> Document:
    """Read one file within the limits, as `load_corpus` does: for checking a single file (an upload)."""
    with Reader(limits) as reader:
        return reader.read(file)


class Reader:
    """Reads documents within `ReadingLimits`: small ones here, a PDF or a large file in a reader
    process of its own, started when first needed and kept for the files after it.

    Python cannot stop a thread, so a time limit needs a process. The reader process sets an alarm
    before each document and leaves the signal's default action in place, so the kernel ends it
    when a document runs over, whatever the parser is doing and even if citebot itself was killed
    meanwhile; a new one is started for the next file.

        with Reader(limits) as reader:
            document = reader.read(file)   # DocumentError: why it is skipped
    """

    def __init__(self, limits: ReadingLimits = ReadingLimits()) -> None:
        self.limits = limits
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def read(self, file: CorpusFile) -> Document:
        """The file as a Document; DocumentError says why it cannot be used."""
        if file.size <= IN_PROCESS_MAX_BYTES and file.path.suffix.lower() != ".pdf":
            return read_document(file, self.limits)
        if file.size > self.limits.max_file_mb * 1024 * 1024:
            return read_document(file, self.limits)  # refused by size, without starting a process
        return self._read_apart(file)

    def close(self) -> None:
        """Let the reader process end (it is stopped if it does not)."""
        if self._process is None or self._connection is None:
            return
        try:
            self._connection.send(None)
        except OSError:  # it has ended already
            pass
        self._process.join(timeout=5)
        self._stop()

    def _read_apart(self, file: CorpusFile) -> Document:
        if self._process is None:
            import multiprocessing  # only for a large file or a PDF: answering from a saved index needs none of it

            # spawn, not fork: the bot reindexes from a thread, and a fork could copy another thread's lock
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            self._process = context.Process(
                target=_serve_reading, args=(child, self.limits), name="citebot-reader", daemon=True
            )
            self._process.start()
            child.close()
            self._connection = parent
        assert self._connection is not None
        try:
            self._connection.send(file)
            if self._connection.poll(self.limits.max_seconds + _READER_GRACE):
                kind, value = self._connection.recv()
                if kind == "document":
                    return value
                if kind == "skipped":
                    raise DocumentError(value)
                raise RuntimeError(f"reading {file.doc_id} failed in the reader process:\n{value}")
        except (EOFError, OSError):  # the reader process ended: the kernel's alarm, or a crash
            pass
        code = self._stop()
        if code in (-signal.SIGALRM, None):
            raise DocumentError(f"reading took over {self.limits.max_seconds:g} s (reading.max_seconds)")
        raise DocumentError(f"its reader process stopped ({_exit_reason(code)}) while reading it")

    def _stop(self) -> int | None:
        """End the reader process (killed if need be); its exit code (None: it had to be killed)."""
        assert self._process is not None and self._connection is not None
        process, self._process = self._process, None
        self._connection.close()
        self._connection = None
        process.join(timeout=1)
        code = process.exitcode
        if code is None:
            process.kill()
            process.join()
        process.close()
        return code


def _serve_reading(connection: Connection, limits: ReadingLimits) -> None:
    """The reader process: reads the files it is sent, one at a time, each under an alarm whose
    default action ends the process; ends when citebot sends None or is gone."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    while True:
        try:
            file = connection.recv()
        except (EOFError, OSError):
            return
        if file is None:
            return
        signal.setitimer(signal.ITIMER_REAL, limits.max_seconds)
        try:
            result: tuple[str, Any] = ("document", read_document(file, limits))
        except DocumentError as error:
            result = ("skipped", str(error))
        except Exception:  # a bug: raised in citebot, as it would be when read there
            result = ("error", traceback.format_exc())
        signal.setitimer(signal.ITIMER_REAL, 0)
        connection.send(result)


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def read_document(file: CorpusFile, limits: ReadingLimits = ReadingLimits()) -> Document:
    """Read one file of any supported format, here; DocumentError says why it cannot be used
    (`Reader` also bounds the time a large one takes)."""
    path = file.path
    suffix = path.suffix.lower()
    if _printable(path.name) != path.name:
        raise DocumentError("the file name is not valid UTF-8: rename the file")
    most = limits.max_file_mb * 1024 * 1024
    limit = f"over the {limits.max_file_mb} MB limit (reading.max_file_mb)"
    if file.size > most:
        raise DocumentError(f"the file is {file.size / 1024 / 1024:,.1f} MB, {limit}")
    try:
        data = _read_at_most(path, most)  # as large as it is now, not as listed
        sidecar = _read_sidecar(path)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    if data is None:
        raise DocumentError(f"the file is {limit}")
    if suffix in _HTML_SUFFIXES:
        content = _html_content(data)
    elif suffix == ".pdf":
        content = _pdf_content(data, limits.max_text_chars)
    else:
        content = _text_content(data, markdown=suffix in _MARKDOWN_SUFFIXES)
    if len(content.text) > limits.max_text_chars:
        raise DocumentError(_too_much_text(limits.max_text_chars))
    metadata = {**content.metadata, **sidecar}
    title = _clean_title(_meta_str(metadata.pop("title", "")))
    url = _meta_str(metadata.pop("url", "")).strip() or None
    if not title and content.title:
        title = _clean_title(content.title)
    if not title:
        title = _clean_title(next(line for line in content.text.split("\n") if line.strip()))
    pairs = sorted((_meta_str(key), _meta_str(value)) for key, value in metadata.items() if value is not None)
    return Document(file.doc_id, title, content.text, path, url, tuple(pairs), content.marks)


def _read_at_most(path: Path, most: int) -> bytes | None:
    """The file's bytes, or None when it holds more than `most`."""
    with open(path, "rb") as stream:
        data = stream.read(most + 1)
    return data if len(data) <= most else None


def _too_much_text(most: int) -> str:
    return f"over {most:,} characters of text (reading.max_text_chars)"


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
    from . import markup

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
        import charset_normalizer  # the readers' libraries are imported when a file needs them: `ask` needs none

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
    from .html_text import read_html

    page = read_html(data)
    if not page.text:
        raise DocumentError("no text in HTML")
    return _Content(page.text, page.title, marks=page.marks)


def _pdf_content(data: bytes, max_chars: int) -> _Content:
    """Text of every page, pages separated by a blank line, with the titles of the PDF's outline
    (its bookmarks) marked as headings; damaged files give a short reason. Extraction stops once
    the text passes `max_chars` (pages can share one stream: a small file can hold much text)."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            pages = []
            extracted = 0
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                extracted += len(pages[-1])
                if extracted > max_chars:
                    raise DocumentError(_too_much_text(max_chars))
            info = reader.metadata
            title = str(info.title or "") if info else ""
        except FileNotDecryptedError as exc:
            raise DocumentError("PDF could not be read: encrypted with a password") from exc
        except DocumentError:
            raise
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
    data = _read_at_most(sidecar, _SIDECAR_MAX_BYTES)
    if data is None:
        raise DocumentError(f"{sidecar.name} is over {_SIDECAR_MAX_BYTES // 1024} KB: metadata, not a document")
    return _parse_yaml(data, sidecar.name, first_line=1)


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
    """Metadata values as text: lists joined by commas, a mapping's pairs as "key: value", a missing
    value as an empty string; cut at _METADATA_CHARS characters. YAML aliases let a few lines name a
    list a billion items long (each level repeating the one before), so the walk stops there too."""
    parts: list[str] = []
    length = visits = 0
    pending: list[tuple[str, Any]] = [("", value)]  # (what goes before it, value), the next one last
    while pending and length <= _METADATA_CHARS and visits < 4 * _METADATA_CHARS:  # a list may hold itself
        before, item = pending.pop()
        if isinstance(item, dict):
            pairs = list(item.items())
            pending += [
                (f"{', ' if i else ''}{key}: ", nested) for i, (key, nested) in reversed(list(enumerate(pairs)))
            ]
        elif isinstance(item, list | tuple):
            pending += [(", " if i else "", nested) for i, nested in reversed(list(enumerate(item)))]
        elif item is not None:
            before += str(item)
        parts.append(before)
        length += len(before)
        visits += 1
    text = "".join(parts)
    return text if len(text) <= _METADATA_CHARS and not pending else text[: _METADATA_CHARS - 1] + "…"


def _clean_title(title: str) -> str:
    """One line, at most 100 characters, cut at a word boundary so it reads well in a citation."""
    title = " ".join(title.split())
    if len(title) <= _TITLE_MAX:
        return title
    cut = title[: _TITLE_MAX - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"
