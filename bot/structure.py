"""A document's structure as a reader sees it: headings, code blocks, tables and lists.

Readers (HTML, Markdown, reStructuredText, PDF outlines, plain text) produce the same two things:
the text a person would read, blocks separated by blank lines, and `Mark`s saying which spans of
it are headings, code, tables or lists. Chunking keeps these units whole, a heading becomes the
context of the passages under it rather than a passage of its own, and replies show code and
tables with their lines.

Usage::

    text = StructuredText()
    text.heading("Installing", level=2)
    text.paragraph("To install it, run:")
    text.code("pip install citebot")
    document = text.build(title="Installing")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

HEADING = 1
CODE = 2
TABLE = 3  # rows, one per line; `level` 1 when the first row is the header
LIST = 4  # items, one per line
KINDS = {HEADING: "heading", CODE: "code", TABLE: "table", LIST: "list"}

TERM_LEVEL = 7  # a definition's name (an HTML <dt>, an rST directive's argument): below every heading

_TAB_WIDTH = 8


@dataclass(frozen=True, slots=True)
class Mark:
    """A structural unit of a document's text: its kind, where it is, and its level."""

    kind: int
    start: int
    end: int
    level: int = 0  # a heading's depth (1–6, TERM_LEVEL for a term); 1 for a table with a header row


@dataclass(frozen=True, slots=True)
class Structured:
    """What a reader makes of a file's markup: the text as read, its marks, and its title if it names one."""

    text: str
    marks: tuple[Mark, ...] = ()
    title: str | None = None


def monospaced(marks: Sequence[Mark], start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Where code blocks and tables lie in text[start:end] (a passage), relative to `start`: what a
    reply shows in a fixed-width font."""
    return tuple(
        (max(mark.start, start) - start, min(mark.end, end) - start)
        for mark in marks
        if mark.kind in (CODE, TABLE) and mark.start < end and mark.end > start
    )


def inline(text: str) -> str:
    """Running text on one line: every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())


class StructuredText:
    """Builds a document's text block by block, recording the marks as it goes.

    Blocks are separated by one blank line; only code may hold blank lines of its own, which its
    mark spans."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._marks: list[Mark] = []

    def __bool__(self) -> bool:
        return self._length > 0

    def _add(self, block: str, kind: int = 0, level: int = 0) -> None:
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        start = self._length
        self._parts.append(block)
        self._length += len(block)
        if kind:
            self._marks.append(Mark(kind, start, self._length, level))

    def heading(self, text: str, level: int) -> None:
        text = inline(text)
        if text:
            self._add(text, HEADING, level)

    def paragraph(self, text: str) -> None:
        """Prose; its line breaks are kept (an HTML <br>), other whitespace made single spaces."""
        lines = [inline(line) for line in text.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            self._add(block)

    def code(self, text: str) -> None:
        """Preformatted text: its lines and indentation kept, common indentation and blank edges removed."""
        lines = [line.rstrip() for line in text.expandtabs(_TAB_WIDTH).split("\n")]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        if not lines:
            return
        indent = min(len(line) - len(line.lstrip()) for line in lines if line)
        block = re.sub(r"\n{3,}", "\n\n", "\n".join(line[indent:] for line in lines))
        self._add(block, CODE)

    def table(self, rows: Sequence[Sequence[str]], header: bool) -> None:
        """Rows of cells, one row per line; columns aligned when every row is short enough to."""
        cells = [[inline(cell) for cell in row] for row in rows]
        cells = [row for row in cells if any(row)]
        if not cells:
            return
        if len(cells) == 1 or max(len(row) for row in cells) == 1:
            self.items([" ".join(cell for cell in row if cell) for row in cells])
            return
        self._add("\n".join(_aligned(cells)), TABLE, 1 if header else 0)

    def items(self, items: Sequence[str], bullet: str = "") -> None:
        """A list of one-line items, one per line (`bullet` before each; "1." numbers them)."""
        lines = [inline(item) for item in items]
        lines = [line for line in lines if line]
        if not lines:
            return
        if bullet == "1.":
            lines = [f"{number}. {line}" for number, line in enumerate(lines, start=1)]
        elif bullet:
            lines = [f"{bullet} {line}" for line in lines]
        self._add("\n".join(lines), LIST)

    def build(self, title: str | None = None) -> Structured:
        return Structured("".join(self._parts), tuple(self._marks), title)


_ALIGNED_ROW_MAX = 100  # characters: wider tables are not padded into columns


def _aligned(rows: list[list[str]]) -> list[str]:
    """Rows as lines, cells separated by two spaces and padded into columns when the table is narrow."""
    columns = max(len(row) for row in rows)
    widths = [max((len(row[i]) for row in rows if i < len(row)), default=0) for i in range(columns)]
    if sum(widths) + 2 * (columns - 1) > _ALIGNED_ROW_MAX:
        return ["  ".join(cell for cell in row if cell) for row in rows]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
