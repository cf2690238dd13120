"""Every line citebot writes to stderr, in one shape: a timestamp, the level, who says it, the message.

A service manager's journal and a log collector read the same lines a person at a terminal does,
as text (`2026-12-03T06:47:12.123+00:00 INFO citebot: …`) or as one JSON object a line
(`logging.format: json`). Long work (reading and indexing a large corpus) shows a tqdm bar on a
terminal and, anywhere else, a progress line every PROGRESS_SECONDS, so a build under a service
manager is never silent for long. The secrets bot.redact hides stay hidden: records are scrubbed
as they are made, before these handlers see them.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
LEVEL_ENV = "CITEBOT_LOG_LEVEL"
PROGRESS_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    format: str = "text"  # text, or json: one object a line, for log collectors
    level: str = ""  # debug, info, warning or error; empty: info (debug with -v)


def level_of(name: str) -> int:
    """The logging level a setting names (case ignored); ValueError for any other name."""
    if name.strip().lower() not in LEVELS:
        raise ValueError(f"must be one of {', '.join(LEVELS)} (got {name!r})")
    return logging.getLevelNamesMapping()[name.strip().upper()]


def setup(level: int, form: str = "text") -> None:
    """Send every log record at `level` or above to stderr in `form`, replacing what an earlier call
    set up (and no other handler: a test's log capture stays). httpx is kept to warnings: its
    request lines carry the bot token."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if form == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test may have swapped it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class Progress:
    """How far long work has got: a tqdm bar on a terminal, else a log line every PROGRESS_SECONDS
    (and one at the end, when there were any). Nothing at all when not `shown`."""

    def __init__(self, total: int, what: str, unit: str, shown: bool = True) -> None:
        self.total, self.what, self.unit = total, what, unit
        self.done = 0
        self._bar: Any = None
        self._log: logging.Logger | None = None
        if shown and sys.stderr.isatty():
            from tqdm import tqdm  # only where a bar is drawn

            self._bar = tqdm(total=total, desc=what, unit=unit)
        elif shown:
            self._log = logging.getLogger("citebot")
        self._started = self._last = time.monotonic()

    def update(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        elif self._log is not None and self.done < self.total:
            now = time.monotonic()
            if now - self._last >= PROGRESS_SECONDS:
                self._last = now
                self._log.info(
                    "%s: %d of %d %ss (%d%%), %.0f s so far",
                    self.what,
                    self.done,
                    self.total,
                    self.unit,
                    100 * self.done // max(self.total, 1),
                    now - self._started,
                )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._log is not None and self._last != self._started:
            self._log.info("%s: %d %ss in %.0f s", self.what, self.done, self.unit, time.monotonic() - self._started)
