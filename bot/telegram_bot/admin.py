"""The admins' commands — /reindex, /stats, /feedback — and the reindex they share with uploads.
Their texts are in bot/messages."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from .. import feedback, messages
from ..answer import prepare
from ..engine import BuildReport
from ..errors import UserError
from ..examples import example_questions
from .access import admin_only
from .state import BotState, bot_state, translator

log = logging.getLogger(__name__)

UNSAVED = "answering from the new index in memory; a restart goes back to the previous one"


async def on_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rebuild the index from the corpus folder while answering from the current one."""
    if not await admin_only(update, context, "/reindex"):
        return
    tr = translator(update)
    message = update.effective_message
    await message.reply_text(tr.gettext(messages.REINDEXING))
    try:
        report = await reindex(bot_state(context))
    except UserError as error:
        await message.reply_text(messages.reindex_failed_html(str(error), tr))
        return
    await message.reply_text(messages.report_html(report, tr))


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Documents, passages, questions served."""
    if not await admin_only(update, context, "/stats"):
        return
    state = bot_state(context)
    index = state.engine.index
    served = state.store.tolerant.read(state.store.stats, fallback=None)
    text = messages.stats_html(len(index.documents), len(index), len(index.skipped), served, translator(update))
    await update.effective_message.reply_text(text)


async def on_feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`citebot feedback`'s report, for an admin away from the server."""
    if not await admin_only(update, context, "/feedback"):
        return
    store = bot_state(context).store
    kept = store.tolerant.read(lambda: (store.asked(), store.votes()), fallback=None)
    if kept is None:
        await update.effective_message.reply_text(translator(update).gettext(messages.NO_FEEDBACK))
        return
    await update.effective_message.reply_text(messages.feedback_html(feedback.format_text(feedback.build(*kept))))


async def reindex(state: BotState) -> BuildReport:
    """Rebuild the index in a worker thread (one reindex at a time), then pick /start's examples
    again and make the answers' word lists for the new index."""
    async with state.reindexing:
        report = await asyncio.to_thread(state.engine.reindex)
        state.metrics.reindex_seconds.observe(report.seconds)
        state.index_in_use()
        if report.save_error:
            log.warning("reindex: %s: %s", report.save_error, UNSAVED)
        state.examples = await asyncio.to_thread(example_questions, state.engine.index, state.engine.ask)
        await asyncio.to_thread(prepare, state.engine.index)
        return report
