"""Documents → passages and their term ids: chunking and tokenizing, the slow part of indexing,
spread over every core when the corpus is large.

Workers are fresh interpreters (the "spawn" start method): the bot reindexes from a thread of a
running process, where forking could copy a lock held by another thread. Each worker chunks and
tokenizes a batch of documents and sends back passage spans and term ids numbered in its own
small vocabulary; merging renumbers them into one, batch by batch, in document order, so the
result is the same as tokenizing everything in one process.

Each document is tokenized with its own language's Analyzer (its language decided beforehand,
see bot.language).
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import ChunkingSettings, Passage, chunk
from .corpus import Document
from .logs import Progress
from .structure import Mark
from .text import AliasGroup, Analyzer

PARALLEL_MIN_CHARS = 5_000_000  # below this much text, starting worker processes costs more than it saves
PROGRESS_MIN_DOCUMENTS = 200
BATCH_CHARS = 2_000_000  # of document text a worker takes at a time

Span = tuple[int, int, int, str]  # a passage as (ordinal, start, end, table header) within its document


@dataclass(frozen=True, slots=True)
class Encoded:
    """Every passage's term ids, one passage after another, and the vocabulary they number."""

    vocabulary: list[str]
    terms: np.ndarray  # int32
    lengths: np.ndarray  # int32, tokens per passage


def passage_tokens(analyzer: Analyzer, passage: Passage) -> list[str]:
    """The tokens a passage is indexed under: the headings it sits under, its table header (if
    any) and its text."""
    if not passage.header and not passage.section:
        return analyzer.tokens(passage.text)
    return analyzer.tokens("\n".join([*passage.section, passage.header, passage.text]))


def encode(passages: Iterable[Passage], analyzer: Analyzer) -> Encoded:
    """The passages' term ids, all read with one Analyzer."""
    vocabulary: dict[str, int] = {}
    terms, lengths = _encode_into(vocabulary, ((passage, analyzer) for passage in passages))
    return Encoded(list(vocabulary), terms, lengths)


def _encode_into(
    vocabulary: dict[str, int], passages: Iterable[tuple[Passage, Analyzer]]
) -> tuple[np.ndarray, np.ndarray]:
    """The passages' term ids and lengths (each read with its Analyzer), numbering new terms on
    from the end of `vocabulary`."""
    terms = array("i")  # 4 bytes a token, where a list of ints would take 36
    lengths = array("i")
    for passage, analyzer in passages:
        tokens = passage_tokens(analyzer, passage)
        terms.extend([vocabulary.setdefault(token, len(vocabulary)) for token in tokens])
        lengths.append(len(tokens))
    return np.frombuffer(terms, dtype=np.int32), np.frombuffer(lengths, dtype=np.int32)


def chunk_and_encode(
    documents: Sequence[Document],
    chunking: ChunkingSettings,
    aliases: Sequence[AliasGroup],
    languages: Sequence[str],
    progress: bool = False,
    parallel_min_chars: int = PARALLEL_MIN_CHARS,
    batch_chars: int = BATCH_CHARS,
) -> tuple[list[list[Span]], Encoded]:
    """Each document's passages as spans of its text, and all passages' term ids (in parallel for
    a large corpus); `languages[i]` is the language `documents[i]` is read in. No Passage object
    outlives its tokenizing: a million of them, each with a copy of its text, would hold more
    memory than the index."""
    shown = progress and len(documents) >= PROGRESS_MIN_DOCUMENTS
    bar = Progress(len(documents), "indexing", "document", shown)
    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or sum(len(document.text) for document in documents) < parallel_min_chars:
        spans: list[list[Span]] = []
        analyzers = _Analyzers(aliases)

        def passages() -> Iterable[tuple[Passage, Analyzer]]:
            for document, language in zip(documents, languages, strict=True):
                analyzer = analyzers[language]
                chunked = chunk(document.doc_id, document.text, chunking, document.marks, document.title)
                spans.append([span_of(passage) for passage in chunked])
                bar.update()
                yield from ((passage, analyzer) for passage in chunked)

        vocabulary: dict[str, int] = {}
        terms, lengths = _encode_into(vocabulary, passages())
        bar.close()
        return spans, Encoded(list(vocabulary), terms, lengths)
    batches = list(_batches(list(zip(documents, languages, strict=True)), batch_chars))
    spans, parts = [], []
    vocabularies: dict[int, list[str]] = {}  # each worker's terms, in its own numbering
    import multiprocessing  # a large build only: answering from a saved index should not wait for these imports
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(aliases,)) as pool:
        jobs = [[(d.doc_id, d.text, d.marks, d.title, language) for d, language in batch] for batch in batches]
        results = pool.map(_chunk_and_encode_batch, jobs, [chunking] * len(jobs))
        for batch, (worker, batch_spans, new_terms, terms, lengths) in zip(batches, results):
            spans.extend(batch_spans)
            # A worker takes its batches in order, so its new terms arrive in the order it numbered them;
            # the parts of one worker share its (growing) vocabulary, which merge renumbers once.
            vocabulary = vocabularies.setdefault(worker, [])
            vocabulary.extend(new_terms)
            parts.append(Encoded(vocabulary, terms, lengths))
            bar.update(len(batch))
    bar.close()
    return spans, merge(parts)


