"""Tests for bot.store: a real SQLite file in tmp_path, opened, written, reopened, damaged, locked,
made read-only, pruned, and fed forged input."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from data_files import as_version_3, held_lock

from bot import store as store_module
from bot.config import load_config
from bot.errors import ConfigError, StoreError, UserError
from bot.store import PRUNE_BATCH, STORE_FILE, ServedStats, Store, StoreSettings

ROOT = Path(__file__).resolve().parent.parent
KEEP_DAYS = StoreSettings().keep_days

CHAT = 987654321
GROUP = -1001234567890
ANSWER = {"question": "When was the bridge opened?", "answered": True, "confidence": 0.9, "note": "", "results": []}


def an_answer(question: str) -> dict[str, object]:
    return {**ANSWER, "question": question}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "data")
    yield opened
    opened.close()


# --- what is kept and found again -------------------------------------------------------------


def test_a_recorded_answer_is_found_by_its_id(store: Store) -> None:
    reply_id = store.record(CHAT, 17, ANSWER, 0.25)
    stored = store.reply(reply_id, CHAT)
    assert stored is not None
    assert stored.reply_id == reply_id
    assert stored.answer == ANSWER
    assert stored.reply_message is None  # not sent yet


def test_sent_as_remembers_the_reply_message(store: Store) -> None:
    reply_id = store.record(CHAT, 17, ANSWER, 0.25)
    store.sent_as(reply_id, CHAT, 18)
    assert store.reply(reply_id, CHAT).reply_message == 18
    assert store.reply_to(CHAT, 17).reply_message == 18


def test_unknown_reply_id_is_none(store: Store) -> None:
    store.record(CHAT, 17, ANSWER, 0.25)
    assert store.reply("99999", CHAT) is None
    assert store.reply("AAAAAAAAAAAAAAAA", CHAT) is None


def test_each_record_gets_its_own_id(store: Store) -> None:
    first = store.record(CHAT, 1, an_answer("one"), 0.1)
    second = store.record(CHAT, 2, an_answer("two"), 0.1)
    assert first != second
    assert store.reply(first, CHAT).answer["question"] == "one"
    assert store.reply(second, CHAT).answer["question"] == "two"


def test_non_ascii_answers_round_trip(store: Store) -> None:
    answer = an_answer("Şuşa bəyannaməsi nə vaxt imzalanıb? «кавычки» 🙂")
    assert store.reply(store.record(CHAT, 5, answer, 1.0), CHAT).answer == answer


def test_reply_to_returns_the_latest_answer_to_the_question_message(store: Store) -> None:
    store.record(CHAT, 40, an_answer("original question"), 0.1)
    edited = store.record(CHAT, 40, an_answer("edited question"), 0.1)
    store.record(CHAT, 41, an_answer("another question"), 0.1)
    found = store.reply_to(CHAT, 40)
    assert found is not None
    assert found.reply_id == edited
    assert found.answer["question"] == "edited question"


def test_reply_to_does_not_find_another_chats_message_with_the_same_id(store: Store) -> None:
    store.record(CHAT, 40, ANSWER, 0.1)
    assert store.reply_to(GROUP, 40) is None
    assert store.reply_to(CHAT + 1, 40) is None
    assert store.reply_to(CHAT, 41) is None
    assert store.reply_to(CHAT, 40) is not None


def test_a_chat_id_given_as_text_is_the_same_chat(store: Store) -> None:
    store.record(CHAT, 40, ANSWER, 0.1)
    assert store.reply_to(str(CHAT), 40) is not None


def test_an_answer_without_a_question_message_is_kept_but_not_found_by_message(store: Store) -> None:
    reply_id = store.record(CHAT, None, ANSWER, 0.1)
    assert store.reply(reply_id, CHAT).answer == ANSWER
    assert store.reply_to(CHAT, 0) is None


# --- privacy ----------------------------------------------------------------------------------


def test_raw_chat_ids_never_reach_the_database_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for chat in (CHAT, GROUP):
        store.sent_as(store.record(chat, 40, ANSWER, 0.1), chat, 41)
    store.close()
    content = (tmp_path / STORE_FILE).read_bytes()
    assert b"When was the bridge opened?" in content  # the rows are in this file
    for chat in (CHAT, GROUP):
        assert str(chat).encode() not in content
        assert str(abs(chat)).encode() not in content
        for width in (4, 6, 8):  # nor as an SQLite integer, stored big-endian in 4, 6 or 8 bytes
            if -(2 ** (8 * width - 1)) <= chat < 2 ** (8 * width - 1):
                assert chat.to_bytes(width, "big", signed=True) not in content


def test_chat_keys_are_salted_per_store(tmp_path: Path) -> None:
    first, second = Store(tmp_path / "one"), Store(tmp_path / "two")
    try:
        assert first.chat_key(CHAT) != second.chat_key(CHAT)
        assert first.chat_key(CHAT) != first.chat_key(GROUP)
        assert first.chat_key(CHAT) == first.chat_key(str(CHAT))
    finally:
        first.close()
        second.close()


# --- on disk ----------------------------------------------------------------------------------


def test_data_survives_closing_and_reopening(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    reply_id = store.record(CHAT, 40, ANSWER, 0.5)
    store.sent_as(reply_id, CHAT, 41)
    store.close()
    reopened = Store(tmp_path / "data")
    try:
        assert reopened.reply(reply_id, CHAT).answer == ANSWER
        found = reopened.reply_to(CHAT, 40)  # the salt is kept too, so the chat is found again
        assert found is not None and found.reply_id == reply_id and found.reply_message == 41
        assert reopened.stats().questions == 1
    finally:
        reopened.close()


def test_the_data_folder_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "data" / "folder"
    Store(folder).close()
    assert (folder / STORE_FILE).is_file()


def test_stats_count_and_median(store: Store) -> None:
    assert store.stats() == ServedStats(0, None)
    for seconds in (0.5, 4.0, 1.0):
        store.record(CHAT, None, ANSWER, seconds)
    assert store.stats() == ServedStats(3, 1.0)
    store.record(CHAT, None, ANSWER, 2.0)
    assert store.stats() == ServedStats(4, 1.5)


def test_a_corrupt_database_is_moved_aside_and_a_fresh_one_works(tmp_path: Path) -> None:
    garbage = b"this is not an sqlite database at all \x00\xff" * 200
    (tmp_path / STORE_FILE).write_bytes(garbage)
    store = Store(tmp_path)
    try:
        (aside,) = tmp_path.glob(f"{STORE_FILE}.broken-*")
        assert aside.read_bytes() == garbage
        reply_id = store.record(CHAT, 40, ANSWER, 0.1)
        assert store.reply_to(CHAT, 40).reply_id == reply_id
        assert store.stats().questions == 1
    finally:
        store.close()


def test_a_database_of_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A newer citebot's file is not damaged: moving it aside would hide its votes from that version."""
    Store(tmp_path).close()
    with contextlib.closing(sqlite3.connect(tmp_path / STORE_FILE)) as db, db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    before = (tmp_path / STORE_FILE).read_bytes()
    with pytest.raises(StoreError) as caught:
        Store(tmp_path)
    assert str(tmp_path / STORE_FILE) in str(caught.value) and "newer citebot" in str(caught.value)
    assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
    assert (tmp_path / STORE_FILE).read_bytes() == before


