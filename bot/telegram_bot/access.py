"""Who is served: updates nobody can be answered in, and chats outside telegram.allowed_chats, go no
further; admin commands and uploads are for telegram.admins only."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from .. import messages
from .state import bot_state, translator

log = logging.getLogger(__name__)


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Updates nobody can be answered in go no further: a message without a chat (Telegram sends
    none; a forger might), or the empty update standing in for one python-telegram-bot could not
    read. Nor, with telegram.allowed_chats set, do updates from any other chat."""
    message = update.message or update.edited_message
    if (message is not None and message.chat is None) or (update.effective_user is None and message is None):
        log.debug("ignored update %s: nobody to answer", update.update_id)
        raise ApplicationHandlerStop
    allowed = bot_state(context).settings.allowed_chats
    if not allowed:
        return
    chat = update.effective_chat
    where = chat.id if chat is not None else update.effective_user.id if update.effective_user else None
    if where not in allowed:
        log.info("ignored an update from chat %s (not in telegram.allowed_chats)", where)
        raise ApplicationHandlerStop


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in bot_state(context).settings.admins


async def admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> bool:
    """True for an admin; anyone else is told no, and the refusal is logged."""
    if is_admin(update, context):
        return True
    user = update.effective_user
    log.warning("refused %s from user %s (not in telegram.admins)", what, user.id if user else "unknown")
    await update.effective_message.reply_text(translator(update).gettext(messages.ADMINS_ONLY))
    return False
