"""Fault benchmark: the real `citebot run` process against a fake Bot API that fails on purpose.

    .venv/bin/python bench/faults.py                                  # every phase, ~3 min
    .venv/bin/python bench/faults.py --phases 502-outage,refused-outage --outage 90

citebot runs as a user starts it (`python -m bot run`, the token in CITEBOT_TELEGRAM_TOKEN, the
Bot API URL pointing at tests/fake_bot_api.py's server on 127.0.0.1, served by this process), on a
copy of the shipped corpus, with the config's defaults. One process serves every phase, in order:

- 429: every reply's first sendMessage, and three getUpdates, answered "429 retry after 1";
- 500: every reply's first sendMessage, and three getUpdates, answered 500 by the Bot API;
- 502-outage: once the bot has fetched the first questions, every request answered 502 by a proxy
  for --outage seconds (10); questions keep coming meanwhile;
- refused-outage: the same with nothing listening (connection refused);
- slow: every reply's sendMessage answered after 6 s (carried out at once, as a slow Telegram does);
- unparseable: updates python-telegram-bot cannot read, between questions;
- reindex-kill: a separate `citebot reindex` on a copy of 10,000 Debian documents
  (../shared/bench/debian.jsonl.gz) SIGKILLed at 20 random points — 10 anywhere in its run, 10
  while it writes the index file — each after one document changed; then the index in the folder
  must load and `citebot ask` answer;
- full-disk: the bot's data folder (a 16 MB tmpfs, mounted for the run when this runs as root;
  otherwise the phase is skipped with the reason) filled up, questions asked, space given back,
  more questions asked, and 👍 pressed on those answers to see that they are recorded again.

Each question comes from a chat of its own, so a reply is told by its chat. Per phase: questions
sent, answered (chats that got a reply that is not an apology), lost, duplicates (replies beyond
the first), apologies ("Sorry, something went wrong…"), log lines the bot wrote to stderr, Bot
API requests answered with an error, the bot's peak RSS in the phase (/proc's VmHWM, reset at the
phase's start), and the seconds a fresh question took to be answered after the phase. Targets are
printed beside: 0 lost, 0 duplicates, 0 apologies with outages up to 10 s, at most LOG_BUDGET log
lines per started minute of fault, and a fresh question answered after every phase.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_bot_api import FakeBotApi
from telegram_harness import write_site

from bot import index_file as index_files
from bot.config import load_config
from bot.errors import IndexFileError
from bot.evaluate import load_questions
from bot.store import STORE_FILE

DEBIAN = ROOT.parent / "shared" / "bench" / "debian.jsonl.gz"
QUESTIONS = ROOT / "tests" / "data" / "own_questions.yaml"
APOLOGY = "Sorry, something went wrong"
READY = "ready as @"
LOG_BUDGET = 10  # log lines per started minute of fault
ANSWER_WAIT = 30.0  # seconds after a phase's last fault ends that its questions may still be answered
SETTLE = 1.5  # seconds waited after the last reply, for a second copy to show up
TMPFS_MB = 16
FIRST_CHAT = 100_000


# --- the bot as a process ------------------------------------------------------------------------


class BotProcess:
    """`python -m bot run` with the token in the environment; its stderr (the log) is kept line by
    line with the time each arrived, and its peak RSS read from /proc."""

    def __init__(self, config_path: Path, token: str) -> None:
        self.config_path, self.token = config_path, token
        self.lines: list[tuple[float, str]] = []
        self.process: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self, timeout: float = 120.0) -> None:
        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(self.config_path)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env={**os.environ, "CITEBOT_TELEGRAM_TOKEN": self.token},
        )
        threading.Thread(target=self._read_log, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not any(READY in line for _, line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = "\n".join(line for _, line in self.lines[-20:])
                raise RuntimeError(f"citebot run did not become ready (exit {self.process.poll()}):\n{log}")
            time.sleep(0.05)

    def _read_log(self, process: subprocess.Popen[str]) -> None:
        for line in process.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def lines_since(self, since: float, until: float = math.inf) -> list[str]:
        return [line for at, line in list(self.lines) if since <= at <= until]

    def reset_peak(self) -> bool:
        """Start a new peak RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def peak_mb(self) -> float | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found[1]) / 1024 if found else None

    def stop(self) -> int | None:
        """Ctrl-C, as a user stops it; its exit status (None if it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


class ClockedBotApi(FakeBotApi):
    """FakeBotApi that notes when it carried out each message the bot sent, per chat."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: dict[int, list[float]] = {}

    def _store_bot_message(self, params: dict, **content: object) -> dict:
        message = super()._store_bot_message(params, **content)
        self.sent_at.setdefault(message["chat"]["id"], []).append(time.monotonic())
        return message


