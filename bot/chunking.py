"""Document → passages: structure-aware chunks of about a target size.

A document is a run of blocks (text between blank lines): prose, headings, code, tables and lists,
as its reader marked them (`bot.structure`), or, in plain text, tables recognised by their short
lines under a header line. Passages are built of units — a sentence, a table row or list item, a
code block — and keep to these rules:

- a passage never cuts a sentence (except one longer than the passage limit), prefers to end at a
  paragraph, and repeats the last whole sentence(s) of its predecessor when it has to break inside
  a paragraph, so an answer that straddles the break is whole in one of the two;
- a heading is not text of a passage but its context: passages do not cross a heading, and each
  carries the path of headings it sits under (`section`);
- a sentence that leads in to a code block, list or table ("To display it, run the command:") is
  one unit with it, so the instruction and its payload are found, judged and cited together; so is
  one that goes on after a command in lower case ("$ pg_ctl start -l logfile" / "will start the
  server in the background…");
- table rows and list items keep one per line, and a passage that starts inside a table carries
  the table's header line, so "Fiji 19 March 2010" is read — and found — as a formal-relations date.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .structure import CODE, HEADING, LIST, TABLE, Mark
from .text import logical_lines, sentence_spans

_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
_HEADER_LINE_MAX = 80
_NUMBERED_LINE = re.compile(r"^\s*\d{1,4}\.\s")
_CITATION_WORDS = re.compile(r"\b(?:retrieved|archived|accessed|isbn|doi|issn)\b", re.IGNORECASE)
_TABLE_LINE_MAX = 100
PROSE = 0
# A sentence that announces what follows it: it ends in a colon or says "as follows"/"the
# following"; before code, also one that stops without a full stop ("…, run the command").
_LEAD_IN = re.compile(r"(?::|\bas follows[.:]?|\bthe following[.:]?)\s*$", re.IGNORECASE)
_LEAD_IN_TO_CODE = re.compile(r"[^.!?…\"'”’)\]]\s*$")


@dataclass(frozen=True, slots=True)
class ChunkingSettings:
    """Sizes in characters; `overlap_sentences` whole sentences are repeated across a break."""

    target_chars: int = 500
    max_chars: int = 900
    overlap_sentences: int = 1


@dataclass(frozen=True, slots=True)
class Passage:
    doc_id: str
    ordinal: int
    text: str
    span: tuple[int, int]  # character offsets in the document's text
    header: str = ""  # the header line of the table this passage starts inside, if any
    section: tuple[str, ...] = ()  # the headings it sits under, outermost first


@dataclass(frozen=True, slots=True)
class Block:
    """A run of lines between blank lines: prose, a heading, code, a table or a list."""

    start: int
    end: int
    kind: int  # PROSE, or a structure kind
    header: str = ""  # a table's header line
    header_end: int = -1  # where the header line ends; -1 without one
    level: int = 0  # a heading's level
    marked: bool = True  # kind as its reader marked it; False: a table recognised in plain text

    def header_of(self, position: int) -> str:
        """The header of the row at `position` (the header line itself has none)."""
        return self.header if self.header_end != -1 and position > self.header_end else ""


@dataclass(frozen=True, slots=True)
class Unit:
    """The smallest piece a passage is built of, and that answering judges: a sentence, a table row
    or list item, or a code block (with the sentence leading in to it)."""

    start: int
    end: int
    block: int  # position of the block it belongs to (a joined lead-in: of its payload)
    kind: int  # PROSE for a sentence, CODE, TABLE for a row, LIST for an item or a list led in to
    header: str = ""  # the table header of a row, or the lead-in of rows and code too long to join it
    is_header: bool = False  # the header line of a table


def chunk(
    doc_id: str,
    text: str,
    settings: ChunkingSettings = ChunkingSettings(),
    marks: Sequence[Mark] = (),
    title: str = "",
) -> list[Passage]:
    """Split a document's text into passages, in order, with ordinals from 0; `marks` give its
    structure, and a heading that only repeats the `title` is not part of any section."""
    all_blocks = blocks(text, marks)
    units = _units(text, all_blocks, settings.max_chars)
    starts = sections(text, marks, title)
    groups: list[list[Unit]] = []
    current: list[Unit] = []
    for unit in units:
        if current:
            length = current[-1].end - current[0].start
            grown = unit.end - current[0].start
            if section_index(starts, unit.start) != section_index(starts, current[0].start):
                groups.append(current)
                current = []
            elif unit.block != current[-1].block:
                if length >= settings.target_chars // 3 or grown > settings.target_chars:
                    groups.append(current)
                    current = []
            elif grown > settings.target_chars:
                groups.append(current)
                current = _overlap(current, settings)
                if current and unit.end - current[0].start > settings.target_chars:
                    current = []
        current.append(unit)
    if current:
        groups.append(current)
    return [
        _passage(doc_id, ordinal, text, group, starts[section_index(starts, group[0].start)][1])
        for ordinal, group in enumerate(groups)
    ]


def _overlap(previous: list[Unit], settings: ChunkingSettings) -> list[Unit]:
    """The trailing sentences of `previous` that start the next passage (same block only)."""
    if settings.overlap_sentences <= 0 or len(previous) <= settings.overlap_sentences:
        return []
    tail = previous[-settings.overlap_sentences :]
    if tail[-1].end - tail[0].start > settings.target_chars // 2:
        return []
    return list(tail)


def _passage(doc_id: str, ordinal: int, text: str, group: list[Unit], section: tuple[str, ...]) -> Passage:
    first = group[0]
    header = "" if first.is_header or not first.header else first.header
    start, end = first.start, group[-1].end
    return Passage(doc_id, ordinal, text[start:end], (start, end), header, section)


# --- blocks ---------------------------------------------------------------------------------


def blocks(text: str, marks: Sequence[Mark] = (), start: int = 0, end: int | None = None) -> list[Block]:
    """The blocks of text that overlap text[start:end] (all of them by default), in order.

    Blank lines separate blocks, except inside a code block. A marked block takes its mark's kind;
    in a document without marks, a block of short lines under a header-like line is a table.
    """
    end = len(text) if end is None else end
    starts = [mark.start for mark in marks]
    code = [mark for mark in marks if mark.kind == CODE]
    low, high = (0, len(text)) if start == 0 and end == len(text) else _block_bounds(text, code, start, end)
    found = []
    for block_start, block_end in _spans(text, code, low, high):
        first = block_start + _leading_space(text, block_start, block_end)
        # code may start indented, so its mark at the line's start
        mark = (_mark_at(marks, starts, block_start) or _mark_at(marks, starts, first)) if marks else None
        if mark is not None:
            header_end = text.find("\n", first, block_end) if mark.kind == TABLE and mark.level else -1
            header = text[first:header_end].strip() if header_end != -1 else ""
            found.append(Block(block_start, block_end, mark.kind, header, header_end, mark.level))
        elif not marks and (header := _table_header(text, block_start, block_end)):
            found.append(Block(block_start, block_end, TABLE, header, text.find("\n", first, block_end), marked=False))
        else:
            found.append(Block(block_start, block_end, PROSE))
    return found


def _mark_at(marks: Sequence[Mark], starts: list[int], position: int) -> Mark | None:
    at = bisect.bisect_left(starts, position)
    return marks[at] if at < len(marks) and starts[at] == position else None


def _block_bounds(text: str, code: Sequence[Mark], start: int, end: int) -> tuple[int, int]:
    """start and end moved out to the blank lines around them, and past any code block they are in."""
    inside = _code_around(code, start)
    if inside is not None:
        start = inside.start
    inside = _code_around(code, max(end - 1, start))
    if inside is not None:
        end = inside.end
    low = text.rfind("\n", 0, start) + 1
    while low > 0:
        previous = text.rfind("\n", 0, low - 1) + 1
        if not text[previous : low - 1].strip() and _code_around(code, previous) is None:
            break
        low = previous
    high = text.find("\n", end)
    high = len(text) if high == -1 else high
    while high < len(text):
        following = text.find("\n", high + 1)
        following = len(text) if following == -1 else following
        if not text[high + 1 : following].strip() and _code_around(code, high + 1) is None:
            break
        high = following
    return low, high


def _code_around(code: Sequence[Mark], position: int) -> Mark | None:
    """The code block holding `position`, if any (`code` in order)."""
    at = bisect.bisect_right(code, position, key=lambda mark: mark.start) - 1
    return code[at] if at >= 0 and position < code[at].end else None


def _spans(text: str, code: Sequence[Mark], start: int, end: int) -> list[tuple[int, int]]:
    """Spans between blank lines in text[start:end], a code block's own blank lines not counted."""
    spans = []
    block_start = start
    for match in _BLOCK_BREAK.finditer(text, start, end):
        if code and _code_around(code, match.start()) is not None:
            continue
        if text[block_start : match.start()].strip():
            spans.append((block_start, match.start()))
        block_start = match.end()
    if text[block_start:end].strip():
        spans.append((block_start, end))
    return spans


