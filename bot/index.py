"""The BM25 index: built from passages, saved and loaded safely, searched by postings.

Ranking is rank-bm25's `BM25Okapi`, exactly: the same IDF (with its epsilon floor for common
terms) and the same term-frequency saturation. The weights of every (term, passage) pair are
computed once at build time and stored term by term, so a query only adds up the postings of its
own terms instead of scoring every passage for every term.

On disk an index is one NumPy `.npz` file (arrays plus a JSON header, loaded with pickling
disabled), written to a temporary file and renamed into place, so a crash mid-write leaves the
old index intact. A writer holds a lock (flock) on its temporary file until it is renamed; one
left by a writer that was killed is unlocked, and the next save or load removes it.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import functools
import hashlib
import io
import json
import logging
import math
import os
import struct
import tempfile
import threading
import weakref
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from .boilerplate import BlockHashes, digests
from .boilerplate import joined as joined_blocks
from .chunking import ChunkingSettings, Passage, Sections, section_index, sections
from .corpus import CorpusFile, Document, ReadingLimits, Skipped
from .errors import IndexFileError
from .pipeline import Encoded, Span, encode, merge, span_of
from .structure import Mark
from .language import AUTO, DETECTOR_VERSION
from .text import ENGLISH, STEMMER_VERSION, STOPWORDS, STOPWORDS_VERSION, AliasGroup, Analyzer

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)

INDEX_FORMAT = 5  # 5: each document's language
INDEX_FILE = "citebot-index.npz"
_TEMPORARY = (".citebot-index-", ".tmp")  # a temporary file's name begins and ends so
_WEIGHING_SLICE = 1 << 22  # postings weighed at a time
COMPILED_SEARCH_MIN_POSTINGS = 1_000_000  # from here on, searching runs compiled (bot.maxscore)
_DECODE_AT_ONCE = 64 * 1024 * 1024  # bytes of ASCII strings decoded as one string when iterated
_DECODED_TEXTS = 256  # document texts of a loaded index kept decoded, for passages asked for again


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """BM25Okapi's parameters, as rank-bm25 names them, and the spelling variants of names."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    aliases: tuple[AliasGroup, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What a reply needs to cite a document, kept in the index so answering reads no files."""

    doc_id: str
    title: str
    url: str | None
    metadata: tuple[tuple[str, str], ...]
    first_passage: int
    passage_count: int


@dataclass(frozen=True, slots=True)
class Hit:
    passage: int  # position in Index.passages
    score: float


def _pipeline_code_digest() -> str:
    """The source of the modules that turn files into index entries: an upgrade rebuilds the index."""
    modules = (
        "corpus.py",
        "html_text.py",
        "markup.py",
        "structure.py",
        "boilerplate.py",
        "chunking.py",
        "text.py",
        "pipeline.py",
        "language.py",
        "index.py",
    )
    return _digest("".join((Path(__file__).parent / name).read_text(encoding="utf-8") for name in modules))


def settings_fingerprint(
    chunking: ChunkingSettings, search: SearchSettings, reading: ReadingLimits, language: str = AUTO
) -> str:
    """Changes whenever a setting that shapes the index changes, so a stale index is rebuilt."""
    shape = {
        "format": INDEX_FORMAT,
        "reading": asdict(reading),
        "chunking": asdict(chunking),
        "search": asdict(search),
        "language": language,
        "stemmer": STEMMER_VERSION,
        "detector": DETECTOR_VERSION,
        "code": _PIPELINE_CODE,
        "stopwords": [*sorted(STOPWORDS), STOPWORDS_VERSION],
    }
    return _digest(json.dumps(shape, sort_keys=True))


def corpus_fingerprint(files: Iterable[CorpusFile]) -> str:
    """Changes when a corpus file (or its metadata sidecar) is added, removed, resized or touched."""
    return _digest("\n".join(f"{f.doc_id}\t{f.size}\t{f.mtime_ns}\t{f.sidecar_mtime_ns}" for f in files))


def file_stamp(file: CorpusFile) -> str:
    """What a file looked like when it was indexed; the same stamp later means it is unchanged."""
    return f"{file.size}:{file.mtime_ns}:{file.sidecar_mtime_ns}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


_PIPELINE_CODE = _pipeline_code_digest()


