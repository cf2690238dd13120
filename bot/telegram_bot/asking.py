"""A question asked — in a private message, by mentioning the bot or replying to it in a group, or
with /ask — answered: the answer sent first (or, for an edited question, the earlier answer edited),
then kept in the store for its buttons."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from .. import messages, render
from ..answer import Answer
from ..bot_api import maybe_delivered
from ..store import StoredReply, new_reply_id
from ..translations import Translator
from .buttons import answer_buttons
from .state import BotState, bot_state, show_typing, translator, unchanged

log = logging.getLogger(__name__)

INLINE_ASK_PASSAGES = 100_000
UNCONFIRMED_KEPT = 1000  # replies whose send timed out, remembered until a button press names their message


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question; in a group, one addressed to the bot."""
    message = update.effective_message
    if message.chat.type == ChatType.PRIVATE:
        await _answer(update, context, message.text)
        return
    question = _addressed_question(message, context)
    if question is not None:
        await _answer(update, context, question)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask and a question: handy in groups."""
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1)
    if len(parts) < 2:
        await message.reply_text(translator(update).gettext(messages.ASK_HOW))
        return
    await _answer(update, context, parts[1])


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, a sticker, a voice message…: say that questions come as text."""
    await update.effective_message.reply_text(translator(update).gettext(messages.NON_TEXT_HINT))


def _addressed_question(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """In a group: the question if the message mentions the bot or replies to it, else None."""
    bot = context.bot
    text = readable(message.text or "")
    for entity in message.entities:
        mention = _entity_text(text, entity)
        mentioned = (entity.type == MessageEntityType.MENTION and mention.lower() == f"@{bot.username}".lower()) or (
            entity.type == MessageEntityType.TEXT_MENTION and entity.user and entity.user.id == bot.id
        )
        if mentioned:
            return text.replace(mention, " ", 1).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return text
    return None


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer a question, or, when the question was edited, update the answer given to it.

    The answer goes out first, with buttons carrying an id made for it, and is kept after: when
    the store cannot be written the answer still arrives, and its buttons say it has expired."""
    state = bot_state(context)
    store = state.store
    question = readable(question)
    message = update.effective_message
    chat = message.chat
    started = time.perf_counter()
    answer = await _ask(state, context, chat.id, question)
    seconds = time.perf_counter() - started
    state.metrics.asked(answer.answered, seconds)
    earlier = None
    if update.edited_message:
        earlier = store.tolerant.read(store.reply_to, chat.id, message.message_id, fallback=None)
    reply_id = new_reply_id()
    kept = (chat.id, message.message_id, render.stored_json(answer), seconds, reply_id)
    state.sending[reply_id] = asyncio.Event()
    try:
        try:
            sent = await _send_answer(context, message, earlier, answer, reply_id, translator(update))
        except TelegramError as error:
            if maybe_delivered(error):  # it may have arrived, buttons and all: keep it, linked later
                store.tolerant.write(store.record, *kept)
                state.unconfirmed[reply_id] = chat.id
                if len(state.unconfirmed) > UNCONFIRMED_KEPT:
                    del state.unconfirmed[next(iter(state.unconfirmed))]
            raise
        store.tolerant.write(store.record, *kept, sent)
    finally:
        state.sending.pop(reply_id).set()


async def _send_answer(
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    earlier: StoredReply | None,
    answer: Answer,
    reply_id: str,
    tr: Translator,
) -> int:
    """Edit the earlier answer to an edited question into this one, or send it; its message id."""
    text, buttons = render.reply_html(answer, tr), answer_buttons(reply_id, answer, tr)
    chat = message.chat
    if earlier is not None and earlier.reply_message is not None:
        try:
            await context.bot.edit_message_text(text, chat.id, earlier.reply_message, reply_markup=buttons)
            return earlier.reply_message
        except BadRequest as error:
            if unchanged(error):
                return earlier.reply_message
            log.info("could not update the earlier answer (%s); sending a new one", error.message)
    sent = await message.reply_html(text, reply_markup=buttons, do_quote=chat.type != ChatType.PRIVATE)
    return sent.message_id


async def _ask(state: BotState, context: ContextTypes.DEFAULT_TYPE, chat_id: int, question: str) -> Answer:
    """The engine's answer, with "typing…" shown if it takes longer than telegram.typing_delay
    (answered in place, it takes too little for that: see engine_answer)."""
    if state.settings.typing_delay == 0:
        await show_typing(context, chat_id)
    if _answers_in_place(state):
        return state.engine.ask(question, str(chat_id))
    work = asyncio.ensure_future(engine_answer(state, question, str(chat_id)))
    done, _ = await asyncio.wait({work}, timeout=state.settings.typing_delay)
    if not done and state.settings.typing_delay > 0:
        await show_typing(context, chat_id)
    return await work


async def engine_answer(state: BotState, question: str, chat: str | None) -> Answer:
    """On an index of up to INLINE_ASK_PASSAGES passages answering takes about a millisecond and
    runs right here: handing it to a thread would cost more than it takes. On a larger index it
    runs in a worker thread, so the bot keeps serving other chats meanwhile."""
    if _answers_in_place(state):
        return state.engine.ask(question, chat)
    return await asyncio.to_thread(state.engine.ask, question, chat)


def _answers_in_place(state: BotState) -> bool:
    return len(state.engine.index) <= INLINE_ASK_PASSAGES


def readable(text: str) -> str:
    """Text as its sender meant it: a lone surrogate (which Telegram's JSON can carry and no encoder
    accepts) becomes U+FFFD, one UTF-16 unit like it, so entity offsets still hold."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _entity_text(text: str, entity: Any) -> str:
    """The part of `text` an entity covers; its offset and length count UTF-16 units."""
    units = text.encode("utf-16-le")
    return units[2 * entity.offset : 2 * (entity.offset + entity.length)].decode("utf-16-le", "replace")
