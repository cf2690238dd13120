"""What an index is saved as: a JSON header and named arrays, and the check that they fit together.

Everything of an index that is not an array (fingerprints, table headers, metadata, skipped
files) is in the header; texts and names are packed as UTF-8 bytes with the offsets where each
string begins, so a large index loads as a few array reads and a string is decoded only when
asked for. Building (bot.index_build) writes this form, the file (bot.index_file) holds it, and
`Index` (bot.index) reads it; a change to it is a new INDEX_FORMAT.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from .corpus import Skipped

INDEX_FORMAT = 5  # 5: each document's language
PACKED = ("document_id", "document_title", "document_url", "document_stamp", "document_text", "document_language")
MARK_COLUMNS = ("mark_kind", "mark_start", "mark_end", "mark_level")  # in Mark's field order
MARK_TYPES = (np.int8, np.int64, np.int64, np.int8)
_DECODE_AT_ONCE = 64 * 1024 * 1024  # bytes of ASCII strings decoded as one string when iterated
_TERM_SEPARATOR = "\n"  # between the terms of the vocabulary; no term holds one


def index_header(
    settings_fingerprint: str,
    corpus_fingerprint: str,
    table_headers: list[str],
    metadata: dict[str, list],
    skipped: Sequence[Skipped],
) -> dict:
    """The JSON header of a saved index: what is not an array."""
    return {
        "format": INDEX_FORMAT,
        "settings_fingerprint": settings_fingerprint,
        "corpus_fingerprint": corpus_fingerprint,
        "table_headers": table_headers,
        "metadata": metadata,
        "skipped": [[s.doc_id, s.reason] for s in skipped],
    }


def pack(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array and the byte offsets where each begins (and the last ends).

    Written into one buffer of the final size (an ASCII string's length is its size in bytes),
    so packing a corpus's texts holds them twice, not three times (strings, bytes, joined)."""
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum([len(text) if text.isascii() else len(text.encode("utf-8")) for text in strings], out=offsets[1:])
    blob = bytearray(int(offsets[-1]))
    for text, start, end in zip(strings, offsets[:-1].tolist(), offsets[1:].tolist()):
        blob[start:end] = text.encode("utf-8")
    return np.frombuffer(blob, dtype=np.uint8), offsets


class StoredStrings(Sequence[str]):
    """Strings packed by `pack`, decoded one at a time when asked for."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, cache: int = 0) -> None:
        self._blob = blob
        self._offsets = offsets
        self._count = len(offsets) - 1
        self._decoded = functools.lru_cache(maxsize=cache)(self._decode) if cache else self._decode

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._count))]
        if position < 0:
            position += self._count
        if not 0 <= position < self._count:
            raise IndexError(position)
        return self._decoded(position)

    def __iter__(self) -> Iterator[str]:
        """All the strings; ASCII ones (names and stamps of a large index) are decoded in one go."""
        if len(self._blob) > _DECODE_AT_ONCE or (len(self._blob) and int(self._blob.max()) >= 0x80):
            yield from (self._decode(position) for position in range(self._count))
            return
        text = self._blob.tobytes().decode("ascii")
        bounds = self._offsets.tolist()
        yield from (text[start:end] for start, end in zip(bounds, bounds[1:]))

    def _decode(self, position: int) -> str:
        return self._blob[self._offsets[position] : self._offsets[position + 1]].tobytes().decode("utf-8")


def vocabulary_array(terms: Sequence[str]) -> np.ndarray:
    """The vocabulary's terms, in term id order, as the array it is saved as."""
    return np.frombuffer(_TERM_SEPARATOR.join(terms).encode("utf-8"), dtype=np.uint8)


def vocabulary_terms(array: np.ndarray) -> list[str]:
    """The terms of a saved vocabulary, in term id order."""
    return array.tobytes().decode("utf-8").split(_TERM_SEPARATOR) if len(array) else []


def _vocabulary_size(array: np.ndarray) -> int:
    """How many terms a saved vocabulary holds, without decoding them."""
    return int(np.count_nonzero(array == ord(_TERM_SEPARATOR))) + 1 if len(array) else 0


def check(header: dict, arrays: Mapping[str, np.ndarray]) -> None:
    """Raise ValueError naming the first way the header and arrays of an index do not fit
    together (they may come from a damaged file); KeyError where one is missing."""
    for name in PACKED:
        blob, offsets = arrays[f"{name}_blob"], arrays[f"{name}_offsets"]
        _check(
            len(offsets) > 0 and offsets[0] == 0 and offsets[-1] == len(blob) and bool(np.all(np.diff(offsets) >= 0)),
            f"{name} offsets do not fit their bytes",
        )
    documents_with_metadata = [int(position) for position in header["metadata"]]
    documents = len(arrays["document_first_passage"])
    mark_offsets = arrays["document_mark_offsets"]
    _check(
        len(mark_offsets) == documents + 1
        and mark_offsets[0] == 0
        and bool(np.all(np.diff(mark_offsets) >= 0))
        and all(len(arrays[name]) == int(mark_offsets[-1]) for name in MARK_COLUMNS),
        "marks do not fit their documents",
    )
    block_offsets = arrays["document_block_offsets"]
    _check(
        len(block_offsets) == documents + 1
        and block_offsets[0] == 0
        and bool(np.all(np.diff(block_offsets) >= 0))
        and len(arrays["block_hash"]) == len(arrays["block_removed"]) == int(block_offsets[-1]),
        "block hashes do not fit their documents",
    )
    passages = len(arrays["passage_ordinal"])
    offsets = arrays["offsets"]
    posting_passages = arrays["posting_passages"]
    _check(
        len(arrays["document_text_offsets"]) - 1
        == documents
        == len(arrays["document_stamp_offsets"]) - 1
        == len(arrays["document_language_offsets"]) - 1,
        "document arrays differ in length",
    )
    _check(len(offsets) == _vocabulary_size(arrays["vocabulary"]) + 1, "offsets do not match the vocabulary")
    _check(
        len(posting_passages) == len(arrays["posting_weights"]) == len(arrays["posting_tf"]) == int(offsets[-1]),
        "postings are truncated",
    )
    _check(len(arrays["doc_len"]) == passages == int(arrays["document_passage_count"].sum()), "passage counts differ")
    _check(len(arrays["passage_span"]) == 2 * passages, "passage spans are truncated")
    _check(len(arrays["passage_document"]) == passages, "passage documents are truncated")
    _check(
        passages == 0
        or 0 <= int(arrays["passage_document"].min()) <= int(arrays["passage_document"].max()) < documents,
        "passages point past the documents",
    )
    _check(
        passages == 0
        or -1
        <= int(arrays["passage_header"].min())
        <= int(arrays["passage_header"].max())
        < len(header["table_headers"]),
        "passages point past the table headers",
    )
    _check(
        all(0 <= position < documents for position in documents_with_metadata),
        "metadata of documents that do not exist",
    )
    _check(len(posting_passages) == 0 or int(posting_passages.max()) < passages, "postings point past the passages")


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)