def bot_site(folder: Path, api: FakeBotApi, **telegram: object) -> Path:
    """The tests' site (a copy of the shipped corpus, the example config pointing at the fake
    server), with the token left out of the file: it comes from the environment."""
    path = write_site(folder, api, **telegram)
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    del settings["telegram"]["token"]
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def question_texts() -> list[str]:
    return [question.question for question in load_questions(QUESTIONS)]


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def text_of(params: dict) -> str:
    return str(params.get("text", ""))


# --- one phase -----------------------------------------------------------------------------------


@dataclass
class Row:
    """What one phase measured; None where a figure does not apply."""

    phase: str
    questions: int = 0
    answered: int = 0
    duplicates: int = 0
    apologies: int = 0
    log_lines: int = 0
    fault_seconds: float = 0.0  # how long the fault lasted, for the log budget
    failed_requests: int | None = None  # Bot API requests answered with an error (unknown when refused)
    peak_mb: float | None = None
    fresh_seconds: float | None = None  # a fresh question after the phase; None: not answered
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    checks: dict[str, bool] = field(default_factory=dict)  # extra targets of the phase
    losses_expected: bool = False  # an outage longer than telegram.retry_for: replies are given up

    @property
    def lost(self) -> int:
        return self.questions - self.answered

    @property
    def log_budget(self) -> int:
        return LOG_BUDGET * max(1, math.ceil(self.fault_seconds / 60))

    def misses(self) -> list[str]:
        if self.skipped:
            return []
        missed = [
            f"{name} {value}"
            for name, value in (("lost", self.lost), ("duplicates", self.duplicates), ("apologies", self.apologies))
            if value and not (name == "lost" and self.losses_expected)
        ]
        if self.log_lines > self.log_budget:
            missed.append(f"log {self.log_lines} > {self.log_budget}")
        if self.fresh_seconds is None:
            missed.append("fresh question unanswered")
        missed += [name for name, ok in self.checks.items() if not ok]
        return missed


@dataclass
class Settings:
    outage: float  # seconds
    retry_for: float  # the bot's telegram.retry_for: seconds a reply is kept through an outage
    data: Path  # the bot's data folder
    data_skip: str  # why the data folder cannot be filled, or ""
    kill_docs: int
    rng: random.Random


