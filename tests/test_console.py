"""The console chat as a person at a terminal uses it: `python -m bot chat` on a pseudo-terminal, keys and all."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import HISTORY_FILE

PROJECT = Path(__file__).resolve().parent.parent
UP = "\x1b[A"
LEFT = "\x1b[D"
QUESTION = "When did Turkey recognize Azerbaijan?"
SENTENCE = "Turkey was the first country to recognize the Republic of Azerbaijan"


class Terminal:
    """citebot chat on a pseudo-terminal: type keys, read what the screen gets."""

    def __init__(self, tmp_path: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "chat",
                "--index",
                str(tmp_path / "index"),
                "--config",
                str(tmp_path / "c.yaml"),
            ],
            cwd=PROJECT,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        )
        os.close(slave)
        self.screen = ""

    def until(self, pattern: str, timeout: float = 60) -> str:
        """What arrived up to the next match of `pattern` (a regex), which is consumed."""
        deadline = time.monotonic() + timeout
        while (match := re.search(pattern, self.screen)) is None:
            assert time.monotonic() < deadline, f"no {pattern!r} in {self.screen!r}"
            if select.select([self.master], [], [], 0.5)[0]:
                try:
                    self.screen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the other side is gone
                    break
        assert match is not None, f"no {pattern!r} in {self.screen!r}"
        seen, self.screen = self.screen[: match.end()], self.screen[match.end() :]
        return seen

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int:
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "c.yaml").write_text(f"corpus: {PROJECT / 'corpus'}\ndata: data\n", encoding="utf-8")
    return tmp_path


def test_the_console_answers_once_with_more_on_request_and_edits_lines(site: Path) -> None:
    terminal = Terminal(site)
    try:
        terminal.until("you> ")
        terminal.type(f"When did Turkey recognize Azerbaijn?{LEFT}{LEFT}a\r")  # the typo mended in place
        answer = terminal.until("you> ")
        assert "^[[" not in answer and "Azerbaijn" not in answer.split("\n", 1)[1]
        assert answer.count(SENTENCE) == 1  # the answering sentence once, marked in its passage
        assert "(#1)" in answer and "(#2)" not in answer and "score" not in answer
        hidden = int(re.search(r"\(:more for (\d+) more results?\)", answer)[1])
        terminal.type(":more\r")
        more = terminal.until("you> ")
        assert "(#2)" in more and f"(#{hidden + 1})" in more and "(#1)" not in more
        terminal.type(f"{UP}{UP}\r")  # the question again, from the history
        again = terminal.until("you> ")
        assert again.count(SENTENCE) == 1 and "(#1)" in again
        terminal.type(":quit\r")
        assert terminal.close() == 0
    finally:
        terminal.process.kill()
    history = (site / "data" / HISTORY_FILE).read_text(encoding="utf-8")
    assert QUESTION in history

    second = Terminal(site)  # a new session recalls the last one's questions
    try:
        second.until("you> ")
        second.type(f"{UP}{UP}\r")
        assert second.until("you> ").count(SENTENCE) == 1
        second.type("\x04")  # Ctrl-D
        assert second.close() == 0
    finally:
        second.process.kill()
