"""Fixtures shared by the bot's end-to-end tests."""

from collections.abc import Iterator

import pytest
from fake_bot_api import FakeBotApi

from bot.translations import LOCALE_VARIABLES


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console speaks the locale's language (bot.translations): tests expect English whatever
    the locale of the machine running them, unless they set one."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API server on 127.0.0.1 for one test."""
    with FakeBotApi() as server:
        yield server
