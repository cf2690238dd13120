"""The BM25 index: passages, their documents, and BM25Okapi weights stored as postings per term.

Ranking is rank-bm25's `BM25Okapi`, exactly: the same IDF (with its epsilon floor for common
terms) and the same term-frequency saturation. The weights of every (term, passage) pair are
computed once at build time (bot.index_build) and stored term by term, so a query only adds up
the postings of its own terms (bot.index_search) instead of scoring every passage for every term.

An `Index` is a view of its saved form (bot.index_format): the arrays it is built as and saved as
(bot.index_file), from which documents and passages are made when asked for.
"""

from __future__ import annotations

import collections
import functools
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .boilerplate import BlockHashes
from .chunking import Passage, Sections, section_index, sections
from .corpus import Skipped
from .index_format import MARK_COLUMNS, StoredStrings, check, vocabulary_terms
from .index_search import Postings
from .structure import Mark
from .text import AliasGroup

if TYPE_CHECKING:
    from scipy import sparse

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


class Index:
    """Passages, their documents, and BM25Okapi weights stored as postings per term."""

    def __init__(self, header: dict, arrays: dict[str, np.ndarray]) -> None:
        """An index from its saved form: the JSON header and the arrays, as `save` writes them
        (checked to fit together: they may come from a damaged file). Documents and passages are
        made from the arrays when asked for."""
        check(header, arrays)
        metadata = {
            int(position): tuple((str(key), str(value)) for key, value in pairs)
            for position, pairs in header["metadata"].items()
        }
        self.documents = _StoredDocuments(arrays, metadata)
        self.document_texts = StoredStrings(
            arrays["document_text_blob"], arrays["document_text_offsets"], cache=_DECODED_TEXTS
        )
        self._marks = functools.lru_cache(maxsize=_DECODED_TEXTS)(self._decode_marks)
        self._sections = functools.lru_cache(maxsize=_DECODED_TEXTS)(self._document_sections)
        table_headers = [str(h) for h in header["table_headers"]]
        self.passages = _StoredPassages(arrays, self.documents, self.document_texts, table_headers, self)
        self.vocabulary = vocabulary_terms(arrays["vocabulary"])
        self.term_ids = {term: i for i, term in enumerate(self.vocabulary)}
        self.offsets = arrays["offsets"]
        self.posting_passages = arrays["posting_passages"]
        self.posting_weights = arrays["posting_weights"]
        self.posting_tf = arrays["posting_tf"]  # term frequencies, so a reindex can reuse unchanged documents' terms
        self.idf = arrays["idf"]
        self.doc_len = arrays["doc_len"]
        self.settings_fingerprint = header["settings_fingerprint"]
        self.corpus_fingerprint = header["corpus_fingerprint"]
        self.skipped = tuple(Skipped(doc_id, reason) for doc_id, reason in header["skipped"])
        self._postings = Postings(self.offsets, self.posting_passages, self.posting_weights, len(self.passages))
        # see bot.index_build.file_stamp
        self.file_stamps = StoredStrings(arrays["document_stamp_blob"], arrays["document_stamp_offsets"])
        self.passage_document = arrays["passage_document"]
        # each document's language, an ISO 639-1 code (bot.language)
        self.document_languages = StoredStrings(arrays["document_language_blob"], arrays["document_language_offsets"])
        # each document's blocks as read, and which were left out as boilerplate (see bot.boilerplate)
        self.blocks = BlockHashes(arrays["block_hash"], arrays["document_block_offsets"], arrays["block_removed"])
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
        columns = [arrays[name][start:end].tolist() for name in MARK_COLUMNS]
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
        return self._postings.scores(self.term_ids[t] for t in query_tokens if t in self.term_ids)

    def passages_with_all(self, terms: Sequence[str]) -> np.ndarray:
        """Positions of the passages that contain every one of the terms, in order."""
        term_ids = [self.term_ids.get(term) for term in dict.fromkeys(terms)]
        if None in term_ids:
            return np.empty(0, dtype=np.int64)
        return self._postings.passages_with_all(term_ids)

    def search(self, query_tokens: Sequence[str] | Mapping[str, float], k: int) -> list[Hit]:
        """The k best passages containing at least one query term, best first (ties by passage order).

        The query is its terms in order, or each term with how much it counts (a follow-up's words
        from earlier turns count less than its own).

        Matching is decided by the postings, not the score's sign: BM25Okapi's IDF floor can give
        a real match a score of zero or below. Exact, without reading every posting (see
        bot.index_search).
        """
        counted = query_tokens.items() if isinstance(query_tokens, Mapping) else ((t, 1) for t in query_tokens)
        counts: dict[int, float] = {}
        for term, count in counted:  # BM25Okapi adds a repeated query term once per occurrence
            term_id = self.term_ids.get(term)
            if term_id is not None:
                counts[term_id] = counts.get(term_id, 0) + count
        if not counts or k <= 0:
            return []
        passages, scores = self._postings.top_k(counts, k)
        return [Hit(passage, score) for passage, score in zip(passages.tolist(), scores.tolist())]


class _StoredDocuments(Sequence[DocumentInfo]):
    def __init__(self, arrays: dict[str, np.ndarray], metadata: dict[int, tuple[tuple[str, str], ...]]) -> None:
        self.doc_ids = StoredStrings(arrays["document_id_blob"], arrays["document_id_offsets"])
        self._titles = StoredStrings(arrays["document_title_blob"], arrays["document_title_offsets"])
        self._urls = StoredStrings(arrays["document_url_blob"], arrays["document_url_offsets"])
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
        texts: StoredStrings,
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
