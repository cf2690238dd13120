"""Page furniture: text that many documents of a corpus repeat word for word is left out of them.

A site's pages share what surrounds their content — "Download the ebook", "Previous topic",
"© Copyright … Created using Sphinx", a sidebar's "Quick search" — and indexed as text it opens the
first passage of every page and answers questions about nothing. The HTML reader drops the
navigation it can recognise by its markup; this is the general part, for any format: a block (the
text between blank lines: a paragraph, heading, list, table or code block, as the readers make
them) whose text, case and spacing aside, occurs in many documents of the corpus is boilerplate.
A heading whose section held only boilerplate goes with it.

"Many" is a share of the corpus, never a count alone: in a corpus of package descriptions the
same paragraph ("Node.js is an event-based server-side JavaScript engine.") describes a thousand
packages — 2% of them — and is the only answer to what Node.js is. Furniture is on most pages of
its site; labels that many pages share ("Note", "Author:", "See also") are on a quarter at most in
the manuals measured (Python's, PostgreSQL's). And a document made of nothing but boilerplate (a
copy of another, a page of furniture alone) keeps its text: leaving it empty would lose more.

Which blocks are boilerplate depends on the whole corpus, so each document's block hashes (as
read) are kept in the index: a reindex counts the unchanged documents' blocks without reading them.

Usage::

    read = BlockHashes.of([digests(d.text, d.marks) for d in documents])
    read = with_removed(read, common([read]))
    documents = [strip(d, read.removed_of(i)) for i, d in enumerate(documents)]
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .corpus import Document
from .structure import CODE, HEADING, Mark

MIN_DOCUMENTS = 10  # fewer documents than this never make a block boilerplate (near-copies of one text)
SHARE_PERCENT = 40  # of the corpus's documents a block must be in to be boilerplate

_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")  # a blank line, as chunking reads blocks
_DIGEST_BYTES = 8


def threshold(documents: int) -> int:
    """In how many of a corpus's documents a block must occur to be boilerplate."""
    return max(MIN_DOCUMENTS, -(-documents * SHARE_PERCENT // 100))


def digests(text: str, marks: Sequence[Mark] = ()) -> bytes:
    """The 8-byte hash of each block of a document as read, in order, headings left out (a heading
    goes only with its section): its text case-folded, every run of whitespace one space, digits kept."""
    if not marks:  # plain text, the common case of a large corpus: no spans needed
        pieces = _BLOCK_BREAK.split(text)
        return b"".join(_digest(piece) for piece in pieces if piece and not piece.isspace())
    return b"".join(_digest(text[start:end]) for start, end, level in _blocks(text, marks) if not level)


def _digest(block: str) -> bytes:
    return hashlib.blake2b(" ".join(block.casefold().split()).encode("utf-8"), digest_size=_DIGEST_BYTES).digest()


def _blocks(text: str, marks: Sequence[Mark]) -> list[tuple[int, int, int]]:
    """The blocks of text as (start, end, heading level or 0), in order: the spans between blank
    lines (from the start of their first line that is not blank), a code block's own blank lines
    not counted."""
    code = [mark for mark in marks if mark.kind == CODE]
    code_starts = [mark.start for mark in code]
    headings = {mark.start: mark.level for mark in marks if mark.kind == HEADING}
    spans = []
    start = 0
    for match in _BLOCK_BREAK.finditer(text):
        at = bisect.bisect_right(code_starts, match.start()) - 1
        if at >= 0 and match.start() < code[at].end:
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    found = []
    for start, end in spans:
        block = text[start:end]
        if block and not block.isspace():
            first = start + len(block) - len(block.lstrip())  # where a heading's mark begins
            line = text.rfind("\n", start, first) + 1 or start  # where a code block's may: indented
            found.append((line, end, headings.get(first, 0)))
    return found


@dataclass(frozen=True, slots=True)
class BlockHashes:
    """Every document's distinct block hashes as read, and which of them were left out as boilerplate.

    Documents follow one another: document i's hashes are hashes[offsets[i]:offsets[i + 1]],
    ascending (a block a document repeats counts once: boilerplate is what many documents share).
    """

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, one more than there are documents
    removed: np.ndarray  # bool, one per hash

    @classmethod
    def of(cls, documents: Sequence[bytes]) -> BlockHashes:
        """From each document's `digests`, nothing removed."""
        counts = np.fromiter((len(d) // _DIGEST_BYTES for d in documents), np.int64, len(documents))
        hashes = np.frombuffer(b"".join(documents), dtype="<u8").astype(np.uint64)
        owner = np.repeat(np.arange(len(documents), dtype=np.int64), counts)
        order = np.lexsort((hashes, owner))  # by document, then hash
        hashes, owner = hashes[order], owner[order]
        distinct = np.ones(len(hashes), dtype=bool)
        distinct[1:] = (hashes[1:] != hashes[:-1]) | (owner[1:] != owner[:-1])
        hashes, owner = hashes[distinct], owner[distinct]
        offsets = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=len(documents)), out=offsets[1:])
        return cls(hashes, offsets, np.zeros(len(hashes), dtype=bool))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def select(self, positions: np.ndarray) -> BlockHashes:
        """The documents at these positions, in this order."""
        positions = np.asarray(positions, dtype=np.int64)
        starts, ends = self.offsets[positions], self.offsets[positions + 1]
        counts = ends - starts
        offsets = np.zeros(len(positions) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        taken = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(starts - offsets[:-1], counts)
        return BlockHashes(self.hashes[taken], offsets, self.removed[taken])

    def removed_of(self, document: int) -> set[int]:
        """The hashes of the blocks left out of one document."""
        start, end = self.offsets[document], self.offsets[document + 1]
        return set(self.hashes[start:end][self.removed[start:end]].tolist())

    def stripped(self) -> np.ndarray:
        """Positions of the documents that some blocks were left out of."""
        return np.flatnonzero(np.bincount(self.owners(), weights=self.removed, minlength=len(self)))

    def owners(self) -> np.ndarray:
        """The document each hash belongs to."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))


def joined(parts: Sequence[BlockHashes]) -> BlockHashes:
    """The documents of several, one part after another."""
    if not parts:
        return BlockHashes.of([])
    offsets = [np.zeros(1, dtype=np.int64)]
    end = 0
    for part in parts:
        offsets.append(part.offsets[1:] + end)
        end += len(part.hashes)
    return BlockHashes(
        np.concatenate([part.hashes for part in parts]),
        np.concatenate(offsets),
        np.concatenate([part.removed for part in parts]),
    )


def common(parts: Sequence[BlockHashes]) -> np.ndarray:
    """The hashes of the blocks that are boilerplate in a corpus made of these documents, ascending."""
    documents = sum(len(part) for part in parts)
    if documents < MIN_DOCUMENTS:
        return np.empty(0, dtype=np.uint64)
    hashes, counts = np.unique(np.concatenate([part.hashes for part in parts]), return_counts=True)
    return hashes[counts >= threshold(documents)]


def with_removed(blocks: BlockHashes, boilerplate: np.ndarray) -> BlockHashes:
    """The blocks marked removed where they are boilerplate, except in a document that would keep
    nothing else."""
    if not len(boilerplate) or not len(blocks.hashes):
        return dataclasses.replace(blocks, removed=np.zeros(len(blocks.hashes), dtype=bool))
    at = np.minimum(np.searchsorted(boilerplate, blocks.hashes), len(boilerplate) - 1)
    removed = boilerplate[at] == blocks.hashes
    owners = blocks.owners()
    left_out = np.bincount(owners, weights=removed, minlength=len(blocks))
    all_of_it = left_out == np.diff(blocks.offsets)
    removed[all_of_it[owners]] = False
    return dataclasses.replace(blocks, removed=removed)


def changed(before: BlockHashes, after: BlockHashes) -> np.ndarray:
    """Positions of the documents whose blocks left out differ between the two (same documents)."""
    differs = np.bincount(before.owners(), weights=before.removed != after.removed, minlength=len(before))
    return np.flatnonzero(differs)


def strip(document: Document, removed: Collection[int]) -> Document:
    """The document without the blocks whose hash is in `removed`, nor the headings whose sections
    held nothing else; the text between what is kept and the marks in it stay as they were."""
    if not removed:
        return document
    text = document.text
    found = _blocks(text, document.marks)
    keep = [
        bool(level) or int.from_bytes(_digest(text[start:end]), "little") not in removed for start, end, level in found
    ]
    _drop_emptied_headings(found, keep)
    if all(keep):
        return document
    runs: list[list[int]] = []  # [start, end] of each run of kept blocks, with what lies between them
    for number, (start, end, _) in enumerate(found):
        if keep[number] and runs and keep[number - 1]:
            runs[-1][1] = end
        elif keep[number]:
            runs.append([start, end])
    if keep[-1]:
        runs[-1][1] = len(text)
    pieces, moved = [], []  # moved: (old start, old end, new start) of each run
    length = 0
    for start, end in runs:
        if pieces:
            pieces.append("\n\n")
            length += 2
        pieces.append(text[start:end])
        moved.append((start, end, length))
        length += end - start
    marks = []
    for mark in document.marks:
        at = bisect.bisect_right(moved, mark.start, key=lambda run: run[0]) - 1
        if at >= 0 and mark.end <= moved[at][1]:
            shift = moved[at][2] - moved[at][0]
            marks.append(Mark(mark.kind, mark.start + shift, mark.end + shift, mark.level))
    return dataclasses.replace(document, text="".join(pieces), marks=tuple(marks))


def _drop_emptied_headings(found: list[tuple[int, int, int]], keep: list[bool]) -> None:
    """Headings whose section (up to the next heading of its level or above) lost blocks and kept
    none, deepest first, so that a heading over only emptied subsections goes too."""
    for number in range(len(found) - 1, -1, -1):
        level = found[number][2]
        if not level:
            continue
        lost = False
        following = number + 1
        while following < len(found) and not (found[following][2] and found[following][2] <= level):
            if keep[following]:
                break
            lost = True
            following += 1
        else:
            if lost:
                keep[number] = False
