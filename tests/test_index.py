"""Tests for bot.index (scores equal rank-bm25's, safe save/load, fingerprints) and bot.engine's index use."""

from __future__ import annotations

import dataclasses
import json
import mmap
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot import index_file, index_format, index_search
from bot.chunking import ChunkingSettings, chunk
from bot.config import Config
from bot.corpus import Document, ReadingLimits, Skipped, list_corpus_files, load_corpus
from bot.engine import Engine
from bot.errors import IndexFileError
from bot.index import Index, SearchSettings
from bot.index_build import build, corpus_fingerprint, settings_fingerprint
from bot.index_file import INDEX_FILE, load, save
from bot.pipeline import passage_tokens
from bot.text import AliasGroup, Analyzer

SHIPPED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SMALL_CHUNKS = ChunkingSettings(target_chars=200, max_chars=400, overlap_sentences=1)
COMMON_WORD = "zephyr"  # in most generated passages, so its IDF is floored by epsilon
ALIASES = (AliasGroup(("Turkey", "Türkiye", "Turkiye")), AliasGroup(("United States", "U.S.", "USA")))

PARAMETERS = [
    SearchSettings(),
    SearchSettings(k1=0.9, b=0.4, epsilon=0.1),
    SearchSettings(k1=2.0, b=1.0, epsilon=0.5),
    SearchSettings(k1=1.2, b=0.0, epsilon=0.0),
    SearchSettings(aliases=ALIASES),
]

QUESTIONS = [
    "When were diplomatic relations between Turkey and Azerbaijan established?",
    "Where was the Shusha declaration signed?",
    "When did Azerbaijan establish formal relations with Fiji?",
    "Which consulates does Türkiye have in Azerbaijan?",
    "What is caviar diplomacy?",
    "relations relations relations Azerbaijan",
    "USA United States U.S.",
    "Marshall Islands 10 March 2010",
]


def generated_documents(count: int = 120, seed: int = 5) -> list[Document]:
    """Documents of pseudo-words with a Zipf-like spread, the common word in most sentences."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ren", "tu", "vas", "zo", "bel", "dri", "qua", "nor", "pex"]
    vocabulary = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))) for _ in range(220)})
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    documents = []
    for number in range(count):
        paragraphs = []
        for _ in range(rng.randint(1, 3)):
            sentences = []
            for _ in range(rng.randint(1, 6)):
                words = rng.choices(vocabulary, weights, k=rng.randint(3, 14))
                if rng.random() < 0.8:
                    words.insert(rng.randrange(len(words) + 1), COMMON_WORD)
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        text = "\n\n".join(paragraphs)
        documents.append(Document(f"gen/{number:03d}.txt", f"Generated {number}", text, Path(f"gen/{number:03d}.txt")))
    return documents


def all_documents() -> list[Document]:
    return list(load_corpus(SHIPPED_CORPUS).documents) + generated_documents()


def build_index(
    documents: list[Document],
    search: SearchSettings = SearchSettings(),
    chunking: ChunkingSettings = SMALL_CHUNKS,
    skipped: tuple[Skipped, ...] = (),
) -> tuple[Index, Analyzer]:
    analyzer = Analyzer(search.aliases)
    built = build(
        documents,
        [chunk(d.doc_id, d.text, chunking) for d in documents],
        analyzer,
        search,
        settings_fingerprint=settings_fingerprint(chunking, search, ReadingLimits()),
        corpus_fingerprint="corpus-under-test",
        skipped=skipped,
    )
    return built, analyzer


def reference(built: Index, analyzer: Analyzer, search: SearchSettings) -> tuple[BM25Okapi, list[set[str]]]:
    tokens = [passage_tokens(analyzer, p) for p in built.passages]
    return BM25Okapi(tokens, k1=search.k1, b=search.b, epsilon=search.epsilon), [set(t) for t in tokens]


def queries(built: Index, analyzer: Analyzer, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    vocabulary = sorted(built.vocabulary)
    common = analyzer.tokens(COMMON_WORD)
    result = [analyzer.tokens(q) for q in QUESTIONS]
    result += [rng.sample(vocabulary, rng.randint(1, 5)) for _ in range(60)]
    result += [[term, term, term] for term in rng.sample(vocabulary, 5)]  # repeated terms count each time
    result += [common, common + common, common + rng.sample(vocabulary, 2)]
    result += [["zzunknownzz"], ["zzunknownzz", vocabulary[0]], []]
    return result


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return all_documents()


# --- scores equal rank-bm25 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "search", PARAMETERS, ids=lambda s: f"k1={s.k1},b={s.b},eps={s.epsilon},aliases={len(s.aliases)}"
)
def test_scores_equal_rank_bm25(documents: list[Document], search: SearchSettings) -> None:
    built, analyzer = build_index(documents, search)
    assert len(built) >= 300
    bm25, _ = reference(built, analyzer, search)
    for query in queries(built, analyzer):
        np.testing.assert_allclose(built.scores(query), bm25.get_scores(query), atol=1e-5, err_msg=str(query))


def test_without_numba_a_large_index_searches_with_numpy(
    documents: list[Document], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken numba install costs speed, not answers."""
    built, analyzer = build_index(documents)
    query = queries(built, analyzer)[0]
    expected = built.search(query, 5)
    monkeypatch.setattr(index_search, "COMPILED_SEARCH_MIN_POSTINGS", 0)
    monkeypatch.setitem(sys.modules, "numba", None)  # what an import of a missing package finds
    monkeypatch.delitem(sys.modules, "bot.maxscore", raising=False)
    index_search._compiled_top_k.cache_clear()
    try:
        assert built.search(query, 5) == expected
        assert "compiled search unavailable" in caplog.text
    finally:
        index_search._compiled_top_k.cache_clear()


