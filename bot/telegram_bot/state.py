"""What every handler shares, kept in application.bot_data: one engine, one store, the bot's settings
and metrics, /start's examples, and the bookkeeping of replies in flight; and the few helpers the
handlers have in common."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from ..config import Config, TelegramSettings
from ..engine import Engine
from ..index_file import INDEX_FILE
from ..metrics import Metrics, MonitoringServer
from ..store import Store
from ..translations import Translator, for_language

STATE = "citebot"  # its key in application.bot_data


@dataclass(eq=False)
class BotState:
    """One bot's shared state: handlers reach it with bot_state(context), so none keeps its own."""

    config: Config
    engine: Engine
    store: Store
    metrics: Metrics
    examples: list[str] = field(default_factory=list)  # /start's, picked again after each reindex
    reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one reindex at a time
    unconfirmed: dict[str, int] = field(default_factory=dict)  # reply id -> chat, for replies whose send timed out
    sending: dict[str, asyncio.Event] = field(default_factory=dict)  # reply id -> set once the reply is sent and kept
    preparing: asyncio.Task | None = None  # the answers' word lists, made at start off the event loop
    pruning: asyncio.Task | None = None
    monitoring: MonitoringServer | None = None  # /health and /metrics when polling

    @property
    def settings(self) -> TelegramSettings:
        return self.config.telegram

    def index_in_use(self) -> None:
        """Tell the metrics which index answers now."""
        index = self.engine.index
        self.metrics.index_in_use(len(index.documents), len(index), len(index.skipped), self.config.index / INDEX_FILE)


def bot_state(holder: Application | ContextTypes.DEFAULT_TYPE) -> BotState:
    """The state of the bot an application (or a handler's context) belongs to."""
    return holder.bot_data[STATE]


def translator(update: Update) -> Translator:
    """The translator for whoever sent the update: their Telegram app's language, else English."""
    user = update.effective_user
    return for_language(user.language_code if user is not None else None)


async def show_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    with contextlib.suppress(TelegramError):  # the typing hint is a nicety, never a failure
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)


def unchanged(error: BadRequest) -> bool:
    """Telegram refuses an edit that changes nothing; for us that edit has succeeded."""
    return "not modified" in error.message
