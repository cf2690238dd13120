"""Fixtures shared by the bot's end-to-end tests."""

from collections.abc import Iterator

import pytest
from fake_bot_api import FakeBotApi


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API server on 127.0.0.1 for one test."""
    with FakeBotApi() as server:
        yield server