class Index:
    """Passages, their documents, and BM25Okapi weights stored as postings per term."""

    def __init__(self, header: dict, arrays: dict[str, np.ndarray]) -> None:
        """An index from its saved form: the JSON header and the arrays, as `save` writes them
        (checked to fit together: they may come from a damaged file). Documents and passages are
        made from the arrays when asked for."""
        for name in _PACKED:
            blob, offsets = arrays[f"{name}_blob"], arrays[f"{name}_offsets"]
            _check(
                len(offsets) > 0
                and offsets[0] == 0
                and offsets[-1] == len(blob)
                and bool(np.all(np.diff(offsets) >= 0)),
                f"{name} offsets do not fit their bytes",
            )
        metadata = {
            int(position): tuple((str(key), str(value)) for key, value in pairs)
            for position, pairs in header["metadata"].items()
        }
        documents = _StoredDocuments(arrays, metadata)
        texts = _StoredStrings(arrays["document_text_blob"], arrays["document_text_offsets"], cache=_DECODED_TEXTS)
        mark_offsets = arrays["document_mark_offsets"]
        _check(
            len(mark_offsets) == len(documents) + 1
            and mark_offsets[0] == 0
            and bool(np.all(np.diff(mark_offsets) >= 0))
            and all(len(arrays[name]) == int(mark_offsets[-1]) for name in _MARK_COLUMNS),
            "marks do not fit their documents",
        )
        block_offsets = arrays["document_block_offsets"]
        _check(
            len(block_offsets) == len(documents) + 1
            and block_offsets[0] == 0
            and bool(np.all(np.diff(block_offsets) >= 0))
            and len(arrays["block_hash"]) == len(arrays["block_removed"]) == int(block_offsets[-1]),
            "block hashes do not fit their documents",
        )
        self._marks = functools.lru_cache(maxsize=_DECODED_TEXTS)(self._decode_marks)
        self._sections = functools.lru_cache(maxsize=_DECODED_TEXTS)(self._document_sections)
        passages = _StoredPassages(arrays, documents, texts, [str(h) for h in header["table_headers"]], self)
        vocabulary = arrays["vocabulary"].tobytes().decode("utf-8").split("\n") if len(arrays["vocabulary"]) else []
        offsets = arrays["offsets"]
        posting_passages = arrays["posting_passages"]
        counts = arrays["document_passage_count"]
        languages = _StoredStrings(arrays["document_language_blob"], arrays["document_language_offsets"])
        _check(
            len(texts) == len(documents) == len(arrays["document_stamp_offsets"]) - 1 == len(languages),
            "document arrays differ in length",
        )
        _check(len(offsets) == len(vocabulary) + 1, "offsets do not match the vocabulary")
        _check(
            len(posting_passages) == len(arrays["posting_weights"]) == len(arrays["posting_tf"]) == int(offsets[-1]),
            "postings are truncated",
        )
        _check(len(arrays["doc_len"]) == len(passages) == int(counts.sum()), "passage counts differ")
        _check(len(arrays["passage_span"]) == 2 * len(passages), "passage spans are truncated")
        _check(len(arrays["passage_document"]) == len(passages), "passage documents are truncated")
        _check(
            len(passages) == 0
            or 0 <= int(arrays["passage_document"].min()) <= int(arrays["passage_document"].max()) < len(documents),
            "passages point past the documents",
        )
        _check(
            len(passages) == 0
            or -1
            <= int(arrays["passage_header"].min())
            <= int(arrays["passage_header"].max())
            < len(header["table_headers"]),
            "passages point past the table headers",
        )
        _check(all(0 <= position < len(documents) for position in metadata), "metadata of documents that do not exist")
        _check(
            len(posting_passages) == 0 or int(posting_passages.max()) < len(passages),
            "postings point past the passages",
        )
        self.documents = documents
        self.document_texts = texts
        self.passages = passages
        self.vocabulary = vocabulary
        self.term_ids = {term: i for i, term in enumerate(vocabulary)}
        self.offsets = offsets
        self.posting_passages = posting_passages
        self.posting_weights = arrays["posting_weights"]
        self.posting_tf = arrays["posting_tf"]  # term frequencies, so a reindex can reuse unchanged documents' terms
        self.idf = arrays["idf"]
        self.doc_len = arrays["doc_len"]
        self.settings_fingerprint = header["settings_fingerprint"]
        self.corpus_fingerprint = header["corpus_fingerprint"]
        self.skipped = tuple(Skipped(doc_id, reason) for doc_id, reason in header["skipped"])
        self._buffers = threading.local()  # each thread's score buffer for search()
        # see file_stamp()
        self.file_stamps = _StoredStrings(arrays["document_stamp_blob"], arrays["document_stamp_offsets"])
        self.passage_document = arrays["passage_document"]
        self.document_languages = languages  # each document's language, an ISO 639-1 code (bot.language)
        # each document's blocks as read, and which were left out as boilerplate (see bot.boilerplate)
        self.blocks = BlockHashes(arrays["block_hash"], block_offsets, arrays["block_removed"])
        self.saved_form = (header, arrays)  # the JSON header and the arrays behind all of the above, as saved

    @functools.cached_property
    def languages(self) -> dict[str, int]:
        """The languages of the documents, each with how many documents are in it."""
        return dict(collections.Counter(self.document_languages))

    @functools.cached_property
    def document_position(self) -> dict[str, int]:
        """Document id → its position in `documents` (built on first use: a large index loads faster)."""
        return {doc_id: i for i, doc_id in enumerate(self.documents.doc_ids)}

    def __len__(self) -> int:
        return len(self.passages)

    def passage_terms(self, first: int, count: int) -> np.ndarray:
        """The term ids of passages first…first+count-1, each repeated as often as it occurs."""
        rows = self._forward.indptr
        start, end = rows[first], rows[first + count]
        return np.repeat(self._forward.indices[start:end], self._forward.data[start:end].astype(np.int64))

    @functools.cached_property
    def _forward(self) -> sparse.csr_matrix:
        """The postings turned passage by passage (made on first use, by a reindex)."""
        from scipy import sparse  # SciPy builds indexes; answering needs none of it, nor its import time

        shape = (len(self.passages), len(self.vocabulary))
        return sparse.csc_matrix((self.posting_tf, self.posting_passages, self.offsets), shape=shape).tocsr()

    def document_of(self, passage: int) -> DocumentInfo:
        return self.documents[int(self.passage_document[passage])]

    def language_of(self, passage: int) -> str:
        """The language of a passage's document."""
        return self.document_languages[int(self.passage_document[passage])]

    def marks_of(self, document: int) -> tuple[Mark, ...]:
        """The structure marks of the document at this position (see bot.structure)."""
        return self._marks(document)

    def _decode_marks(self, document: int) -> tuple[Mark, ...]:
        _, arrays = self.saved_form
        start, end = (int(o) for o in arrays["document_mark_offsets"][document : document + 2])
        columns = [arrays[name][start:end].tolist() for name in _MARK_COLUMNS]
        return tuple(Mark(*values) for values in zip(*columns))

    def section_of(self, document: int, position: int) -> tuple[str, ...]:
        """The headings that a position in a document's text sits under, the document's title left out."""
        offsets = self.saved_form[1]["document_mark_offsets"]
        if offsets[document] == offsets[document + 1]:  # no marks, no headings: plain text
            return ()
        starts = self._sections(document)
        return starts[section_index(starts, position)][1]

    def _document_sections(self, document: int) -> Sections:
        return sections(self.document_texts[document], self.marks_of(document), self.documents[document].title)

    def term_idf(self, term: str) -> float:
        """BM25Okapi's IDF of a term (after the epsilon floor); 0 for a term not in the corpus."""
        term_id = self.term_ids.get(term)
        return 0.0 if term_id is None else float(self.idf[term_id])

    def document_frequency(self, term: str) -> int:
        term_id = self.term_ids.get(term)
        return 0 if term_id is None else int(self.offsets[term_id + 1] - self.offsets[term_id])

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25Okapi scores of every passage, equal to rank-bm25's `get_scores(query_tokens)`."""
        scores = np.zeros(len(self.passages), dtype=np.float64)
        for term in query_tokens:
            term_id = self.term_ids.get(term)
            if term_id is not None:
                start, end = self.offsets[term_id], self.offsets[term_id + 1]
                scores[self.posting_passages[start:end]] += self.posting_weights[start:end]
        return scores

    def passages_with_all(self, terms: Sequence[str]) -> np.ndarray:
        """Positions of the passages that contain every one of the terms, in order."""
        found: np.ndarray | None = None
        for term in dict.fromkeys(terms):
            term_id = self.term_ids.get(term)
            if term_id is None:
                return np.empty(0, dtype=np.int64)
            postings = self.posting_passages[self.offsets[term_id] : self.offsets[term_id + 1]]
            found = postings if found is None else np.intersect1d(found, postings, assume_unique=True)
        return np.empty(0, dtype=np.int64) if found is None else found

    def search(self, query_tokens: Sequence[str] | Mapping[str, float], k: int) -> list[Hit]:
        """The k best passages containing at least one query term, best first (ties by passage order).

        The query is its terms in order, or each term with how much it counts (a follow-up's words
        from earlier turns count less than its own).

        Matching is decided by the postings, not the score's sign: BM25Okapi's IDF floor can give
        a real match a score of zero or below.

        Exact top k without reading every posting (MaxScore): terms are added rarest-weight
        first; once the k-th best partial score beats what all the remaining terms could add at
        most, no passage outside the candidates so far can reach the top k, and the remaining
        terms are only looked up for the candidates that still can. Past a million postings the
        same search runs compiled, a passage at a time (bot.maxscore).
        """
        counted = query_tokens.items() if isinstance(query_tokens, Mapping) else ((t, 1) for t in query_tokens)
        counts: dict[int, float] = {}
        for term, count in counted:  # BM25Okapi adds a repeated query term once per occurrence
            term_id = self.term_ids.get(term)
            if term_id is not None:
                counts[term_id] = counts.get(term_id, 0) + count
        if not counts or k <= 0:
            return []
        bounds, lowest = self._weight_bounds
        # Pruning needs weights that only add: with BM25Okapi's IDF floor below zero (a tiny corpus
        # where most terms are everywhere) a weight can be negative, and every posting is read.
        prune = all(lowest[t] >= 0 for t in counts)
        if len(self.posting_passages) >= COMPILED_SEARCH_MIN_POSTINGS and (top_k := _compiled_top_k()) is not None:
            return self._compiled_search(top_k, counts, bounds, prune, k)
        order = sorted(counts, key=lambda t: -bounds[t] * counts[t])
        left = np.cumsum([bounds[t] * counts[t] for t in order][::-1])[::-1].tolist() + [0.0]  # still to add
        scores = self._score_buffer()
        touched: list[np.ndarray] = []
        try:
            processed, threshold = 0, -math.inf
            for term_id in order:
                start, end = self.offsets[term_id], self.offsets[term_id + 1]
                postings = self.posting_passages[start:end]
                scores[postings] += self.posting_weights[start:end] * counts[term_id]
                touched.append(postings)
                processed += 1
                if prune and processed < len(order):
                    threshold = self._kth_best(scores, touched, k)
                    if threshold > left[processed]:
                        break
            matched = np.concatenate(touched) if len(touched) > 1 else touched[0]
            values = scores[matched]
            if processed < len(order):  # only passages that the remaining terms could lift to the top k
                matched = matched[values + left[processed] >= threshold]
            elif len(matched) > k * len(touched):  # the k × terms best postings hold the k best passages
                cut = len(matched) - k * len(touched)
                matched = matched[values >= np.partition(values, cut)[cut]]  # ties at the cut stay
            candidates = _distinct(matched)
            candidate_scores = scores[candidates]
            for term_id in order[processed:]:
                candidate_scores += self._weights_of(term_id, candidates) * counts[term_id]
        finally:
            for postings in touched:
                scores[postings] = 0.0
        if len(candidates) > k:
            kth_best = np.partition(candidate_scores, len(candidates) - k)[len(candidates) - k]
            within = candidate_scores >= kth_best  # ties at the cut stay, to go by passage order
            candidates, candidate_scores = candidates[within], candidate_scores[within]
        ranked = np.lexsort((candidates, -candidate_scores))[:k]
        return [Hit(int(candidates[i]), float(candidate_scores[i])) for i in ranked]

    def _compiled_search(
        self,
        top_k: Callable[..., tuple[np.ndarray, np.ndarray]],
        counts: dict[int, float],
        bounds: list[float],
        prune: bool,
        k: int,
    ) -> list[Hit]:
        order = sorted(counts, key=lambda t: (bounds[t] * counts[t], t))
        passages, scores = top_k(
            self.offsets,
            self.posting_passages,
            self.posting_weights,
            np.array(order, dtype=np.int64),
            np.array([counts[t] for t in order], dtype=np.float64),
            np.array([bounds[t] * counts[t] for t in order], dtype=np.float64),
            k,
            prune,
        )
        ranked = np.lexsort((passages, -scores))
        return [Hit(int(passages[i]), float(scores[i])) for i in ranked]

    def _kth_best(self, scores: np.ndarray, touched: list[np.ndarray], k: int) -> float:
        """A lower bound of the k-th best score among the passages touched so far (-inf if fewer).

        A passage is in each term's postings at most once, so the k × terms best postings span at
        least k passages: the smallest of them bounds the k-th best passage from below, found
        without sorting out repeats.
        """
        values = scores[np.concatenate(touched)] if len(touched) > 1 else scores[touched[0]]
        keep = k * len(touched)
        if len(values) < keep:
            return -math.inf
        return float(np.partition(values, len(values) - keep)[len(values) - keep])

    def _weights_of(self, term_id: int, passages: np.ndarray) -> np.ndarray:
        """A term's weight in each of the (sorted) passages; 0 where it does not occur."""
        start, end = self.offsets[term_id], self.offsets[term_id + 1]
        postings = self.posting_passages[start:end]
        at = np.minimum(np.searchsorted(postings, passages), len(postings) - 1)
        found = postings[at] == passages
        return np.where(found, self.posting_weights[start:end][at], 0.0)

    @functools.cached_property
    def _weight_bounds(self) -> tuple[list[float], list[float]]:
        """Each term's largest and smallest weight in any passage (the most it can add to a score)."""
        if not len(self.posting_weights):
            return [0.0] * len(self.vocabulary), [0.0] * len(self.vocabulary)
        starts = self.offsets[:-1].clip(max=len(self.posting_weights) - 1)
        largest = np.maximum.reduceat(self.posting_weights, starts).astype(np.float64)
        smallest = np.minimum.reduceat(self.posting_weights, starts).astype(np.float64)
        return largest.tolist(), smallest.tolist()

    def _score_buffer(self) -> np.ndarray:
        buffer = getattr(self._buffers, "scores", None)
        if buffer is None:
            buffer = self._buffers.scores = np.zeros(len(self.passages), dtype=np.float64)
        return buffer


