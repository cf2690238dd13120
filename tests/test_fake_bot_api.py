"""Tests for tests/fake_bot_api.py, driving a real python-telegram-bot client against it.

The bot's end-to-end tests trust this fake; these tests make sure it speaks the Bot API the way
python-telegram-bot expects (encoding, errors, files, polling), so failures there are the bot's.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest
from fake_bot_api import FakeBotApi  # pytest puts tests/ on sys.path (no __init__.py)
from telegram import Bot, File, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Source 1", callback_data="src:1")]])


@pytest.fixture
def api():
    with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api):
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


async def test_get_me_through_bot(api, bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.supports_inline_queries) == (api.bot_id, api.username, True, True)
    assert api.calls[-1].method == "getMe" and api.calls[-1].environment == "prod"


async def test_send_message_is_recorded_with_decoded_params(api, bot):
    message = await bot.send_message(1001, "<b>Kestrel</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    assert isinstance(message, Message)
    assert (message.chat.id, message.from_user.id, message.text) == (1001, api.bot_id, "<b>Kestrel</b>")
    assert message.reply_markup == KEYBOARD
    [call] = api.sent("sendMessage", chat_id=1001)
    assert call.params == {
        "chat_id": 1001,
        "text": "<b>Kestrel</b>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Source 1", "callback_data": "src:1"}]]},
    }
    assert call.result["message_id"] == message.message_id


@pytest.mark.parametrize("text", ["<b>unclosed", "<b><pre>code</pre></b>", "a < b", "<pre><i>x</i></pre>"])
async def test_html_telegram_cannot_parse_is_refused_as_telegram_refuses_it(api, bot, text):
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(1001, text, parse_mode="HTML")
    await bot.send_message(1001, text)  # without a parse mode it is plain text
    assert api.sent()[-1].ok


async def test_numeric_looking_text_stays_a_string(api, bot):
    await bot.send_message(1001, "123")
    assert api.sent()[0].params["text"] == "123"


async def test_reply_references_the_users_message(api, bot):
    question = api.message("When was it founded?")
    answer = await bot.send_message(1001, "1887", reply_parameters=ReplyParameters(question["message_id"]))
    assert answer.reply_to_message.text == "When was it founded?"
    assert answer.message_id == question["message_id"] + 1  # per-chat ids


async def test_edit_message_text_updates_bot_messages(api, bot):
    sent = await bot.send_message(1001, "Searching…", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Found it", chat_id=1001, message_id=sent.message_id)
    assert edited.text == "Found it"
    [stored] = api.bot_messages(1001)
    assert stored["text"] == "Found it" and "reply_markup" not in stored  # Telegram drops the keyboard too
    await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id, reply_markup=KEYBOARD)
    assert api.bot_messages(1001)[0]["reply_markup"] == KEYBOARD.to_dict()
    assert await bot.delete_message(1001, sent.message_id) is True
    assert api.bot_messages(1001) == []
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("gone", chat_id=1001, message_id=sent.message_id)


async def test_get_updates_returns_pushed_updates_and_respects_offset(api, bot):
    api.message("hello", chat_id=-500, chat_type="supergroup")
    sent = await bot.send_message(-500, "Pick one", reply_markup=KEYBOARD)
    await bot.edit_message_text("Pick one, please", chat_id=-500, message_id=sent.message_id, reply_markup=KEYBOARD)
    query = api.press("src:1", api.bot_messages(-500)[0])
    api.inline_query("kestrel")

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [1, 2, 3]
    assert updates[0].message.text == "hello" and updates[0].message.chat.type == "supergroup"
    assert sent.chat.type == "supergroup"  # remembered from the pushed update
    assert updates[1].callback_query.id == query["id"] and updates[1].callback_query.data == "src:1"
    assert updates[1].callback_query.message.text == "Pick one, please"
    assert updates[2].inline_query.query == "kestrel"

    assert [u.update_id for u in await bot.get_updates(offset=3, timeout=0)] == [3]
    assert await bot.get_updates(offset=4, timeout=0) == ()


async def test_commands_mentions_and_edits_carry_entities(api, bot):
    api.command(f"/ask@{api.username} who founded it?")
    api.mention("🔭 who founded it?", chat_id=-7, chat_type="group")
    original = api.message("typo")
    api.message("fixed", message_id=original["message_id"], edited=True)
    command, mention, _, edit = await bot.get_updates(timeout=0)
    assert command.message.parse_entities() == {command.message.entities[0]: f"/ask@{api.username}"}
    assert list(mention.message.parse_entities().values()) == [f"@{api.username}"]
    assert edit.edited_message.text == "fixed" and edit.edited_message.edit_date is not None


async def test_long_poll_returns_as_soon_as_an_update_arrives(api, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    api.message("now")
    updates = await poll
    assert updates[0].message.text == "now" and time.monotonic() - started < 0.5

    started = time.monotonic()
    assert await bot.get_updates(offset=2, timeout=5) == ()
    assert 0.9 < time.monotonic() - started < 1.5  # long polls are capped at 1 s


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter's int retry_after
async def test_fail_next_429_raises_retry_after_then_succeeds(api, bot):
    api.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(1001, "first")
    await bot.send_message(1001, "second")
    assert [c.error_code for c in api.calls if c.method == "sendMessage"] == [429, None]
    assert [c.params["text"] for c in api.sent()] == ["second"]


async def test_fail_next_500_raises_network_error(api, bot):
    api.fail_next("sendMessage", 500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(1001, "x")
    await bot.send_message(1001, "x")


async def test_fail_for_answers_with_a_proxy_page_for_a_while(api, bot):
    api.fail_for(0.5, methods=["sendMessage"])
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(1001, "x")
    await bot.get_me()  # other methods are not affected
    await asyncio.sleep(0.6)
    await bot.send_message(1001, "x")
    assert [c.error_code for c in api.calls if c.method == "sendMessage"] == [502, None]


async def test_refuse_for_stops_listening_for_a_while(api, bot):
    await bot.get_me()  # leaves a kept-alive connection, which is closed too
    api.refuse_for(0.5)
    with pytest.raises(NetworkError, match="ConnectError"):
        await bot.get_me()
    await asyncio.sleep(0.7)
    assert (await bot.get_me()).id == api.bot_id


async def test_slow_answers_late_but_carries_out_the_call_at_once(api, bot):
    api.slow("sendMessage", 0.5)
    started = time.monotonic()
    sending = asyncio.ensure_future(bot.send_message(1001, "late"))
    await api.wait_for("sendMessage", timeout=0.4)  # recorded (and in the chat) before the answer comes
    await sending
    assert time.monotonic() - started >= 0.5


async def test_after_updates_starts_a_fault_once_the_updates_are_out(api, bot):
    api.after_updates(lambda: api.fail_for(5))
    api.message("hello")
    (update,) = await bot.get_updates(timeout=1)
    assert update.message.text == "hello"
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()


async def test_odd_updates_can_be_sent(api, bot):
    api.unreadable_update(text="private")
    with pytest.raises(TypeError):
        await bot.get_updates(timeout=0)  # python-telegram-bot cannot read it
    api.message("no chat", chat=False)
    api.press("m:1:0:0")  # under a message sent in inline mode
    (no_chat, inline) = await bot.get_updates(offset=2, timeout=0)  # past the unreadable one
    assert no_chat.message.chat is None and no_chat.effective_chat is None
    assert inline.callback_query.message is None and inline.callback_query.inline_message_id


async def test_a_text_over_telegrams_limit_is_refused(api, bot):
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1001, "x" * 4097)
    await bot.send_message(1001, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # counted after parsing


async def test_an_upload_may_come_without_its_size(api, bot):
    api.upload("notes.txt", b"some notes", report_size=False)
    (update,) = await bot.get_updates(timeout=0)
    assert update.message.document.file_size is None
    file = await bot.get_file(update.message.document.file_id)
    assert file.file_size is None
    assert await file.download_as_bytearray() == b"some notes"


async def test_uploaded_file_can_be_fetched_and_downloaded(api, bot):
    content = "Kestrel Observatory — 1887\n".encode() * 50
    message = api.upload("notes.txt", content, caption="my notes")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message.caption == "my notes" and update.message.document.file_name == "notes.txt"
    file = await bot.get_file(update.message.document.file_id)
    assert isinstance(file, File) and file.file_size == len(content)
    assert file.file_path.startswith(api.base_file_url)
    assert await file.download_as_bytearray() == content
    assert message["document"]["file_id"] == file.file_id
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("no-such-file")


async def test_send_document_records_the_uploaded_bytes(api, bot):
    content = bytes(range(256)) + b"\r\n--\r\n\x00end"
    message = await bot.send_document(1001, content, filename="résumé.bin", caption="<i>raw</i>", parse_mode="HTML")
    [call] = api.sent("sendDocument")
    assert call.files == {"document": ("résumé.bin", content)}
    assert call.params == {"chat_id": 1001, "caption": "<i>raw</i>", "parse_mode": "HTML"}
    assert message.document.file_name == "résumé.bin" and message.caption == "<i>raw</i>"
    file = await bot.get_file(message.document)
    assert await file.download_as_bytearray() == content


async def test_wrong_token_and_unknown_method(api, bot):
    with pytest.raises(InvalidToken):
        await Bot("999:wrong", base_url=api.base_url).get_me()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert [c.error_code for c in api.calls[-2:]] == [401, 404]


async def test_test_environment_path(api):
    async with Bot(
        api.token, base_url=f"{api.base_url}{{token}}/test", base_file_url=f"{api.base_file_url}{{token}}/test"
    ) as test_bot:
        await test_bot.send_message(1001, "hi")
        uploaded = api.upload("a.txt", b"abc")
        file = await test_bot.get_file(uploaded["document"]["file_id"])
        assert await file.download_as_bytearray() == b"abc"
    assert {c.environment for c in api.calls} == {"test"}


def test_plain_http_get_and_case_insensitive_methods(api):
    url = f"{api.base_url}{api.token}/SENDMESSAGE?chat_id=5&text=hi"
    with urllib.request.urlopen(url) as response:
        body = json.load(response)
    assert body["ok"] and body["result"]["chat"]["id"] == 5
    assert api.sent("sendMessage", chat_id=5)[0].params == {"chat_id": 5, "text": "hi"}


async def test_wait_for_times_out_with_a_summary(api, bot):
    await bot.send_chat_action(1001, "typing")
    with pytest.raises(AssertionError, match=r"sendChatAction\(chat_id=1001, action='typing'\)"):
        await api.wait_for("sendMessage", timeout=0.05)


async def test_application_answers_and_stops_cleanly(api):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app = ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    started = time.monotonic()
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0)
    api.message("ping", chat_id=77)
    reply = await api.wait_for("sendMessage", chat_id=77, timeout=5)
    answered = time.monotonic()
    assert reply.params["text"] == "echo: ping"
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    stopped = time.monotonic()
    print(f"start+answer {answered - started:.3f}s, stop {stopped - answered:.3f}s")
    assert stopped - answered < 2
    assert api.calls[-1].method == "getUpdates" and api.calls[-1].params["offset"] == 2  # update marked read
