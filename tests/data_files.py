"""Real files in states tests need: a small disk that fills up, a store file another process
holds locked, a store file as an older citebot wrote it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.store import STORE_FILE


@contextmanager
def tmpfs(folder: Path, kilobytes: int) -> Iterator[Path]:
    """A file system of its own at `folder`, `kilobytes` large: a disk that fills up for real."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a small tmpfs, and only root can mount one")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k,mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write a file into `folder` until its disk is full; the file, to delete to make room again."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while out.write(b"\0" * 4096):
            pass
    return filler


@contextmanager
def held_lock(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the database's write lock (BEGIN EXCLUSIVE) for `seconds`, then
    committing; stopped when the block ends if it still holds it."""
    code = (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "db.execute('COMMIT')\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.terminate()
        holder.wait(timeout=10)


def as_version_3(folder: Path) -> None:
    """Make the store file in `folder` what citebot wrote before answers had keys: their buttons
    carry the row number."""
    with contextlib.closing(sqlite3.connect(folder / STORE_FILE)) as db, db:
        db.execute("DROP INDEX replies_by_key")
        db.execute("ALTER TABLE replies DROP COLUMN key")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