@functools.cache
def _compiled_top_k() -> Callable[..., tuple[np.ndarray, np.ndarray]] | None:
    """bot.maxscore's search, loaded (with numba) only for an index large enough to gain from it;
    None where numba cannot be loaded: the search is then numpy's, slower but the same."""
    try:
        from .maxscore import top_k
    except ImportError as error:
        log.warning("compiled search unavailable (%s): searching with numpy", error)
        return None
    return top_k


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: np.unique, by a sort (numpy's hash-table unique is many times
    slower on these arrays of passage numbers)."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def build(
    documents: Sequence[Document],
    chunks: Sequence[Sequence[Passage]],
    analyzer: Analyzer,
    search: SearchSettings,
    *,
    settings_fingerprint: str,
    corpus_fingerprint: str,
    skipped: Sequence[Skipped] = (),
) -> Index:
    """An index over the documents' passages (`chunks[i]` are the passages of `documents[i]`), all
    read in the analyzer's language."""
    return assemble(
        documents,
        [[span_of(passage) for passage in passages] for passages in chunks],
        encode((passage for passages in chunks for passage in passages), analyzer),
        search,
        settings_fingerprint=settings_fingerprint,
        corpus_fingerprint=corpus_fingerprint,
        skipped=skipped,
        languages=[analyzer.language] * len(documents),
    )


