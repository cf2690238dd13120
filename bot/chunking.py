"""Document → passages: paragraph- and sentence-aware chunks of about a target size.

A passage never cuts a sentence (except one longer than the passage limit), prefers to end at a
paragraph, and repeats the last whole sentence(s) of its predecessor when it has to break inside
a paragraph, so an answer that straddles the break is whole in one of the two. Runs of short lines
(tables, lists) keep one row per line, and a passage that starts inside a table carries the
table's header line, so "Fiji 19 March 2010" is read — and found — as a formal-relations date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import sentence_spans

_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
_HEADER_LINE_MAX = 80
_NUMBERED_LINE = re.compile(r"^\s*\d{1,4}\.\s")
_CITATION_WORDS = re.compile(r"\b(?:retrieved|archived|accessed|isbn|doi|issn)\b", re.IGNORECASE)
_TABLE_LINE_MAX = 100


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


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence or a table row: the smallest piece a passage is built of."""

    start: int
    end: int
    block: int
    header: str  # header line of the unit's table block, "" outside tables
    is_header: bool


def chunk(doc_id: str, text: str, settings: ChunkingSettings = ChunkingSettings()) -> list[Passage]:
    """Split a document's text into passages, in order, with ordinals from 0."""
    units = _units(text, settings.max_chars)
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current:
            length = current[-1].end - current[0].start
            grown = unit.end - current[0].start
            if unit.block != current[-1].block:
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
    return [_passage(doc_id, ordinal, text, group) for ordinal, group in enumerate(groups)]


def _overlap(previous: list[_Unit], settings: ChunkingSettings) -> list[_Unit]:
    """The trailing sentences of `previous` that start the next passage (same block only)."""
    if settings.overlap_sentences <= 0 or len(previous) <= settings.overlap_sentences:
        return []
    tail = previous[-settings.overlap_sentences :]
    if tail[-1].end - tail[0].start > settings.target_chars // 2:
        return []
    return list(tail)


def _passage(doc_id: str, ordinal: int, text: str, group: list[_Unit]) -> Passage:
    first = group[0]
    header = "" if first.is_header or not first.header else first.header
    start, end = first.start, group[-1].end
    return Passage(doc_id=doc_id, ordinal=ordinal, text=text[start:end], span=(start, end), header=header)


def _units(text: str, max_chars: int) -> list[_Unit]:
    units: list[_Unit] = []
    for block, (start, end) in enumerate(_blocks(text)):
        if _is_reference_list(text[start:end]):
            continue
        header = _table_header(text, start, end)
        for sentence_start, sentence_end in sentence_spans(text, start, end):
            is_header = bool(header) and sentence_start == start + _leading_space(text, start, end)
            for piece_start, piece_end in _split_long(text, sentence_start, sentence_end, max_chars):
                units.append(_Unit(piece_start, piece_end, block, header, is_header))
    return units


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: text between blank lines."""
    blocks = []
    start = 0
    for match in _BLOCK_BREAK.finditer(text):
        if text[start : match.start()].strip():
            blocks.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        blocks.append((start, len(text)))
    return blocks


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
    """The first line of a block of three or more short lines, when it reads like a header."""
    lines = [line.strip() for line in text[start:end].split("\n") if line.strip()]
    if len(lines) < 3:
        return ""
    short = sum(len(line) <= _TABLE_LINE_MAX for line in lines)
    first = lines[0]
    looks_like_header = (
        len(first) <= _HEADER_LINE_MAX and not any(ch.isdigit() for ch in first) and first[-1] not in ".!?:;,"
    )
    return first if looks_like_header and short >= 0.7 * len(lines) else ""


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


@dataclass(frozen=True, slots=True)
class Block:
    """A run of lines between blank lines, and its table header if it reads like a table."""

    start: int
    end: int
    header: str
    header_end: int  # where the header line ends; -1 without one

    def header_of(self, position: int) -> str:
        """The header of the row at `position` (the header line itself has none)."""
        return self.header if self.header_end != -1 and position > self.header_end else ""


def block_at(text: str, position: int) -> Block:
    """The block of lines holding `position`. Only the lines of that block are looked at."""
    start, end = _block_around(text, position)
    header = _table_header(text, start, end)
    header_end = text.find("\n", start + _leading_space(text, start, end)) if header else -1
    return Block(start, end, header, header_end)


def table_header_at(text: str, position: int) -> str:
    """The header line of the table whose row holds `position`, or "" outside tables."""
    return block_at(text, position).header_of(position)


def _block_around(text: str, position: int) -> tuple[int, int]:
    """The span of the lines around position up to the nearest blank line on each side."""
    start = text.rfind("\n", 0, position) + 1
    while start > 0:
        previous = text.rfind("\n", 0, start - 1) + 1
        if not text[previous : start - 1].strip():
            break
        start = previous
    end = text.find("\n", position)
    end = len(text) if end == -1 else end
    while end < len(text):
        following = text.find("\n", end + 1)
        following = len(text) if following == -1 else following
        if not text[end + 1 : following].strip():
            break
        end = following
    return start, end
