"""The bot's start and stop: the index loaded, /start's examples picked, the command menus set, the
store pruned now and then, and the monitoring server when polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest
from telegram.ext import Application

from .. import messages
from ..answer import prepare
from ..examples import example_questions
from ..metrics import MonitoringServer
from ..translations import for_language, languages
from .state import BotState, bot_state

log = logging.getLogger(__name__)

PRUNE_FIRST = 60.0  # seconds after start the store is first pruned,
PRUNE_EVERY = 3600.0  # and how often after that


async def start(application: Application) -> None:
    """Load the index, pick /start's examples, register the command menus, and start pruning the
    store now and then. In polling mode, /health and /metrics are served from the start (if
    telegram.metrics.port is set): not ready until the index is loaded."""
    state = bot_state(application)
    if state.settings.metrics.port and not state.settings.webhook.url:
        state.monitoring = MonitoringServer(state.metrics, state.settings.metrics)
        state.monitoring.start()
    loading = time.perf_counter()
    index = await asyncio.to_thread(lambda: state.engine.index)
    loaded = time.perf_counter() - loading
    state.index_in_use()
    state.examples = await asyncio.to_thread(example_questions, index, state.engine.ask)
    # Answers may run in the event loop: the word lists they may need are made now, off it.
    state.preparing = asyncio.create_task(asyncio.to_thread(prepare, index))
    await _set_commands(application.bot, messages.COMMAND_MENU)
    for admin in state.settings.admins:
        try:
            await _set_commands(
                application.bot, messages.COMMAND_MENU + messages.ADMIN_MENU, BotCommandScopeChat(admin)
            )
        except BadRequest as error:  # the admin has not started a chat with the bot yet
            log.info("admin commands not shown to %s: %s", admin, error.message)
    # Not application.create_task: Application.stop waits for those, and this one never ends.
    state.pruning = asyncio.create_task(_prune_now_and_then(state))
    log.info(
        "ready as @%s: %d documents, %d passages, %d files skipped; index ready in %.1f s",
        application.bot.username,
        len(index.documents),
        len(index),
        len(index.skipped),
        loaded,
    )
    for skipped in index.skipped:
        log.info("skipped %s: %s", skipped.doc_id, skipped.reason)


async def stopped(application: Application) -> None:
    """Stop pruning (a prune under way stops after its batch when the store is closed)."""
    state = bot_state(application)
    if state.pruning is not None:
        state.pruning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.pruning
        state.pruning = None


async def stop(application: Application) -> None:
    state = bot_state(application)
    await stopped(application)
    if state.monitoring is not None:
        await state.monitoring.stop()
    if state.preparing is not None:
        await state.preparing
    state.store.close()


async def _prune_now_and_then(state: BotState) -> None:
    """Keep the store within store.keep_days and store.max_mb, and drop chats' memories once they
    lapse: PRUNE_FIRST seconds after start, then every PRUNE_EVERY, in a worker thread (on a large
    backlog a prune takes seconds)."""
    store = state.store
    lapse = state.config.conversation.idle_minutes * 60
    await asyncio.sleep(PRUNE_FIRST)
    while True:
        try:
            pruned = await asyncio.to_thread(store.prune, lapse)
        except Exception:  # a bug: told with its traceback, and pruning goes on next time
            log.exception("pruning %s failed", store.path)
        else:
            if pruned.replies or pruned.turns:
                log.info(
                    "pruned %s: %d answers, %d chats' memories; %.1f MB",
                    store.path.name,
                    pruned.replies,
                    pruned.turns,
                    pruned.megabytes,
                )
        await asyncio.sleep(PRUNE_EVERY)


async def _set_commands(
    bot: Bot, commands: tuple[tuple[str, str], ...], scope: BotCommandScopeChat | None = None
) -> None:
    """The command menu in English for everyone, and in each language with a catalog for the users
    whose app speaks it."""
    await bot.set_my_commands([BotCommand(command, description) for command, description in commands], scope=scope)
    for language in languages():
        tr = for_language(language)
        localized = [BotCommand(command, tr.gettext(description)) for command, description in commands]
        await bot.set_my_commands(localized, scope=scope, language_code=language)
