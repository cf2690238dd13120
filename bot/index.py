"""The BM25 index: built from passages, saved and loaded safely, searched by postings.

Ranking is rank-bm25's `BM25Okapi`, exactly: the same IDF (with its epsilon floor for common
terms) and the same term-frequency saturation. The weights of every (term, passage) pair are
computed once at build time and stored term by term, so a query only adds up the postings of its
own terms instead of scoring every passage for every term.

On disk an index is one NumPy `.npz` file (arrays plus a JSON header, loaded with pickling
disabled), written to a temporary file and renamed into place, so a crash mid-write leaves the
old index intact.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .chunking import ChunkingSettings, Passage
from .corpus import CorpusFile, Document, Skipped
from .errors import IndexFileError
from .text import STEMMER_VERSION, STOPWORDS, AliasGroup, Analyzer

INDEX_FORMAT = 1
INDEX_FILE = "citebot-index.npz"
PROGRESS_MIN_DOCUMENTS = 200


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
    modules = ("corpus.py", "chunking.py", "text.py", "index.py")
    return _digest("".join((Path(__file__).parent / name).read_text(encoding="utf-8") for name in modules))


def settings_fingerprint(chunking: ChunkingSettings, search: SearchSettings) -> str:
    """Changes whenever a setting that shapes the index changes, so a stale index is rebuilt."""
    shape = {
        "format": INDEX_FORMAT,
        "chunking": asdict(chunking),
        "search": asdict(search),
        "stemmer": STEMMER_VERSION,
        "code": _PIPELINE_CODE,
        "stopwords": sorted(STOPWORDS),
    }
    return _digest(json.dumps(shape, sort_keys=True))


def corpus_fingerprint(files: Iterable[CorpusFile]) -> str:
    """Changes when a corpus file (or its metadata sidecar) is added, removed, resized or touched."""
    return _digest("\n".join(f"{f.doc_id}\t{f.size}\t{f.mtime_ns}\t{f.sidecar_mtime_ns}" for f in files))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


_PIPELINE_CODE = _pipeline_code_digest()


def passage_tokens(analyzer: Analyzer, passage: Passage) -> list[str]:
    """The tokens a passage is indexed under: its table header (if any) and its text."""
    return analyzer.tokens(f"{passage.header}\n{passage.text}" if passage.header else passage.text)


class Index:
    """Passages, their documents, and BM25Okapi weights stored as postings per term."""

    def __init__(
        self,
        *,
        documents: Sequence[DocumentInfo],
        document_texts: Sequence[str],
        passages: Sequence[Passage],
        vocabulary: Sequence[str],
        offsets: np.ndarray,
        posting_passages: np.ndarray,
        posting_weights: np.ndarray,
        idf: np.ndarray,
        doc_len: np.ndarray,
        settings_fingerprint: str,
        corpus_fingerprint: str,
        skipped: Sequence[Skipped] = (),
    ) -> None:
        self.documents = tuple(documents)
        self.document_texts = tuple(document_texts)
        self.passages = tuple(passages)
        self.vocabulary = tuple(vocabulary)
        self.term_ids = {term: i for i, term in enumerate(self.vocabulary)}
        self.offsets = offsets
        self.posting_passages = posting_passages
        self.posting_weights = posting_weights
        self.idf = idf
        self.doc_len = doc_len
        self.settings_fingerprint = settings_fingerprint
        self.corpus_fingerprint = corpus_fingerprint
        self.skipped = tuple(skipped)
        self.document_position = {doc.doc_id: i for i, doc in enumerate(self.documents)}
        self._passage_document = np.repeat(
            np.arange(len(self.documents)), [doc.passage_count for doc in self.documents]
        )

    def __len__(self) -> int:
        return len(self.passages)

    def document_of(self, passage: int) -> DocumentInfo:
        return self.documents[int(self._passage_document[passage])]

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

    def search(self, query_tokens: Sequence[str], k: int) -> list[Hit]:
        """The k best passages containing at least one query term, best first.

        Matching is decided by the postings, not the score's sign: BM25Okapi's IDF floor can give
        a real match a score of zero or below.
        """
        term_ids = list(dict.fromkeys(self.term_ids[t] for t in query_tokens if t in self.term_ids))
        if not term_ids:
            return []
        scores = self.scores(query_tokens)
        # Every posting of the query's terms; a passage appears once per term it contains, so the
        # k × terms best postings hold the k best passages, found without sorting them all.
        postings = [self.posting_passages[self.offsets[t] : self.offsets[t + 1]] for t in term_ids]
        matched = postings[0] if len(postings) == 1 else np.concatenate(postings)
        matched_scores = scores[matched]
        keep = k * len(term_ids)
        if len(matched) > keep:
            kth_best = np.partition(matched_scores, len(matched) - keep)[len(matched) - keep]
            matched = matched[matched_scores >= kth_best]  # ties at the cut stay, to go by passage order
        candidates = np.unique(matched)
        candidate_scores = scores[candidates]
        order = np.lexsort((candidates, -candidate_scores))[:k]
        return [Hit(int(candidates[i]), float(candidate_scores[i])) for i in order]


def build(
    documents: Sequence[Document],
    chunks: Sequence[Sequence[Passage]],
    analyzer: Analyzer,
    search: SearchSettings,
    *,
    settings_fingerprint: str,
    corpus_fingerprint: str,
    skipped: Sequence[Skipped] = (),
    progress: bool = False,
) -> Index:
    """An index over the documents' passages (`chunks[i]` are the passages of `documents[i]`).

    With `progress`, a terminal shows a progress bar while a large corpus is tokenized.
    """
    vocabulary: dict[str, int] = {}
    flat_terms: list[int] = []
    doc_len: list[int] = []
    infos: list[DocumentInfo] = []
    passages: list[Passage] = []
    shown = progress and len(documents) >= PROGRESS_MIN_DOCUMENTS
    bar = tqdm(total=len(documents), desc="indexing", unit="doc", disable=None if shown else True)
    for document, doc_passages in zip(documents, chunks, strict=True):
        bar.update()
        infos.append(
            DocumentInfo(
                document.doc_id, document.title, document.url, document.metadata, len(passages), len(doc_passages)
            )
        )
        for passage in doc_passages:
            tokens = passage_tokens(analyzer, passage)
            flat_terms.extend(vocabulary.setdefault(token, len(vocabulary)) for token in tokens)
            doc_len.append(len(tokens))
            passages.append(passage)
    bar.close()
    lengths = np.asarray(doc_len, dtype=np.int64)
    terms = np.asarray(flat_terms, dtype=np.int64)
    owners = np.repeat(np.arange(len(passages), dtype=np.int64), lengths)
    offsets, posting_passages, posting_weights, idf = _weights(terms, owners, lengths, len(vocabulary), search)
    return Index(
        documents=infos,
        document_texts=[document.text for document in documents],
        passages=passages,
        vocabulary=list(vocabulary),
        offsets=offsets,
        posting_passages=posting_passages,
        posting_weights=posting_weights,
        idf=idf,
        doc_len=lengths.astype(np.int32),
        settings_fingerprint=settings_fingerprint,
        corpus_fingerprint=corpus_fingerprint,
        skipped=skipped,
    )


def _weights(
    terms: np.ndarray, owners: np.ndarray, lengths: np.ndarray, vocabulary_size: int, params: SearchSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Postings sorted by term then passage, with BM25Okapi's weight for each."""
    corpus_size = len(lengths)
    keys, term_frequency = np.unique(terms * max(corpus_size, 1) + owners, return_counts=True)
    posting_terms = keys // max(corpus_size, 1)
    posting_passages = (keys % max(corpus_size, 1)).astype(np.int32)
    document_frequency = np.bincount(posting_terms, minlength=vocabulary_size)
    offsets = np.zeros(vocabulary_size + 1, dtype=np.int64)
    np.cumsum(document_frequency, out=offsets[1:])

    # rank_bm25.BM25Okapi._calc_idf: negative IDFs are floored at epsilon × the mean raw IDF.
    idf = np.log(corpus_size - document_frequency + 0.5) - np.log(document_frequency + 0.5)
    if vocabulary_size:
        floor = params.epsilon * (math.fsum(idf.tolist()) / vocabulary_size)
        idf = np.where(idf < 0, floor, idf)
    average_length = lengths.sum() / corpus_size if corpus_size else 0.0
    tf = term_frequency.astype(np.float64)
    length_norm = params.k1 * (1 - params.b + params.b * lengths[posting_passages] / (average_length or 1.0))
    weights = idf[posting_terms] * (tf * (params.k1 + 1) / (tf + length_norm))
    return offsets, posting_passages, weights.astype(np.float32), idf