def span_of(passage: Passage) -> Span:
    return (passage.ordinal, passage.span[0], passage.span[1], passage.header)


def merge(parts: Sequence[Encoded]) -> Encoded:
    """One Encoded from several, in order, numbering terms by first appearance as `encode` does.

    Parts may share a vocabulary (the unchanged documents of an earlier index; the batches of one
    worker); a term is looked up once per vocabulary, and only terms that actually occur join the
    merged one.
    """
    vocabulary: dict[str, int] = {}
    mappings: dict[int, np.ndarray] = {}  # id(part vocabulary) → its term ids renumbered, -1 until seen
    renumbered = []
    for part in parts:
        mapping = mappings.get(id(part.vocabulary))
        if mapping is None:
            mapping = mappings[id(part.vocabulary)] = np.full(len(part.vocabulary), -1, dtype=np.int64)
        present, first_seen = _first_occurrences(part.terms, len(part.vocabulary))
        unseen = mapping[present] < 0
        for term in present[unseen][np.argsort(first_seen[unseen], kind="stable")].tolist():
            mapping[term] = vocabulary.setdefault(part.vocabulary[term], len(vocabulary))
        renumbered.append(mapping[part.terms].astype(np.int32))
    terms = np.concatenate(renumbered) if renumbered else np.empty(0, dtype=np.int32)
    lengths = np.concatenate([part.lengths for part in parts]) if parts else np.empty(0, dtype=np.int32)
    return Encoded(list(vocabulary), terms, lengths.astype(np.int32, copy=False))


def _first_occurrences(terms: np.ndarray, vocabulary_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The term ids that occur, ascending, and where each first does: np.unique(terms,
    return_index=True), in linear time (about five times faster on a corpus's term ids)."""
    present = np.flatnonzero(np.bincount(terms, minlength=vocabulary_size))
    first = np.full(vocabulary_size, len(terms), dtype=np.int64)
    np.minimum.at(first, terms, np.arange(len(terms), dtype=np.int64))
    return present, first[present]


def _batches(documents: Sequence[tuple[Document, str]], batch_chars: int) -> Iterable[list[tuple[Document, str]]]:
    batch: list[tuple[Document, str]] = []
    size = 0
    for document, language in documents:
        batch.append((document, language))
        size += len(document.text)
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Analyzers(dict[str, Analyzer]):
    """An Analyzer per language, made when a document in that language first comes."""

    def __init__(self, aliases: Sequence[AliasGroup]) -> None:
        super().__init__()
        self._aliases = aliases

    def __missing__(self, language: str) -> Analyzer:
        analyzer = self[language] = Analyzer(self._aliases, language)
        return analyzer


_worker_analyzers: _Analyzers | None = None
_worker_vocabulary: dict[str, int] = {}  # numbers terms across all of this worker's batches


def _start_worker(aliases: Sequence[AliasGroup]) -> None:
    global _worker_analyzers
    _worker_analyzers = _Analyzers(aliases)


def _chunk_and_encode_batch(
    documents: list[tuple[str, str, tuple[Mark, ...], str, str]], chunking: ChunkingSettings
) -> tuple[int, list[list[Span]], list[str], np.ndarray, np.ndarray]:
    """A batch's spans and term ids, with the terms this worker had not numbered before: sending
    only those, rather than the batch's whole vocabulary, spares pickling and merging each term
    once per batch."""
    analyzers = _worker_analyzers
    assert analyzers is not None
    chunks = [
        (chunk(doc_id, text, chunking, marks, title), analyzers[language])
        for doc_id, text, marks, title, language in documents
    ]
    spans = [[span_of(passage) for passage in passages] for passages, _ in chunks]
    known = len(_worker_vocabulary)
    terms, lengths = _encode_into(
        _worker_vocabulary, ((passage, analyzer) for passages, analyzer in chunks for passage in passages)
    )
    return os.getpid(), spans, list(_worker_vocabulary)[known:], terms, lengths