class Bench:
    """The fake server, the bot process, and the chats: each question from a chat of its own."""

    def __init__(self, api: ClockedBotApi, bot: BotProcess, questions: list[str], settings: Settings) -> None:
        self.api, self.bot, self.settings = api, bot, settings
        self._questions = itertools.cycle(questions)
        self._chats = itertools.count(FIRST_CHAT)

    def ask(self) -> int:
        """A question from a new private chat; returns the chat."""
        chat = next(self._chats)
        self.api.message(next(self._questions), chat_id=chat, user_id=chat)
        return chat

    def replies(self, chat: int) -> list[dict]:
        return [call.params for call in self.api.sent("sendMessage", chat)]

    def answered(self, chat: int) -> bool:
        return any(APOLOGY not in text_of(reply) for reply in self.replies(chat))

    def await_answers(self, chats: Sequence[int], timeout: float = ANSWER_WAIT) -> None:
        wait_until(lambda: all(self.answered(chat) for chat in chats), timeout)
        time.sleep(SETTLE)

    def last_reply_at(self, chats: Sequence[int]) -> float | None:
        """When the server carried out the last message the bot sent to any of `chats` (monotonic)."""
        return max((at for chat in chats for at in self.api.sent_at.get(chat, [])), default=None)

    def press_thumbs_up(self, chats: Sequence[int]) -> int:
        """Press 👍 under each chat's answer as its user; how many were thanked (the vote recorded)."""
        queries = []
        for chat in chats:
            for message in self.api.bot_messages(chat):
                rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
                data = next((b["callback_data"] for row in rows for b in row if b["text"] == "👍"), None)
                if data is not None:
                    queries.append(self.api.press(data, message, user_id=chat)["id"])
                    break

        def answers() -> list[str]:
            by_id = {
                str(c.params.get("callback_query_id")): text_of(c.params) for c in self.api.sent("answerCallbackQuery")
            }
            return [by_id[query] for query in queries if query in by_id]

        wait_until(lambda: len(answers()) == len(queries), 15.0)
        return sum(answer.startswith("Thanks") for answer in answers())

    def fresh_question(self) -> float | None:
        started = time.monotonic()
        chat = self.ask()
        return time.monotonic() - started if wait_until(lambda: self.answered(chat), 30.0) else None

    def measure(self, phase: str, run: Callable[[Bench, Row], list[int]]) -> Row:
        """Run one phase: its questions and faults, then a fresh question; count what happened."""
        row = Row(phase)
        if not self.bot.alive:
            row.notes.append(f"the bot had exited ({self.bot.process.returncode}); started again")
            self.bot.start()
        exact_peak = self.bot.reset_peak()
        started, calls_before = time.monotonic(), len(self.api.calls)
        chats = run(self, row)
        if row.skipped:
            return row
        row.fresh_seconds = self.fresh_question() if self.bot.alive else None
        row.questions = len(chats)
        for chat in chats:
            replies = self.replies(chat)
            answers = [reply for reply in replies if APOLOGY not in text_of(reply)]
            row.answered += bool(answers)
            row.duplicates += max(0, len(answers) - 1)
            row.apologies += len(replies) - len(answers)
        row.log_lines = len(self.bot.lines_since(started))
        if row.failed_requests is None and "refused" not in phase:
            row.failed_requests = sum(not call.ok for call in self.api.calls[calls_before:])
        row.peak_mb = self.bot.peak_mb()
        if not exact_peak:
            row.notes.append("peak RSS is since the bot started (VmHWM could not be reset)")
        if not self.bot.alive:
            row.notes.append(f"the bot exited during the phase (status {self.bot.process.returncode})")
        return row


# --- the phases ----------------------------------------------------------------------------------


def phase_429(bench: Bench, row: Row) -> list[int]:
    return _refused_once(bench, row, 429, retry_after=1)


def phase_500(bench: Bench, row: Row) -> list[int]:
    return _refused_once(bench, row, 500)


def _refused_once(bench: Bench, row: Row, status: int, retry_after: int | None = None) -> list[int]:
    """40 questions; each reply's first sendMessage and three getUpdates fail with `status`."""
    api = bench.api
    api.fail_next("getUpdates", status, retry_after=retry_after, times=3)
    api.fail_next("sendMessage", status, retry_after=retry_after, times=40)
    chats = [bench.ask() for _ in range(40)]
    bench.await_answers(chats)
    row.notes.append(
        f"{40} sendMessage and 3 getUpdates answered {status}"
        + (f" (retry after {retry_after})" if retry_after else "")
    )
    return chats


def phase_502_outage(bench: Bench, row: Row) -> list[int]:
    return _outage(bench, row, lambda seconds: bench.api.fail_for(seconds))


def phase_refused_outage(bench: Bench, row: Row) -> list[int]:
    return _outage(bench, row, bench.api.refuse_for)