def test_idf_equals_rank_bm25_including_the_epsilon_floor(documents: list[Document]) -> None:
    search = SearchSettings(epsilon=0.3)
    built, analyzer = build_index(documents, search)
    bm25, token_sets = reference(built, analyzer, search)
    for term in built.vocabulary:
        assert built.term_idf(term) == pytest.approx(bm25.idf[term], abs=1e-9)
        assert built.document_frequency(term) == sum(term in tokens for tokens in token_sets)
    [common] = analyzer.tokens(COMMON_WORD)
    assert built.document_frequency(common) > len(built) / 2  # raw IDF negative: floored
    assert built.term_idf(common) == pytest.approx(0.3 * bm25.average_idf)
    assert built.term_idf("zzunknownzz") == 0.0 and built.document_frequency("zzunknownzz") == 0


def test_repeated_query_terms_add_up(documents: list[Document]) -> None:
    built, analyzer = build_index(documents)
    [term] = analyzer.tokens("relations")
    np.testing.assert_allclose(built.scores([term, term]), 2 * built.scores([term]), atol=1e-6)
    assert built.scores([term]).max() > 0


def test_unknown_terms_score_nothing(documents: list[Document]) -> None:
    built, _ = build_index(documents)
    assert not built.scores(["zzunknownzz"]).any()
    assert not built.scores([]).any()
    assert built.search(["zzunknownzz"], 5) == []
    assert built.search([], 5) == []


def test_passages_and_documents_line_up(documents: list[Document]) -> None:
    built, _ = build_index(documents)
    assert [d.doc_id for d in built.documents] == [d.doc_id for d in documents]
    assert sum(d.passage_count for d in built.documents) == len(built)
    for info, document in zip(built.documents, documents):
        passages = built.passages[info.first_passage : info.first_passage + info.passage_count]
        assert all(p.doc_id == document.doc_id for p in passages)
        assert [p.ordinal for p in passages] == list(range(info.passage_count))
        assert built.document_of(info.first_passage) == info
        assert built.document_texts[built.document_position[info.doc_id]] == document.text


# --- search -----------------------------------------------------------------------------------


def expected_ranking(scores: np.ndarray, token_sets: list[set[str]], query: list[str]) -> list[int]:
    """Passages holding a query term, by score, ties in passage order.

    Scores are compared to 9 decimals: rank-bm25 sums terms in its own order, so passages with
    mathematically equal scores can differ in the last bits of a float64.
    """
    order = np.lexsort((np.arange(len(scores)), -np.round(scores, 9)))
    return [int(i) for i in order if token_sets[i] & set(query)]


