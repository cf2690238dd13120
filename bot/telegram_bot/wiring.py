"""The bot put together: the Application built with citebot's HTTP clients and rate limiter, every
handler added in one block, and `run` (long polling, or a webhook when telegram.webhook.url is set)."""

from __future__ import annotations

import asyncio
import signal
import warnings
from typing import Any

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from ..bot_api import ALLOWED_UPDATES, POLL_TIMEOUT, PatientRateLimiter, http_clients
from ..config import TOKEN_ENV, Config, TelegramSettings
from ..engine import Engine, Notify
from ..errors import UserError
from ..memory import Conversations
from ..metrics import Metrics
from ..redact import hide_in_logs, redact
from ..store import Store
from ..webhook import WebhookServer
from . import access, admin, asking, buttons, commands, failures, inline, life_cycle, uploads
from .state import STATE, BotState

# Raised inside python-telegram-bot's own rate limiter whenever it reads RetryAfter; nothing to act on here.
warnings.filterwarnings("ignore", message=".*retry_after.*", category=PTBDeprecationWarning)

TEST_ENVIRONMENT_URL = "https://api.telegram.org/bot{token}/test"
TEST_ENVIRONMENT_FILE_URL = "https://api.telegram.org/file/bot{token}/test"
RETRY_AFTER_RETRIES = 5


def build_application(config: Config, engine: Engine, store: Store) -> Application:
    """The bot, ready for run_polling or a WebhookServer (or a test's manual start)."""
    settings = config.telegram
    hide_in_logs(settings.token)
    limits = {} if settings.flood_limits else {"overall_max_rate": 0, "group_max_rate": 0}
    metrics = Metrics()
    sending, polling = http_clients(settings.read_timeout, metrics)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .request(sending)
        .get_updates_request(polling)
        .concurrent_updates(settings.concurrent_updates)
        .rate_limiter(PatientRateLimiter(settings.retry_for, metrics, max_retries=RETRY_AFTER_RETRIES, **limits))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
    )
    base_url, base_file_url = _api_urls(settings)
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    if settings.local_mode:  # files go by path on the server's machine, and come as paths on it
        builder = builder.local_mode(True)
    application = (
        builder.post_init(life_cycle.start).post_stop(life_cycle.stopped).post_shutdown(life_cycle.stop).build()
    )
    application.bot_data[STATE] = BotState(config, engine, store, metrics)
    application.bot_data["metrics"] = metrics  # for the webhook server's /health and /metrics
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:
    """Every update citebot handles, and which handler takes it."""
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, access.gate), group=-1)
    application.add_handler(CommandHandler("start", commands.on_start))
    application.add_handler(CommandHandler("help", commands.on_help))
    application.add_handler(CommandHandler("sources", commands.on_sources))
    application.add_handler(CommandHandler("ask", asking.on_ask))
    application.add_handler(CommandHandler("reset", commands.on_reset))
    application.add_handler(CommandHandler("reindex", admin.on_reindex))
    application.add_handler(CommandHandler("stats", admin.on_stats))
    application.add_handler(CommandHandler("feedback", admin.on_feedback))
    application.add_handler(MessageHandler(private & filters.COMMAND, commands.on_unknown_command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, asking.on_text))
    application.add_handler(MessageHandler(private & filters.Document.ALL, uploads.on_document))
    application.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, asking.on_non_text
        )
    )
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_handler(InlineQueryHandler(inline.on_inline))
    application.add_error_handler(failures.on_error)


def _api_urls(settings: TelegramSettings) -> tuple[str, str]:
    """The Bot API URLs to use, or "" for python-telegram-bot's own (Telegram's servers)."""
    if settings.base_url:
        base = settings.base_url
        files = settings.base_file_url or (base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else "")
        if settings.test_environment:
            return f"{base}{{token}}/test", f"{files}{{token}}/test" if files else ""
        return base, files
    if settings.test_environment:
        return TEST_ENVIRONMENT_URL, TEST_ENVIRONMENT_FILE_URL
    return "", settings.base_file_url


def polling_arguments() -> dict[str, Any]:
    """What run_polling (and Updater.start_polling) need: only the updates citebot handles, and a
    long poll that its read timeout outlasts (python-telegram-bot adds the two)."""
    return {"allowed_updates": list(ALLOWED_UPDATES), "timeout": POLL_TIMEOUT}


def serving_engine(config: Config, store: Store, notify: Notify, progress: bool = False) -> Engine:
    """The engine a bot answers with: each chat's memory is kept in the store, so a conversation
    goes on across a restart."""
    return Engine(config, notify, progress, conversations=Conversations(config.conversation, store))


def run(config: Config, notify: Notify) -> int:
    """Serve until interrupted: long polling, or a webhook when telegram.webhook.url is set."""
    asyncio.run(_check_token(config.telegram))
    store = Store(config.data, config.store)
    application = build_application(config, serving_engine(config, store, notify, progress=True), store)
    if config.telegram.webhook.url:
        asyncio.run(_serve_webhook(application, config))
    else:
        application.run_polling(**polling_arguments())
    return 0


async def _serve_webhook(application: Application, config: Config) -> None:
    """What run_polling does, with citebot's WebhookServer taking the updates: listen (/health says
    503 while the index loads), start, register the webhook, serve until SIGINT or SIGTERM, stop
    (post_init, post_stop and post_shutdown included)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    server = WebhookServer(application, config.telegram.webhook, application.bot_data["metrics"])
    server.listen()
    try:
        async with application:
            await application.post_init(application)
            await application.start()
            try:
                await server.register()
                await stopping.wait()
            finally:
                await server.stop()
                await application.stop()
                await application.post_stop(application)
        await application.post_shutdown(application)
    finally:
        await server.stop()  # when the start failed; stopped already otherwise


async def _check_token(settings: TelegramSettings) -> None:
    """Ask Telegram who the bot is before starting, so a bad token or no connection is one clear line."""
    hide_in_logs(settings.token)
    base_url = _api_urls(settings)[0]
    urls = {"base_url": base_url} if base_url else {}
    try:
        async with Bot(settings.token, **urls):
            pass
    except InvalidToken:
        raise UserError(
            f"Telegram rejected the bot token (telegram.token or {TOKEN_ENV}); check it with @BotFather"
        ) from None
    except NetworkError as error:
        raise UserError(f"cannot reach the Telegram Bot API: {redact(str(error))}") from None
