"""The bot's memory on disk: the answers it sent, so buttons and edited questions keep working
after a restart or a reindex; each chat's recent turns, so a follow-up after a restart is still
understood; the 👍/👎 votes on answers; and the figures /stats and `citebot feedback` report.

One SQLite file in the data folder. Chats are stored as salted hashes: the bot only ever looks a
chat up from an incoming update, which carries the raw id, so the raw id is never needed on disk.

An answer is named by a random id (`new_reply_id`, 96 bits) that its buttons carry, and is found
only in the chat it was sent to: Telegram does not check that a button's data came from a button it
showed, so a forged or copied one names nothing another chat could see or vote on. Answers kept by
citebot before version 4 have only their sequential number; their buttons keep working in their own
chat and nowhere else.

What is kept, and for how long (store.keep_days, store.max_mb):
- an answer, compressed (~1.1 KB), for keep_days — its buttons, an edit of its question and
  /feedback need it; older ones are treated as gone at once and removed by `prune`, which, when
  the data is over max_mb, also removes the oldest answers down to 90% of it;
- a chat's turns until its memory lapses (conversation.idle_minutes, when `prune` is told it);
- votes for good: one per person per answer, only on an answer still kept (~0.2 KB each).

A file that is damaged (not a database, a malformed image, tables that are not citebot's) is moved
aside and a fresh one started. Anything else that stops the file being used — a lock another
process holds beyond store.lock_timeout, a read-only file or folder, a full disk, a file from a
newer citebot — is a StoreError naming the file and the fix, and the file is left as it is.
Once the bot runs, a write that fails (a full disk, a lock held elsewhere) costs only what it would
have kept: callers go through `Tolerant`, which logs the trouble once and when it ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import secrets
import sqlite3
import statistics
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import StoreError

log = logging.getLogger(__name__)

STORE_FILE = "citebot.sqlite3"
# 1 had replies only, 2 kept answers as JSON text, 3 named answers by sequential numbers; all are
# upgraded in place
SCHEMA_VERSION = 4
RUNNING_LOCK_WAIT = 1.0  # seconds a write waits for another process's lock once the bot is running
PRUNE_BATCH = 1000  # answers prune deletes per statement,
PRUNE_PAUSE = 0.01  # and seconds it pauses after each, so the bot's own writes get in between
WAL_LIMIT = 8 * 1024 * 1024  # bytes the write-ahead log is cut back to once checkpointed
_DAY = 86400
_MB = 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
_LEGACY_ID = re.compile("[0-9]{1,19}")  # an answer's id kept before version 4: its row number
_T = TypeVar("_T")

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # answer: the answer's JSON without question and answered, zlib-compressed; rows kept by
    # version 2 have question NULL and the whole JSON as text in answer. key: the id its buttons
    # carry (NULL on rows kept before version 4, whose buttons carry id).
    """CREATE TABLE IF NOT EXISTS replies (
        id INTEGER PRIMARY KEY,
        chat TEXT NOT NULL,
        question_message INTEGER,
        reply_message INTEGER,
        answer BLOB NOT NULL,
        seconds REAL NOT NULL,
        created REAL NOT NULL,
        question TEXT,
        answered INTEGER,
        key TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS replies_by_question ON replies (chat, question_message)",
    "CREATE TABLE IF NOT EXISTS turns (chat TEXT PRIMARY KEY, turns TEXT NOT NULL, updated REAL NOT NULL)",
    """CREATE TABLE IF NOT EXISTS votes (
        reply_id INTEGER NOT NULL,
        chat TEXT NOT NULL,
        voter TEXT NOT NULL,
        vote INTEGER NOT NULL,
        question TEXT NOT NULL,
        doc TEXT NOT NULL,
        passage INTEGER NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (reply_id, voter)
    )""",
)
# The columns a table must have to be citebot's (meta and replies exist from version 1 on).
_COLUMNS = {
    "meta": {"key", "value"},
    "replies": {"id", "chat", "question_message", "reply_message", "answer", "seconds", "created"},
    "turns": {"chat", "turns", "updated"},
    "votes": {"reply_id", "chat", "voter", "vote", "question", "doc", "passage", "created"},
}


