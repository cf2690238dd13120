"""Keeps secrets (the bot token, the webhook's secret token) out of every log line, whoever logs it.

python-telegram-bot and its HTTP client put request URLs, which contain the token, into log
messages and exceptions. Rather than trusting each library's log level, every log record is
scrubbed as it is created, before any handler sees it.
"""

from __future__ import annotations

import logging
import traceback

_secrets: dict[str, str] = {}  # secret -> what it is shown as
_make_record = logging.getLogRecordFactory()


def hide_in_logs(secret: str, shown_as: str = "<token>") -> None:
    """From now on, `secret` appears as `shown_as` in every log record of this process."""
    if secret:
        _secrets[secret] = shown_as
        logging.setLogRecordFactory(_scrubbed_record)


def redact(text: str) -> str:
    for secret, shown_as in _secrets.items():
        text = text.replace(secret, shown_as)
    return text


def _scrubbed_record(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed log call: leave it to logging's own error report
        return record
    if redact(message) != message:
        record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if redact(text) != text:
            record.exc_text = redact(text)
    return record