def _outage(bench: Bench, row: Row, fault: Callable[[float], None]) -> list[int]:
    """20 questions fetched just before the outage (their replies meet it), 20 more during it."""
    api, seconds = bench.api, bench.settings.outage
    began: list[float] = []
    api.after_updates(lambda: (began.append(time.monotonic()), fault(seconds)))
    chats = [bench.ask() for _ in range(20)]
    if not wait_until(lambda: bool(began), 30.0):
        row.notes.append("the bot never fetched the questions; no outage was started")
    for _ in range(20):
        time.sleep(seconds / 20)
        chats.append(bench.ask())
    row.fault_seconds = seconds
    if seconds > bench.settings.retry_for:
        row.losses_expected = True
        row.notes.append(
            f"the outage outlasts telegram.retry_for ({bench.settings.retry_for:g} s): replies fetched before it "
            "are given up, by design; not counted against the target"
        )
    bench.await_answers(chats)
    last = bench.last_reply_at(chats)
    if began and last is not None:
        row.notes.append(f"the last reply came {last - began[0] - seconds:.1f} s after the outage ended")
    return chats


def phase_slow(bench: Bench, row: Row) -> list[int]:
    """20 questions whose replies' sendMessage is answered after 6 s."""
    bench.api.slow("sendMessage", 6.0, times=20)
    chats = [bench.ask() for _ in range(20)]
    bench.await_answers(chats)
    row.fault_seconds = 6.0
    return chats


def phase_unparseable(bench: Bench, row: Row) -> list[int]:
    """Updates python-telegram-bot cannot read (a message dated "yesterday", a callback query
    without its sender, a message that is a string, a reaction with a text for its emoji), each
    carrying a secret, between 20 questions."""
    api = bench.api
    secret = f"private-{random.randrange(10**9)}"
    polls_before = sum(call.method == "getUpdates" for call in api.calls)
    chats = []
    for n in range(20):
        chats.append(bench.ask())
        if n % 4 == 0:
            api.unreadable_update(text=f"{secret} question")
            api.unreadable_update(kind="message_reaction", text=secret)
            api.push_update({"callback_query": {"id": "1", "data": secret, "chat_instance": "x"}})
            api.push_update({"message": secret})
    bench.await_answers(chats)
    polls = sum(call.method == "getUpdates" for call in api.calls) - polls_before
    leaked = any(secret in line for _, line in bench.bot.lines)
    row.notes.append(
        f"20 unreadable updates pushed; getUpdates calls during the phase: {polls}; "
        f"their texts in the log: {'yes' if leaked else 'no'}"
    )
    row.checks["no user text in the log"] = not leaked
    return chats


def phase_full_disk(bench: Bench, row: Row) -> list[int]:
    """Fill the data folder (a tmpfs), ask 30 questions, give the space back, ask 10 more, and press
    👍 under every answer: "Thanks" means the answer was recorded, "expired" that it was not.

    First the store's write-ahead log is checkpointed and truncated (from this process, as SQLite
    allows while the bot has the file open), or the bot could go on writing into the room its log
    already has, and never meet the full disk."""
    data = bench.settings.data
    if bench.settings.data_skip:
        row.skipped = bench.settings.data_skip
        return []
    with contextlib.closing(sqlite3.connect(data / STORE_FILE, timeout=10)) as store:
        busy, _, _ = store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        row.notes.append("the store's write-ahead log could not be truncated (busy): the disk may not be met")
    filler = data / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for block in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * block)
    finally:
        os.close(descriptor)
    free = shutil.disk_usage(data).free
    chats = [bench.ask() for _ in range(30)]
    bench.await_answers(chats)
    with_buttons = sum(
        bool(reply.get("reply_markup"))
        for chat in chats
        for reply in bench.replies(chat)
        if APOLOGY not in text_of(reply)
    )
    filler.unlink()
    after = [bench.ask() for _ in range(10)]
    bench.await_answers(after)
    recorded_while_full, recorded = bench.press_thumbs_up(chats), bench.press_thumbs_up(after)
    row.notes.append(
        f"data folder full ({free} bytes free): {sum(map(bench.answered, chats))}/30 answered, "
        f"{with_buttons} with buttons, 👍 recorded under {recorded_while_full}; space given back: "
        f"{sum(map(bench.answered, after))}/10 answered, 👍 recorded under {recorded}/10"
    )
    row.checks["answers recorded again once space returns"] = recorded == len(after)
    return chats + after