@dataclass(frozen=True, slots=True)
class StoreSettings:
    keep_days: int = 90  # an answer's buttons work this long; older ones say the answer has expired
    max_mb: int = 500  # beyond this the oldest answers are dropped (votes and memories are not)
    lock_timeout: float = 5.0  # seconds start-up waits for another process's lock on the file


@dataclass(frozen=True, slots=True)
class StoredReply:
    reply_id: str  # what its buttons carry
    answer: dict[str, Any]  # the answer as render.stored_json wrote it
    reply_message: int | None


@dataclass(frozen=True, slots=True)
class ServedStats:
    questions: int
    median_seconds: float | None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one `Store.prune` removed, and the database file's size after it."""

    replies: int
    turns: int
    megabytes: float


class _Damaged(sqlite3.DatabaseError):
    """A readable SQLite file whose tables are not citebot's."""


class _Newer(sqlite3.DatabaseError):
    """A citebot file of a schema version this citebot does not know."""


class Store:
    """Sent answers by id and chat (for buttons) and by the question's message (for edits).

    Safe to share between threads (the engine remembers turns from a worker thread, `prune` runs
    in one): no method holds a transaction open across statements. Writes raise sqlite3.Error
    when the disk is full or another process holds the lock for longer than RUNNING_LOCK_WAIT;
    the caller decides what to do without them, through `tolerant`. Odd input raises nothing: an
    id no answer has, or SQLite cannot hold, is no such answer, and a lone surrogate in text is
    kept as U+FFFD.
    """

    def __init__(self, folder: Path, settings: StoreSettings = StoreSettings()) -> None:
        self.path = folder / STORE_FILE
        self.settings = settings
        self.tolerant = Tolerant(self)
        self._over_size_told = False
        self._closing = threading.Event()  # tells a prune running in a thread to stop
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        except OSError as error:
            raise StoreError(f"cannot use the data folder {folder}: {error.strerror or error}") from None

    # --- opening ------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            if not _damaged(error):
                raise self._refusal(error) from None
            self._move_aside(error)
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            raise self._refusal(error) from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self.settings.lock_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            if _pragma(db, "page_count") == 0:  # a new file: let prune give freed space back to the disk
                db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            # Write-ahead log, synced at checkpoints: a reply's bookkeeping costs no fsync of its own,
            # and a crash can lose at most the last moments of button state, never corrupt it.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            db.execute("BEGIN IMMEDIATE")  # waits up to lock_timeout for another process's write lock
            try:
                self._salt = _prepare(db)
                db.execute("COMMIT")
            finally:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
            db.execute(f"PRAGMA busy_timeout={int(RUNNING_LOCK_WAIT * 1000)}")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, error: sqlite3.DatabaseError) -> None:
        aside = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
        os.replace(self.path, aside)
        for journal in ("-wal", "-shm"):  # the write-ahead log belongs to the broken file
            companion = self.path.with_name(self.path.name + journal)
            if companion.exists():
                os.replace(companion, aside.with_name(aside.name + journal))
        log.warning("%s was damaged (%s): moved to %s, starting afresh", self.path, error, aside.name)

    def _refusal(self, error: sqlite3.DatabaseError) -> StoreError:
        """One line naming the file, what is wrong with it and what to do."""
        if isinstance(error, _Newer):
            return StoreError(
                f"{self.path} was written by a newer citebot ({error}): run that version, or move the file"
            )
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"{self.path} is locked by {self._lock_holder()} and stayed locked for "
                f"{self.settings.lock_timeout:g} s: stop that process, or raise store.lock_timeout"
            )
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            journals = [self.path.with_name(self.path.name + journal) for journal in ("-wal", "-shm")]
            locked_out = [p for p in (self.path, *journals) if p.exists() and not os.access(p, os.W_OK)]
            if locked_out:
                names = " and ".join(str(p) for p in locked_out)
                return StoreError(
                    f"{names} {'is' if len(locked_out) == 1 else 'are'} read-only: give the user citebot "
                    "runs as write permission (chown or chmod u+w)"
                )
            if not os.access(self.path.parent, os.W_OK):
                return StoreError(
                    f"the data folder {self.path.parent} is read-only: citebot keeps {self.path.name} and its "
                    "-wal and -shm files there; give the user it runs as write permission, or set data to another folder"
                )
        if code == sqlite3.SQLITE_FULL:
            return StoreError(f"the disk holding {self.path} is full: free some space")
        return StoreError(f"cannot use {self.path}: {error}")

    def _lock_holder(self) -> str:
        """The process holding a write lock on the file, from /proc/locks where there is one."""
        inodes = set()
        for path in (self.path, self.path.with_name(self.path.name + "-shm")):  # WAL locks live in -shm
            with contextlib.suppress(OSError):
                status = path.stat()
                inodes.add(f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}")
        try:
            locks = Path("/proc/locks").read_text(encoding="ascii", errors="replace").splitlines()
        except OSError:
            return "another process"
        for line in locks:
            fields = line.split()  # "1: POSIX  ADVISORY  WRITE 4242 fe:00:2170992 120 120"; waiters have "->"
            if len(fields) < 6 or fields[1] == "->" or fields[3] != "WRITE" or fields[5] not in inodes:
                continue
            if not fields[4].isdigit() or int(fields[4]) in (0, os.getpid()):
                continue
            try:
                command = Path(f"/proc/{fields[4]}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                command = ""
            command = " ".join(command.split())
            return f"process {fields[4]}" + (f" ({_cut(command, 80)})" if command else "")
        return "another process"

    def close(self) -> None:
        """Close the file; a prune running in a thread stops after its current batch."""
        self._closing.set()
        self._db.close()

    # --- answers ------------------------------------------------------------------------------

    def chat_key(self, chat_id: int | str) -> str:
        return hashlib.sha256(f"{self._salt}:{chat_id}".encode("utf-8", "surrogatepass")).hexdigest()[:24]

    def record(
        self,
        chat_id: int | str,
        question_message: int | None,
        answer: dict[str, Any],
        seconds: float,
        reply_id: str | None = None,
        reply_message: int | None = None,
    ) -> str:
        """Keep a sent answer under the id its buttons carry (`new_reply_id`, made before it was
        sent; a new one if not given), and return that id."""
        reply_id = new_reply_id() if reply_id is None else reply_id
        rest = {key: value for key, value in answer.items() if key not in ("question", "answered")}
        self._db.execute(
            "INSERT INTO replies (key, chat, question_message, reply_message, question, answered, answer, seconds, "
            "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reply_id,
                self.chat_key(chat_id),
                question_message if _integer(question_message) else None,
                reply_message if _integer(reply_message) else None,
                _text(answer["question"]),
                bool(answer["answered"]),
                zlib.compress(_json(rest).encode(), 9),
                seconds if math.isfinite(seconds) else 0.0,
                time.time(),
            ),
        )
        return reply_id

    def sent_as(self, reply_id: str, chat_id: int | str, reply_message: int) -> None:
        """Link a kept answer to the message that carries it (once a send that timed out is known)."""
        row = self._kept(reply_id, chat_id)
        if row is not None and _integer(reply_message):
            self._db.execute("UPDATE replies SET reply_message = ? WHERE id = ?", (reply_message, row[0]))

    def reply(self, reply_id: str, chat_id: int | str) -> StoredReply | None:
        """A kept answer by the id its buttons carry, in the chat they were pressed in; None when
        unknown, expired or another chat's."""
        row = self._kept(reply_id, chat_id)
        return None if row is None else StoredReply(reply_id, _answer(*row[2:5]), row[5])

    def reply_to(self, chat_id: int | str, question_message: int) -> StoredReply | None:
        """The latest answer to a question message (an edited question updates it in place)."""
        if not _integer(question_message):
            return None
        row = self._db.execute(
            "SELECT coalesce(key, id), question, answered, answer, reply_message FROM replies "
            "WHERE chat = ? AND question_message = ? AND created >= ? ORDER BY id DESC LIMIT 1",
            (self.chat_key(chat_id), question_message, self._expiry()),
        ).fetchone()
        return None if row is None else StoredReply(str(row[0]), _answer(*row[1:4]), row[4])

    def _kept(self, reply_id: str, chat_id: int | str) -> tuple[Any, ...] | None:
        """(id, chat, question, answered, answer, reply_message) of an answer kept in the chat. An id
        of digits only is also looked up as an answer kept before version 4 (which has no key)."""
        if not isinstance(reply_id, str) or not reply_id:
            return None
        columns = "id, chat, question, answered, answer, reply_message FROM replies"
        kept = "chat = ? AND created >= ?"
        chat, expiry = self.chat_key(chat_id), self._expiry()
        row = self._db.execute(f"SELECT {columns} WHERE key = ? AND {kept}", (reply_id, chat, expiry)).fetchone()
        if row is None and _LEGACY_ID.fullmatch(reply_id) and _integer(int(reply_id)):
            row = self._db.execute(
                f"SELECT {columns} WHERE id = ? AND key IS NULL AND {kept}", (int(reply_id), chat, expiry)
            ).fetchone()
        return row

    def _expiry(self) -> float:
        return time.time() - self.settings.keep_days * _DAY

    # --- memory -------------------------------------------------------------------------------

    def turns(self, chat_id: int | str) -> list[dict[str, Any]]:
        """A chat's remembered turns, as memory.Conversations kept them."""
        row = self._db.execute("SELECT turns FROM turns WHERE chat = ?", (self.chat_key(chat_id),)).fetchone()
        return [] if row is None else json.loads(row[0])

    def keep_turns(self, chat_id: int | str, turns: list[dict[str, Any]], when: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO turns VALUES (?, ?, ?)",
            (self.chat_key(chat_id), _json(turns), when if math.isfinite(when) else time.time()),
        )

    def forget_turns(self, chat_id: int | str) -> None:
        self._db.execute("DELETE FROM turns WHERE chat = ?", (self.chat_key(chat_id),))

    # --- votes and figures --------------------------------------------------------------------

    def vote(self, reply_id: str, chat_id: int | str, voter: int | str, up: bool) -> bool:
        """Record a 👍 or 👎 on an answer sent to the chat: one vote per person per answer, a second
        press changing it. False when the answer is not known there (expired, or another chat's)."""
        row = self._kept(reply_id, chat_id)
        if row is None:
            return False
        answer = _answer(*row[2:5])
        first = answer["results"][0] if answer["results"] else {"doc": "", "passage": 0}
        self._db.execute(
            "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row[0],
                row[1],
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
        """Every answered question kept (the last keep_days days): the question and whether it was answered."""
        rows = self._db.execute(
            "SELECT CASE WHEN question IS NULL THEN json_extract(answer, '$.question') ELSE question END, "
            "CASE WHEN question IS NULL THEN json_extract(answer, '$.answered') ELSE answered END "
            "FROM replies WHERE created >= ? ORDER BY id",
            (self._expiry(),),
        )
        return [(question, bool(answered)) for question, answered in rows]

    def stats(self) -> ServedStats:
        seconds = [
            row[0] for row in self._db.execute("SELECT seconds FROM replies WHERE created >= ?", (self._expiry(),))
        ]
        return ServedStats(len(seconds), statistics.median(seconds) if seconds else None)

    # --- keeping it bounded -------------------------------------------------------------------

    def prune(self, lapse_seconds: float | None = None, now: float | None = None) -> Pruned:
        """Remove expired answers, lapsed memories, and, when the data is over store.max_mb, the
        oldest answers down to 90% of it; then give freed space back to the disk as far as the file
        is over max_mb.

        Meant for a periodic job in a worker thread (on a large backlog it takes seconds). It works
        through a connection of its own, a batch at a time, so the bot's reads never wait for it
        and its writes wait at most for one batch. A chat's memory is dropped after lapse_seconds
        of silence (conversation.idle_minutes: it is never read after that), or keep_days if not
        given. Votes are never removed. The newest answer is always kept, so row numbers are never
        reused (a button kept from before version 4 carries one). Closing the store stops it after
        the batch at hand.
        """
        now = time.time() if now is None else now
        expired = now - self.settings.keep_days * _DAY
        lapsed = expired if lapse_seconds is None else max(expired, now - lapse_seconds)
        limit = self.settings.max_mb * _MB
        replies = turns = 0
        db = sqlite3.connect(self.path, timeout=RUNNING_LOCK_WAIT, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous=NORMAL")
            while not self._closing.is_set() and (dropped := _drop_oldest(db, created_before=expired)):
                replies += dropped
                _rest(db)
            turns = db.execute("DELETE FROM turns WHERE updated < ?", (lapsed,)).rowcount
            if _size(db, used=True) > limit:  # down to 90%, so the bot has room until the next prune
                while (
                    not self._closing.is_set()
                    and (over := _size(db, used=True) - limit * 9 // 10) > 0
                    and (dropped := _drop_oldest(db, _answers_in(db, over)))
                ):
                    replies += dropped
                    _rest(db)
            self._tell_if_over(_size(db, used=True), limit)
            _give_back(db, limit, self._closing)
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            return Pruned(replies, turns, _size(db) / _MB)
        except sqlite3.OperationalError as error:  # locked for long, a full disk: the next prune goes on
            log.warning("could not finish pruning %s (%s): it is tried again next time", self.path, error)
            return Pruned(replies, turns, self.path.stat().st_size / _MB)
        finally:
            db.close()

    def _tell_if_over(self, used: int, limit: int) -> None:
        """Warn once that what prune never removes has outgrown store.max_mb."""
        if used > limit and not self._over_size_told:
            log.warning(
                "%s holds %.0f MB of votes and memories, over store.max_mb (%d): they are kept",
                self.path,
                used / _MB,
                self.settings.max_mb,
            )
        self._over_size_told = used > limit


def _prepare(db: sqlite3.Connection) -> str:
    """Create or upgrade citebot's tables, inside the open write transaction, and return the salt.
    Ends with a write, so a file that cannot be written fails here rather than on a message."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables:
        for table in tables & _COLUMNS.keys():
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if not _COLUMNS[table] <= columns:
                raise _Damaged(f"its table {table} is not citebot's")
        if not {"meta", "replies"} <= tables:
            raise _Damaged("it holds no citebot tables")
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = row[0] if row is not None else None
        if not (isinstance(version, (int, str)) and str(version).isdigit() and int(version) >= 1):
            raise _Damaged(f"its schema version is {version!r}")
        if int(version) > SCHEMA_VERSION:
            raise _Newer(f"schema version {version}; this citebot reads up to {SCHEMA_VERSION}")
    for statement in _TABLES:
        db.execute(statement)
    columns = {row[1] for row in db.execute("PRAGMA table_info(replies)")}
    for added in ("question TEXT", "answered INTEGER", "key TEXT"):  # versions 3 and 4's, on an older file
        if added.split()[0] not in columns:
            db.execute(f"ALTER TABLE replies ADD COLUMN {added}")
    # Only the answers kept since version 4 have a key: the index costs an old file nothing.
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS replies_by_key ON replies (key) WHERE key IS NOT NULL")
    db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    return db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]


def new_reply_id() -> str:
    """An id for an answer's buttons, made before it is sent or kept: 16 characters of
    secrets.token_urlsafe (96 random bits), so no one can name an answer they were not shown. With
    an action, a rank and an offset it stays well within Telegram's 64 bytes of callback data."""
    return secrets.token_urlsafe(12)


class Tolerant:
    """Store calls whose failure costs only what they keep, never a reply: a call that raises
    sqlite3.Error (a full disk, another process's lock held too long, a read-only file) gives the
    caller a fallback instead, and the log one warning when the store starts failing (and one per
    other reason while it lasts) and one line when a write works again — not one per message.

    One per store (`Store.tolerant`), shared by everything that keeps state in it (the bot's answers
    and votes, chats' memories), so one condition is one line:

        kept = store.tolerant.write(store.record, chat, message, answer, seconds, reply_id)
        stored = store.tolerant.read(store.reply, reply_id, chat, fallback=None)
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._told: set[str] = set()  # the reasons logged since the store last worked

    def write(self, call: Callable[..., _T], *arguments: Any, fallback: _T | None = None) -> _T | None:
        """call(*arguments), or `fallback` when the store fails. Only a call that did change the
        store shows it works again (a vote on an unknown answer writes nothing)."""
        try:
            before = self._store._db.total_changes
            result = call(*arguments)
        except sqlite3.Error as error:
            self._failed(error)
            return fallback
        if self._store._db.total_changes != before:
            self._worked()
        return result

    def read(self, call: Callable[..., _T], *arguments: Any, fallback: _T) -> _T:
        """call(*arguments), or `fallback` when the store cannot be read."""
        try:
            return call(*arguments)
        except sqlite3.Error as error:
            self._failed(error)
            return fallback

    def _failed(self, error: sqlite3.Error) -> None:
        with self._lock:
            if str(error) in self._told:
                return
            self._told.add(str(error))
        log.warning(
            "cannot use %s (%s): answers are still sent, but until it works again their buttons will say "
            "they have expired, votes are not counted, and chats' memories last only until a restart",
            self._store.path,
            error,
        )

    def _worked(self) -> None:
        with self._lock:
            if not self._told:
                return
            self._told.clear()
        log.info("%s works again: answers, votes and chats' memories are kept again", self._store.path)


def _drop_oldest(db: sqlite3.Connection, batch: int = PRUNE_BATCH, created_before: float = math.inf) -> int:
    """Delete those of the `batch` oldest answers created before the time, never the newest. Only
    the oldest are looked at (ids follow time), so a store with nothing to drop is not scanned."""
    return db.execute(
        "DELETE FROM replies WHERE id IN (SELECT id FROM (SELECT id, created FROM replies "
        "WHERE id < (SELECT max(id) FROM replies) ORDER BY id LIMIT ?) WHERE created < ?)",
        (batch, created_before),
    ).rowcount


def _answers_in(db: sqlite3.Connection, size: int) -> int:
    """About how many of the oldest answers take `size` bytes (ids run nearly without gaps)."""
    first, last = db.execute("SELECT min(id), max(id) FROM replies").fetchone()
    if first is None:
        return 0
    return min(PRUNE_BATCH, max(1, math.ceil(size / (_size(db, used=True) / (last - first + 1)))))


def _give_back(db: sqlite3.Connection, limit: int, stop: threading.Event) -> None:
    """Release free pages to the disk while the file is over `limit` bytes (until `stop` is set).
    Only files made since schema 3 can (auto_vacuum=incremental); an older file stops growing but
    keeps its size."""
    if _pragma(db, "auto_vacuum") != 2:
        return
    page = _pragma(db, "page_size")
    while not stop.is_set() and (pages := min(_pragma(db, "freelist_count"), (_size(db) - limit) // page)) > 0:
        db.executescript(f"PRAGMA incremental_vacuum({min(pages, 256)});")  # executescript runs it to the end
        _rest(db)


def _rest(db: sqlite3.Connection) -> None:
    """Between two steps of prune: copy its changes into the file itself (so the bot's next write
    does not have to), and pause so the bot's own writes get in."""
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    time.sleep(PRUNE_PAUSE)


def _size(db: sqlite3.Connection, used: bool = False) -> int:
    """The database's size in bytes: all its pages, or (used) those holding data."""
    pages = _pragma(db, "page_count") - (_pragma(db, "freelist_count") if used else 0)
    return pages * _pragma(db, "page_size")


def _pragma(db: sqlite3.Connection, name: str) -> int:
    return int(db.execute(f"PRAGMA {name}").fetchone()[0])


def _integer(value: object) -> bool:
    """Whether SQLite can hold the value as an INTEGER (a forged callback can carry any number)."""
    return isinstance(value, int) and -(2**63) <= value < 2**63


def _damaged(error: sqlite3.DatabaseError) -> bool:
    """Whether the file itself is broken (rather than locked, read-only, full or too new)."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    return isinstance(error, _Damaged) or code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _answer(question: str | None, answered: int | None, stored: bytes | str) -> dict[str, Any]:
    if question is None:  # kept by version 2: the whole answer as JSON text
        return json.loads(stored)
    return {"question": question, "answered": bool(answered), **json.loads(zlib.decompress(stored))}


def _json(value: object) -> str:
    return _text(json.dumps(value, ensure_ascii=False))


def _text(text: str) -> str:
    """Text SQLite can hold: a lone surrogate (valid in a Python string, not in UTF-8) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
