"""The buttons under an answer and what each shows: More (the other results), Context (the cited
passage among its neighbours, with Earlier and Later), Source (the document and its file), Answer
(back to it), and 👍/👎 votes.

A button's callback data names a stored reply by an unguessable id, and acts only in the chat the
answer was sent to: Telegram does not check that callback data came from a button it showed.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from .. import messages, render
from ..answer import Answer, Result
from ..structure import monospaced
from ..translations import Translator
from .state import BotState, bot_state, translator, unchanged

SEND_FILE_LIMIT = 50 * 1024 * 1024  # the Bot API's limit for files a bot sends
LOCAL_FILE_LIMIT = 2000 * 1024 * 1024  # a local Bot API server's, both ways

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


def answer_buttons(reply_id: str, answer: Answer, tr: Translator) -> InlineKeyboardMarkup:
    """The buttons under an answer: More (when there is more), Context and Source; then 👍 and 👎."""
    votes = [
        InlineKeyboardButton("👍", callback_data=_Button("u", reply_id).data()),
        InlineKeyboardButton("👎", callback_data=_Button("d", reply_id).data()),
    ]
    if not answer.results:
        return InlineKeyboardMarkup([votes])
    row = []
    if answer.answered and len(answer.results) > 1:
        row.append(InlineKeyboardButton(tr.gettext(messages.MORE), callback_data=_Button("m", reply_id).data()))
    row.append(InlineKeyboardButton(tr.gettext(messages.CONTEXT), callback_data=_Button("c", reply_id).data()))
    row.append(InlineKeyboardButton(tr.gettext(messages.SOURCE), callback_data=_Button("s", reply_id).data()))
    return InlineKeyboardMarkup([row, votes])


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under an answer. It acts only on an answer sent to the chat it is pressed in:
    Telegram does not check that callback data came from a button it showed."""
    state = bot_state(context)
    query = update.callback_query
    tr = translator(update)
    button = _Button.parse(query.data)
    # A button on a message sent in inline mode has no chat: it is none of citebot's answers.
    chat = query.message.chat.id if query.message is not None else None
    if button is None or chat is None:
        await query.answer(tr.gettext(messages.EXPIRED), show_alert=True)
        return
    if (sending := state.sending.get(button.reply_id)) is not None:
        await sending.wait()  # pressed before its answer was kept (Telegram was slow to confirm it)
    if isinstance(query.message, Message):
        _link(state, button.reply_id, query.message)
    if button.action in ("u", "d"):
        await _vote(state, query, button, chat, tr)
        return
    # Citebot's answers are messages it can still see and edit.
    stored = state.store.tolerant.read(state.store.reply, button.reply_id, chat, fallback=None)
    if stored is None or not isinstance(query.message, Message):
        await query.answer(tr.gettext(messages.EXPIRED), show_alert=True)
        return
    answer = render.answer_from_json(stored.answer)
    if not 0 <= button.rank < len(answer.results):
        await query.answer(tr.gettext(messages.MISMATCHED), show_alert=True)
        return
    if button.action == "m":
        await _show_more(update, context, button, answer, tr)
    elif button.action == "c":
        await _show_context(state, update, button, answer, tr)
    elif button.action == "a":
        await query.answer()
        await _edit(query, render.reply_html(answer, tr), answer_buttons(button.reply_id, answer, tr))
    else:
        await _send_source(state, update, context, answer.results[button.rank], tr)


def _link(state: BotState, reply_id: str, message: Message) -> None:
    """A reply whose send timed out (it may have arrived) learns its message when one of its
    buttons is pressed in its own chat, so that editing the question edits it in place."""
    chat = message.chat.id
    if state.unconfirmed.get(reply_id) != chat:
        return
    del state.unconfirmed[reply_id]
    store = state.store
    stored = store.tolerant.read(store.reply, reply_id, chat, fallback=None)
    if stored is not None and stored.reply_message is None:
        store.tolerant.write(store.sent_as, reply_id, chat, message.message_id)


