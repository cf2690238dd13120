"""Inline mode: in any chat, @bot and a question offer its cited passages as messages to share."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from .. import render
from .asking import engine_answer, readable
from .state import bot_state, translator


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One article per result, each a message quoting the question and the cited passage."""
    query = update.inline_query
    question = readable(query.query).strip()
    if not question:
        await query.answer([], cache_time=5)
        return
    answer = await engine_answer(bot_state(context), question, None)
    tr = translator(update)
    articles = [
        InlineQueryResultArticle(
            id=str(rank),
            title=render.inline_title(result),
            description=render.inline_description(result, answer.answered, tr),
            input_message_content=InputTextMessageContent(
                render.inline_html(question, result, tr), parse_mode=ParseMode.HTML
            ),
        )
        for rank, result in enumerate(answer.results)
    ]
    await query.answer(articles, cache_time=30)
