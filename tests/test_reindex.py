"""Reindexing reuses unchanged documents from the previous index and gives what a full build gives."""

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.config import load_config
from bot.engine import Engine
from bot.index_file import INDEX_FILE, load
from bot.pipeline import PARALLEL_MIN_CHARS
from bot.text import Analyzer

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["declaration signed", "embassy in Baku", "Fiji relations", "glacier retreat metres", "caviar diplomacy"]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    for n in range(12):
        (tmp_path / "corpus" / f"note-{n:02}.txt").write_text(
            f"Note {n}\n\nThe gauge at station {n} read {n * 3} metres of water in spring.\n", encoding="utf-8"
        )
    (tmp_path / "corpus" / "note-03.txt").write_text(
        "---\nurl: https://example.org/gauges/3\nauthor: River Office\n---\n"
        "Note 3\n\nThe gauge at station 3 read 9 metres of water in spring.\n",
        encoding="utf-8",
    )
    return tmp_path


def engine(site: Path, index_folder: str = "index", notify=lambda message: None, **chunking) -> Engine:
    config = load_config(ROOT / "config.example.yaml", {}, corpus=site / "corpus", index=site / index_folder)
    config = dataclasses.replace(config, chunking=dataclasses.replace(config.chunking, **chunking))
    return Engine(config, notify=notify)


def edit(path: Path, text: str) -> None:
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def assert_same_index(incremental, full) -> None:
    assert list(incremental.passages) == list(full.passages)
    assert list(incremental.documents) == list(full.documents)
    assert list(incremental.document_texts) == list(full.document_texts)
    assert list(incremental.file_stamps) == list(full.file_stamps)
    assert sorted(incremental.vocabulary) == sorted(full.vocabulary)
    for query in QUERIES:
        tokens = Analyzer().tokens(query)
        assert np.allclose(incremental.scores(tokens), full.scores(tokens), atol=1e-6)
        assert incremental.search(tokens, 10) == full.search(tokens, 10)


def test_a_reindex_after_one_change_reuses_the_rest_and_equals_a_full_build(site: Path) -> None:
    first = engine(site)
    first.reindex()
    edit(site / "corpus" / "note-05.txt", "Note 5\n\nThe Vorlund glacier retreated 40 metres in 2019.\n")
    (site / "corpus" / "note-07.txt").unlink()
    (site / "corpus" / "note-99.txt").write_text("Note 99\n\nA new caviar diplomacy report.\n", encoding="utf-8")
    report = first.reindex()
    documents = len([path for path in (site / "corpus").iterdir() if path.suffix == ".txt"])  # not aliases.yaml
    assert report.documents == documents
    assert report.reused == documents - 2  # all but the edited and the added file
    full = engine(site, "full-index")
    full.reindex()
    assert_same_index(first.index, full.index)
    assert_same_index(load(site / "index"), full.index)
    assert "glacier" in first.ask("How far did the Vorlund glacier retreat?").results[0].highlight
    assert (
        dict(first.index.documents[first.index.document_position["note-03.txt"]].metadata)["author"] == "River Office"
    )


def test_reindexes_in_a_row_keep_equalling_a_full_build(site: Path) -> None:
    """Each reindex combines the one before (built, combined, or loaded from disk) with what changed."""
    first = engine(site)
    first.reindex()
    rows = "".join(f" Weir {n} {n % 7} metres\n" for n in range(80))  # long enough to break inside the table
    for n, text in ((1, f"Note 1\n\nA table follows.\n\nAltitude Station Depth\n{rows}"), (9, "Note 9\n\nDry.\n")):
        edit(site / "corpus" / f"note-{n:02}.txt", text)
        first.reindex()
    (site / "corpus" / "note-00.txt").unlink()
    engine(site).reindex()  # starts from the saved index
    full = engine(site, "full-index")
    full.reindex()
    assert_same_index(load(site / "index"), full.index)
    assert "Altitude Station Depth" in {passage.header for passage in full.index.passages}


def test_an_unchanged_file_is_not_read_again(site: Path) -> None:
    first = engine(site)
    first.reindex()
    note = site / "corpus" / "note-03.txt"
    stat = note.stat()
    same_size = note.read_text(encoding="utf-8").replace("station 3", "station X")
    note.write_text(same_size, encoding="utf-8")
    os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # size and time as before: looks unchanged
    report = engine(site).reindex()  # a new process: the previous index comes from disk
    assert report.reused == report.documents
    assert any("station 3" in text for text in load(site / "index").document_texts)


def test_a_stale_index_found_at_start_is_updated_not_rebuilt(site: Path) -> None:
    engine(site).reindex()
    edit(site / "corpus" / "note-01.txt", "Note 1\n\nThe quillion vault was sealed in 1712.\n")
    notices = []
    second = engine(site, notify=notices.append)
    assert "1712" in second.ask("When was the quillion vault sealed?").results[0].highlight
    assert any("updating" in notice for notice in notices)


def test_changed_settings_reuse_nothing(site: Path) -> None:
    engine(site).reindex()
    report = engine(site, target_chars=300).reindex()
    assert report.reused == 0


BANNER = "River Office notes: printed copies are not kept up to date."