@pytest.fixture(params=["numpy", "compiled"])
def either_search(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a search test both ways: with numpy (small indexes) and compiled (bot.maxscore, large ones)."""
    monkeypatch.setattr(index_search, "COMPILED_SEARCH_MIN_POSTINGS", 0 if request.param == "compiled" else 1 << 62)


@pytest.mark.usefixtures("either_search")
@pytest.mark.parametrize("search", PARAMETERS[:3], ids=lambda s: f"k1={s.k1},b={s.b},eps={s.epsilon}")
def test_search_ranks_every_match_as_rank_bm25_does(documents: list[Document], search: SearchSettings) -> None:
    built, analyzer = build_index(documents, search)
    bm25, token_sets = reference(built, analyzer, search)
    for query in queries(built, analyzer):
        scores = bm25.get_scores(query)
        hits = built.search(query, len(built))
        assert [h.passage for h in hits] == expected_ranking(scores, token_sets, query), query
        np.testing.assert_allclose([h.score for h in hits], scores[[h.passage for h in hits]], atol=1e-5)


@pytest.mark.usefixtures("either_search")
@pytest.mark.parametrize("k", [1, 3, 10])
def test_search_top_k_has_the_best_scores_in_order(documents: list[Document], k: int) -> None:
    built, analyzer = build_index(documents)
    bm25, token_sets = reference(built, analyzer, SearchSettings())
    for query in queries(built, analyzer):
        scores = bm25.get_scores(query)
        expected = expected_ranking(scores, token_sets, query)[:k]
        hits = built.search(query, k)
        assert len(hits) == len(expected)
        np.testing.assert_allclose([h.score for h in hits], scores[expected], atol=1e-5)
        assert all(token_sets[h.passage] & set(query) for h in hits)
        for a, b in zip(hits, hits[1:]):
            assert a.score > b.score or (a.score == b.score and a.passage < b.passage)


@pytest.mark.usefixtures("either_search")
def test_a_weighted_query_scores_each_term_times_its_weight(documents: list[Document]) -> None:
    """A follow-up's remembered words count less: weight w adds w × the term's BM25 score."""
    built, analyzer = build_index(documents)
    bm25, _ = reference(built, analyzer, SearchSettings())
    for query in queries(built, analyzer):
        if len(set(query)) < 2:
            continue
        own, earlier = query[0], next(term for term in query if term != query[0])
        expected = bm25.get_scores([own]) + 0.5 * bm25.get_scores([earlier])
        hits = built.search({own: 1.0, earlier: 0.5}, len(built))
        np.testing.assert_allclose([h.score for h in hits], expected[[h.passage for h in hits]], atol=1e-5)
        assert {h.passage for h in hits} == {h.passage for h in built.search([own, earlier], len(built))}
        assert built.search({own: 2, earlier: 1}, 5) == built.search([own, own, earlier], 5)


def identical_documents(count: int) -> list[Document]:
    texts = ["Apple banana cherry." if i % 7 else "Apple grape." for i in range(count)]
    return [Document(f"d{i:03d}", "t", text, Path(f"d{i:03d}")) for i, text in enumerate(texts)]


@pytest.mark.usefixtures("either_search")
def test_search_top_k_breaks_ties_at_the_cut_by_passage_order() -> None:
    built, analyzer = build_index(identical_documents(200))
    bm25, token_sets = reference(built, analyzer, SearchSettings())
    for query in (analyzer.tokens("apple"), analyzer.tokens("banana"), analyzer.tokens("apple grape")):
        scores = bm25.get_scores(query)
        for k in (1, 3, 5, 10, 20):
            assert [h.passage for h in built.search(query, k)] == expected_ranking(scores, token_sets, query)[:k]


@pytest.mark.usefixtures("either_search")
def test_search_returns_a_match_whose_score_is_not_positive() -> None:
    # "apple" is in 2 of 3 passages: its IDF is floored at epsilon × a negative mean IDF.
    texts = ["Apple banana.", "Apple banana.", "Cherry."]
    docs = [Document(f"d{i}", "t", text, Path(f"d{i}")) for i, text in enumerate(texts)]
    built, analyzer = build_index(docs)
    query = analyzer.tokens("apple")
    bm25, _ = reference(built, analyzer, SearchSettings())
    scores = bm25.get_scores(query)
    assert (scores[:2] < 0).all()
    hits = built.search(query, 5)
    assert [h.passage for h in hits] == [0, 1]
    assert all(h.score <= 0 for h in hits)
    np.testing.assert_allclose([h.score for h in hits], scores[:2], atol=1e-6)
    # A query term no passage has adds nothing and matches nothing.
    assert [h.passage for h in built.search(query + ["zzunknownzz"], 5)] == [0, 1]
    assert [h.passage for h in built.search(analyzer.tokens("cherry"), 5)] == [2]


@pytest.mark.usefixtures("either_search")
def test_search_with_zero_epsilon_returns_a_zero_score_match(documents: list[Document]) -> None:
    built, analyzer = build_index(documents, SearchSettings(epsilon=0.0))
    [common] = analyzer.tokens(COMMON_WORD)
    hits = built.search([common], len(built))
    assert len(hits) == built.document_frequency(common)
    assert all(h.score == 0.0 for h in hits)
    assert [h.passage for h in hits] == sorted(h.passage for h in hits)


# --- save / load ------------------------------------------------------------------------------


def corpus_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "turkey.txt").write_text(
        "Relations between Türkiye and Azerbaijan\n\n"
        "Diplomatic relations were established on 14 January 1992. The embassy opened in Baku.\n\n"
        "Country Formal Relations Began Notes\n Fiji 19 March 2010[72]\n Marshall Islands 10 March 2010[73]\n"
        " Tuvalu 16 September 2009[74]\n Nauru 1 May 2012\n Palau 2 June 2013\n Samoa 3 July 2014\n"
        " Tonga 4 August 2015\n Kiribati 5 October 2016\n Vanuatu 6 November 2017\n Niue 7 December 2018\n",
        encoding="utf-8",
    )
    (folder / "shusha.md").write_text(
        "# Shusha declaration\n\nThe Shusha declaration on allied relations was signed on 15 June 2021.\n",
        encoding="utf-8",
    )
    (folder / "shusha.md.meta.yaml").write_text("url: https://example.org/shusha\nauthor: Press office\n")
    return folder


def small_index(tmp_path: Path) -> tuple[Index, Analyzer]:
    corpus = load_corpus(corpus_folder(tmp_path))
    skipped = (Skipped("broken.pdf", "PDF could not be read: damaged"),)
    return build_index(list(corpus.documents), SearchSettings(aliases=ALIASES), SMALL_CHUNKS, skipped)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    built, analyzer = small_index(tmp_path)
    path = save(built, tmp_path / "index")
    assert path == tmp_path / "index" / INDEX_FILE
    loaded = load(tmp_path / "index")
    assert list(loaded.passages) == list(built.passages)
    assert list(loaded.documents) == list(built.documents)
    assert list(loaded.document_texts) == list(built.document_texts)
    assert list(loaded.vocabulary) == list(built.vocabulary)
    assert loaded.skipped == built.skipped
    assert loaded.settings_fingerprint == built.settings_fingerprint
    assert loaded.corpus_fingerprint == built.corpus_fingerprint
    assert any(p.header == "Country Formal Relations Began Notes" for p in loaded.passages)
    shusha = loaded.documents[loaded.document_position["shusha.md"]]
    assert shusha.url == "https://example.org/shusha"
    assert ("author", "Press office") in shusha.metadata
    for question in QUESTIONS + ["Türkiye embassy", "Fiji"]:
        query = analyzer.tokens(question)
        assert np.array_equal(loaded.scores(query), built.scores(query))
        assert loaded.search(query, 5) == built.search(query, 5)


def test_saved_index_is_a_plain_npz_without_pickles(tmp_path: Path) -> None:
    built, _ = small_index(tmp_path)
    path = save(built, tmp_path / "index")
    assert zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as arrays:
        assert "header" in arrays.files
        header = json.loads(arrays["header"].tobytes().decode("utf-8"))
        assert all(arrays[name].dtype != object for name in arrays.files)
    assert header["format"] == index_format.INDEX_FORMAT


def test_an_npz_holding_a_pickle_is_refused_not_unpickled(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    np.savez(folder / INDEX_FILE, header=np.array([{"format": 1}], dtype=object))
    with pytest.raises(IndexFileError, match="damaged"):
        load(folder)


def test_save_leaves_no_temporary_files_and_replaces_an_existing_index(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    first, _ = small_index(tmp_path)
    save(first, folder)
    second, _ = build_index(generated_documents(5))
    save(second, folder)
    assert sorted(os.listdir(folder)) == [INDEX_FILE]
    assert list(load(folder).passages) == list(second.passages)


def test_a_failed_save_keeps_the_old_index_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    good, _ = small_index(tmp_path)
    save(good, folder)
    # An array of objects cannot be written without pickling: the save fails midway.
    bad, _ = build_index([Document("bad.txt", "Bad", "Some text about trade.", Path("bad.txt"))])
    bad.saved_form[1]["passage_span"] = np.array([object(), object()], dtype=object)
    with pytest.raises(ValueError):
        save(bad, folder)
    assert sorted(os.listdir(folder)) == [INDEX_FILE]
    assert list(load(folder).passages) == list(good.passages)


def test_save_creates_missing_folders(tmp_path: Path) -> None:
    built, _ = small_index(tmp_path)
    save(built, tmp_path / "deep" / "er" / "index")
    assert list(load(tmp_path / "deep" / "er" / "index").passages) == list(built.passages)


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob(".citebot-index-*.tmp"))


def test_load_and_save_remove_temporary_files_that_killed_writers_left(tmp_path: Path) -> None:
    """A writer killed mid-write (kill -9, a power cut) leaves its temporary file, unlocked."""
    folder = tmp_path / "index"
    built, _ = small_index(tmp_path)
    save(built, folder)
    (folder / ".citebot-index-k1ll3d00.tmp").write_bytes(b"PK\x03\x04" + bytes(100_000))
    assert list(load(folder).passages) == list(built.passages)
    assert sorted(os.listdir(folder)) == [INDEX_FILE]
    (folder / ".citebot-index-k1ll3d01.tmp").write_bytes(bytes(100_000))
    save(built, folder)
    assert sorted(os.listdir(folder)) == [INDEX_FILE]


LOCKER = """
import fcntl, os, sys
handle = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_temporary_file_being_written_is_left_alone(tmp_path: Path) -> None:
    """Only writers that are gone leave unlocked temporaries: one another process or another
    thread of this one is writing (and holds locked) stays, in the same folder as a stale one."""
    folder = tmp_path / "index"
    built, _ = small_index(tmp_path)
    save(built, folder)
    elsewhere = folder / ".citebot-index-0th3rpid.tmp"
    writer = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(elsewhere)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "locked\n"
        handle, here = index_file._locked_temporary(folder)  # as a reindex thread of this process holds it
        try:
            (folder / ".citebot-index-k1ll3d00.tmp").write_bytes(bytes(1000))
            load(folder)
            save(built, folder)
            assert temporaries(folder) == sorted([elsewhere.name, Path(here).name])
        finally:
            os.close(handle)
    finally:
        writer.communicate("", timeout=10)
    load(folder)  # both writers are gone now
    assert sorted(os.listdir(folder)) == [INDEX_FILE]


def test_a_temporary_file_removed_before_its_writer_locked_it_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's cleanup can open a new temporary file before its writer has locked it,
    and remove it; the writer sees that once it holds the lock, and starts a new one."""
    folder = tmp_path / "index"
    built, _ = small_index(tmp_path)
    lock = index_file.fcntl.flock
    removed = []

    def cleaned_up_first(handle: int, operation: int) -> None:
        if not removed:
            removed.append(Path(os.readlink(f"/proc/self/fd/{handle}")))
            removed[0].unlink()
        lock(handle, operation)

    monkeypatch.setattr(index_file.fcntl, "flock", cleaned_up_first)
    folder.mkdir()
    save(built, folder)
    assert removed and removed[0].parent == folder
    assert sorted(os.listdir(folder)) == [INDEX_FILE]
    assert list(load(folder).passages) == list(built.passages)


def test_load_of_a_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="no index"):
        load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexFileError, match="no index"):
        load(tmp_path / "empty")


def saved(tmp_path: Path) -> Path:
    built, _ = small_index(tmp_path)
    return save(built, tmp_path / "index")


def rewrite(path: Path, change_header=None, change_arrays=None) -> None:
    """Rewrite a saved index with its JSON header or arrays changed, keeping it a valid .npz."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    if change_header is not None:
        header = change_header(header)
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    if change_arrays is not None:
        change_arrays(arrays)
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)


