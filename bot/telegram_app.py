"""The Telegram front end: python-telegram-bot handlers over the engine, the store and render.

Questions come as private messages, as mentions of the bot or replies to its answers in groups,
as /ask, and as inline queries. Answers carry buttons whose callback data names a stored reply by
an unguessable id, and which act only in the chat the answer was sent to; they keep working after a
restart, and after a reindex they check that the passage they point at still exists. An answer is
sent first and kept after: a store that cannot be written costs its buttons, never the answer. Slow
work (answering, reindexing, reading an upload, pruning the store) runs in a worker thread so the
bot keeps serving other chats meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import signal
import tempfile
import time
import warnings
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import httpx
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from . import corpus, feedback, render
from .answer import Answer, Result, prepare
from .bot_api import ALLOWED_UPDATES, POLL_TIMEOUT, PatientRateLimiter, Undelivered, http_clients, maybe_delivered
from .config import TOKEN_ENV, Config, TelegramSettings
from .engine import BuildReport, Engine, Notify
from .errors import DocumentError, UserError
from .examples import example_questions
from .index_file import INDEX_FILE
from .memory import Conversations
from .metrics import Metrics, MonitoringServer
from .redact import hide_in_logs, redact
from .store import Store, StoredReply, new_reply_id
from .structure import monospaced
from .translations import N_, Translator, for_language, languages
from .webhook import WebhookServer

log = logging.getLogger(__name__)
# Raised inside python-telegram-bot's own rate limiter whenever it reads RetryAfter; nothing to act on here.
warnings.filterwarnings("ignore", message=".*retry_after.*", category=PTBDeprecationWarning)

TEST_ENVIRONMENT_URL = "https://api.telegram.org/bot{token}/test"
TEST_ENVIRONMENT_FILE_URL = "https://api.telegram.org/file/bot{token}/test"
SEND_FILE_LIMIT = 50 * 1024 * 1024  # the Bot API's limit for files a bot sends
LOCAL_FILE_LIMIT = 2000 * 1024 * 1024  # a local Bot API server's, both ways
INLINE_ASK_PASSAGES = 100_000
RETRY_AFTER_RETRIES = 5
UNCONFIRMED_KEPT = 1000  # replies whose send timed out, remembered until a button press names their message
DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PRUNE_FIRST = 60.0  # seconds after start the store is first pruned,
PRUNE_EVERY = 3600.0  # and how often after that
NON_TEXT_HINT = N_("I answer questions written as text — type one, e.g. what you want to know about the documents.")

COMMANDS = (
    BotCommand("start", N_("what I know, with example questions")),
    BotCommand("help", N_("how to ask and what the buttons do")),
    BotCommand("sources", N_("the documents I answer from")),
    BotCommand("ask", N_("ask a question (handy in groups)")),
    BotCommand("reset", N_("forget this chat's earlier questions")),
)
ADMIN_COMMANDS = (
    BotCommand("reindex", N_("rebuild the index from the corpus folder")),
    BotCommand("stats", N_("documents, passages, questions served")),
    BotCommand("feedback", N_("answers voted down, questions not answered, most asked")),
)


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
    bot = Citebot(config, engine, store, metrics)
    application = builder.post_init(bot.start).post_stop(bot.stopped).post_shutdown(bot.stop).build()
    bot.register(application)
    return application


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
    """What run_polling does, with citebot's WebhookServer taking the updates: start, serve until
    SIGINT or SIGTERM, stop (post_init, post_stop and post_shutdown included)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with application:
        await application.post_init(application)
        await application.start()
        server = WebhookServer(application, config.telegram.webhook, application.bot_data["metrics"])
        try:
            await server.start()
            await stopping.wait()
        finally:
            await server.stop()
            await application.stop()
            await application.post_stop(application)
    await application.post_shutdown(application)


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


_REPLY_ID = re.compile("[A-Za-z0-9_-]{1,32}")  # store.new_reply_id's, or a number kept before store version 4


@dataclass(frozen=True, slots=True)
class _Button:
    """Callback data of an answer's buttons: `action:reply_id:rank:offset`, within 40 bytes (Telegram
    allows 64)."""

    action: str  # m(ore) c(ontext) s(ource) a(nswer, back to it), u(p) d(own): a 👍 or 👎 vote
    reply_id: str
    rank: int = 0
    offset: int = 0

    def data(self) -> str:
        return f"{self.action}:{self.reply_id}:{self.rank}:{self.offset}"

    @classmethod
    def parse(cls, data: str | None) -> _Button | None:
        """The button, or None for data citebot never made (a forger's, too large numbers included)."""
        parts = (data or "").split(":")
        if len(parts) != 4 or parts[0] not in ("m", "c", "s", "a", "u", "d") or not _REPLY_ID.fullmatch(parts[1]):
            return None
        try:
            button = cls(parts[0], parts[1], int(parts[2]), int(parts[3]))
        except ValueError:
            return None
        if not (0 <= button.rank < 1000 and abs(button.offset) < 2**31):
            return None
        return button


