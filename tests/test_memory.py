"""Per-chat conversation memory: kept per chat, capped, lapsing when idle, and (with a store)
surviving a restart."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import store as store_module
from bot.dialogue import ConversationSettings, Turn
from bot.memory import Conversations
from bot.store import STORE_FILE, Store

SETTINGS = ConversationSettings(turns=2, idle_minutes=10)


def turn(question: str, asked: float) -> Turn:
    return Turn(question, question, f"subject of {question}", "doc.txt", asked)


def test_chats_do_not_share_memory() -> None:
    conversations = Conversations(SETTINGS)
    conversations.remember("a", turn("about a", 100.0))
    conversations.remember("b", turn("about b", 100.0))
    assert [t.question for t in conversations.recall("a", 101.0)] == ["about a"]
    assert [t.question for t in conversations.recall("b", 101.0)] == ["about b"]
    assert conversations.recall("c", 101.0) == ()


def test_only_the_last_turns_are_kept() -> None:
    conversations = Conversations(SETTINGS)
    for n in range(4):
        conversations.remember("a", turn(f"q{n}", 100.0 + n))
    assert [t.question for t in conversations.recall("a", 104.0)] == ["q2", "q3"]


def test_memory_lapses_after_the_idle_time() -> None:
    conversations = Conversations(SETTINGS)
    conversations.remember("a", turn("old", 100.0))
    assert conversations.recall("a", 100.0 + 10 * 60) != ()
    assert conversations.recall("a", 100.0 + 10 * 60 + 1) == ()
    conversations.remember("a", turn("new", 100.0 + 11 * 60))  # the lapsed turn is not carried on
    assert [t.question for t in conversations.recall("a", 100.0 + 11 * 60)] == ["new"]


def test_forget_clears_one_chat() -> None:
    conversations = Conversations(SETTINGS)
    conversations.remember("a", turn("q", 100.0))
    conversations.remember("b", turn("q", 100.0))
    conversations.forget("a")
    assert conversations.recall("a", 100.0) == () and conversations.recall("b", 100.0) != ()


def test_with_a_store_memory_survives_a_restart(tmp_path: Path) -> None:
    now = time.time()
    store = Store(tmp_path)
    Conversations(SETTINGS, store).remember("42", turn("before the restart", now))
    store.close()
    reopened = Store(tmp_path)
    try:
        conversations = Conversations(SETTINGS, reopened)
        assert conversations.recall("42", now + 60) == (turn("before the restart", now),)
        assert conversations.recall("43", now + 60) == ()
        conversations.forget("42")
        assert conversations.recall("42", now + 60) == ()
    finally:
        reopened.close()


def test_turns_kept_in_another_shape_start_the_chat_afresh(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        store.keep_turns("7", [{"question": "from an older version", "topic": "x"}], time.time())
        store._db.execute("INSERT INTO turns VALUES (?, 'not json', ?)", (store.chat_key("8"), time.time()))
        conversations = Conversations(SETTINGS, store)
        assert conversations.recall("7", time.time()) == ()
        assert conversations.recall("8", time.time()) == ()
        conversations.remember("8", turn("a new start", time.time()))
        assert [t.question for t in Conversations(SETTINGS, store).recall("8", time.time())] == ["a new start"]
    finally:
        store.close()


def test_a_store_that_cannot_be_written_leaves_memory_working_and_is_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds the file's write lock: the bot still reads follow-ups, and says so once."""
    monkeypatch.setattr(store_module, "RUNNING_LOCK_WAIT", 0.05)
    store = Store(tmp_path)
    conversations = Conversations(SETTINGS, store)
    now = time.time()
    holds_the_lock_until_stdin_closes = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holds_the_lock_until_stdin_closes, str(tmp_path / STORE_FILE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with caplog.at_level(logging.INFO, logger="bot.store"):
            conversations.remember("42", turn("first", now))
            conversations.remember("42", turn("second", now + 1))
            conversations.forget("43")
            assert [t.question for t in conversations.recall("42", now + 2)] == ["first", "second"]
            assert sum("memories last only until a restart" in r.message for r in caplog.records) == 1
            holder.communicate("", timeout=10)  # releases the lock
            conversations.remember("42", turn("third", now + 2))
            assert sum("works again:" in r.message for r in caplog.records) == 1
    finally:
        holder.kill()
        holder.wait()
    assert [t["question"] for t in store.turns("42")] == ["second", "third"]
    store.close()
