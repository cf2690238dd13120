"""Tests for bot.store: a real SQLite file in tmp_path, opened, written, reopened and damaged."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.store import KEEP_DAYS, STORE_FILE, ServedStats, Store

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
    stored = store.reply(reply_id)
    assert stored is not None
    assert stored.reply_id == reply_id
    assert stored.answer == ANSWER
    assert stored.reply_message is None  # not sent yet


def test_sent_as_remembers_the_reply_message(store: Store) -> None:
    reply_id = store.record(CHAT, 17, ANSWER, 0.25)
    store.sent_as(reply_id, 18)
    assert store.reply(reply_id).reply_message == 18
    assert store.reply_to(CHAT, 17).reply_message == 18


def test_unknown_reply_id_is_none(store: Store) -> None:
    store.record(CHAT, 17, ANSWER, 0.25)
    assert store.reply(99_999) is None


def test_each_record_gets_its_own_id(store: Store) -> None:
    first = store.record(CHAT, 1, an_answer("one"), 0.1)
    second = store.record(CHAT, 2, an_answer("two"), 0.1)
    assert first != second
    assert store.reply(first).answer["question"] == "one"
    assert store.reply(second).answer["question"] == "two"


def test_non_ascii_answers_round_trip(store: Store) -> None:
    answer = an_answer("Şuşa bəyannaməsi nə vaxt imzalanıb? «кавычки» 🙂")
    assert store.reply(store.record(CHAT, 5, answer, 1.0)).answer == answer


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
    assert store.reply(reply_id).answer == ANSWER
    assert store.reply_to(CHAT, 0) is None


# --- privacy ----------------------------------------------------------------------------------


def test_raw_chat_ids_never_reach_the_database_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for chat in (CHAT, GROUP):
        store.sent_as(store.record(chat, 40, ANSWER, 0.1), 41)
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
    store.sent_as(reply_id, 41)
    store.close()
    reopened = Store(tmp_path / "data")
    try:
        assert reopened.reply(reply_id).answer == ANSWER
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


def test_a_database_of_another_schema_version_is_moved_aside(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.close()
    store = Store(tmp_path)
    try:
        assert len(list(tmp_path.glob(f"{STORE_FILE}.broken-*"))) == 1
        assert store.stats() == ServedStats(0, None)
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


def test_rows_older_than_keep_days_are_dropped_on_open(tmp_path: Path) -> None:
    store = Store(tmp_path)
    old = store.record(CHAT, 1, an_answer("old"), 9.0)
    almost_old = store.record(CHAT, 2, an_answer("almost old"), 1.0)
    recent = store.record(CHAT, 3, an_answer("recent"), 1.0)
    store.close()
    now = time.time()
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        db.execute("UPDATE replies SET created = ? WHERE id = ?", (now - KEEP_DAYS * 86400 - 3600, old))
        db.execute("UPDATE replies SET created = ? WHERE id = ?", (now - KEEP_DAYS * 86400 + 3600, almost_old))
    db.close()
    reopened = Store(tmp_path)
    try:
        assert reopened.reply(old) is None
        assert reopened.reply_to(CHAT, 1) is None
        assert reopened.reply(almost_old) is not None
        assert reopened.reply(recent) is not None
        assert reopened.stats() == ServedStats(2, 1.0)
    finally:
        reopened.close()


# --- conversation memory and votes ------------------------------------------------------------

CITED = {**ANSWER, "results": [{"doc": "bridge.txt", "passage": 3}]}


def test_a_version_1_file_is_upgraded_and_keeps_its_replies(tmp_path: Path) -> None:
    """Files written before memory and votes existed: their replies (and buttons) carry on."""
    store = Store(tmp_path)
    reply_id = store.record(CHAT, 40, ANSWER, 0.1)
    store.close()
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        db.execute("DROP TABLE turns")
        db.execute("DROP TABLE votes")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.close()
    upgraded = Store(tmp_path)
    try:
        assert not list(tmp_path.glob(f"{STORE_FILE}.broken-*"))
        assert upgraded.reply(reply_id).answer == ANSWER
        assert upgraded.vote(reply_id, CHAT, up=True)
        upgraded.keep_turns(CHAT, [{"question": "q"}], time.time())
        assert upgraded.turns(CHAT) == [{"question": "q"}]
    finally:
        upgraded.close()
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
    db.close()


def test_turns_are_kept_per_chat_and_forgotten_on_request(store: Store) -> None:
    store.keep_turns(CHAT, [{"question": "first"}], 1.0)
    store.keep_turns(CHAT, [{"question": "first"}, {"question": "second"}], 2.0)
    store.keep_turns(GROUP, [{"question": "group's"}], 2.0)
    assert store.turns(CHAT) == [{"question": "first"}, {"question": "second"}]
    store.forget_turns(CHAT)
    assert store.turns(CHAT) == [] and store.turns(GROUP) == [{"question": "group's"}]


def test_a_second_vote_on_an_answer_changes_it_and_each_person_has_one(store: Store) -> None:
    reply_id = store.record(GROUP, 40, CITED, 0.1)
    assert store.vote(reply_id, 1001, up=False)
    assert store.vote(reply_id, 1001, up=True)  # the same person changes their mind
    assert store.vote(reply_id, 1002, up=False)  # someone else in the group
    assert sorted(store.votes()) == sorted(
        [("When was the bridge opened?", "bridge.txt", 3, 1), ("When was the bridge opened?", "bridge.txt", 3, -1)]
    )


def test_a_vote_on_an_unknown_answer_is_refused(store: Store) -> None:
    assert not store.vote(12345, CHAT, up=True)
    assert store.votes() == []


def test_votes_and_turns_keep_no_raw_ids(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.vote(store.record(CHAT, 40, CITED, 0.1), 777001, up=False)
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