class Citebot:
    """The handlers, sharing one engine, one store and the bot's settings."""

    def __init__(self, config: Config, engine: Engine, store: Store, metrics: Metrics) -> None:
        self.config = config
        self.metrics = metrics
        self._monitoring: MonitoringServer | None = None
        self.settings = config.telegram
        self.engine = engine
        self.store = store
        self.examples: list[str] = []
        self._reindexing = asyncio.Lock()
        self._preparing: asyncio.Task | None = None
        self._pruning: asyncio.Task | None = None
        self._unconfirmed: dict[str, int] = {}  # reply id -> chat, for replies whose send timed out
        self._sending: dict[str, asyncio.Event] = {}  # reply id -> set once the reply is sent and kept

    def register(self, application: Application) -> None:
        application.bot_data["metrics"] = self.metrics  # for the webhook server's /health and /metrics
        private = filters.ChatType.PRIVATE
        application.add_handler(TypeHandler(Update, self.gate), group=-1)
        application.add_handler(CommandHandler("start", self.on_start))
        application.add_handler(CommandHandler("help", self.on_help))
        application.add_handler(CommandHandler("sources", self.on_sources))
        application.add_handler(CommandHandler("ask", self.on_ask))
        application.add_handler(CommandHandler("reset", self.on_reset))
        application.add_handler(CommandHandler("reindex", self.on_reindex))
        application.add_handler(CommandHandler("stats", self.on_stats))
        application.add_handler(CommandHandler("feedback", self.on_feedback))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        application.add_handler(MessageHandler(private & filters.Document.ALL, self.on_document))
        application.add_handler(
            MessageHandler(
                private & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_non_text
            )
        )
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(InlineQueryHandler(self.on_inline))
        application.add_error_handler(self.on_error)

    # --- life cycle -------------------------------------------------------------------------

    async def start(self, application: Application) -> None:
        """Load the index, pick /start's examples, register the command menus, and start pruning the
        store now and then. In polling mode, /health and /metrics are served from the start (if
        telegram.metrics.port is set): not ready until the index is loaded."""
        if self.settings.metrics.port and not self.settings.webhook.url:
            self._monitoring = MonitoringServer(self.metrics, self.settings.metrics)
            self._monitoring.start()
        loading = time.perf_counter()
        index = await asyncio.to_thread(lambda: self.engine.index)
        loaded = time.perf_counter() - loading
        self._index_in_use()
        self.examples = await asyncio.to_thread(example_questions, index, self.engine.ask)
        # Answers may run in the event loop: the word lists they may need are made now, off it.
        self._preparing = asyncio.create_task(asyncio.to_thread(prepare, index))
        await _set_commands(application.bot, COMMANDS)
        for admin in self.settings.admins:
            try:
                await _set_commands(application.bot, COMMANDS + ADMIN_COMMANDS, BotCommandScopeChat(admin))
            except BadRequest as error:  # the admin has not started a chat with the bot yet
                log.info("admin commands not shown to %s: %s", admin, error.message)
        # Not application.create_task: Application.stop waits for those, and this one never ends.
        self._pruning = asyncio.create_task(self._prune_now_and_then())
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

    async def stopped(self, application: Application) -> None:
        """Stop pruning (a prune under way stops after its batch when the store is closed)."""
        if self._pruning is not None:
            self._pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruning
            self._pruning = None

    async def stop(self, application: Application) -> None:
        await self.stopped(application)
        if self._monitoring is not None:
            await self._monitoring.stop()
        if self._preparing is not None:
            await self._preparing
        self.store.close()

    async def _prune_now_and_then(self) -> None:
        """Keep the store within store.keep_days and store.max_mb, and drop chats' memories once they
        lapse: PRUNE_FIRST seconds after start, then every PRUNE_EVERY, in a worker thread (on a large
        backlog a prune takes seconds)."""
        lapse = self.config.conversation.idle_minutes * 60
        await asyncio.sleep(PRUNE_FIRST)
        while True:
            try:
                pruned = await asyncio.to_thread(self.store.prune, lapse)
            except Exception:  # a bug: told with its traceback, and pruning goes on next time
                log.exception("pruning %s failed", self.store.path)
            else:
                if pruned.replies or pruned.turns:
                    log.info(
                        "pruned %s: %d answers, %d chats' memories; %.1f MB",
                        self.store.path.name,
                        pruned.replies,
                        pruned.turns,
                        pruned.megabytes,
                    )
            await asyncio.sleep(PRUNE_EVERY)

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Updates nobody can be answered in go no further: a message without a chat (Telegram sends
        none; a forger might), or the empty update standing in for one python-telegram-bot could not
        read. Nor, with telegram.allowed_chats set, do updates from any other chat."""
        message = update.message or update.edited_message
        if (message is not None and message.chat is None) or (update.effective_user is None and message is None):
            log.debug("ignored update %s: nobody to answer", update.update_id)
            raise ApplicationHandlerStop
        allowed = self.settings.allowed_chats
        if not allowed:
            return
        chat = update.effective_chat
        where = chat.id if chat is not None else update.effective_user.id if update.effective_user else None
        if where not in allowed:
            log.info("ignored an update from chat %s (not in telegram.allowed_chats)", where)
            raise ApplicationHandlerStop

    # --- questions --------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message.chat.type == ChatType.PRIVATE:
            await self._answer(update, context, message.text)
            return
        question = self._addressed_question(message, context)
        if question is not None:
            await self._answer(update, context, question)

    async def on_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        parts = (message.text or "").split(maxsplit=1)
        if len(parts) < 2:
            await message.reply_text(
                _tr(update).gettext("Ask after the command, e.g. <code>/ask When was the treaty signed?</code>")
            )
            return
        await self._answer(update, context, parts[1])

    def _addressed_question(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        """In a group: the question if the message mentions the bot or replies to it, else None."""
        bot = context.bot
        text = _readable(message.text or "")
        for entity in message.entities:
            mention = _entity_text(text, entity)
            mentioned = (
                entity.type == MessageEntityType.MENTION and mention.lower() == f"@{bot.username}".lower()
            ) or (entity.type == MessageEntityType.TEXT_MENTION and entity.user and entity.user.id == bot.id)
            if mentioned:
                return text.replace(mention, " ", 1).strip()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return text
        return None

    async def _answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
        """Answer a question, or, when the question was edited, update the answer given to it.

        The answer goes out first, with buttons carrying an id made for it, and is kept after: when
        the store cannot be written the answer still arrives, and its buttons say it has expired."""
        question = _readable(question)
        message = update.effective_message
        chat = message.chat
        started = time.perf_counter()
        answer = await self._ask(context, chat.id, question)
        seconds = time.perf_counter() - started
        self.metrics.asked(answer.answered, seconds)
        earlier = None
        if update.edited_message:
            earlier = self.store.tolerant.read(self.store.reply_to, chat.id, message.message_id, fallback=None)
        reply_id = new_reply_id()
        kept = (chat.id, message.message_id, render.stored_json(answer), seconds, reply_id)
        self._sending[reply_id] = asyncio.Event()
        try:
            try:
                sent = await self._send_answer(context, message, earlier, answer, reply_id, _tr(update))
            except TelegramError as error:
                if maybe_delivered(error):  # it may have arrived, buttons and all: keep it, linked later
                    self.store.tolerant.write(self.store.record, *kept)
                    self._unconfirmed[reply_id] = chat.id
                    if len(self._unconfirmed) > UNCONFIRMED_KEPT:
                        del self._unconfirmed[next(iter(self._unconfirmed))]
                raise
            self.store.tolerant.write(self.store.record, *kept, sent)
        finally:
            self._sending.pop(reply_id).set()

    async def _send_answer(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        message: Message,
        earlier: StoredReply | None,
        answer: Answer,
        reply_id: str,
        tr: Translator,
    ) -> int:
        """Edit the earlier answer to an edited question into this one, or send it; its message id."""
        text, buttons = render.reply_html(answer, tr), self._answer_buttons(reply_id, answer, tr)
        chat = message.chat
        if earlier is not None and earlier.reply_message is not None:
            try:
                await context.bot.edit_message_text(text, chat.id, earlier.reply_message, reply_markup=buttons)
                return earlier.reply_message
            except BadRequest as error:
                if _unchanged(error):
                    return earlier.reply_message
                log.info("could not update the earlier answer (%s); sending a new one", error.message)
        sent = await message.reply_html(text, reply_markup=buttons, do_quote=chat.type != ChatType.PRIVATE)
        return sent.message_id

    async def _ask(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, question: str) -> Answer:
        """The engine's answer, with "typing…" shown if it takes longer than telegram.typing_delay
        (answered in place, it takes too little for that: see _engine_answer)."""
        if self.settings.typing_delay == 0:
            await _show_typing(context, chat_id)
        if self._answers_in_place():
            return self.engine.ask(question, str(chat_id))
        work = asyncio.ensure_future(self._engine_answer(question, str(chat_id)))
        done, _ = await asyncio.wait({work}, timeout=self.settings.typing_delay)
        if not done and self.settings.typing_delay > 0:
            await _show_typing(context, chat_id)
        return await work

    async def _engine_answer(self, question: str, chat: str | None) -> Answer:
        """On an index of up to INLINE_ASK_PASSAGES passages answering takes about a millisecond and
        runs right here: handing it to a thread would cost more than it takes. On a larger index it
        runs in a worker thread, so the bot keeps serving other chats meanwhile."""
        if self._answers_in_place():
            return self.engine.ask(question, chat)
        return await asyncio.to_thread(self.engine.ask, question, chat)

    def _answers_in_place(self) -> bool:
        return len(self.engine.index) <= INLINE_ASK_PASSAGES

    def _answer_buttons(self, reply_id: str, answer: Answer, tr: Translator) -> InlineKeyboardMarkup:
        votes = [
            InlineKeyboardButton("👍", callback_data=_Button("u", reply_id).data()),
            InlineKeyboardButton("👎", callback_data=_Button("d", reply_id).data()),
        ]
        if not answer.results:
            return InlineKeyboardMarkup([votes])
        row = []
        if answer.answered and len(answer.results) > 1:
            row.append(InlineKeyboardButton(tr.gettext("More"), callback_data=_Button("m", reply_id).data()))
        row.append(InlineKeyboardButton(tr.gettext("Context"), callback_data=_Button("c", reply_id).data()))
        row.append(InlineKeyboardButton(tr.gettext("Source"), callback_data=_Button("s", reply_id).data()))
        return InlineKeyboardMarkup([row, votes])

    # --- buttons ----------------------------------------------------------------------------

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under an answer. It acts only on an answer sent to the chat it is pressed in:
        Telegram does not check that callback data came from a button it showed."""
        query = update.callback_query
        tr = _tr(update)
        button = _Button.parse(query.data)
        # A button on a message sent in inline mode has no chat: it is none of citebot's answers.
        chat = query.message.chat.id if query.message is not None else None
        if button is None or chat is None:
            await query.answer(tr.gettext(_EXPIRED), show_alert=True)
            return
        if (sending := self._sending.get(button.reply_id)) is not None:
            await sending.wait()  # pressed before its answer was kept (Telegram was slow to confirm it)
        if isinstance(query.message, Message):
            self._link(button.reply_id, query.message)
        if button.action in ("u", "d"):
            await self._vote(query, button, chat, tr)
            return
        # Citebot's answers are messages it can still see and edit.
        stored = self.store.tolerant.read(self.store.reply, button.reply_id, chat, fallback=None)
        if stored is None or not isinstance(query.message, Message):
            await query.answer(tr.gettext(_EXPIRED), show_alert=True)
            return
        answer = render.answer_from_json(stored.answer)
        if not 0 <= button.rank < len(answer.results):
            await query.answer(
                tr.gettext("This button no longer matches the answer — please ask again."), show_alert=True
            )
            return
        if button.action == "m":
            await self._show_more(update, context, button, answer, tr)
        elif button.action == "c":
            await self._show_context(update, button, answer, tr)
        elif button.action == "a":
            await query.answer()
            await self._edit(query, render.reply_html(answer, tr), self._answer_buttons(button.reply_id, answer, tr))
        else:
            await self._send_source(update, context, answer.results[button.rank], tr)

    def _link(self, reply_id: str, message: Message) -> None:
        """A reply whose send timed out (it may have arrived) learns its message when one of its
        buttons is pressed in its own chat, so that editing the question edits it in place."""
        chat = message.chat.id
        if self._unconfirmed.get(reply_id) != chat:
            return
        del self._unconfirmed[reply_id]
        stored = self.store.tolerant.read(self.store.reply, reply_id, chat, fallback=None)
        if stored is not None and stored.reply_message is None:
            self.store.tolerant.write(self.store.sent_as, reply_id, chat, message.message_id)

    async def _vote(self, query: Any, button: _Button, chat: int, tr: Translator) -> None:
        """Keep a 👍/👎 for the corpus owner's `citebot feedback`: one per person per answer, pressing
        again changes it."""
        up = button.action == "u"
        voted = self.store.tolerant.write(self.store.vote, button.reply_id, chat, query.from_user.id, up)
        if voted is None:
            await query.answer(tr.gettext("Sorry — I cannot keep votes just now. Please try again later."))
        elif not voted:
            await query.answer(tr.gettext(_EXPIRED), show_alert=True)
        else:
            await query.answer(
                tr.gettext("Thanks — glad it helped.")
                if up
                else tr.gettext("Thanks — noted, so the documents can be improved.")
            )

    async def _show_more(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, button: _Button, answer: Answer, tr: Translator
    ) -> None:
        query = update.callback_query
        if len(answer.results) < 2:
            await query.answer(tr.gettext("There are no more results for this question."))
            return
        await query.answer()
        rows = [
            [
                InlineKeyboardButton(
                    tr.gettext("Context {number}").format(number=rank + 1),
                    callback_data=_Button("c", button.reply_id, rank).data(),
                ),
                InlineKeyboardButton(
                    tr.gettext("Source {number}").format(number=rank + 1),
                    callback_data=_Button("s", button.reply_id, rank).data(),
                ),
            ]
            for rank in range(1, len(answer.results))
        ]
        await context.bot.send_message(
            update.effective_chat.id, render.more_html(answer, 1, tr), reply_markup=InlineKeyboardMarkup(rows)
        )

    async def _show_context(self, update: Update, button: _Button, answer: Answer, tr: Translator) -> None:
        """Edit the message in place to show the cited passage with its neighbours; arrows walk on."""
        query = update.callback_query
        result = answer.results[button.rank]
        index = self.engine.index
        position = _current_position(index, result)
        if position is None:
            await query.answer(tr.gettext(_OUTDATED), show_alert=True)
            return
        document_position = index.document_position[result.doc_id]
        document = index.documents[document_position]
        last = document.first_passage + document.passage_count - 1
        centre = min(max(position + button.offset, document.first_passage), last)
        passages = index.passages[max(centre - 1, document.first_passage) : min(centre + 1, last) + 1]
        cited = centre == position
        view = render.context_html(
            document,
            [(passage.ordinal, passage.text) for passage in passages],
            index.passages[centre].ordinal,
            result.highlight if cited else "",
            section=index.passages[centre].section,
            code={
                passage.ordinal: monospaced(index.marks_of(document_position), *passage.span) for passage in passages
            },
            header=result.header if cited else "",
            tr=tr,
        )
        offset = centre - position
        row = []
        if centre > document.first_passage:
            row.append(
                InlineKeyboardButton(
                    tr.gettext("◀ Earlier"),
                    callback_data=_Button("c", button.reply_id, button.rank, offset - 1).data(),
                )
            )
        row.append(InlineKeyboardButton(tr.gettext("Answer"), callback_data=_Button("a", button.reply_id).data()))
        if centre < last:
            row.append(
                InlineKeyboardButton(
                    tr.gettext("Later ▶"),
                    callback_data=_Button("c", button.reply_id, button.rank, offset + 1).data(),
                )
            )
        await query.answer()
        await self._edit(query, view, InlineKeyboardMarkup([row]))

    async def _send_source(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, result: Result, tr: Translator
    ) -> None:
        query = update.callback_query
        index = self.engine.index
        position = index.document_position.get(result.doc_id)
        path = self.config.corpus / result.doc_id
        if position is None or not path.is_file():
            await query.answer(tr.gettext(_OUTDATED), show_alert=True)
            return
        await query.answer()
        size = path.stat().st_size
        chat_id = update.effective_chat.id
        await context.bot.send_message(chat_id, render.document_html(index.documents[position], size, tr))
        if size <= (LOCAL_FILE_LIMIT if self.settings.local_mode else SEND_FILE_LIMIT):
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
            await context.bot.send_document(chat_id, path, filename=path.name)

    async def _edit(self, query: Any, text: str, buttons: InlineKeyboardMarkup | None) -> None:
        try:
            await query.edit_message_text(text, reply_markup=buttons)
        except BadRequest as error:
            if not _unchanged(error):
                raise

    # --- inline mode ------------------------------------------------------------------------

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        question = _readable(query.query).strip()
        if not question:
            await query.answer([], cache_time=5)
            return
        answer = await self._engine_answer(question, None)
        tr = _tr(update)
        closest = "" if answer.answered else tr.gettext("closest passage") + " · "
        articles = [
            InlineQueryResultArticle(
                id=str(rank),
                title=render.cut(" ".join(result.highlight.split()), 100),
                description=f"{closest}{render.cited_place(result)} · {render.passage_label(result, tr)}",
                input_message_content=InputTextMessageContent(
                    _inline_html(question, result, tr), parse_mode=ParseMode.HTML
                ),
            )
            for rank, result in enumerate(answer.results)
        ]
        await query.answer(articles, cache_time=30)

    # --- commands ---------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        tr = _tr(update)
        index = self.engine.index
        lines = [
            tr.ngettext(
                "Hello! I answer questions from {documents} document ({passages}), "
                "quoting the passage that answers and saying where it comes from.",
                "Hello! I answer questions from {documents} documents ({passages}), "
                "quoting the passage that answers and saying where it comes from.",
                len(index.documents),
            ).format(documents=len(index.documents), passages=_passages(tr, len(index))),
        ]
        if self.examples:
            lines += ["", tr.gettext("Try:")] + [f"• <i>{escape(question)}</i>" for question in self.examples]
        lines += ["", tr.gettext("/sources lists the documents, /help explains the buttons and groups.")]
        await update.effective_message.reply_text("\n".join(lines))

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        tr = _tr(update)
        username = escape(context.bot.username)
        lines = [
            tr.gettext(
                "Send me a question as a message. I reply with the passage that answers it, the answering "
                "sentence in bold (commands and tables in monospace), and its source (document, section and "
                "passage number)."
            ),
            "",
            tr.gettext(
                "<b>More</b> shows the next results, <b>Context</b> the passages around the answer, "
                "<b>Source</b> the document itself."
            ),
            tr.gettext("If the documents don't answer, I say so and show the closest passages."),
            "",
            tr.gettext(
                "Follow-up questions work: after a question about a treaty, ask <i>Who signed it?</i>; "
                "<i>What about …?</i> asks the last question again about something else. "
                "I remember a chat's last few questions for a while; /reset makes me forget them."
            ),
            tr.gettext("<b>👍 / 👎</b> tell the people who keep the documents which answers help and which don't."),
            "",
            tr.gettext(
                "In groups, mention me (@{username} your question), reply to one of my answers, or use /ask."
            ).format(username=username),
            tr.gettext("In any chat, type @{username} and a question to share a cited answer.").format(
                username=username
            ),
        ]
        if self._is_admin(update):
            lines += [
                "",
                tr.gettext(
                    "Admin: /reindex rebuilds the index, /stats shows usage, /feedback what users voted down and "
                    "what went unanswered; send a document to add it."
                ),
            ]
        await update.effective_message.reply_text("\n".join(lines))

    async def on_sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        tr = _tr(update)
        documents = self.engine.index.documents
        lines = [tr.ngettext("{count} document:", "{count} documents:", len(documents)).format(count=len(documents))]
        for shown, document in enumerate(documents):
            passages = _passages(tr, document.passage_count)
            line = f"• <b>{escape(document.title)}</b> — {escape(document.doc_id)} ({passages})"
            if sum(len(existing) + 1 for existing in lines) + len(line) > render.TELEGRAM_LIMIT - 40:
                lines.append(tr.gettext("… and {count} more").format(count=len(documents) - shown))
                break
            lines.append(line)
        await update.effective_message.reply_text("\n".join(lines))

    async def on_reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.engine.conversations.forget(str(update.effective_chat.id))
        await update.effective_message.reply_text(
            _tr(update).gettext("Done — I've forgotten this chat's earlier questions.")
        )

    async def on_reindex(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._admin_only(update, "/reindex"):
            return
        tr = _tr(update)
        message = update.effective_message
        await message.reply_text(tr.gettext("Reindexing the corpus; I keep answering meanwhile…"))
        try:
            report = await self._reindex()
        except UserError as error:
            await message.reply_text(
                tr.gettext("Reindex failed, the previous index stays in use: {error}").format(error=escape(str(error)))
            )
            return
        await message.reply_text(_report_html(report, tr))

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._admin_only(update, "/stats"):
            return
        tr = _tr(update)
        index = self.engine.index
        served = self.store.tolerant.read(self.store.stats, fallback=None)
        if served is None:
            questions = median = tr.gettext("unknown (the bot's data file cannot be read; the log says why)")
        else:
            questions = str(served.questions)
            median = (
                tr.gettext("{milliseconds} ms").format(milliseconds=f"{served.median_seconds * 1000:.0f}")
                if served.median_seconds is not None
                else "—"
            )
        await update.effective_message.reply_text(
            tr.gettext(
                "Documents: {documents}\nPassages: {passages}\nSkipped files: {skipped}\n"
                "Questions served: {questions}\nMedian answer time: {median}"
            ).format(
                documents=len(index.documents),
                passages=len(index),
                skipped=len(index.skipped),
                questions=questions,
                median=median,
            )
        )

    async def on_feedback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`citebot feedback`'s report, for an admin away from the server."""
        if not await self._admin_only(update, "/feedback"):
            return
        kept = self.store.tolerant.read(lambda: (self.store.asked(), self.store.votes()), fallback=None)
        if kept is None:
            await update.effective_message.reply_text(
                _tr(update).gettext(
                    "The bot's data file cannot be read just now (the log says why), so there is no report."
                )
            )
            return
        text = feedback.format_text(feedback.build(*kept))
        budget = render.TELEGRAM_LIMIT
        while len(reply := f"<pre>{escape(render.cut(text, budget))}</pre>") > render.TELEGRAM_LIMIT:
            budget //= 2
        await update.effective_message.reply_text(reply)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(
            _tr(update).gettext("I don't know that command. /help lists what I do.")
        )

    # --- documents and other messages -------------------------------------------------------

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An admin's document is added to the corpus (after checking it reads) and indexed."""
        message = update.effective_message
        if not await self._admin_only(update, "a document upload"):
            return
        tr = _tr(update)
        document = message.document
        try:
            name = corpus.safe_file_name(document.file_name or "")
        except DocumentError as error:
            await message.reply_text(escape(str(error)))
            return
        limit = self.settings.max_upload_mb * 1024 * 1024
        too_large = tr.gettext("That file is larger than the {megabytes} MB limit. Nothing was added.").format(
            megabytes=self.settings.max_upload_mb
        )
        if document.file_size is not None and document.file_size > limit:
            await message.reply_text(too_large)
            return
        await _show_typing(context, message.chat.id)
        file = await document.get_file()
        if (file.file_size is not None and file.file_size > limit) or not file.file_path:
            await message.reply_text(too_large)  # no file_path: over what Telegram lets a bot download
            return
        self.config.data.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.config.data) as folder:
            upload = Path(folder, name)
            try:
                if self.settings.local_mode:  # a path on this machine, where the local server keeps it
                    complete = await asyncio.to_thread(_copy_local, Path(file.file_path), upload, limit)
                else:
                    complete = await _download(file.file_path, upload, limit)
            except (httpx.HTTPError, OSError) as error:  # its text may hold the file URL, which holds the token
                await message.reply_text(
                    tr.gettext("I could not download {name} ({error}). Nothing was added.").format(
                        name=escape(name), error=type(error).__name__
                    )
                )
                return
            if not complete:
                await message.reply_text(too_large)
                return
            problem = await asyncio.to_thread(_unreadable, upload, name, self.config.reading)
            if problem:
                await message.reply_text(
                    tr.gettext("I could not read {name}: {problem}. Nothing was added.").format(
                        name=escape(name), problem=escape(problem)
                    )
                )
                return
            target = self.config.corpus / name
            replaced = target.exists()
            await asyncio.to_thread(shutil.move, upload, target)
        try:
            report = await self._reindex()
        except UserError as error:
            await message.reply_text(
                tr.gettext("Saved {name}, but reindexing failed: {error}").format(
                    name=escape(name), error=escape(str(error))
                )
            )
            return
        index = self.engine.index
        passages = (
            index.documents[index.document_position[name]].passage_count if name in index.document_position else 0
        )
        done = (
            tr.gettext("Replaced <b>{name}</b>: {passages}.")
            if replaced
            else tr.gettext("Added <b>{name}</b>: {passages}.")
        )
        now = tr.ngettext(
            "The index now has {documents} document, {passages}.",
            "The index now has {documents} documents, {passages}.",
            report.documents,
        )
        await message.reply_text(
            done.format(name=escape(name), passages=_passages(tr, passages))
            + " "
            + now.format(documents=report.documents, passages=_passages(tr, report.passages))
            + (f"\n\n{_unsaved_html(report, tr)}" if report.save_error else "")
        )

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(_tr(update).gettext(NON_TEXT_HINT))

    # --- shared -----------------------------------------------------------------------------

    def _is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.admins

    async def _admin_only(self, update: Update, what: str) -> bool:
        if self._is_admin(update):
            return True
        user = update.effective_user
        log.warning("refused %s from user %s (not in telegram.admins)", what, user.id if user else "unknown")
        await update.effective_message.reply_text(_tr(update).gettext("Sorry, only the bot's admins can do that."))
        return False

    async def _reindex(self) -> BuildReport:
        async with self._reindexing:
            report = await asyncio.to_thread(self.engine.reindex)
            self.metrics.reindex_seconds.observe(report.seconds)
            self._index_in_use()
            if report.save_error:
                log.warning("reindex: %s: %s", report.save_error, _UNSAVED)
            self.examples = await asyncio.to_thread(example_questions, self.engine.index, self.engine.ask)
            await asyncio.to_thread(prepare, self.engine.index)
            return report

    def _index_in_use(self) -> None:
        index = self.engine.index
        self.metrics.index_in_use(len(index.documents), len(index), len(index.skipped), self.config.index / INDEX_FILE)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with what was being handled (with the traceback: it is a bug); tell the user briefly;
        never let it stop the bot.

        The Bot API failing is no bug, and gets no apology, which could only fail the same way or
        follow a reply that did arrive: a failed getUpdates (no update) and a reply given up during an
        outage are told in bot_api's few outage lines; a request that may have arrived, or that
        Telegram refused (the user blocked the bot, a flood wait outlasted, a button press answered
        too late), is one line.
        """
        error = context.error
        if update is None and isinstance(error, TelegramError):
            return  # getUpdates failed: UpdatesRequest has told the log
        where = _describe(update)
        if isinstance(error, Undelivered):
            log.debug("gave up on a reply while handling %s: %s", where, error)
        elif maybe_delivered(error):
            log.warning(
                "a request to the Bot API got no answer while handling %s (%s): it may have arrived, "
                "so it is not sent again",
                where,
                type(error).__name__,
            )
        elif isinstance(error, (Forbidden, RetryAfter)) or _expired_query(error):
            log.warning("Telegram refused a request while handling %s: %s", where, error.message)
        else:
            log.error("error while handling %s", where, exc_info=error)
            await self._apologise(update)

    async def _apologise(self, update: object) -> None:
        if not isinstance(update, Update) or update.inline_query is not None:
            return
        tr = _tr(update)
        with contextlib.suppress(TelegramError):
            if update.callback_query is not None:
                await update.callback_query.answer(
                    tr.gettext("Sorry, that didn't work. Please try again."), show_alert=True
                )
            elif (message := update.effective_message) is not None and message.chat is not None:
                await message.reply_text(tr.gettext("Sorry, something went wrong with that. Please try again."))


async def _download(url: str, target: Path, limit: int) -> bool:
    """Fetch a file into `target`, counting its bytes as they come: False as soon as it is over
    `limit` (Telegram does not always say a file's size beforehand), and the rest is not read."""
    size = 0
    async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        with target.open("wb") as out:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    return False
                out.write(chunk)
    return True


def _tr(update: Update) -> Translator:
    """The translator for whoever sent the update: their Telegram app's language, else English."""
    user = update.effective_user
    return for_language(user.language_code if user is not None else None)


def _passages(tr: Translator, count: int) -> str:
    """ "12 passages", said in the reader's language."""
    return tr.ngettext("{count} passage", "{count} passages", count).format(count=count)


async def _set_commands(bot: Bot, commands: tuple[BotCommand, ...], scope: BotCommandScopeChat | None = None) -> None:
    """The command menu in English for everyone, and in each language with a catalog for the users
    whose app speaks it."""
    await bot.set_my_commands(commands, scope=scope)
    for language in languages():
        tr = for_language(language)
        localized = [BotCommand(command.command, tr.gettext(command.description)) for command in commands]
        await bot.set_my_commands(localized, scope=scope, language_code=language)


def _copy_local(source: Path, target: Path, limit: int) -> bool:
    """A local Bot API server's file copied into `target`; False, copying nothing, when it is over `limit`."""
    if source.stat().st_size > limit:
        return False
    shutil.copyfile(source, target)
    return True


def _inline_html(question: str, result: Result, tr: Translator) -> str:
    """An inline article's message: the question, then the cited passage and its source, cut
    until it fits Telegram's limit (a source that names many documents can be long); at worst the
    answering sentence and the title alone."""
    for budget in (render.EXCERPT_CHARS, 300, 150):
        text = f"<i>{escape(render.cut(question, budget))}</i>\n\n{render.result_html(result, budget, tr)}"
        if len(text) <= render.TELEGRAM_LIMIT:
            return text
    budget = 250  # three texts of this, even escaped (× 5), stay under the limit
    return (
        f"<i>{escape(render.cut(question, budget))}</i>\n\n<b>{escape(render.cut(result.highlight, budget))}</b>"
        f"\n— {escape(render.cut(result.title, budget))}"
    )


def _readable(text: str) -> str:
    """Text as its sender meant it: a lone surrogate (which Telegram's JSON can carry and no encoder
    accepts) becomes U+FFFD, one UTF-16 unit like it, so entity offsets still hold."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _entity_text(text: str, entity: Any) -> str:
    """The part of `text` an entity covers; its offset and length count UTF-16 units."""
    units = text.encode("utf-16-le")
    return units[2 * entity.offset : 2 * (entity.offset + entity.length)].decode("utf-16-le", "replace")


def _expired_query(error: object) -> bool:
    """A button press or inline query answered too late (after an outage, say): nothing to fix."""
    return isinstance(error, BadRequest) and "query is too old" in error.message


def _unchanged(error: BadRequest) -> bool:
    """Telegram refuses an edit that changes nothing; for us that edit has succeeded."""
    return "not modified" in error.message


async def _show_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    with contextlib.suppress(TelegramError):  # the typing hint is a nicety, never a failure
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)


_OUTDATED = N_("The documents have changed since this answer and that passage is gone — please ask again.")
_EXPIRED = N_("This answer has expired — please ask the question again.")


def _current_position(index: Any, result: Result) -> int | None:
    """Where the cited passage is in the current index: same place, or moved within its document."""
    document_position = index.document_position.get(result.doc_id)
    if document_position is None:
        return None
    document = index.documents[document_position]
    expected = document.first_passage + result.ordinal
    if result.ordinal < document.passage_count and index.passages[expected].text == result.text:
        return expected
    for position in range(document.first_passage, document.first_passage + document.passage_count):
        if index.passages[position].text == result.text:
            return position
    return None


def _unreadable(path: Path, name: str, limits: corpus.ReadingLimits) -> str:
    """Why a file cannot be indexed, or "" when it reads as a document: read as a reindex would, within
    the reading limits (a large file or a PDF in a reader process of its own, stopped if it runs over)."""
    stat = path.stat()
    try:
        corpus.read_bounded(corpus.CorpusFile(name, path, stat.st_size, stat.st_mtime_ns), limits)
    except DocumentError as error:
        return str(error)
    return ""


_UNSAVED = "answering from the new index in memory; a restart goes back to the previous one"


def _unsaved_html(report: BuildReport, tr: Translator) -> str:
    return tr.gettext(
        "⚠️ The new index was not saved ({error}): I answer from it in memory, "
        "and a restart goes back to the previous one."
    ).format(error=escape(report.save_error or ""))


def _report_html(report: BuildReport, tr: Translator) -> str:
    documents = tr.ngettext("{count} document", "{count} documents", report.documents).format(count=report.documents)
    if report.reused:
        documents += " " + tr.gettext("({count} unchanged)").format(count=report.reused)
    lines = [
        tr.gettext("Indexed {documents}, {passages} in {seconds} s.").format(
            documents=documents, passages=_passages(tr, report.passages), seconds=f"{report.seconds:.1f}"
        )
    ]
    if report.save_error:
        lines.append(_unsaved_html(report, tr))
    if report.skipped:
        lines.append(
            tr.ngettext("Skipped {count} file:", "Skipped {count} files:", len(report.skipped)).format(
                count=len(report.skipped)
            )
        )
        lines += [f"• {escape(skipped.doc_id)}: {escape(skipped.reason)}" for skipped in report.skipped[:20]]
        if len(report.skipped) > 20:
            lines.append(tr.gettext("… and {count} more").format(count=len(report.skipped) - 20))
    return "\n".join(lines)


def _describe(update: object) -> str:
    if not isinstance(update, Update):
        return "no update" if update is None else type(update).__name__
    kind = next(
        (name for name in ("message", "edited_message", "callback_query", "inline_query") if getattr(update, name)),
        "update",
    )
    chat = update.effective_chat.id if update.effective_chat else None
    user = update.effective_user.id if update.effective_user else None
    return f"{kind} {update.update_id} (chat {chat}, user {user})"
