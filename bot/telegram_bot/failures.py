"""A handler's error: logged with what was being handled, the user told briefly, and the bot kept
running. The Bot API failing is no bug, and is told in a line."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from .. import messages
from ..bot_api import Undelivered, maybe_delivered
from .state import translator

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
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
        await _apologise(update)


async def _apologise(update: object) -> None:
    if not isinstance(update, Update) or update.inline_query is not None:
        return
    tr = translator(update)
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(tr.gettext(messages.BUTTON_FAILED), show_alert=True)
        elif (message := update.effective_message) is not None and message.chat is not None:
            await message.reply_text(tr.gettext(messages.MESSAGE_FAILED))


def _expired_query(error: object) -> bool:
    """A button press or inline query answered too late (after an outage, say): nothing to fix."""
    return isinstance(error, BadRequest) and "query is too old" in error.message


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
