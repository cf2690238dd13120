"""Building an index: from passages, or from the documents of other indexes, into the arrays it is
saved as (bot.index_format), with rank-bm25's BM25Okapi weights; and the fingerprints that tell
whether a saved index is still current.

A full build tokenizes every passage; a reindex builds only the changed files and combines them
with the unchanged rest of the previous index, computing anew only what depends on the whole
corpus (term numbering, IDF, BM25 weights).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .boilerplate import BlockHashes, digests
from .boilerplate import joined as joined_blocks
from .chunking import ChunkingSettings, Passage
from .corpus import CorpusFile, Document, ReadingLimits, Skipped
from .index import Index, SearchSettings
from .index_format import INDEX_FORMAT, MARK_COLUMNS, MARK_TYPES, PACKED, index_header, pack, vocabulary_array
from .language import AUTO, DETECTOR_VERSION
from .pipeline import Encoded, Span, encode, merge, span_of
from .text import ENGLISH, STEMMER_VERSION, STOPWORDS, STOPWORDS_VERSION, Analyzer

_WEIGHING_SLICE = 1 << 22  # postings weighed at a time


def _pipeline_code_digest() -> str:
    """The source of the modules that turn files into index entries: an upgrade rebuilds the index."""
    modules = (
        "corpus.py",
        "html_text.py",
        "markup.py",
        "structure.py",
        "boilerplate.py",
        "chunking.py",
        "folding.py",
        "text.py",
        "compounds.py",
        "everyday.py",
        "pipeline.py",
        "language.py",
        "index.py",
        "index_format.py",
        "index_build.py",
        "index_search.py",
        "index_file.py",
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
    header = index_header(
        settings_fingerprint,
        corpus_fingerprint,
        headers,
        {str(i): [list(pair) for pair in d.metadata] for i, d in enumerate(documents) if d.metadata},
        skipped,
    )
    packed = {name: pack(texts) for name, texts in zip(PACKED, strings, strict=True)}
    if blocks is None:
        blocks = BlockHashes.of([digests(d.text, d.marks) for d in documents])
    if len(blocks) != len(documents):
        raise ValueError(f"block hashes of {len(blocks)} documents for {len(documents)} documents")
    columns = passage_columns | _mark_columns(documents) | _block_columns(blocks)
    return _weighted(header, encoded, counts, columns, packed, search)


def _mark_columns(documents: Sequence[Document]) -> dict[str, np.ndarray]:
    """Every document's marks, one array per field, and where each document's begin."""
    counts = [len(document.marks) for document in documents]
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    marks = [mark for document in documents for mark in document.marks]
    columns = {
        name: np.fromiter((getattr(mark, name.removeprefix("mark_")) for mark in marks), dtype, len(marks))
        for name, dtype in zip(MARK_COLUMNS, MARK_TYPES, strict=True)
    }
    return columns | {"document_mark_offsets": offsets}


def _block_columns(blocks: BlockHashes) -> dict[str, np.ndarray]:
    return {
        "block_hash": blocks.hashes.astype(np.uint64, copy=False),
        "block_removed": blocks.removed.astype(np.bool_, copy=False),
        "document_block_offsets": blocks.offsets.astype(np.int64, copy=False),
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
        "vocabulary": vocabulary_array(encoded.vocabulary),
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
    from scipy import sparse  # imported by a build only: answering needs none of it, nor its import time

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
    packed: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in PACKED}
    marks: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in MARK_COLUMNS}
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
        for name in PACKED:
            offsets = arrays[f"{name}_offsets"]
            packed[name].append((arrays[f"{name}_blob"][offsets[start] : offsets[stop]], offsets[start : stop + 1]))
        offsets = arrays["document_mark_offsets"]
        for name in MARK_COLUMNS:
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
    header = index_header(settings_fingerprint, corpus_fingerprint, headers, metadata, skipped)
    passage_columns = {
        "passage_ordinal": _joined(columns["passage_ordinal"], np.int32),
        "passage_span": _joined(columns["passage_span"], np.int64),
        "passage_header": _joined(columns["passage_header"], np.int32),
    }
    joined = {name: _join_packed(pieces) for name, pieces in packed.items()}
    for name, dtype in zip(MARK_COLUMNS, MARK_TYPES, strict=True):
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
