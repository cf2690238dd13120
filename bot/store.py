"""The bot's memory on disk: the answers it sent, so buttons and edited questions keep working
after a restart or a reindex; each chat's recent turns, so a follow-up after a restart is still
understood; the 👍/👎 votes on answers; and the figures /stats and `citebot feedback` report.

One SQLite file in the data folder. Chats are stored as salted hashes: the bot only ever looks a
chat up from an incoming update, which carries the raw id, so the raw id is never needed on disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sqlite3
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError

log = logging.getLogger(__name__)

STORE_FILE = "citebot.sqlite3"
SCHEMA_VERSION = 2  # 1 had replies only; it is upgraded in place
KEEP_DAYS = 90  # an answer's buttons work this long; older ones say the answer has expired

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replies (
    id INTEGER PRIMARY KEY,
    chat TEXT NOT NULL,
    question_message INTEGER,
    reply_message INTEGER,
    answer TEXT NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS replies_by_question ON replies (chat, question_message);
CREATE TABLE IF NOT EXISTS turns (chat TEXT PRIMARY KEY, turns TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    reply_id INTEGER NOT NULL,
    chat TEXT NOT NULL,
    voter TEXT NOT NULL,
    vote INTEGER NOT NULL,
    question TEXT NOT NULL,
    doc TEXT NOT NULL,
    passage INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (reply_id, voter)
);
"""


@dataclass(frozen=True, slots=True)
class StoredReply:
    reply_id: int
    answer: dict[str, Any]  # the answer as render.answer_json wrote it
    reply_message: int | None


@dataclass(frozen=True, slots=True)
class ServedStats:
    questions: int
    median_seconds: float | None


class Store:
    """Sent answers by id (for buttons) and by the question's message (for edits)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STORE_FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        except OSError as error:
            raise UserError(f"cannot use the data folder {folder}: {error.strerror or error}") from None

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            aside = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
            os.replace(self.path, aside)
            for journal in ("-wal", "-shm"):  # the write-ahead log belongs to the broken file
                companion = self.path.with_name(self.path.name + journal)
                if companion.exists():
                    os.replace(companion, aside.with_name(aside.name + journal))
            log.warning("%s was unreadable (%s): moved to %s, starting afresh", self.path, error, aside.name)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            # Write-ahead log, synced at checkpoints: a reply's bookkeeping costs no fsync of its own,
            # and a crash can lose at most the last moments of button state, never corrupt it.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version is None:
                db.execute(
                    "INSERT INTO meta VALUES ('schema', ?), ('salt', ?)", (SCHEMA_VERSION, secrets.token_hex(16))
                )
            elif int(version[0]) == 1:  # the new tables were just created
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
            elif int(version[0]) != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {version[0]}, expected {SCHEMA_VERSION}")
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
            expired = time.time() - KEEP_DAYS * 86400
            db.execute("DELETE FROM replies WHERE created < ?", (expired,))
            db.execute("DELETE FROM turns WHERE updated < ?", (expired,))
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    def chat_key(self, chat_id: int | str) -> str:
        return hashlib.sha256(f"{self._salt}:{chat_id}".encode()).hexdigest()[:24]

    def record(self, chat_id: int | str, question_message: int | None, answer: dict[str, Any], seconds: float) -> int:
        """Keep an answer about to be sent; its id goes into the buttons' callback data."""
        cursor = self._db.execute(
            "INSERT INTO replies (chat, question_message, answer, seconds, created) VALUES (?, ?, ?, ?, ?)",
            (self.chat_key(chat_id), question_message, json.dumps(answer, ensure_ascii=False), seconds, time.time()),
        )
        return int(cursor.lastrowid)

    def sent_as(self, reply_id: int, reply_message: int) -> None:
        self._db.execute("UPDATE replies SET reply_message = ? WHERE id = ?", (reply_message, reply_id))

    def reply(self, reply_id: int) -> StoredReply | None:
        row = self._db.execute("SELECT id, answer, reply_message FROM replies WHERE id = ?", (reply_id,)).fetchone()
        return None if row is None else StoredReply(row[0], json.loads(row[1]), row[2])

    def reply_to(self, chat_id: int | str, question_message: int) -> StoredReply | None:
        """The latest answer to a question message (an edited question updates it in place)."""
        row = self._db.execute(
            "SELECT id, answer, reply_message FROM replies WHERE chat = ? AND question_message = ? "
            "ORDER BY id DESC LIMIT 1",
            (self.chat_key(chat_id), question_message),
        ).fetchone()
        return None if row is None else StoredReply(row[0], json.loads(row[1]), row[2])

    def turns(self, chat_id: int | str) -> list[dict[str, Any]]:
        """A chat's remembered turns, as memory.Conversations kept them."""
        row = self._db.execute("SELECT turns FROM turns WHERE chat = ?", (self.chat_key(chat_id),)).fetchone()
        return [] if row is None else json.loads(row[0])

    def keep_turns(self, chat_id: int | str, turns: list[dict[str, Any]], when: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO turns VALUES (?, ?, ?)",
            (self.chat_key(chat_id), json.dumps(turns, ensure_ascii=False), when),
        )

    def forget_turns(self, chat_id: int | str) -> None:
        self._db.execute("DELETE FROM turns WHERE chat = ?", (self.chat_key(chat_id),))

    def vote(self, reply_id: int, voter: int | str, up: bool) -> bool:
        """Record a 👍 or 👎 on a sent answer: one vote per person per answer, a second press
        changing it. False when the answer is not known (expired)."""
        row = self._db.execute("SELECT chat, answer FROM replies WHERE id = ?", (reply_id,)).fetchone()
        if row is None:
            return False
        chat, answer = row[0], json.loads(row[1])
        first = answer["results"][0] if answer["results"] else {"doc": "", "passage": 0}
        self._db.execute(
            "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reply_id,
                chat,
                self.chat_key(voter),
                1 if up else -1,
                answer["question"],
                first["doc"],
                first["passage"],
                time.time(),
            ),
        )
        return True

    def votes(self) -> list[tuple[str, str, int, int]]:
        """Every vote: question, cited document, passage, +1 or -1."""
        return list(self._db.execute("SELECT question, doc, passage, vote FROM votes ORDER BY created"))

    def asked(self) -> list[tuple[str, bool]]:
        """Every answered question kept (the last KEEP_DAYS days): the question and whether it was answered."""
        rows = self._db.execute(
            "SELECT json_extract(answer, '$.question'), json_extract(answer, '$.answered') FROM replies ORDER BY id"
        )
        return [(question, bool(answered)) for question, answered in rows]

    def stats(self) -> ServedStats:
        seconds = [row[0] for row in self._db.execute("SELECT seconds FROM replies")]
        return ServedStats(len(seconds), statistics.median(seconds) if seconds else None)