def _is_reference_list(block: str) -> bool:
    """A numbered list of citations ("12. "Title". Retrieved 20 May 2015."), as web pages end with.

    It is left out of the index: its entries repeat the text's claims as titles, without the
    facts, and would crowd out the passages that state them.
    """
    lines = [line for line in block.split("\n") if line.strip()]
    if len(lines) < 3:
        return False
    numbered = sum(bool(_NUMBERED_LINE.match(line)) for line in lines)
    citing = sum(bool(_CITATION_WORDS.search(line)) for line in lines)
    return numbered >= 0.6 * len(lines) and citing >= 0.3 * len(lines)


def _leading_space(text: str, start: int, end: int) -> int:
    return len(text[start:end]) - len(text[start:end].lstrip())


def _table_header(text: str, start: int, end: int) -> str:
    """The first line of a block of three or more short lines, when it reads like a header.

    Lines are counted as read, hard-wrapped prose joined back: prose wrapped at 79 columns is a
    paragraph, not rows."""
    if text.count("\n", start, end) < 2:  # the usual paragraph: fewer than three lines
        return ""
    lines = [line.strip() for line in text[start:end].split("\n") if line.strip()]
    if len(lines) < 3 or not _rows(lines):
        return ""
    read = [text[s:e].strip() for s, e in logical_lines(text, start, end) if text[s:e].strip()]
    return lines[0] if len(read) >= 3 and _rows(read) else ""