def assemble(
    documents: Sequence[Document],
    spans: Sequence[Sequence[Span]],
    encoded: Encoded,
    search: SearchSettings,
    *,
    settings_fingerprint: str,
    corpus_fingerprint: str,
    skipped: Sequence[Skipped] = (),
    file_stamps: Sequence[str] = (),
    blocks: BlockHashes | None = None,
    languages: Sequence[str] = (),
) -> Index:
    """An index from passages already tokenized (`spans[i]` are the passages of `documents[i]`,
    `encoded` their term ids, in order), made straight into the arrays it is saved as.
    `languages[i]` is the language `documents[i]` was read in (by default English, all of them).

    `blocks` are the documents' block hashes as read, with the boilerplate left out of them
    (bot.boilerplate); by default the documents' own, none left out."""
    counts = np.fromiter((len(document_spans) for document_spans in spans), np.int64, len(spans))
    if len(counts) != len(documents) or len(encoded.lengths) != int(counts.sum()):
        raise ValueError(f"{len(encoded.lengths)} encoded passages for {int(counts.sum())} passages")
    passages = [span for document_spans in spans for span in document_spans]
    headers = sorted({header for _, _, _, header in passages} - {""})
    header_ids = {header: i for i, header in enumerate(headers)}
    passage_columns = {
        "passage_ordinal": np.fromiter((ordinal for ordinal, _, _, _ in passages), np.int32, len(passages)),
        "passage_span": np.fromiter(
            (i for _, start, end, _ in passages for i in (start, end)), np.int64, 2 * len(passages)
        ),
        "passage_header": np.fromiter((header_ids.get(h, -1) for _, _, _, h in passages), np.int32, len(passages)),
    }
    strings = (
        [d.doc_id for d in documents],
        [d.title for d in documents],
        [d.url or "" for d in documents],
        file_stamps if len(file_stamps) else [""] * len(documents),
        [d.text for d in documents],
        languages if len(languages) else [ENGLISH] * len(documents),
    )
    header = _header(
        settings_fingerprint,
        corpus_fingerprint,
        headers,
        {str(i): [list(pair) for pair in d.metadata] for i, d in enumerate(documents) if d.metadata},
        skipped,
    )
    packed = {name: _pack(texts) for name, texts in zip(_PACKED, strings, strict=True)}
    if blocks is None:
        blocks = BlockHashes.of([digests(d.text, d.marks) for d in documents])
    if len(blocks) != len(documents):
        raise ValueError(f"block hashes of {len(blocks)} documents for {len(documents)} documents")
    columns = passage_columns | _mark_columns(documents) | _block_columns(blocks)
    return _weighted(header, encoded, counts, columns, packed, search)