@pytest.mark.parametrize(
    "foreign",
    [
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "CREATE TABLE meta (name TEXT, body TEXT); CREATE TABLE replies (x)",
        (
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE replies (id INTEGER PRIMARY KEY, "
            "chat, question_message, reply_message, answer, seconds, created); INSERT INTO meta VALUES ('schema', 'x')"
        ),
    ],
    ids=["other tables", "other columns", "no schema version"],
)
def test_a_database_that_is_not_citebots_is_moved_aside(tmp_path: Path, foreign: str) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / STORE_FILE)) as db:
        db.executescript(foreign)
    store = Store(tmp_path)
    try:
        assert len(list(tmp_path.glob(f"{STORE_FILE}.broken-*"))) == 1
        reply_id = store.record(CHAT, 40, ANSWER, 0.1)
        assert store.reply(reply_id, CHAT).answer == ANSWER
    finally:
        store.close()


def test_a_truncated_database_is_moved_aside_and_a_fresh_one_works(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for n in range(300):
        store.record(CHAT, n, an_answer(f"question {n} " + "words " * 100), 0.1)
    store.close()
    whole = (tmp_path / STORE_FILE).read_bytes()
    (tmp_path / STORE_FILE).write_bytes(whole[: len(whole) // 2])
    store = Store(tmp_path)
    try:
        (aside,) = tmp_path.glob(f"{STORE_FILE}.broken-*")
        assert aside.read_bytes() == whole[: len(whole) // 2]
        assert store.stats() == ServedStats(0, None)
        assert store.reply(store.record(CHAT, 1, ANSWER, 0.1), CHAT).answer == ANSWER
    finally:
        store.close()


def test_a_data_folder_under_a_regular_file_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        Store(blocker / "data")
    message = str(caught.value)
    assert "cannot use the data folder" in message
    assert str(blocker / "data") in message
    assert "Traceback" not in message and "Errno" not in message


def test_a_data_folder_that_is_a_file_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file", encoding="utf-8")
    with pytest.raises(UserError, match="cannot use the data folder"):
        Store(blocker)
    assert blocker.read_text(encoding="utf-8") == "a file"


def test_answers_older_than_keep_days_are_gone_at_once_whenever_they_are_pruned(tmp_path: Path) -> None:
    store = Store(tmp_path)
    old = store.record(CHAT, 1, an_answer("old"), 9.0)
    almost_old = store.record(CHAT, 2, an_answer("almost old"), 1.0)
    recent = store.record(CHAT, 3, an_answer("recent"), 1.0)
    store.close()
    now = time.time()
    with contextlib.closing(sqlite3.connect(tmp_path / STORE_FILE)) as db, db:
        db.execute("UPDATE replies SET created = ? WHERE key = ?", (now - KEEP_DAYS * 86400 - 3600, old))
        db.execute("UPDATE replies SET created = ? WHERE key = ?", (now - KEEP_DAYS * 86400 + 3600, almost_old))
    reopened = Store(tmp_path)
    try:
        assert reopened.reply(old, CHAT) is None
        assert reopened.reply_to(CHAT, 1) is None
        assert not reopened.vote(old, CHAT, CHAT, up=True)
        assert reopened.reply(almost_old, CHAT) is not None
        assert reopened.reply(recent, CHAT) is not None
        assert reopened.stats() == ServedStats(2, 1.0)
        assert reopened.asked() == [("almost old", True), ("recent", True)]
        assert replies_on_disk(tmp_path) == 3  # opening deletes nothing: pruning is a job of its own
        assert reopened.prune().replies == 1
        assert replies_on_disk(tmp_path) == 2
        assert reopened.prune().replies == 0
    finally:
        reopened.close()


def replies_on_disk(folder: Path) -> int:
    with contextlib.closing(sqlite3.connect(folder / STORE_FILE)) as db:
        return db.execute("SELECT count(*) FROM replies").fetchone()[0]


# --- conversation memory and votes ------------------------------------------------------------

CITED = {**ANSWER, "results": [{"doc": "bridge.txt", "passage": 3}]}


def schema_version(folder: Path) -> str:
    with contextlib.closing(sqlite3.connect(folder / STORE_FILE)) as db:
        return db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]


def test_a_version_1_file_is_upgraded_and_keeps_its_replies(tmp_path: Path) -> None:
    """Files written before memory and votes existed: their replies (and buttons) carry on."""
    store = Store(tmp_path)
    store.record(CHAT, 40, ANSWER, 0.1)
    store.close()
    as_version_3(tmp_path)
    reply_id = "1"  # what its buttons carry: the row number
    with contextlib.closing(sqlite3.connect(tmp_path / STORE_FILE)) as db, db:
        db.execute("DROP TABLE turns")
        db.execute("DROP TABLE votes")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    upgraded = Store(tmp_path)
    try:
        assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
        assert upgraded.reply(reply_id, CHAT).answer == ANSWER
        assert upgraded.vote(reply_id, CHAT, CHAT, up=True)
        upgraded.keep_turns(CHAT, [{"question": "q"}], time.time())
        assert upgraded.turns(CHAT) == [{"question": "q"}]
    finally:
        upgraded.close()
    assert schema_version(tmp_path) == "4"


def test_a_version_3_file_keeps_its_buttons_working_in_their_own_chat_only(tmp_path: Path) -> None:
    """Buttons sent before version 4 carry the answer's row number: they keep working in the chat
    they were sent to, and name nothing anywhere else; answers kept since have keys."""
    store = Store(tmp_path)
    store.record(CHAT, 40, CITED, 0.1)
    store.record(GROUP, 41, ANSWER, 0.1)
    store.close()
    as_version_3(tmp_path)
    upgraded = Store(tmp_path)
    try:
        assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
        assert schema_version(tmp_path) == "4"
        assert upgraded.reply("1", CHAT).answer == CITED and upgraded.reply("2", GROUP).answer == ANSWER
        assert upgraded.reply("1", GROUP) is None and upgraded.reply("2", CHAT) is None
        assert upgraded.reply_to(CHAT, 40).reply_id == "1"
        assert not upgraded.vote("1", GROUP, 555, up=True)
        assert upgraded.vote("1", CHAT, 555, up=True)
        new = upgraded.record(CHAT, 42, ANSWER, 0.1)
        assert re.fullmatch(r"[A-Za-z0-9_-]{16}", new)
        assert upgraded.reply(new, CHAT).answer == ANSWER and upgraded.reply(new, GROUP) is None
        assert upgraded.reply("3", CHAT) is None  # its row number is no name for it
    finally:
        upgraded.close()


def test_turns_are_kept_per_chat_and_forgotten_on_request(store: Store) -> None:
    store.keep_turns(CHAT, [{"question": "first"}], 1.0)
    store.keep_turns(CHAT, [{"question": "first"}, {"question": "second"}], 2.0)
    store.keep_turns(GROUP, [{"question": "group's"}], 2.0)
    assert store.turns(CHAT) == [{"question": "first"}, {"question": "second"}]
    store.forget_turns(CHAT)
    assert store.turns(CHAT) == [] and store.turns(GROUP) == [{"question": "group's"}]


def test_a_second_vote_on_an_answer_changes_it_and_each_person_has_one(store: Store) -> None:
    reply_id = store.record(GROUP, 40, CITED, 0.1)
    assert store.vote(reply_id, GROUP, 1001, up=False)
    assert store.vote(reply_id, GROUP, 1001, up=True)  # the same person changes their mind
    assert store.vote(reply_id, GROUP, 1002, up=False)  # someone else in the group
    assert sorted(store.votes()) == sorted(
        [("When was the bridge opened?", "bridge.txt", 3, 1), ("When was the bridge opened?", "bridge.txt", 3, -1)]
    )


def test_a_vote_on_an_unknown_answer_is_refused(store: Store) -> None:
    assert not store.vote("12345", CHAT, CHAT, up=True)
    assert store.votes() == []


def test_votes_and_turns_keep_no_raw_ids(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.vote(store.record(CHAT, 40, CITED, 0.1), CHAT, 777001, up=False)
    store.keep_turns(CHAT, [{"question": "When was it opened?"}], time.time())
    store.close()
    content = b"".join(path.read_bytes() for path in tmp_path.glob(f"{STORE_FILE}*"))
    assert b"When was it opened?" in content
    for raw in (CHAT, 777001):
        assert str(raw).encode() not in content


def test_asked_lists_every_question_with_whether_it_was_answered(store: Store) -> None:
    store.record(CHAT, 1, an_answer("one"), 0.1)
    store.record(CHAT, 2, {**an_answer("two"), "answered": False}, 0.1)
    assert store.asked() == [("one", True), ("two", False)]


# --- a lock is waited for, then refused; a read-only file is refused; neither is moved aside --


def test_a_lock_held_longer_than_the_timeout_refuses_to_start_and_loses_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    reply_id = store.record(CHAT, 40, ANSWER, 0.1)
    store.vote(reply_id, CHAT, CHAT, up=True)
    store.close()
    with held_lock(tmp_path / STORE_FILE, 60) as holder:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            Store(tmp_path, StoreSettings(lock_timeout=0.5))
        waited = time.monotonic() - started
    message = str(caught.value)
    assert 0.4 <= waited < 5
    assert str(tmp_path / STORE_FILE) in message and "\n" not in message
    assert "locked" in message and "store.lock_timeout" in message
    if Path("/proc/locks").exists():
        assert f"process {holder.pid} (" in message  # names what holds it
    assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
    reopened = Store(tmp_path)
    try:
        assert reopened.reply(reply_id, CHAT).answer == ANSWER
        assert reopened.votes() == [("When was the bridge opened?", "", 0, 1)]
    finally:
        reopened.close()


def test_a_lock_held_for_less_than_the_timeout_is_waited_for(tmp_path: Path) -> None:
    store = Store(tmp_path)
    reply_id = store.record(CHAT, 40, ANSWER, 0.1)
    store.close()
    with held_lock(tmp_path / STORE_FILE, 0.6):
        started = time.monotonic()
        reopened = Store(tmp_path, StoreSettings(lock_timeout=10))
        waited = time.monotonic() - started
    try:
        assert 0.3 <= waited < 10
        assert reopened.reply(reply_id, CHAT).answer == ANSWER
        assert reopened.reply(reopened.record(CHAT, 41, ANSWER, 0.1), CHAT).answer == ANSWER
    finally:
        reopened.close()


def open_as_a_user_file_modes_apply_to(folder: Path) -> str:
    """Open a Store in another process and return what it printed: "opened", or the one line of
    its StoreError. Root ignores file modes, so as root the process runs without that power."""
    code = (
        "import sys\nfrom pathlib import Path\nfrom bot.errors import UserError\nfrom bot.store import Store\n"
        "try:\n    Store(Path(sys.argv[1])).close()\n    print('opened')\n"
        "except UserError as error:\n    print(type(error).__name__, error)\n"
    )
    command = [sys.executable, "-c", code, str(folder)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, which file modes do not stop, and no setpriv to run without that")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT, timeout=60)
    if done.returncode != 0 and "setpriv" in done.stderr:
        pytest.skip(f"cannot drop root's power over file modes here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() == "opened":
        pytest.skip("the file stays writable (file modes do not apply here)")
    return done.stdout.strip()


def a_store_with_one_answer(folder: Path) -> bytes:
    store = Store(folder)
    store.record(CHAT, 40, ANSWER, 0.1)
    store.close()
    return (folder / STORE_FILE).read_bytes()


def test_a_read_only_database_file_is_refused_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    content = a_store_with_one_answer(tmp_path)
    (tmp_path / STORE_FILE).chmod(0o444)
    try:
        line = open_as_a_user_file_modes_apply_to(tmp_path)
    finally:
        (tmp_path / STORE_FILE).chmod(0o644)
    assert line.startswith("StoreError ")
    assert str(tmp_path / STORE_FILE) in line and "read-only" in line and "write permission" in line
    assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
    assert (tmp_path / STORE_FILE).read_bytes() == content


@pytest.mark.parametrize("existing", [True, False], ids=["with a database", "empty"])
def test_a_read_only_data_folder_is_refused_naming_the_folder(tmp_path: Path, existing: bool) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    content = a_store_with_one_answer(folder) if existing else None
    folder.chmod(0o555)
    try:
        line = open_as_a_user_file_modes_apply_to(folder)
    finally:
        folder.chmod(0o755)
    assert line.startswith("StoreError ")
    assert f"the data folder {folder} is read-only" in line and "write permission" in line
    assert sorted(p.name for p in folder.iterdir()) == ([STORE_FILE] if existing else [])
    if existing:
        assert (folder / STORE_FILE).read_bytes() == content


# --- bounded: by age, by size, memories once lapsed; votes kept ----------------------------------


def test_prune_drops_lapsed_memories_and_keeps_live_ones(tmp_path: Path) -> None:
    store = Store(tmp_path)
    now = time.time()
    try:
        store.keep_turns(CHAT, [{"question": "an hour ago"}], now - 3600)
        store.keep_turns(GROUP, [{"question": "a minute ago"}], now - 60)
        store.keep_turns("old", [{"question": "long ago"}], now - (KEEP_DAYS + 1) * 86400)
        assert store.prune(lapse_seconds=30 * 60, now=now).turns == 2
        assert store.turns(CHAT) == [] and store.turns("old") == []
        assert store.turns(GROUP) == [{"question": "a minute ago"}]
        store.keep_turns(CHAT, [{"question": "an hour ago"}], now - 3600)
        assert store.prune(now=now).turns == 0  # without a lapse time, memories are kept keep_days
    finally:
        store.close()


def incompressible_answer(rng: random.Random, n: int) -> dict[str, object]:
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(4000))
    return {**CITED, "question": f"question {n}", "results": [{"doc": "bridge.txt", "passage": n, "text": text}]}


def test_prune_keeps_the_data_under_max_mb_dropping_the_oldest_answers_and_no_votes(tmp_path: Path) -> None:
    store = Store(tmp_path, StoreSettings(max_mb=1))
    rng = random.Random(5)
    try:
        ids = [store.record(CHAT, n, incompressible_answer(rng, n), 0.1) for n in range(800)]  # ~2.5 MB
        for reply_id in ids[:50]:
            assert store.vote(reply_id, CHAT, CHAT, up=False)
        assert (tmp_path / STORE_FILE).stat().st_size + (tmp_path / f"{STORE_FILE}-wal").stat().st_size > 2 * 2**20
        pruned = store.prune()
        assert 400 < pruned.replies < 800
        assert pruned.megabytes <= 1.0
        store.close()
        assert (tmp_path / STORE_FILE).stat().st_size <= 2**20  # the freed space went back to the disk
        store = Store(tmp_path, StoreSettings(max_mb=1))
        kept = [reply_id for reply_id in ids if store.reply(reply_id, CHAT) is not None]
        assert kept == ids[-len(kept) :]  # the newest, in one run
        assert len(store.votes()) == 50  # votes outlive the answers they were on
        assert store.prune().replies == 0
    finally:
        store.close()


def test_answer_ids_are_unguessable_and_row_numbers_never_name_them(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        ids = [store.record(CHAT, n, an_answer(f"q{n}"), 0.1) for n in range(PRUNE_BATCH + 5)]
        assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9_-]{16}", i) for i in ids)
        later = time.time() + (KEEP_DAYS + 1) * 86400
        assert store.prune(now=later).replies == len(ids) - 1  # all but the newest
        new = store.record(CHAT, 1, an_answer("new"), 0.1)
        assert store.reply(new, CHAT).answer == an_answer("new")
        assert all(store.reply(str(row), CHAT) is None for row in range(len(ids) + 3))
    finally:
        store.close()


def test_the_bot_keeps_writing_while_prune_runs_in_a_thread(tmp_path: Path) -> None:
    store = Store(tmp_path, StoreSettings(max_mb=1))
    rng = random.Random(9)
    try:
        for n in range(600):
            store.record(CHAT, n, incompressible_answer(rng, n), 0.1)
        results: list[object] = []
        pruning = threading.Thread(target=lambda: results.append(store.prune()))
        pruning.start()
        written = [store.record(GROUP, n, an_answer(f"during {n}"), 0.1) for n in range(200)]
        pruning.join(timeout=60)
        assert results and all(store.reply(reply_id, GROUP) is not None for reply_id in written)
    finally:
        store.close()


def test_votes_are_kept_even_over_max_mb_and_that_is_told_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path, StoreSettings(max_mb=1))
    rng = random.Random(3)
    try:
        for n in range(300):  # votes of ~4 KB each: a question as long as Telegram allows
            answer = incompressible_answer(rng, n)
            reply_id = store.record(CHAT, n, {**answer, "question": answer["results"][0]["text"]}, 0.1)
            store.vote(reply_id, CHAT, CHAT, up=True)
        with caplog.at_level(logging.WARNING, logger="bot.store"):
            store.prune()
            store.prune()
        assert len(store.votes()) == 300
        assert sum("over store.max_mb" in r.message for r in caplog.records) == 1
    finally:
        store.close()


def test_prune_gives_way_to_another_processs_lock_and_goes_on_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(store_module, "RUNNING_LOCK_WAIT", 0.05)
    store = Store(tmp_path)
    try:
        store.record(CHAT, 1, ANSWER, 0.1)
        store.record(CHAT, 2, ANSWER, 0.1)
        later = time.time() + (KEEP_DAYS + 1) * 86400
        with held_lock(tmp_path / STORE_FILE, 60), caplog.at_level(logging.WARNING, logger="bot.store"):
            assert store.prune(now=later).replies == 0
        assert any("could not finish pruning" in r.message for r in caplog.records)
        assert store.prune(now=later).replies == 1
    finally:
        store.close()


def test_an_answer_is_kept_compressed(tmp_path: Path) -> None:
    """What buttons need, at a third of the answer JSON's size or less (a real passage's text)."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "corpus").glob("*.txt")))
    assert len(text) > 300 * 61 + 600
    answers = [
        {
            **CITED,
            "question": f"question number {n}?",
            "results": [
                {"doc": "003_803b997119074a48.txt", "passage": n + r, "text": text[(n + r) * 61 : (n + r) * 61 + 600]}
                for r in range(3)
            ],
        }
        for n in range(300)
    ]
    store = Store(tmp_path)
    for n, answer in enumerate(answers):
        store.record(CHAT, n, answer, 0.1)
    store.close()  # checkpoints the write-ahead log into the file
    raw = sum(len(json.dumps(answer, ensure_ascii=False).encode()) for answer in answers)
    assert (tmp_path / STORE_FILE).stat().st_size < raw / 2


def test_a_version_2_file_keeps_its_answers_votes_and_feedback(tmp_path: Path) -> None:
    """Answers kept as JSON text before compression read back, vote and report as before."""
    store = Store(tmp_path)
    store.record(CHAT, 40, ANSWER, 0.5)
    store.close()
    as_version_3(tmp_path)
    reply_id = "1"
    with contextlib.closing(sqlite3.connect(tmp_path / STORE_FILE)) as db, db:  # as version 2 wrote it
        db.execute("ALTER TABLE replies DROP COLUMN question")
        db.execute("ALTER TABLE replies DROP COLUMN answered")
        db.execute("UPDATE replies SET answer = ?", (json.dumps({**CITED, "answered": False}),))
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    store = Store(tmp_path)
    try:
        assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
        assert store.reply(reply_id, CHAT).answer == {**CITED, "answered": False}
        assert store.reply_to(CHAT, 40).reply_id == reply_id
        assert store.vote(reply_id, CHAT, CHAT, up=False)
        new = store.record(CHAT, 42, an_answer("a new one"), 0.1)
        assert store.reply(new, CHAT).answer == an_answer("a new one")
        assert store.asked() == [("When was the bridge opened?", False), ("a new one", True)]
        assert store.votes() == [("When was the bridge opened?", "bridge.txt", 3, -1)]
    finally:
        store.close()


def test_store_settings_come_from_the_config_file_and_bad_ones_name_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("store:\n  keep_days: 7\n  max_mb: 50\n  lock_timeout: 2.5\n", encoding="utf-8")
    assert load_config(config, {}).store == StoreSettings(keep_days=7, max_mb=50, lock_timeout=2.5)
    assert load_config(ROOT / "config.example.yaml", {}).store == StoreSettings()
    for bad, key in (
        ("keep_days: 0", "store.keep_days"),
        ("max_mb: -1", "store.max_mb"),
        ("lock_timeout: x", "store.lock_timeout"),
    ):
        config.write_text(f"store:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=key):
            load_config(config, {})


# --- forged or odd input raises nothing -----------------------------------------------------------

HUGE = (10**30, -(10**30), 2**63, -(2**63) - 1)


@pytest.mark.parametrize("huge", HUGE)
def test_an_id_sqlite_cannot_hold_is_no_such_answer(tmp_path: Path, huge: int) -> None:
    """Forged numbers are looked up as answers kept before version 4, by row number."""
    Store(tmp_path).close()
    as_version_3(tmp_path)
    store = Store(tmp_path)
    try:
        reply_id = store.record(CHAT, 40, CITED, 0.1)
        assert store.reply(str(huge), CHAT) is None and store.reply(huge, CHAT) is None  # type: ignore[arg-type]
        assert not store.vote(str(huge), CHAT, CHAT, up=True)
        assert store.reply_to(CHAT, huge) is None
        store.sent_as(str(huge), CHAT, 41)
        store.sent_as(reply_id, CHAT, huge)  # a message id SQLite cannot hold is not kept
        assert store.reply(reply_id, CHAT).reply_message is None
        unlinked = store.record(CHAT, huge, ANSWER, 0.1, reply_message=huge)  # kept, not findable by message
        assert store.reply(unlinked, CHAT).answer == ANSWER
        assert store.vote(reply_id, CHAT, huge, up=True)  # a voter is only ever hashed
        assert store.votes() == [("When was the bridge opened?", "bridge.txt", 3, 1)]
    finally:
        store.close()


def test_lone_surrogates_are_kept_as_replacement_characters(store: Store) -> None:
    question = "When was the \ud800 bridge opened?\udfff"
    answer = {**CITED, "question": question, "note": "\udc80", "results": [{"doc": "a\ud83d.txt", "passage": 0}]}
    reply_id = store.record("chat\ud800", 40, answer, 0.1)
    kept = store.reply(reply_id, "chat\ud800").answer
    assert kept["question"] == "When was the \ufffd bridge opened?\ufffd"
    assert kept["note"] == "\ufffd" and kept["results"][0]["doc"] == "a\ufffd.txt"
    assert store.reply_to("chat\ud800", 40).reply_id == reply_id
    assert store.vote(reply_id, "chat\ud800", "voter\udfff", up=False)
    assert store.votes() == [("When was the \ufffd bridge opened?\ufffd", "a\ufffd.txt", 0, -1)]
    assert store.asked() == [("When was the \ufffd bridge opened?\ufffd", True)]
    store.keep_turns("chat\ud800", [{"question": "and \ud800 then?"}], time.time())
    assert store.turns("chat\ud800") == [{"question": "and \ufffd then?"}]


def test_numbers_that_are_not_numbers_are_kept_as_something_sane(store: Store) -> None:
    reply_id = store.record(CHAT, 40, ANSWER, float("nan"))
    assert store.reply(reply_id, CHAT) is not None and store.stats() == ServedStats(1, 0.0)
    store.keep_turns(CHAT, [{"question": "q"}], float("inf"))
    assert store.turns(CHAT) == [{"question": "q"}]


def test_an_answer_is_found_only_in_the_chat_it_was_sent_to(store: Store) -> None:
    reply_id = store.record(CHAT, 40, CITED, 0.1)
    assert store.reply(reply_id, CHAT) is not None and store.reply(reply_id, str(CHAT)) is not None
    assert store.reply(reply_id, GROUP) is None
    assert not store.vote(reply_id, GROUP, 555, up=True)
    store.sent_as(reply_id, GROUP, 77)
    assert store.votes() == [] and store.reply(reply_id, CHAT).reply_message is None
    assert store.vote(reply_id, CHAT, 555, up=True)