def _rows(lines: list[str]) -> bool:
    """Mostly short lines under a first line that reads like a header."""
    first = lines[0]
    looks_like_header = (
        len(first) <= _HEADER_LINE_MAX and not any(ch.isdigit() for ch in first) and first[-1] not in ".!?:;,"
    )
    return looks_like_header and sum(len(line) <= _TABLE_LINE_MAX for line in lines) >= 0.7 * len(lines)


# --- units ----------------------------------------------------------------------------------


def _units(text: str, all_blocks: Sequence[Block], max_chars: int, within: tuple[int, int] | None = None) -> list[Unit]:
    """The units of the blocks, in order; `within` a span, prose is read only there (a passage's
    long paragraph is not split into sentences beyond it)."""
    units: list[Unit] = []
    for number, block in enumerate(all_blocks):
        if block.kind == HEADING:
            continue
        # A reference list is in no passage, so a passage's units (`within`) need not look for one.
        if within is None and block.kind in (PROSE, LIST) and _is_reference_list(text[block.start : block.end]):
            continue
        if within is not None and block.kind == PROSE:
            block = replace(block, start=max(block.start, within[0]), end=min(block.end, within[1]))
            if block.start >= block.end:
                continue
        own = _block_units(text, number, block, max_chars)
        follows = bool(own and units) and units[-1].block == number - 1
        if follows and block.kind != PROSE and units[-1].kind == PROSE:
            own = _led_in(text, units, own, max_chars)
        elif (
            follows
            and block.kind == PROSE
            and units[-1].kind == CODE
            and _continues(text, units[-1], own[0], max_chars)
        ):
            # "$ pg_ctl start -l logfile" / "will start the server in the background…": one sentence
            # around a command, which the page set apart.
            code = units.pop()
            own[0] = Unit(code.start, own[0].end, code.block, CODE, code.header, code.is_header)
        units.extend(own)
    return units


def _continues(text: str, code: Unit, sentence: Unit, max_chars: int) -> bool:
    """Does the sentence after a code block go on with it: it starts in lower case, and both fit max_chars?"""
    return text[sentence.start].islower() and sentence.end - code.start <= max_chars