def assert_refused(folder: Path) -> None:
    with pytest.raises(IndexFileError) as caught:
        load(folder)
    assert str(caught.value).strip()
    assert str(folder / INDEX_FILE) in str(caught.value)


def test_load_of_a_truncated_file(tmp_path: Path) -> None:
    path = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_refused(path.parent)


@pytest.mark.parametrize("size", [0, 1, 7, 100, 5000])
def test_load_of_random_bytes(tmp_path: Path, size: int) -> None:
    path = saved(tmp_path)
    path.write_bytes(random.Random(size).randbytes(size))
    assert_refused(path.parent)


@pytest.mark.parametrize("prefix", [b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04\x95"], ids=["zip", "npy", "pickle"])
def test_load_of_garbage_with_a_known_magic_number(tmp_path: Path, prefix: bytes) -> None:
    path = saved(tmp_path)
    path.write_bytes(prefix + random.Random(1).randbytes(300))
    assert_refused(path.parent)


def test_load_of_a_single_npy_array_instead_of_an_npz(tmp_path: Path) -> None:
    path = saved(tmp_path)
    with open(path, "wb") as stream:
        np.save(stream, np.arange(10))
    assert_refused(path.parent)


@pytest.mark.parametrize("offset", [0.02, 0.3, 0.5, 0.7, 0.9, 0.98])
def test_load_of_a_file_with_flipped_bytes(tmp_path: Path, offset: float) -> None:
    path = saved(tmp_path)
    data = bytearray(path.read_bytes())
    at = int(len(data) * offset)
    data[at : at + 16] = bytes(255 - b for b in data[at : at + 16])
    path.write_bytes(bytes(data))
    assert_refused(path.parent)


def test_load_of_another_format_number_names_both(tmp_path: Path) -> None:
    path = saved(tmp_path)
    rewrite(path, change_header=lambda h: {**h, "format": index_format.INDEX_FORMAT + 1})
    with pytest.raises(IndexFileError, match=f"format {index_format.INDEX_FORMAT + 1}"):
        load(path.parent)


@pytest.mark.parametrize(
    "change",
    [
        lambda h: {k: v for k, v in h.items() if k != "format"},
        lambda h: {k: v for k, v in h.items() if k != "table_headers"},
        lambda h: {k: v for k, v in h.items() if k != "settings_fingerprint"},
        lambda h: {**h, "table_headers": 5},
        lambda h: {**h, "metadata": {"0": 5}},
        lambda h: {**h, "metadata": {"999": [["a", "b"]]}},
        lambda h: {**h, "skipped": [["only-one-field"]]},
        lambda h: [h],
        lambda h: "index",
    ],
    ids=[
        "no-format",
        "no-table-headers",
        "no-fingerprint",
        "headers-not-a-list",
        "metadata-not-pairs",
        "metadata-past-end",
        "bad-skipped",
        "list-header",
        "string-header",
    ],
)
def test_load_of_a_modified_header(tmp_path: Path, change) -> None:
    path = saved(tmp_path)
    rewrite(path, change_header=change)
    assert_refused(path.parent)


@pytest.mark.parametrize("raw", [b"\xff\xfe not utf-8", b"not json {", b""], ids=["not-utf8", "not-json", "empty"])
def test_load_of_a_header_that_is_not_json(tmp_path: Path, raw: bytes) -> None:
    path = saved(tmp_path)
    rewrite(path, change_arrays=lambda a: a.update(header=np.frombuffer(raw, dtype=np.uint8)))
    assert_refused(path.parent)


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.pop("posting_weights"),
        lambda a: a.pop("header"),
        lambda a: a.update(posting_weights=a["posting_weights"][:-1]),
        lambda a: a.update(offsets=a["offsets"][:-1]),
        lambda a: a.update(doc_len=a["doc_len"][:-1]),
        lambda a: a.update(posting_passages=a["posting_passages"] + 10_000),
        lambda a: a.update(vocabulary=a["vocabulary"][: len(a["vocabulary"]) // 2]),
        lambda a: a.pop("document_text_blob"),
        lambda a: a.update(document_text_offsets=a["document_text_offsets"][:-1]),
        lambda a: a.update(document_text_blob=a["document_text_blob"][:-10]),
        lambda a: a.update(document_id_offsets=a["document_id_offsets"][::-1]),
        lambda a: a.update(passage_span=a["passage_span"][:-2]),
        lambda a: a.update(passage_document=a["passage_document"] + 1_000),
        lambda a: a.update(passage_header=a["passage_header"] + 1_000),
        lambda a: a.update(document_passage_count=a["document_passage_count"] + 1),
        lambda a: a.update(block_hash=a["block_hash"][:-1]),
        lambda a: a.update(document_block_offsets=a["document_block_offsets"][:-1]),
        lambda a: a.pop("block_removed"),
    ],
    ids=[
        "no-weights",
        "no-header",
        "short-weights",
        "short-offsets",
        "short-doc-len",
        "postings-past-end",
        "short-vocabulary",
        "no-texts",
        "short-text-offsets",
        "short-text-blob",
        "offsets-backwards",
        "short-spans",
        "passage-document-past-end",
        "table-header-past-end",
        "counts-too-high",
        "short-block-hashes",
        "short-block-offsets",
        "no-block-removed",
    ],
)
def test_load_of_modified_arrays(tmp_path: Path, change) -> None:
    path = saved(tmp_path)
    rewrite(path, change_arrays=change)
    assert_refused(path.parent)


# --- fingerprints -----------------------------------------------------------------------------


def test_settings_fingerprint_changes_with_every_setting_that_shapes_the_index() -> None:
    base_chunking, base_search, base_reading = ChunkingSettings(), SearchSettings(), ReadingLimits()
    variants = [
        (base_chunking, base_search, base_reading),
        (dataclasses.replace(base_chunking, target_chars=400), base_search, base_reading),
        (dataclasses.replace(base_chunking, max_chars=1000), base_search, base_reading),
        (dataclasses.replace(base_chunking, overlap_sentences=0), base_search, base_reading),
        (base_chunking, dataclasses.replace(base_search, k1=1.2), base_reading),
        (base_chunking, dataclasses.replace(base_search, b=0.5), base_reading),
        (base_chunking, dataclasses.replace(base_search, epsilon=0.1), base_reading),
        (base_chunking, dataclasses.replace(base_search, aliases=ALIASES), base_reading),
        (base_chunking, dataclasses.replace(base_search, aliases=ALIASES[:1]), base_reading),
        (base_chunking, dataclasses.replace(base_search, aliases=(AliasGroup(("Turkey", "Türkiye")),)), base_reading),
        # which documents are skipped: a file indexed before must not outlive a lower limit
        (base_chunking, base_search, dataclasses.replace(base_reading, max_file_mb=5)),
        (base_chunking, base_search, dataclasses.replace(base_reading, max_text_chars=5_000)),
        (base_chunking, base_search, dataclasses.replace(base_reading, max_seconds=5)),
    ]
    fingerprints = [settings_fingerprint(*variant) for variant in variants]
    assert len(set(fingerprints)) == len(variants)
    assert settings_fingerprint(ChunkingSettings(), SearchSettings(), ReadingLimits()) == fingerprints[0]
    assert settings_fingerprint(ChunkingSettings(), SearchSettings(aliases=ALIASES), ReadingLimits()) == fingerprints[7]


def fingerprint(folder: Path) -> str:
    return corpus_fingerprint(list_corpus_files(folder))


def later(path: Path) -> None:
    """Set a file's modification time clearly after its current one, as an edit would."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_corpus_fingerprint_is_stable_for_an_unchanged_folder(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    assert fingerprint(folder) == fingerprint(folder)


def test_corpus_fingerprint_changes_when_a_file_is_touched(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    before = fingerprint(folder)
    later(folder / "turkey.txt")
    assert fingerprint(folder) != before


def test_corpus_fingerprint_changes_when_a_file_is_rewritten_at_the_same_time(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    path = folder / "turkey.txt"
    stat = path.stat()
    before = fingerprint(folder)
    path.write_text(path.read_text(encoding="utf-8") + "More text.\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fingerprint(folder) != before  # the size differs


def test_corpus_fingerprint_changes_when_a_file_is_added_or_removed(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    before = fingerprint(folder)
    (folder / "new.txt").write_text("A new document about trade.\n", encoding="utf-8")
    added = fingerprint(folder)
    assert added != before
    (folder / "new.txt").unlink()
    assert fingerprint(folder) == before
    (folder / "turkey.txt").unlink()
    assert fingerprint(folder) not in {before, added}


def test_corpus_fingerprint_changes_when_a_sidecar_changes(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    before = fingerprint(folder)
    later(folder / "shusha.md.meta.yaml")
    touched = fingerprint(folder)
    assert touched != before
    (folder / "turkey.txt.meta.yaml").write_text("title: Türkiye and Azerbaijan\n", encoding="utf-8")
    created = fingerprint(folder)
    assert created not in {before, touched}
    (folder / "turkey.txt.meta.yaml").unlink()
    assert fingerprint(folder) == touched


def test_corpus_fingerprint_ignores_unsupported_and_hidden_files(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    before = fingerprint(folder)
    (folder / "notes.docx").write_bytes(b"binary")
    (folder / ".hidden.txt").write_text("hidden", encoding="utf-8")
    assert fingerprint(folder) == before


# --- Engine: which index to use ---------------------------------------------------------------


class Notices(list):
    """Collects an Engine's notices."""

    def about(self, words: str) -> list[str]:
        return [notice for notice in self if words in notice]


def engine(tmp_path: Path, index_folder: Path | None = None, **changes) -> tuple[Engine, Notices]:
    config = dataclasses.replace(
        Config(), corpus=tmp_path / "corpus", index=index_folder or tmp_path / "index", **changes
    )
    notices = Notices()
    return Engine(config, notify=notices.append), notices


def test_first_use_builds_and_saves_the_index_with_a_notice(tmp_path: Path) -> None:
    corpus_folder(tmp_path)
    first, notices = engine(tmp_path)
    assert len(first.index.documents) == 2
    assert len(notices) == 1 and "building" in notices[0]
    assert (tmp_path / "index" / INDEX_FILE).is_file()
    reply = first.ask("When were diplomatic relations established?")
    assert reply.results and reply.results[0].doc_id == "turkey.txt"


def test_a_second_engine_loads_the_saved_index_without_rebuilding(tmp_path: Path) -> None:
    corpus_folder(tmp_path)
    first, _ = engine(tmp_path)
    built = first.index
    stat = (tmp_path / "index" / INDEX_FILE).stat()
    second, notices = engine(tmp_path)
    assert list(second.index.passages) == list(built.passages)
    assert notices == []
    after = (tmp_path / "index" / INDEX_FILE).stat()
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert second.ask("Shusha declaration").results[0].doc_id == "shusha.md"


def test_a_touched_corpus_file_rebuilds_with_a_notice(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    engine(tmp_path)[0].index
    later(folder / "turkey.txt")
    second, notices = engine(tmp_path)
    second.index
    assert notices.about("corpus changed") and len(notices) == 1
    third, quiet = engine(tmp_path)
    third.index
    assert quiet == []


def test_an_added_corpus_file_is_in_the_rebuilt_index(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    engine(tmp_path)[0].index
    (folder / "ganja.txt").write_text(
        "Ganja consulate\n\nThe consulate in Ganja issues visas to Zanzibarite traders.\n", encoding="utf-8"
    )
    second, notices = engine(tmp_path)
    assert notices == []  # nothing happens until the index is first used
    assert "ganja.txt" in second.index.document_position
    assert notices.about("corpus changed")
    reply = second.ask("Who gets visas in Ganja?")
    assert reply.results[0].doc_id == "ganja.txt"
    assert "Zanzibarite" in reply.results[0].text
    assert "ganja.txt" in load(tmp_path / "index").document_position


def test_a_removed_corpus_file_leaves_the_index(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path)
    engine(tmp_path)[0].index
    (folder / "shusha.md").unlink()
    second, notices = engine(tmp_path)
    assert list(second.index.document_position) == ["turkey.txt"]
    assert notices.about("corpus changed")


def test_changed_settings_rebuild_with_a_notice(tmp_path: Path) -> None:
    corpus_folder(tmp_path)
    engine(tmp_path)[0].index
    second, notices = engine(tmp_path, chunking=ChunkingSettings(target_chars=150, max_chars=300))
    second.index
    assert notices.about("settings changed")


def test_a_damaged_index_file_is_rebuilt_with_a_notice(tmp_path: Path) -> None:
    corpus_folder(tmp_path)
    built = engine(tmp_path)[0].index
    path = tmp_path / "index" / INDEX_FILE
    path.write_bytes(path.read_bytes()[:200])
    second, notices = engine(tmp_path)
    assert list(second.index.passages) == list(built.passages)
    assert len(notices) == 1 and "damaged" in notices[0]
    assert list(load(tmp_path / "index").passages) == list(built.passages)


def test_an_index_folder_that_cannot_be_created_still_answers_with_a_notice(tmp_path: Path) -> None:
    corpus_folder(tmp_path)
    (tmp_path / "blocker").write_text("a file where the index folder should be", encoding="utf-8")
    stuck, notices = engine(tmp_path, index_folder=tmp_path / "blocker" / "index")
    reply = stuck.ask("When were diplomatic relations established?")
    assert reply.results and reply.results[0].doc_id == "turkey.txt"
    assert notices.about("could not save")


def test_a_read_only_index_folder_still_answers_with_a_notice(tmp_path: Path) -> None:
    corpus_folder(tmp_path)
    folder = tmp_path / "index"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        try:
            (folder / "probe").write_text("x")
        except PermissionError:
            pass
        else:
            pytest.skip("the folder stays writable (running as root?)")
        stuck, notices = engine(tmp_path)
        reply = stuck.ask("When were diplomatic relations established?")
        assert reply.results and reply.results[0].doc_id == "turkey.txt"
        assert notices.about("could not save")
    finally:
        folder.chmod(0o755)


@pytest.mark.usefixtures("either_search")
def test_search_that_stops_reading_common_postings_early_still_finds_the_exact_top_k() -> None:
    # Every passage has common words; few have the rare ones, so after the rare terms no passage
    # outside them can reach the top k and the common terms are only looked up (MaxScore).
    rng = random.Random(7)
    rare = ["quillion", "vorlund", "zangetti", "orbisk"]
    filler = [f"word{n}x" for n in range(400)]  # most terms are uncommon, as in real text
    documents = []
    for i in range(1500):
        words = ["harbour", "stone", "water"] * rng.randint(1, 3) + rng.sample(filler, 6)
        words += rng.sample(rare, rng.randint(0, 1) if i % 9 else 2)
        rng.shuffle(words)
        documents.append(Document(f"d{i:04d}", "t", " ".join(words) + ".", Path(f"d{i:04d}")))
    built, analyzer = build_index(documents)
    bm25, token_sets = reference(built, analyzer, SearchSettings())
    for text in ("quillion harbour", "vorlund zangetti water stone", "orbisk harbour harbour", "stone water"):
        query = analyzer.tokens(text)
        scores = bm25.get_scores(query)
        for k in (1, 5, 10, 30):
            assert [h.passage for h in built.search(query, k)] == expected_ranking(scores, token_sets, query)[:k]


@pytest.mark.parametrize("strings", [["a", "", "bc", "def"], ["Şuşa", "", "Baku", "Türkiye"], []])
def test_stored_strings_iterate_as_they_index(strings: list[str]) -> None:
    stored = index_format.StoredStrings(*index_format.pack(strings))
    assert list(stored) == [stored[i] for i in range(len(strings))] == strings


def _mapped(array: np.ndarray) -> bool:
    """Whether an array's memory is a mapping of a file (somewhere down its chain of bases)."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def test_a_saved_index_is_mapped_from_its_file_not_read(tmp_path: Path) -> None:
    built, _ = small_index(tmp_path)
    path = save(built, tmp_path / "index")
    loaded = load(path.parent)
    for name in ("posting_passages", "posting_weights", "offsets", "doc_len"):
        array = getattr(loaded, name)
        assert _mapped(array) and array.flags.aligned and not array.flags.writeable, name
        np.testing.assert_array_equal(array, getattr(built, name))
    with np.load(path, allow_pickle=False) as plain:  # still an ordinary .npz
        np.testing.assert_array_equal(plain["posting_weights"], built.posting_weights)


def test_an_index_written_by_np_savez_loads_too(tmp_path: Path) -> None:
    built, _ = small_index(tmp_path)
    path = save(built, tmp_path / "index")
    rewrite(path)  # np.savez: the arrays lie wherever the zip puts them, and are copied on load
    loaded = load(path.parent)
    np.testing.assert_array_equal(loaded.posting_weights, built.posting_weights)
    query = list(built.vocabulary[:3])
    assert loaded.search(query, 3) == built.search(query, 3) != []


@pytest.mark.parametrize("values", [[], [5], [3, 1, 3, 2, 1], list(range(100, 0, -7)) * 3])
def test_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int32)
    np.testing.assert_array_equal(index_search._distinct(array), np.unique(array))