def save(index: Index, folder: Path) -> Path:
    """Write the index atomically into folder; returns the file written."""
    folder.mkdir(parents=True, exist_ok=True)
    header = {
        "format": INDEX_FORMAT,
        "settings_fingerprint": index.settings_fingerprint,
        "corpus_fingerprint": index.corpus_fingerprint,
        "documents": [asdict(doc) for doc in index.documents],
        "document_texts": list(index.document_texts),
        "passages": [[p.ordinal, p.span[0], p.span[1], p.header] for p in index.passages],
        "vocabulary": list(index.vocabulary),
        "skipped": [[s.doc_id, s.reason] for s in index.skipped],
    }
    target = folder / INDEX_FILE
    handle, temporary = tempfile.mkstemp(prefix=".citebot-index-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(
                stream,
                header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                offsets=index.offsets,
                posting_passages=index.posting_passages,
                posting_weights=index.posting_weights,
                idf=index.idf,
                doc_len=index.doc_len,
            )
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def load(folder: Path) -> Index:
    """Read the index in folder; IndexFileError when it is missing, damaged or of another format."""
    path = folder / INDEX_FILE
    if not path.is_file():
        raise IndexFileError(f"no index at {path}")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
                found = header.get("format") if isinstance(header, dict) else None
                raise IndexFileError(f"index {path} is format {found}, this citebot reads {INDEX_FORMAT}")
            index = _from_saved(header, {name: arrays[name] for name in arrays.files if name != "header"})
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
    ) as error:
        raise IndexFileError(f"index {path} is damaged ({type(error).__name__}: {error})") from None
    return index