def _block_units(text: str, number: int, block: Block, max_chars: int) -> list[Unit]:
    """A block's units: its sentences, its rows or items, or its code (in pieces of whole lines when long)."""
    if block.kind == CODE:
        return [Unit(s, e, number, CODE) for s, e in _line_pieces(text, block.start, block.end, max_chars)]
    if block.kind in (TABLE, LIST):
        first = block.start + _leading_space(text, block.start, block.end)
        rows = _lines(text, block.start, block.end) if block.marked else sentence_spans(text, block.start, block.end)
        return [
            Unit(s, e, number, block.kind, block.header_of(s), is_header=block.header_end != -1 and s == first)
            for row_start, row_end in rows
            for s, e in _split_long(text, row_start, row_end, max_chars)
        ]
    return [
        Unit(piece_start, piece_end, number, PROSE)
        for sentence_start, sentence_end in sentence_spans(text, block.start, block.end)
        for piece_start, piece_end in _split_long(text, sentence_start, sentence_end, max_chars)
    ]


def _led_in(text: str, units: list[Unit], payload: list[Unit], max_chars: int) -> list[Unit]:
    """The payload's units joined with the sentence before them when it leads in to them.

    The lead-in and a payload that fits max_chars with it become one unit; a longer payload keeps
    its units, each read with the lead-in as its header, and the lead-in stays a sentence."""
    lead = units[-1]
    first = payload[0]
    sentence = text[lead.start : lead.end]
    if not (_LEAD_IN.search(sentence) or (first.kind == CODE and _LEAD_IN_TO_CODE.search(sentence))):
        return payload
    if payload[-1].end - lead.start <= max_chars:
        units.pop()
        return [Unit(lead.start, payload[-1].end, first.block, first.kind)]
    lead_text = " ".join(text[lead.start : lead.end].split())
    return [Unit(u.start, u.end, u.block, u.kind, u.header or lead_text, u.is_header) for u in payload]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-blank lines of text[start:end], trimmed."""
    spans = []
    line_start = start
    while line_start < end:
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end == -1 else line_end
        s, e = line_start, line_end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((s, e))
        line_start = line_end + 1
    return spans


def _line_pieces(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Code as pieces of whole lines of at most max_chars (a longer line is a piece of its own, cut)."""
    pieces: list[tuple[int, int]] = []
    piece_start = piece_end = -1
    for line_start, line_end in _lines(text, start, end):
        if piece_start != -1 and line_end - piece_start <= max_chars:
            piece_end = line_end
            continue
        if piece_start != -1:
            pieces.append((piece_start, piece_end))
        piece_start, piece_end = line_start, line_end
        if line_end - line_start > max_chars:
            pieces.extend(_split_long(text, line_start, line_end, max_chars))
            piece_start = -1
    if piece_start != -1:
        pieces.append((piece_start, piece_end))
    return pieces


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """An over-long sentence cut at word boundaries into pieces of at most max_chars."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    pieces.append((start, end))
    return pieces


def units_between(text: str, marks: Sequence[Mark], start: int, end: int) -> list[Unit]:
    """The units of text[start:end] — a passage — as chunking made them (clipped to the span)."""
    around = blocks(text, marks, start, end)
    units = [
        Unit(max(u.start, start), min(u.end, end), u.block, u.kind, u.header, u.is_header)
        for u in _units(text, around, max(end - start, 1), (start, end))
        if u.start < end and u.end > start
    ]
    return [unit for unit in units if text[unit.start : unit.end].strip()]


# --- sections -------------------------------------------------------------------------------

Sections = list[tuple[int, tuple[str, ...]]]  # (where a section begins, its heading path), in order


def sections(text: str, marks: Sequence[Mark], title: str = "") -> Sections:
    """Where each heading's section begins, and the path of headings it sits under; a heading that
    repeats the document's title is the document itself, not a section of it."""
    starts: Sections = [(0, ())]
    path: list[tuple[int, str]] = []
    folded_title = " ".join(title.split()).casefold()
    for mark in marks:
        if mark.kind != HEADING:
            continue
        heading = " ".join(text[mark.start : mark.end].split())
        while path and path[-1][0] >= mark.level:
            path.pop()
        if heading.casefold() != folded_title:
            path.append((mark.level, heading))
        starts.append((mark.start, tuple(title for _, title in path)))
    return starts


def section_index(starts: Sections, position: int) -> int:
    """Which of the sections `position` lies in."""
    return bisect.bisect_right(starts, position, key=lambda section: section[0]) - 1