async def _vote(state: BotState, query: Any, button: _Button, chat: int, tr: Translator) -> None:
    """Keep a 👍/👎 for the corpus owner's `citebot feedback`: one per person per answer, pressing
    again changes it."""
    up = button.action == "u"
    voted = state.store.tolerant.write(state.store.vote, button.reply_id, chat, query.from_user.id, up)
    if voted is None:
        await query.answer(tr.gettext(messages.VOTE_NOT_KEPT))
    elif not voted:
        await query.answer(tr.gettext(messages.EXPIRED), show_alert=True)
    else:
        await query.answer(tr.gettext(messages.VOTED_UP) if up else tr.gettext(messages.VOTED_DOWN))


async def _show_more(
    update: Update, context: ContextTypes.DEFAULT_TYPE, button: _Button, answer: Answer, tr: Translator
) -> None:
    """The other results, in a message of their own with a Context and a Source button for each."""
    query = update.callback_query
    if len(answer.results) < 2:
        await query.answer(tr.gettext(messages.NO_MORE))
        return
    await query.answer()
    rows = [
        [
            InlineKeyboardButton(
                tr.gettext(messages.NUMBERED_CONTEXT).format(number=rank + 1),
                callback_data=_Button("c", button.reply_id, rank).data(),
            ),
            InlineKeyboardButton(
                tr.gettext(messages.NUMBERED_SOURCE).format(number=rank + 1),
                callback_data=_Button("s", button.reply_id, rank).data(),
            ),
        ]
        for rank in range(1, len(answer.results))
    ]
    await context.bot.send_message(
        update.effective_chat.id, render.more_html(answer, 1, tr), reply_markup=InlineKeyboardMarkup(rows)
    )


async def _show_context(state: BotState, update: Update, button: _Button, answer: Answer, tr: Translator) -> None:
    """Edit the message in place to show the cited passage with its neighbours; arrows walk on."""
    query = update.callback_query
    result = answer.results[button.rank]
    index = state.engine.index
    position = _current_position(index, result)
    if position is None:
        await query.answer(tr.gettext(messages.OUTDATED), show_alert=True)
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
        code={passage.ordinal: monospaced(index.marks_of(document_position), *passage.span) for passage in passages},
        header=result.header if cited else "",
        tr=tr,
    )
    offset = centre - position
    row = []
    if centre > document.first_passage:
        row.append(
            InlineKeyboardButton(
                tr.gettext(messages.EARLIER),
                callback_data=_Button("c", button.reply_id, button.rank, offset - 1).data(),
            )
        )
    row.append(InlineKeyboardButton(tr.gettext(messages.ANSWER), callback_data=_Button("a", button.reply_id).data()))
    if centre < last:
        row.append(
            InlineKeyboardButton(
                tr.gettext(messages.LATER),
                callback_data=_Button("c", button.reply_id, button.rank, offset + 1).data(),
            )
        )
    await query.answer()
    await _edit(query, view, InlineKeyboardMarkup([row]))


async def _send_source(
    state: BotState, update: Update, context: ContextTypes.DEFAULT_TYPE, result: Result, tr: Translator
) -> None:
    """What the index knows of the cited document, then the file itself if a bot may send it."""
    query = update.callback_query
    index = state.engine.index
    position = index.document_position.get(result.doc_id)
    path = state.config.corpus / result.doc_id
    if position is None or not path.is_file():
        await query.answer(tr.gettext(messages.OUTDATED), show_alert=True)
        return
    await query.answer()
    size = path.stat().st_size
    chat_id = update.effective_chat.id
    await context.bot.send_message(chat_id, render.document_html(index.documents[position], size, tr))
    if size <= (LOCAL_FILE_LIMIT if state.settings.local_mode else SEND_FILE_LIMIT):
        with contextlib.suppress(TelegramError):
            await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        await context.bot.send_document(chat_id, path, filename=path.name)


async def _edit(query: Any, text: str, buttons: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=buttons)
    except BadRequest as error:
        if not unchanged(error):
            raise


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