def _from_saved(header: dict, arrays: dict[str, np.ndarray]) -> Index:
    documents = [
        DocumentInfo(
            doc_id=d["doc_id"],
            title=d["title"],
            url=d["url"],
            metadata=tuple((str(k), str(v)) for k, v in d["metadata"]),
            first_passage=int(d["first_passage"]),
            passage_count=int(d["passage_count"]),
        )
        for d in header["documents"]
    ]
    texts = header["document_texts"]
    _check(
        len(header["passages"]) == sum(d.passage_count for d in documents), "passage rows do not match the documents"
    )
    passages = []
    rows = iter(header["passages"])
    for document, text in zip(documents, texts, strict=True):
        for _ in range(document.passage_count):
            ordinal, start, end, table_header = next(rows)
            passages.append(
                Passage(document.doc_id, int(ordinal), text[start:end], (int(start), int(end)), table_header)
            )
    vocabulary = header["vocabulary"]
    offsets = arrays["offsets"]
    posting_passages = arrays["posting_passages"]
    _check(len(offsets) == len(vocabulary) + 1, "offsets do not match the vocabulary")
    _check(len(posting_passages) == len(arrays["posting_weights"]) == int(offsets[-1]), "postings are truncated")
    _check(len(arrays["doc_len"]) == len(passages) == sum(d.passage_count for d in documents), "passage counts differ")
    _check(
        len(posting_passages) == 0 or int(posting_passages.max()) < len(passages), "postings point past the passages"
    )
    return Index(
        documents=documents,
        document_texts=texts,
        passages=passages,
        vocabulary=vocabulary,
        offsets=offsets,
        posting_passages=posting_passages,
        posting_weights=arrays["posting_weights"],
        idf=arrays["idf"],
        doc_len=arrays["doc_len"],
        settings_fingerprint=header["settings_fingerprint"],
        corpus_fingerprint=header["corpus_fingerprint"],
        skipped=[Skipped(doc_id, reason) for doc_id, reason in header["skipped"]],
    )


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)