_MARK_COLUMNS = ("mark_kind", "mark_start", "mark_end", "mark_level")  # in Mark's field order
_MARK_TYPES = (np.int8, np.int64, np.int64, np.int8)


def _mark_columns(documents: Sequence[Document]) -> dict[str, np.ndarray]:
    """Every document's marks, one array per field, and where each document's begin."""
    counts = [len(document.marks) for document in documents]
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    marks = [mark for document in documents for mark in document.marks]
    columns = {
        name: np.fromiter((getattr(mark, name.removeprefix("mark_")) for mark in marks), dtype, len(marks))
        for name, dtype in zip(_MARK_COLUMNS, _MARK_TYPES, strict=True)
    }
    return columns | {"document_mark_offsets": offsets}


def _block_columns(blocks: BlockHashes) -> dict[str, np.ndarray]:
    return {
        "block_hash": blocks.hashes.astype(np.uint64, copy=False),
        "block_removed": blocks.removed.astype(np.bool_, copy=False),
        "document_block_offsets": blocks.offsets.astype(np.int64, copy=False),
    }


def _header(
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


def _weighted(
    header: dict,
    encoded: Encoded,
    counts: np.ndarray,
    columns: dict[str, np.ndarray],
    packed: dict[str, tuple[np.ndarray, np.ndarray]],
    search: SearchSettings,
) -> Index:
    """The index of documents (`counts` passages each, described by the passage and mark `columns`
    and the `packed` strings) whose passages' term ids are `encoded`: BM25 weights computed, in the
    arrays it is saved as."""
    first_passages = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=first_passages[1:])
    offsets, posting_passages, posting_weights, posting_tf, idf = _weights(
        encoded.terms, encoded.lengths.astype(np.int64), len(encoded.vocabulary), search
    )
    arrays = {
        "offsets": offsets,
        "posting_passages": posting_passages,
        "posting_weights": posting_weights,
        "posting_tf": posting_tf,
        "idf": idf,
        "doc_len": encoded.lengths.astype(np.int32),
        "vocabulary": np.frombuffer("\n".join(encoded.vocabulary).encode("utf-8"), dtype=np.uint8),
        "passage_document": np.repeat(np.arange(len(counts), dtype=np.int32), counts),
        **columns,
        "document_first_passage": first_passages,
        "document_passage_count": counts,
    }
    for name, (blob, offsets_of) in packed.items():
        arrays[f"{name}_blob"], arrays[f"{name}_offsets"] = blob, offsets_of
    return Index(header, arrays)


