"""Everyone's commands besides /ask: /start, /help, /sources, /reset, and a command the bot does not
know. Their texts are in bot/messages."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from .. import messages
from .access import is_admin
from .state import bot_state, translator


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What the bot knows, with example questions."""
    state = bot_state(context)
    index = state.engine.index
    text = messages.start_html(len(index.documents), len(index), state.examples, translator(update))
    await update.effective_message.reply_text(text)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask and what the buttons do."""
    text = messages.help_html(context.bot.username, is_admin(update, context), translator(update))
    await update.effective_message.reply_text(text)


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The documents the bot answers from."""
    documents = bot_state(context).engine.index.documents
    await update.effective_message.reply_text(messages.sources_html(documents, translator(update)))


async def on_reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget this chat's earlier questions: the next one is read on its own."""
    bot_state(context).engine.conversations.forget(str(update.effective_chat.id))
    await update.effective_message.reply_text(translator(update).gettext(messages.FORGOTTEN))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(translator(update).gettext(messages.UNKNOWN_COMMAND))