def test_reindexes_that_change_what_is_boilerplate_equal_a_full_build(site: Path) -> None:
    """A block in 9 of 17 documents stays; a tenth makes it boilerplate in all of them, removing it
    makes it text again: the unchanged documents it is in are read again, the others reused."""
    notes = site / "corpus"
    for n in range(9):
        text = (notes / f"note-{n:02}.txt").read_text(encoding="utf-8")
        edit(notes / f"note-{n:02}.txt", f"{text}\n{BANNER}\n")
    first = engine(site)
    assert first.reindex().boilerplate == 0
    documents = first.index.documents

    (notes / "note-50.txt").write_text(f"Note 50\n\nThe weir at Oskby was raised.\n\n{BANNER}\n", encoding="utf-8")
    report = first.reindex()
    assert (report.boilerplate, report.reused) == (10, len(documents) - 9)
    assert not any(BANNER in passage.text for passage in first.index.passages)
    full = engine(site, "full-index")
    full.reindex()
    assert_same_index(first.index, full.index)

    edit(notes / "note-05.txt", f"Note 5\n\nThe Vorlund glacier retreated 40 metres in 2019.\n\n{BANNER}\n")
    report = engine(site).reindex()  # from the saved index
    assert (report.boilerplate, report.reused) == (10, len(documents))
    assert_same_index(load(site / "index"), engine(site, "full-2").index)

    (notes / "note-50.txt").unlink()
    report = engine(site).reindex()
    assert (report.boilerplate, report.reused) == (0, len(documents) - 9)
    assert sum(BANNER in text for text in load(site / "index").document_texts) == 9
    assert_same_index(load(site / "index"), engine(site, "full-3").index)


def test_python_m_bot_reindex_of_a_large_corpus_uses_worker_processes_cleanly(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraph = " ".join(f"Station {n} logged rainfall, wind and the river level at dawn." for n in range(60))
    for n in range(1 + PARALLEL_MIN_CHARS // (40 * len(paragraph))):
        (corpus / f"log-{n:04}.txt").write_text(f"Log {n}\n\n" + f"{paragraph}\n\n" * 40, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "reindex", "--corpus", str(corpus), "--index", str(tmp_path / "index")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("indexed ") == 1
    assert "Traceback" not in run.stderr


def test_an_index_that_cannot_be_saved_is_reported_and_answers_from_memory(site: Path) -> None:
    """The bot's /reindex: the new index serves, and the report says it was not saved (and why)."""
    notices: list[str] = []
    running = engine(site, notify=notices.append)
    assert running.reindex().save_error is None
    (site / "corpus" / "note-99.txt").write_text(
        "Note 99\n\nThe quillion vault was sealed in 1712.\n", encoding="utf-8"
    )
    (site / "index" / INDEX_FILE).rename(site / "saved.npz")
    (site / "index").rmdir()
    (site / "index").write_text("not a folder", encoding="utf-8")  # unwritable, even for root
    report = running.reindex()
    assert report.save_error == f"could not save the index in {site / 'index'} (File exists)"
    assert "1712" in running.ask("When was the quillion vault sealed?").results[0].highlight
    assert notices == []  # reported once, in the report, for the caller to show


# Runs `citebot reindex` in a process of its own that kills itself (SIGKILL, as kill -9) at one point.
KILLED_AT = """
import os, signal, sys
from bot import cli, corpus
from bot import index_file as index

def killed_at(call, function):
    calls = []
    def wrapped(*args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return wrapped

point = sys.argv[1]
if point == "reading":  # the one changed document
    corpus.read_document = killed_at(1, corpus.read_document)
elif point == "writing":  # a few arrays into the temporary file
    index.np.lib.format.write_array = killed_at(6, index.np.lib.format.write_array)
elif point == "renaming":  # the temporary file written in full and synced, not yet renamed
    index.os.replace = killed_at(1, index.os.replace)
elif point == "renamed":  # renamed into place, the folder not yet synced
    index._sync_folder = killed_at(1, index._sync_folder)
sys.exit(cli.main(["reindex", *sys.argv[2:]]))
"""
KILL_POINTS = ("reading", "writing", "renaming", "renamed")


def test_reindex_killed_at_any_point_leaves_an_index_that_loads_and_no_temporary_file(site: Path) -> None:
    """kill -9 of a real `citebot reindex`: the previous index (or, once renamed, the new one) loads
    whole, a temporary file left behind is removed by the next load, and the next reindex works."""
    corpus, previous = site / "corpus", site / "index"
    assert main(["reindex", "--corpus", str(corpus), "--index", str(previous)]) == 0
    old_documents = list(load(previous).documents.doc_ids)
    (corpus / "note-99.txt").write_text("Note 99\n\nThe quillion vault was sealed in 1712.\n", encoding="utf-8")
    runs = {}
    for point in KILL_POINTS:
        shutil.copytree(previous, site / point)
        runs[point] = subprocess.Popen(
            [sys.executable, "-c", KILLED_AT, point, "--corpus", str(corpus), "--index", str(site / point)],
            cwd=site,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    for point, run in runs.items():
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == -9, (point, stderr)
        folder = site / point
        left = sorted(path.name for path in folder.glob(".citebot-index-*.tmp"))
        assert len(left) == (point in ("writing", "renaming")), (point, left)
        if point == "renaming":  # a temporary file the size of a whole index, as the issue found
            assert (folder / left[0]).stat().st_size >= (previous / INDEX_FILE).stat().st_size
        documents = list(load(folder).documents.doc_ids)
        assert documents == (old_documents + ["note-99.txt"] if point == "renamed" else old_documents), point
        assert sorted(os.listdir(folder)) == [INDEX_FILE], point
        assert main(["reindex", "--corpus", str(corpus), "--index", str(folder)]) == 0
        assert "note-99.txt" in load(folder).document_position
        assert sorted(os.listdir(folder)) == [INDEX_FILE], point