def phase_reindex_kill(bench: Bench, row: Row) -> list[int]:
    """20 `citebot reindex` runs on a copy of Debian documents, SIGKILLed; the index must load after each."""
    if not DEBIAN.exists():
        row.skipped = f"needs {DEBIAN}"
        return []
    kills = ReindexKills(bench.settings.kill_docs, bench.settings.rng)
    try:
        kills.run(20)
    finally:
        kills.close()
    row.notes += kills.report()
    row.checks["the index loads after every kill"] = kills.loaded == kills.kills
    row.checks["citebot ask answers after every kill"] = kills.asked == kills.kills
    row.checks["no temporary left after the next load"] = kills.left_after_load == 0
    return []


PHASES: dict[str, Callable[[Bench, Row], list[int]]] = {
    "429": phase_429,
    "500": phase_500,
    "502-outage": phase_502_outage,
    "refused-outage": phase_refused_outage,
    "slow": phase_slow,
    "unparseable": phase_unparseable,
    "reindex-kill": phase_reindex_kill,
    "full-disk": phase_full_disk,
}


# --- reindex, killed ---------------------------------------------------------------------------


class ReindexKills:
    """`citebot reindex` in a folder of its own, killed at random points."""

    def __init__(self, documents: int, rng: random.Random) -> None:
        self.rng = rng
        self.folder = Path(tempfile.mkdtemp(prefix="citebot-kills-"))
        self.corpus, self.index, self.log = self.folder / "corpus", self.folder / "index", self.folder / "reindex.log"
        self.corpus.mkdir()
        with gzip.open(DEBIAN, "rt", encoding="utf-8") as lines:
            for line in itertools.islice(lines, documents):
                document = json.loads(line)
                name = re.sub(r"[^A-Za-z0-9._-]", "_", document["id"]) + ".txt"
                (self.corpus / name).write_text(f"{document['title']}\n\n{document['text']}", encoding="utf-8")
        self.files = sorted(self.corpus.iterdir())
        self.kills = self.loaded = self.asked = self.finished_first = 0
        self.previous = self.new = 0
        self.left_by_kills = self.left_after_load = 0
        self.left_bytes = 0
        self.peak_mb = 0.0
        self.problems: list[str] = []
        self.full_seconds = self.run_seconds = self.write_seconds = 0.0

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, kills: int) -> None:
        """A full build, one timed run after a change (the whole run and its index write), then the kills."""
        started = time.monotonic()
        self._reap(self._reindex(), block=True, expect_success=True)
        self.full_seconds = time.monotonic() - started
        self._change_one()
        started = time.monotonic()
        process = self._reindex()
        appeared = gone = None
        while not self._reap(process, block=False, expect_success=True):
            present, now = bool(self._temporaries()), time.monotonic()
            if present and appeared is None:
                appeared = now
            if appeared is not None and not present and gone is None:
                gone = now
            time.sleep(0.001)
        ended = time.monotonic()
        self.run_seconds = ended - started
        self.write_seconds = max((gone or ended) - appeared, 0.005) if appeared is not None else 0.05
        for n in range(kills):
            self._kill_once(while_writing=n % 2 == 1)

    def _kill_once(self, while_writing: bool) -> None:
        before = index_files.load(self.index).corpus_fingerprint
        self._change_one()
        process = self._reindex()
        if while_writing:
            wait_until(lambda: bool(self._temporaries()) or process.poll() is not None, 60.0, step=0.0005)
            time.sleep(self.rng.uniform(0, self.write_seconds))
        else:
            time.sleep(self.rng.uniform(0, self.run_seconds))
        if self._reap(process, block=False):
            self.finished_first += 1
        else:
            process.kill()
            self._reap(process, block=True)
        self.kills += 1
        left = self._temporaries()
        self.left_by_kills += len(left)
        self.left_bytes = max([self.left_bytes, *(path.stat().st_size for path in left)])
        try:
            loaded = index_files.load(self.index)
        except IndexFileError as error:
            self.problems.append(f"kill {self.kills}: the index does not load: {error}")
        else:
            self.loaded += 1
            self.previous += loaded.corpus_fingerprint == before
            self.new += loaded.corpus_fingerprint != before
            del loaded
        self.left_after_load += len(self._temporaries())
        asked = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "What does the package manager do?",
             "--corpus", str(self.corpus), "--index", str(self.index)],
            cwd=self.folder, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if asked.returncode == 0 and asked.stdout.strip() and "building the index from" not in asked.stderr:
            self.asked += 1
        else:
            self.problems.append(
                f"kill {self.kills}: citebot ask exited {asked.returncode}: {asked.stderr.strip()[-300:]}"
            )

    def _reindex(self) -> subprocess.Popen[bytes]:
        with self.log.open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "reindex", "--corpus", str(self.corpus), "--index", str(self.index)],
                cwd=self.folder,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def _reap(self, process: subprocess.Popen[bytes], block: bool, expect_success: bool = False) -> bool:
        """Whether the process has ended (reaping it, keeping its peak RSS)."""
        pid, status, usage = os.wait4(process.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        process.returncode = os.waitstatus_to_exitcode(status)
        self.peak_mb = max(self.peak_mb, usage.ru_maxrss / 1024)
        if expect_success and process.returncode != 0:
            tail = self.log.read_text(errors="replace").strip()[-300:]
            self.problems.append(f"a reindex left to finish exited {process.returncode}: {tail}")
        return True

    def _temporaries(self) -> list[Path]:
        return list(self.index.glob(".citebot-index-*.tmp"))

    def _change_one(self) -> None:
        path = self.rng.choice(self.files)
        with path.open("a", encoding="utf-8") as out:
            out.write(f"\n\nOne more sentence about packages, number {self.rng.randrange(10**6)}.\n")

    def report(self) -> list[str]:
        how = (
            f"{self.kills} kills of `citebot reindex` on {len(self.files):,} Debian documents (full build "
            f"{self.full_seconds:.1f} s; after one change {self.run_seconds:.2f} s, writing the index "
            f"{self.write_seconds * 1000:.0f} ms of it): half at a random time in the run, half while the index "
            f"was written; {self.finished_first} had finished before their kill"
        )
        loads = (
            f"index loaded after {self.loaded}/{self.kills} kills (the previous one {self.previous}, the new one "
            f"{self.new}); `citebot ask` answered after {self.asked}/{self.kills}"
        )
        temporaries = (
            f"temporaries left by the kills: {self.left_by_kills} (up to {self.left_bytes / 2**20:.0f} MB), after "
            f"the next load: {self.left_after_load}; reindex peak RSS {self.peak_mb:.0f} MB"
        )
        return [how, loads, temporaries, *(f"! {problem}" for problem in self.problems)]


# --- output ------------------------------------------------------------------------------------


HEADINGS = (
    "phase",
    "questions",
    "answered",
    "lost",
    "duplicates",
    "apologies",
    "log lines",
    "failed requests",
    "peak RSS MB",
    "fresh answer s",
    "targets",
)


def table_line(cells: Sequence[str]) -> str:
    first, *rest = cells
    *numbers, last = rest
    return (
        f"{first:<15}"
        + "".join(f"{cell:>{len(heading) + 2}}" for cell, heading in zip(numbers, HEADINGS[1:-1]))
        + f"  {last}"
    )


def row_cells(row: Row) -> list[str]:
    if row.skipped:
        return [row.phase, *["—"] * 9, f"skipped: {row.skipped}"]
    misses = row.misses()
    return [
        row.phase,
        str(row.questions),
        str(row.answered),
        str(row.lost),
        str(row.duplicates),
        str(row.apologies),
        f"{row.log_lines}",
        "—" if row.failed_requests is None else str(row.failed_requests),
        "—" if row.peak_mb is None else f"{row.peak_mb:.0f}",
        "no answer" if row.fresh_seconds is None else f"{row.fresh_seconds:.2f}",
        "met" if not misses else "NOT MET: " + ", ".join(misses),
    ]


def print_report(rows: list[Row], outage: float, bot: BotProcess, exit_status: int | None) -> None:
    print(
        f"citebot run (a process of its own) against the fake Bot API on 127.0.0.1; outages {outage:g} s; "
        f"{os.cpu_count()} CPUs"
    )
    print(table_line(HEADINGS))
    for row in rows:
        print(table_line(row_cells(row)))
    print(table_line(["target", "", "all", "0", "0", "0", f"≤{LOG_BUDGET}/min", "", "", "answered", ""]))
    for row in rows:
        for note in row.notes:
            print(f"{row.phase}: {note}")
    tracebacks = sum(line.startswith("Traceback") for _, line in bot.lines)
    errors = sum(line.startswith(("ERROR", "CRITICAL")) for _, line in bot.lines)
    print(
        f"the bot: started {bot.starts} time(s); {len(bot.lines)} log lines in all, {errors} ERROR, "
        f"{tracebacks} tracebacks; exit status on Ctrl-C: {exit_status}"
    )


# --- main -------------------------------------------------------------------------------------


@contextlib.contextmanager
def data_folder(folder: Path, wanted: bool) -> Iterator[str]:
    """Mount a small tmpfs as the bot's data folder, when the full-disk phase is wanted; yields ""
    or the reason it cannot be."""
    data = folder / "data"
    data.mkdir()
    if not wanted:
        yield "not selected"
        return
    if os.geteuid() != 0:
        yield "needs root, to mount a tmpfs as the data folder"
        return
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        yield f"cannot mount a tmpfs: {mount.stderr.strip()}"
        return
    try:
        yield ""
    finally:
        if subprocess.run(["umount", str(data)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(data)], capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of: {', '.join(PHASES)}")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds each outage lasts (default 10)")
    parser.add_argument("--kill-docs", type=int, default=10_000, help="Debian documents in the killed reindex's corpus")
    parser.add_argument("--seed", type=int, default=14, help="for the kill times and the changed documents")
    parser.add_argument("--log", action="store_true", help="print the bot's log (its stderr) at the end")
    args = parser.parse_args()
    phases = [name.strip() for name in args.phases.split(",") if name.strip()]
    unknown = [name for name in phases if name not in PHASES]
    if unknown:
        parser.error(f"unknown phases: {', '.join(unknown)} (known: {', '.join(PHASES)})")
    with tempfile.TemporaryDirectory(prefix="citebot-faults-") as name, ClockedBotApi() as api:
        folder = Path(name)
        with data_folder(folder, "full-disk" in phases) as data_skip:
            config_path = bot_site(folder, api)
            bot = BotProcess(config_path, api.token)
            retry_for = load_config(config_path, {}).telegram.retry_for
            settings = Settings(
                args.outage, retry_for, folder / "data", data_skip, args.kill_docs, random.Random(args.seed)
            )
            bench = Bench(api, bot, question_texts(), settings)
            print("starting citebot run…", file=sys.stderr, flush=True)
            bot.start()
            rows = []
            try:
                for phase in phases:
                    print(f"phase {phase}…", file=sys.stderr, flush=True)
                    rows.append(bench.measure(phase, PHASES[phase]))
            finally:
                exit_status = bot.stop()
        print_report(rows, args.outage, bot, exit_status)
        if args.log:
            print("\n".join(line for _, line in bot.lines))


if __name__ == "__main__":
    main()