def _weights(
    terms: np.ndarray, lengths: np.ndarray, vocabulary_size: int, params: SearchSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Postings sorted by term then passage, with BM25Okapi's weight and the term frequency of each.

    The passages' term ids form a sparse passage × term matrix; turning it column-major (SciPy's
    counting sort, linear in the tokens) groups the postings by term with passages in order, and
    summing the duplicates gives each posting its term frequency.
    """
    from scipy import sparse

    corpus_size = len(lengths)
    row_starts = np.zeros(corpus_size + 1, dtype=np.int64)
    np.cumsum(lengths, out=row_starts[1:])
    matrix = sparse.csr_matrix(
        (np.ones(len(terms), dtype=np.float32), terms, row_starts), shape=(corpus_size, vocabulary_size)
    ).tocsc()
    matrix.sum_duplicates()
    offsets = matrix.indptr.astype(np.int64)
    posting_passages = matrix.indices.astype(np.int32, copy=False)
    posting_tf = matrix.data.astype(np.int32)
    del matrix
    document_frequency = np.diff(offsets)
    posting_terms = np.repeat(np.arange(vocabulary_size, dtype=np.int32), document_frequency)

    # rank_bm25.BM25Okapi._calc_idf: negative IDFs are floored at epsilon × the mean raw IDF.
    idf = np.log(corpus_size - document_frequency + 0.5) - np.log(document_frequency + 0.5)
    if vocabulary_size:
        floor = params.epsilon * (math.fsum(idf.tolist()) / vocabulary_size)
        idf = np.where(idf < 0, floor, idf)
    average_length = lengths.sum() / corpus_size if corpus_size else 0.0
    passage_lengths = lengths.astype(np.float64)
    weights = np.empty(len(posting_tf), dtype=np.float32)
    # idf × tf·(k1+1) / (tf + k1·(1 − b + b·length/average)), as rank-bm25 computes it, in float64
    # a slice of postings at a time: a million passages' whole temporaries would take gigabytes.
    for start in range(0, len(weights), _WEIGHING_SLICE):
        stop = start + _WEIGHING_SLICE
        tf = posting_tf[start:stop].astype(np.float64)
        denominator = passage_lengths[posting_passages[start:stop]]
        denominator *= params.b
        denominator /= average_length or 1.0
        denominator += 1 - params.b
        denominator *= params.k1
        denominator += tf
        tf *= params.k1 + 1
        tf /= denominator
        tf *= idf[posting_terms[start:stop]]
        weights[start:stop] = tf
    return offsets, posting_passages, weights, posting_tf, idf


def save(index: Index, folder: Path) -> Path:
    """Write the index atomically into folder; returns the file written.

    Texts and names are stored as UTF-8 blobs with offset arrays, not in the JSON header, so a
    large index loads as a few array reads and its passages are made only when asked for.

    The index is written to a temporary file, flushed to disk and renamed over the old one, so a
    crash or a full disk at any point leaves either the old index or the new one, whole. The
    temporary file is locked while it is written; temporaries of writers that were killed are
    removed first.
    """
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    header, arrays = index.saved_form
    arrays = {"header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8), **arrays}
    target = folder / INDEX_FILE
    handle, temporary = _locked_temporary(folder)
    try:
        with os.fdopen(handle, "wb", closefd=False) as stream:
            _write_aligned_npz(stream, arrays)
            stream.flush()
            os.fsync(handle)
        os.replace(temporary, target)  # while still locked: cleanup elsewhere must not take it first
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)
    _sync_folder(folder)
    return target


def _locked_temporary(folder: Path) -> tuple[int, str]:
    """A new temporary file in folder, open and locked, and its path.

    The lock (flock, held until the file is closed, also by a killed process's kernel) tells
    `remove_stale_temporaries` in any process that the file is being written. Another process's
    cleanup could open the file between its creation and the lock, and remove it: then it is made
    again."""
    while True:
        handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY[0], suffix=_TEMPORARY[1], dir=folder)
        fcntl.flock(handle, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(handle), os.stat(temporary)):
                return handle, temporary
        os.close(handle)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files of index writers that were killed (kill -9, a power cut): those
    no process holds locked. A file being written by another process, or thread, stays.

    flock, not fcntl's record locks: those belong to a process, so a thread of the writer's own
    process would take a lock it holds (on NFS, where Linux emulates flock with them, only other
    processes' writers are told apart). Nothing here fails a load: a folder it cannot change is
    left as it is."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return
    for name in names:
        if not (name.startswith(_TEMPORARY[0]) and name.endswith(_TEMPORARY[1])):
            continue
        path = folder / name
        try:
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.fstat(handle), os.lstat(path)):
                size = os.fstat(handle).st_size
                path.unlink()
                log.info("removed %s (%d bytes), left by an index writer that was stopped", path, size)
        except OSError:  # locked: being written; or gone, or not ours to remove
            pass
        finally:
            os.close(handle)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (the folder's entry on disk), as SQLite does; where a file system
    cannot sync a folder, the rename is already atomic for every reader."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


_PACKED = ("document_id", "document_title", "document_url", "document_stamp", "document_text", "document_language")
_ALIGN = 64  # bytes; what .npy headers pad to, and where load() can map an array from
_PADDING_FIELD = 0xCB01  # a zip "extra field" id of our own, holding only padding


def _write_aligned_npz(stream: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez writes (np.load reads it), except that each array's data starts at a multiple
    of _ALIGN bytes in the file, so that load() can map it instead of reading and copying it."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            # The local header: 30 bytes, the name, then extra fields (ours, and the 20-byte zip64
            # one that force_zip64 adds); the .npy header that follows pads itself to _ALIGN.
            before_padding = stream.tell() + 30 + len(info.filename.encode("utf-8")) + 4 + 20
            info.extra = struct.pack("<HH", _PADDING_FIELD, -before_padding % _ALIGN) + bytes(-before_padding % _ALIGN)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info.extra = b""  # the padding belongs to the local header only, not the central directory


def _mapped_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an index file, mapped from it rather than read where they lie aligned (as
    save() writes them), else copied. Each is checked against its CRC, as np.load would."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    arrays = {}
    for member in members:
        if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
            raise ValueError(f"{member.filename} is not a stored array")
        local = mapped[member.header_offset : member.header_offset + 30].tobytes()
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise ValueError(f"{member.filename} has no local header")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        begin = member.header_offset + 30 + name_length + extra_length
        data = mapped[begin : begin + member.file_size]
        if len(data) != member.file_size or zlib.crc32(data) != member.CRC:
            raise ValueError(f"{member.filename} fails its checksum")
        arrays[member.filename[: -len(".npy")]] = _npy_array(data)
    return arrays


def _npy_array(data: np.ndarray) -> np.ndarray:
    header = io.BytesIO(data[: min(len(data), 65_536)].tobytes())
    version = np.lib.format.read_magic(header)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(header)
    if dtype.hasobject or fortran_order:
        raise ValueError("an array of objects or in Fortran order")
    start = header.tell()
    size = math.prod(shape) * dtype.itemsize
    if start + size != len(data):
        raise ValueError("an array of another size than its header says")
    array = data[start:].view(dtype).reshape(shape) if size else np.empty(shape, dtype)
    return np.asarray(array if array.flags.aligned else array.copy())


def combine(
    sources: Sequence[tuple[Index, int]],
    search: SearchSettings,
    *,
    settings_fingerprint: str,
    corpus_fingerprint: str,
    skipped: Sequence[Skipped] = (),
) -> Index:
    """An index of documents taken whole from other indexes: each (index, its position there), in
    the new order.

    A reindex builds the changed files into a small index and combines it with the unchanged rest
    of the previous one. Their arrays are sliced and joined a run of documents at a time — no
    Python object per passage or document — and only what depends on the whole corpus (term
    numbering, IDF, BM25 weights) is computed anew.
    """
    runs: list[tuple[Index, int, int]] = []  # (index, first document, last document + 1)
    for source, position in sources:
        if runs and runs[-1][0] is source and runs[-1][2] == position:
            runs[-1] = (source, runs[-1][1], position + 1)
        else:
            runs.append((source, position, position + 1))
    forms = {id(source): source.saved_form for source, _, _ in runs}
    headers = sorted({h for header, _ in forms.values() for h in header["table_headers"]})
    new_header_id = {h: i for i, h in enumerate(headers)}
    # Each index's header ids renumbered; the extra last entry maps "no header" (-1) to -1.
    renumbered = {
        key: np.array([new_header_id[h] for h in header["table_headers"]] + [-1], dtype=np.int32)
        for key, (header, _) in forms.items()
    }
    packed: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in _PACKED}
    marks: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in _MARK_COLUMNS}
    blocks: list[BlockHashes] = []
    columns: dict[str, list[np.ndarray]] = {
        name: [] for name in ("document_passage_count", "passage_ordinal", "passage_span", "passage_header")
    }
    metadata: dict[str, list] = {}
    parts: list[Encoded] = []
    placed = 0  # documents placed so far
    for source, start, stop in runs:
        header, arrays = forms[id(source)]
        first = int(arrays["document_first_passage"][start])
        last = first + int(arrays["document_passage_count"][start:stop].sum())
        for name in _PACKED:
            offsets = arrays[f"{name}_offsets"]
            packed[name].append((arrays[f"{name}_blob"][offsets[start] : offsets[stop]], offsets[start : stop + 1]))
        offsets = arrays["document_mark_offsets"]
        for name in _MARK_COLUMNS:
            marks[name].append((arrays[name][offsets[start] : offsets[stop]], offsets[start : stop + 1]))
        blocks.append(source.blocks.select(np.arange(start, stop)))
        columns["document_passage_count"].append(arrays["document_passage_count"][start:stop])
        columns["passage_ordinal"].append(arrays["passage_ordinal"][first:last])
        columns["passage_span"].append(arrays["passage_span"][2 * first : 2 * last])
        columns["passage_header"].append(renumbered[id(source)][arrays["passage_header"][first:last]])
        for position, pairs in header["metadata"].items():
            if start <= int(position) < stop:
                metadata[str(placed + int(position) - start)] = pairs
        parts.append(Encoded(source.vocabulary, source.passage_terms(first, last - first), source.doc_len[first:last]))
        placed += stop - start
    header = _header(settings_fingerprint, corpus_fingerprint, headers, metadata, skipped)
    passage_columns = {
        "passage_ordinal": _joined(columns["passage_ordinal"], np.int32),
        "passage_span": _joined(columns["passage_span"], np.int64),
        "passage_header": _joined(columns["passage_header"], np.int32),
    }
    joined = {name: _join_packed(pieces) for name, pieces in packed.items()}
    for name, dtype in zip(_MARK_COLUMNS, _MARK_TYPES, strict=True):
        values, passage_columns["document_mark_offsets"] = _join_packed(marks[name])
        passage_columns[name] = values.astype(dtype, copy=False)
    passage_columns |= _block_columns(joined_blocks(blocks))
    counts = _joined(columns["document_passage_count"], np.int64)
    return _weighted(header, merge(parts), counts, passage_columns, joined, search)


def _joined(pieces: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(pieces).astype(dtype, copy=False) if pieces else np.empty(0, dtype=dtype)


def _join_packed(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Slices of packed strings (bytes, and the offsets where each string begins and the last
    ends, relative to the bytes' owner) as one packed run."""
    offsets = [np.zeros(1, dtype=np.int64)]
    end = 0
    for blob, piece_offsets in pieces:
        offsets.append(piece_offsets[1:] - piece_offsets[0] + end)
        end += len(blob)
    blob = np.concatenate([blob for blob, _ in pieces]) if pieces else np.empty(0, dtype=np.uint8)
    return blob, np.concatenate(offsets)


def _pack(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array and the byte offsets where each begins (and the last ends).

    Written into one buffer of the final size (an ASCII string's length is its size in bytes),
    so packing a corpus's texts holds them twice, not three times (strings, bytes, joined)."""
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum([len(text) if text.isascii() else len(text.encode("utf-8")) for text in strings], out=offsets[1:])
    blob = bytearray(int(offsets[-1]))
    for text, start, end in zip(strings, offsets[:-1].tolist(), offsets[1:].tolist()):
        blob[start:end] = text.encode("utf-8")
    return np.frombuffer(blob, dtype=np.uint8), offsets


class _StoredStrings(Sequence[str]):
    """Strings packed by _pack, decoded one at a time when asked for."""

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


class _StoredDocuments(Sequence[DocumentInfo]):
    def __init__(self, arrays: dict[str, np.ndarray], metadata: dict[int, tuple[tuple[str, str], ...]]) -> None:
        self.doc_ids = _StoredStrings(arrays["document_id_blob"], arrays["document_id_offsets"])
        self._titles = _StoredStrings(arrays["document_title_blob"], arrays["document_title_offsets"])
        self._urls = _StoredStrings(arrays["document_url_blob"], arrays["document_url_offsets"])
        self._metadata = metadata
        self._first = arrays["document_first_passage"]
        self._count = arrays["document_passage_count"]

    def __len__(self) -> int:
        return len(self._first)

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        return DocumentInfo(
            doc_id=self.doc_ids[position],
            title=self._titles[position],
            url=self._urls[position] or None,
            metadata=self._metadata.get(position, ()),
            first_passage=int(self._first[position]),
            passage_count=int(self._count[position]),
        )


class _StoredPassages(Sequence[Passage]):
    """Passages made on demand from their document's text."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        documents: _StoredDocuments,
        texts: _StoredStrings,
        headers: list[str],
        index: Index,
    ) -> None:
        self._index = weakref.proxy(index)  # for sections; the index owns its passages
        self._document = arrays["passage_document"]
        self._ordinal = arrays["passage_ordinal"]
        self._span = arrays["passage_span"]
        self._header = arrays["passage_header"]
        self._doc_ids = documents.doc_ids
        self._headers = headers
        self._texts = texts

    def __len__(self) -> int:
        return len(self._ordinal)

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return self._range(*position.indices(len(self)))
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self._range(position, position + 1, 1)[0]

    def _range(self, start: int, stop: int, step: int) -> list[Passage]:
        """Passages start, start+step… before stop; a run of one document's passages decodes it once."""
        positions = range(start, stop, step)
        documents = self._document[start:stop:step].tolist()
        spans = self._span[2 * start : 2 * stop].reshape(-1, 2)[::step].tolist() if step > 0 else None
        if spans is None:
            spans = [self._span[2 * p : 2 * p + 2].tolist() for p in positions]
        ordinals = self._ordinal[start:stop:step].tolist()
        headers = self._header[start:stop:step].tolist()
        passages = []
        current, doc_id, text = -1, "", ""
        for document, (begin, end), ordinal, header in zip(documents, spans, ordinals, headers, strict=True):
            if document != current:
                current, doc_id, text = document, self._doc_ids[document], self._texts[document]
            passages.append(
                Passage(
                    doc_id,
                    ordinal,
                    text[begin:end],
                    (begin, end),
                    self._headers[header] if header >= 0 else "",
                    self._index.section_of(document, begin),
                )
            )
        return passages


def load(folder: Path) -> Index:
    """Read the index in folder; IndexFileError when it is missing, damaged or of another format.
    Temporary files that killed writers left there are removed."""
    remove_stale_temporaries(folder)
    path = folder / INDEX_FILE
    if not path.is_file():
        raise IndexFileError(f"no index at {path}")
    try:
        arrays = _mapped_npz(path)
        header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
        if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
            found = header.get("format") if isinstance(header, dict) else None
            raise IndexFileError(f"index {path} is format {found}, this citebot reads {INDEX_FORMAT}")
        index = Index(header, arrays)
    except IndexFileError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        zipfile.BadZipFile,
        EOFError,
        struct.error,
    ) as error:
        raise IndexFileError(f"index {path} is damaged ({type(error).__name__}: {error})") from None
    return index


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)
