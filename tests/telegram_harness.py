"""The real bot Application, polling the fake Bot API server, on a copy of the shipped corpus.

Tests drive it as a user would: push updates into the fake server, wait for what the bot sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fake_bot_api import Call, FakeBotApi
from telegram.ext import Application

from bot.config import Config, load_config
from bot.engine import Engine
from bot.store import STORE_FILE, Store
from bot.telegram_bot.wiring import build_application, polling_arguments, serving_engine

ROOT = Path(__file__).resolve().parent.parent
ADMIN = 7
USER = 1001


@dataclass
class RunningBot:
    api: FakeBotApi
    application: Application
    config: Config
    engine: Engine


def write_site(folder: Path, api: FakeBotApi, chunking: dict | None = None, **telegram: Any) -> Path:
    """A corpus copy and a config.yaml pointing the bot at the fake server; returns the config path."""
    shutil.copytree(ROOT / "corpus", folder / "corpus")
    settings = yaml.safe_load((ROOT / "config.example.yaml").read_text(encoding="utf-8"))
    settings["chunking"].update(chunking or {})
    settings["telegram"] = {"token": api.token, "base_url": api.base_url, "admins": [ADMIN], **telegram}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


@asynccontextmanager
async def running_bot(config_path: Path, api: FakeBotApi) -> AsyncIterator[RunningBot]:
    """Start the bot as run_polling would (initialize, post_init, start, poll, polling errors to
    the error handlers) and stop it after (post_stop included)."""
    config = load_config(config_path, {})
    store = Store(config.data, config.store)
    engine = serving_engine(config, store, notify=lambda message: None)
    application = build_application(config, engine, store)

    def polling_failed(error: Exception) -> None:  # what run_polling passes to the Updater
        application.create_task(application.process_error(error=error, update=None))

    async with application:
        await application.post_init(application)
        await application.start()
        await application.updater.start_polling(**polling_arguments(), error_callback=polling_failed)
        try:
            yield RunningBot(api, application, config, engine)
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_stop(application)
            await application.post_shutdown(application)


async def answers_kept(config: Config, count: int, timeout: float = 5.0) -> None:
    """Wait until the bot has kept `count` answers in its store. It keeps an answer once Telegram has
    confirmed sending it, a moment after the fake server has seen the sendMessage."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.closing(sqlite3.connect(config.data / STORE_FILE)) as db:
            kept = db.execute("SELECT count(*) FROM replies").fetchone()[0]
        if kept >= count:
            return
        assert time.monotonic() < deadline, f"{kept} answers kept, not {count}"
        await asyncio.sleep(0.01)


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


def buttons_of(call_or_message: Call | dict) -> dict[str, str]:
    """Button label → callback data of a sent message's inline keyboard."""
    markup = call_or_message.params.get("reply_markup") if isinstance(call_or_message, Call) else None
    if markup is None and isinstance(call_or_message, dict):
        markup = call_or_message.get("reply_markup")
    if markup is None and isinstance(call_or_message, Call):
        markup = (call_or_message.result or {}).get("reply_markup")
    rows = (markup or {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}
