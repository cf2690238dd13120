"""Faults end to end (issue 14): Bot API outages, slow answers, updates python-telegram-bot cannot
read, odd or forged updates, uploads of unknown size, and the webhook's door — the real Application
over HTTP against the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shutil
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

import httpx
import pytest
import yaml
from data_files import as_version_3, fill, held_lock, tmpfs
from fake_bot_api import FakeBotApi
from telegram.error import TelegramError
from telegram_harness import ADMIN, USER, buttons_of, running_bot, text_of, write_site

from bot import store as store_module
from bot.bot_api import GATHER, Outage, Undelivered, UpdatesRequest
from bot.config import load_config
from bot.engine import Engine
from bot.errors import ConfigError, UserError
from bot.store import STORE_FILE, Store
from bot.telegram_bot import life_cycle
from bot.telegram_bot.wiring import build_application
from bot.webhook import MAX_BODY, WebhookServer

QUESTION = "When did Azerbaijan declare its independence?"
SECOND_QUESTION = "Which corridor connecting Azerbaijan and Turkey does the declaration mention?"
CHATS = range(2001, 2009)
CROWD = range(3001, 3031)  # thirty chats, one question each
OTHER = 2002
GROUP = -100300
SORRY = "went wrong"
HANDLED = ["message", "edited_message", "callback_query", "inline_query"]


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def lines(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= level]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


# --- 2: a full data folder ---------------------------------------------------------------


async def test_a_full_data_folder_costs_the_buttons_not_the_answers_and_is_told_once(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config_path = write_site(tmp_path, api)
    with tmpfs(tmp_path / "data", kilobytes=1024) as data:  # the config's data folder
        async with running_bot(config_path, api):
            filler = fill(data)
            for chat in CROWD:
                api.message(QUESTION, chat_id=chat, user_id=chat)
            for chat in CROWD:
                await api.wait_for("sendMessage", chat_id=chat)
            (unkept,) = api.bot_messages(CROWD[0])
            api.press(buttons_of(unkept)["Context"], unkept, user_id=CROWD[0])
            api.press(buttons_of(unkept)["👍"], unkept, user_id=CROWD[0])
            expired = await api.wait_for("answerCallbackQuery", count=2)
            api.command("/stats", chat_id=ADMIN, user_id=ADMIN)
            stats = await api.wait_for("sendMessage", chat_id=ADMIN)
            filler.unlink()  # room again: answers are kept again
            api.message(SECOND_QUESTION)
            await api.wait_for("sendMessage", chat_id=USER)
            (kept,) = api.bot_messages(USER)
            api.press(buttons_of(kept)["Context"], kept)
            context = await api.wait_for("editMessageText")
    for chat in CROWD:
        ((reply,),) = [api.sent("sendMessage", chat)]
        assert "1991" in text_of(reply) and buttons_of(reply)
    assert all("expired" in call.params["text"] for call in api.sent("answerCallbackQuery")[:2])
    assert "expired" in expired.params["text"] and "Questions served: 0" in text_of(stats)
    assert context.params["message_id"] == kept["message_id"]
    assert lines(caplog) == [
        f"cannot use {data}/citebot.sqlite3 (database or disk is full): answers are still sent, but until it works "
        "again their buttons will say they have expired, votes are not counted, and chats' memories last only "
        "until a restart"
    ]
    assert [line for line in lines(caplog, logging.INFO) if "works again:" in line] == [
        f"{data}/citebot.sqlite3 works again: answers, votes and chats' memories are kept again"
    ]
    assert not tracebacks(caplog)


async def test_a_store_another_process_keeps_locked_costs_the_buttons_not_the_answers(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a full disk does, without root: the store cannot be written while another process
    holds its write lock."""
    monkeypatch.setattr(store_module, "RUNNING_LOCK_WAIT", 0.1)
    caplog.set_level(logging.INFO)
    async with running_bot(write_site(tmp_path, api), api):
        with held_lock(tmp_path / "data" / STORE_FILE, 60):
            for chat in CHATS:
                api.message(QUESTION, chat_id=chat, user_id=chat)
            for chat in CHATS:
                await api.wait_for("sendMessage", chat_id=chat)
            (unkept,) = api.bot_messages(CHATS[0])
            api.press(buttons_of(unkept)["Context"], unkept, user_id=CHATS[0])
            expired = await api.wait_for("answerCallbackQuery")
        api.message(SECOND_QUESTION)
        await api.wait_for("sendMessage", chat_id=USER)
        (kept,) = api.bot_messages(USER)
        api.press(buttons_of(kept)["Context"], kept)
        context = await api.wait_for("editMessageText")
    assert all("1991" in text_of(call) for chat in CHATS for call in api.sent("sendMessage", chat))
    assert "expired" in expired.params["text"]
    assert context.params["message_id"] == kept["message_id"]
    (warning,) = lines(caplog)
    assert warning.startswith(
        f"cannot use {tmp_path / 'data' / STORE_FILE} (database is locked): answers are still sent"
    )
    assert len([line for line in lines(caplog, logging.INFO) if "works again:" in line]) == 1
    assert not tracebacks(caplog)


async def test_a_button_pressed_before_its_answer_is_kept_waits_for_it(api: FakeBotApi, tmp_path: Path) -> None:
    """The answer is kept once Telegram confirms it was sent; a press in between waits for that."""
    async with running_bot(write_site(tmp_path, api), api):
        api.slow("sendMessage", 1.5)  # carried out at once, confirmed late
        api.message(SECOND_QUESTION)
        await until(lambda: api.bot_messages(USER))
        (answer,) = api.bot_messages(USER)
        api.press(buttons_of(answer)["Context"], answer)
        context = await api.wait_for("editMessageText")
    assert context.params["message_id"] == answer["message_id"]
    assert not api.sent("answerCallbackQuery") or "expired" not in str(api.sent("answerCallbackQuery")[0].params)


# --- 6: an outage loses no reply ----------------------------------------------------------


@pytest.mark.parametrize("outage", ["502", "connection refused"])
async def test_replies_wait_out_an_outage_and_arrive_once(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture, outage: str
) -> None:
    caplog.set_level(logging.INFO)
    for chat in CHATS:  # queued before the bot polls: they come in one batch, and meet the outage
        api.message(QUESTION, chat_id=chat, user_id=chat)
    api.after_updates(lambda: api.fail_for(3) if outage == "502" else api.refuse_for(3))
    async with running_bot(write_site(tmp_path, api), api):
        for chat in CHATS:
            await api.wait_for("sendMessage", chat_id=chat, timeout=20)
        await asyncio.sleep(0.5)  # time for a second copy to show up, if one were coming
    for chat in CHATS:
        (reply,) = api.sent("sendMessage", chat)
        assert "1991" in text_of(reply)
    if outage == "502":
        assert any(c.method == "sendMessage" and c.error_code == 502 for c in api.calls)
    log = lines(caplog, logging.INFO)
    assert any(line.startswith("sending failed") for line in log), log
    assert any(line.startswith("sending works again") for line in log), log
    assert len(lines(caplog)) <= 2, lines(caplog)  # sending failed, getting updates failed
    assert not tracebacks(caplog)


async def test_an_outage_longer_than_retry_for_gives_up_in_one_line(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for chat in CHATS[:3]:
        api.message(QUESTION, chat_id=chat, user_id=chat)
    api.after_updates(lambda: api.fail_for(60, methods=["sendMessage"]))
    async with running_bot(write_site(tmp_path, api, retry_for=1), api):
        await until(lambda: any("gave up" in line for line in lines(caplog)))
        api.fail_for(0)  # the outage ends
        api.message(SECOND_QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
    assert "Zangezur" in text_of(reply)
    (given_up,) = [line for line in lines(caplog) if "gave up" in line]
    assert given_up.startswith("sending: gave up on 3 replies after trying for 1 s (last: Bad Gateway (502))"), given_up
    assert not any(api.sent("sendMessage", chat) for chat in CHATS[:3])
    assert not tracebacks(caplog)


async def test_a_refused_reply_is_not_sent_again_and_gets_one_line(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(write_site(tmp_path, api), api):
        api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        api.message(QUESTION)
        await until(lambda: any(c.error_code == 403 for c in api.calls))
        await asyncio.sleep(0.5)
    assert [c.error_code for c in api.calls if c.method == "sendMessage"] == [403]
    assert lines(caplog) == [
        "Telegram refused a request while handling message 1 (chat 1001, user 1001): Forbidden: bot was blocked by the user"
    ]


# --- 7: a slow Bot API -------------------------------------------------------------------


async def test_a_slow_send_is_waited_for_and_its_answer_edited_in_place(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(write_site(tmp_path, api), api):
        api.slow("sendMessage", 5.5)  # python-telegram-bot's default read timeout is 5 s
        question = api.message(QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
        await asyncio.sleep(6)
        api.message(SECOND_QUESTION, message_id=question["message_id"], edited=True)
        edit = await api.wait_for("editMessageText")
    assert edit.params["message_id"] == reply.result["message_id"]
    assert [SORRY not in text_of(call) for call in api.sent("sendMessage", USER)] == [True]


async def test_a_send_that_times_out_gets_no_apology_and_a_button_press_links_it(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(write_site(tmp_path, api, read_timeout=0.5), api):
        api.slow("sendMessage", 1.2)
        question = api.message(QUESTION)
        await api.wait_for("sendMessage", chat_id=USER)
        await until(lambda: lines(caplog))
        await asyncio.sleep(1)  # the answer arrives; the bot gave up waiting for it at 0.5 s
        assert len(api.sent("sendMessage", USER)) == 1  # neither sent again nor apologised for
        (answer,) = api.bot_messages(USER)
        api.press(buttons_of(answer)["👍"], answer)
        await api.wait_for("answerCallbackQuery")
        api.message(SECOND_QUESTION, message_id=question["message_id"], edited=True)
        edit = await api.wait_for("editMessageText")
    assert edit.params["message_id"] == answer["message_id"]
    assert len(api.sent("sendMessage", USER)) == 1
    (line,) = lines(caplog)
    assert "got no answer while handling message 1" in line and "it may have arrived" in line
    assert not tracebacks(caplog)


# --- 8: an update python-telegram-bot cannot read -----------------------------------------


async def test_an_unreadable_update_is_skipped_without_its_text_and_the_bot_answers_on(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.unreadable_update(text="my private question")
    api.unreadable_update(kind="message_reaction", text="my private reaction")
    api.message(QUESTION)
    async with running_bot(write_site(tmp_path, api), api):
        reply = await api.wait_for("sendMessage", chat_id=USER)
        await asyncio.sleep(0.3)
    assert "1991" in text_of(reply)
    (skipped,) = [line for line in lines(caplog) if "cannot read" in line]
    assert skipped.startswith(
        "skipped update 1, which python-telegram-bot cannot read (TypeError): {message: {message_id: int, date: str"
    )
    assert "private" not in caplog.text
    polls = [c for c in api.calls if c.method == "getUpdates"]
    assert len(polls) < 20
    assert all(c.params.get("allowed_updates") == HANDLED for c in polls if c.params.get("timeout"))


# --- 9: polling through an outage ----------------------------------------------------------


async def test_a_polling_outage_is_a_few_lines_without_tracebacks(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(write_site(tmp_path, api), api):
        await api.wait_for("getUpdates")
        api.fail_for(3.5, methods=["getUpdates"])
        await asyncio.sleep(3.5)
        api.message(QUESTION)
        await api.wait_for("sendMessage", chat_id=USER, timeout=15)
    failed = sum(c.method == "getUpdates" and c.error_code == 502 for c in api.calls)
    assert 2 <= failed <= 5  # pauses grow between attempts
    assert [line for line in lines(caplog)] == [
        "getting updates failed (Bad Gateway (502)); trying again with growing pauses"
    ]
    assert any(line.startswith("getting updates works again after") for line in lines(caplog, logging.INFO))
    assert not tracebacks(caplog)


async def test_polling_pauses_while_getupdates_answers_with_something_else(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(write_site(tmp_path, api), api):
        await api.wait_for("getUpdates")
        api.fail_for(2.5, status=200, methods=["getUpdates"])  # a captive portal's page, "200 OK"
        await asyncio.sleep(2.5)
        api.message(QUESTION)
        await api.wait_for("sendMessage", chat_id=USER, timeout=15)
    assert sum(c.method == "getUpdates" and c.error_code == 200 for c in api.calls) <= 4
    assert lines(caplog) == [
        "getting updates failed (TelegramError: the Bot API answered with something that is not JSON); "
        + "trying again with growing pauses"
    ]


@pytest.mark.parametrize(
    "answer",
    [{"ok": True, "result": {"update_id": 1}}, {"ok": True, "result": [1, "x"]}, {"ok": True}],
    ids=["not a list", "no updates in it", "no result"],
)
def test_a_getupdates_answer_that_is_no_list_of_updates_is_a_failure(answer: dict) -> None:
    with pytest.raises(TelegramError, match="not a list of updates"):
        UpdatesRequest()._readable(json.dumps(answer).encode())


def test_an_unreadable_update_gives_way_to_an_empty_one_with_its_id(caplog: pytest.LogCaptureFixture) -> None:
    updates = [{"update_id": 7, "message": {"message_id": 1, "date": "now", "text": "secret"}}, {"update_id": 8}, "x"]
    answer = json.loads(UpdatesRequest()._readable(json.dumps({"ok": True, "result": updates}).encode()))
    assert answer["result"] == [{"update_id": 7}, {"update_id": 8}]
    assert "secret" not in caplog.text


async def test_a_handler_error_keeps_its_traceback(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(write_site(tmp_path, api), api):
        api.fail_next("sendMessage", 400, "Bad Request: something odd")
        api.message(QUESTION)
        await api.wait_for("sendMessage", chat_id=USER)
    assert tracebacks(caplog) == ["error while handling message 1 (chat 1001, user 1001)"]


# --- 10: the webhook's door ----------------------------------------------------------------


def webhook_site(tmp_path: Path, api: FakeBotApi, **webhook: object) -> Path:
    port = free_port()
    return write_site(
        tmp_path, api, webhook={"url": "https://bot.example.org/hook", "port": port, "path": "hook", **webhook}
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Webhook:
    def __init__(self, config_path: Path, api: FakeBotApi) -> None:
        self.config = load_config(config_path, {})
        self.application = build_application(
            self.config, Engine(self.config, notify=lambda message: None), Store(self.config.data)
        )
        self.server = WebhookServer(self.application, self.config.telegram.webhook)
        self.url = f"http://127.0.0.1:{self.config.telegram.webhook.port}/hook"

    async def __aenter__(self) -> Self:
        await self.application.initialize()
        await self.application.post_init(self.application)
        await self.application.start()
        try:
            await self.server.start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.server.stop()
        await self.application.stop()
        await self.application.post_stop(self.application)
        await self.application.shutdown()
        await self.application.post_shutdown(self.application)

    async def post(self, update: dict, secret: str | None) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with httpx.AsyncClient() as client:
            return await client.post(self.url, json=update, headers=headers)


async def test_a_webhook_without_a_configured_secret_makes_one_and_refuses_forged_updates(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forged = {"update_id": 1, "message": api.message("/stats", chat_id=ADMIN, user_id=ADMIN)}
    async with Webhook(webhook_site(tmp_path, api), api) as hook:
        registered = api.sent("setWebhook")[0].params
        secret = registered["secret_token"]
        refused = [await hook.post(forged, None), await hook.post(forged, "guess")]
        accepted = await hook.post({"update_id": 2, "message": api.message(QUESTION)}, secret)
        reply = await api.wait_for("sendMessage", chat_id=USER)
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", secret)
    assert registered["url"] == "https://bot.example.org/hook"
    assert registered["allowed_updates"] == HANDLED
    assert [response.status_code for response in refused] == [403, 403]
    assert accepted.status_code == 200
    assert "1991" in text_of(reply)
    assert not api.sent("sendMessage", ADMIN)
    assert secret not in caplog.text


async def raw_request(port: int, head: str, body: bytes = b"") -> tuple[bytes, float]:
    """Send a request's head (and some body), and read the answer without sending the rest."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + body)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(200), timeout=5)
    writer.close()
    return answer, time.monotonic() - started


async def test_a_webhook_refuses_an_oversized_body_before_reading_it(api: FakeBotApi, tmp_path: Path) -> None:
    async with Webhook(webhook_site(tmp_path, api, secret_token="s3cret-x"), api) as hook:
        port = hook.config.telegram.webhook.port
        head = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90000000\r\n"
        anonymous, anonymous_seconds = await raw_request(port, head + "\r\n")
        too_large, too_large_seconds = await raw_request(
            port, head + "X-Telegram-Bot-Api-Secret-Token: s3cret-x\r\n\r\n"
        )
        chunked = (
            "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "X-Telegram-Bot-Api-Secret-Token: s3cret-x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        cut_off, _ = await raw_request(port, chunked, chunk * (MAX_BODY // 65536 + 2))
    assert anonymous.startswith(b"HTTP/1.1 403") and anonymous_seconds < 1
    assert too_large.startswith(b"HTTP/1.1 413") and too_large_seconds < 1
    assert not cut_off.startswith(b"HTTP/1.1 200")


async def test_a_webhook_skips_an_update_it_cannot_read_and_acknowledges_it(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unreadable = {"update_id": 5, "message": {"message_id": 1, "date": "now", "text": "my private question"}}
    async with Webhook(webhook_site(tmp_path, api, secret_token="s3cret-x"), api) as hook:
        skipped = await hook.post(unreadable, "s3cret-x")
        await hook.post({"update_id": 6, "message": api.message(QUESTION)}, "s3cret-x")
        reply = await api.wait_for("sendMessage", chat_id=USER)
    assert skipped.status_code == 200
    assert "1991" in text_of(reply)
    assert [line for line in lines(caplog) if "cannot read" in line]
    assert "private" not in caplog.text


async def test_a_webhook_on_all_interfaces_is_warned_about(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with Webhook(webhook_site(tmp_path, api, listen="0.0.0.0", secret_token="s3cret-x"), api):
        pass
    (warning,) = lines(caplog)
    assert warning.startswith("telegram.webhook.listen is 0.0.0.0: the webhook server speaks plain HTTP")


async def test_a_webhook_telegram_refuses_or_a_port_in_use_is_one_line(api: FakeBotApi, tmp_path: Path) -> None:
    config_path = webhook_site(tmp_path, api, secret_token="s3cret-x")
    api.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
    with pytest.raises(
        UserError, match="Telegram refused telegram.webhook.url https://bot.example.org/hook: .*resolve"
    ):
        async with Webhook(config_path, api):
            pass
    port = load_config(config_path, {}).telegram.webhook.port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(UserError, match=f"telegram.webhook: cannot listen on 127.0.0.1:{port}: "):
            async with Webhook(config_path, api):
                pass


# --- 11: buttons act only in their own chat -------------------------------------------------


async def test_a_button_acts_only_on_an_answer_sent_to_the_chat_it_is_pressed_in(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """Telegram does not check callback data: another chat's buttons, copied or guessed, name nothing."""
    async with running_bot(write_site(tmp_path, api), api) as bot:
        api.message(QUESTION, chat_id=OTHER, user_id=OTHER)
        theirs = await api.wait_for("sendMessage", chat_id=OTHER)
        api.message(SECOND_QUESTION)
        mine = await api.wait_for("sendMessage", chat_id=USER)
        (own,) = api.bot_messages(USER)
        forged = [*buttons_of(theirs).values(), "m:1:0:0", "c:1:0:0", "u:1:0:0", "d:2:0:0"]
        for data in forged:
            api.press(data, own)
        await api.wait_for("answerCallbackQuery", count=len(forged))
        api.press(buttons_of(own)["Context"], own)  # its own buttons work
        await api.wait_for("editMessageText")
    answers = api.sent("answerCallbackQuery")
    assert all("expired" in call.params.get("text", "") for call in answers[: len(forged)])
    assert not api.sent("sendDocument") and len(api.sent("sendMessage", USER)) == 1
    assert [call.params["message_id"] for call in api.sent("editMessageText")] == [own["message_id"]]
    store = Store(bot.config.data)
    try:
        assert store.votes() == []
    finally:
        store.close()
    pattern = re.compile(r"[mcsud]:([A-Za-z0-9_-]{16}):0:0")
    ids = {pattern.fullmatch(data)[1] for data in [*buttons_of(theirs).values(), *buttons_of(mine).values()]}
    assert len(ids) == 2  # one unguessable id per answer


async def test_in_a_group_each_person_has_one_vote_on_an_answer_and_can_change_it(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with running_bot(write_site(tmp_path, api), api) as bot:
        api.command(f"/ask {QUESTION}", chat_id=GROUP, chat_type="group")
        await api.wait_for("sendMessage", chat_id=GROUP)
        (answer,) = api.bot_messages(GROUP)
        votes = buttons_of(answer)
        for count, (label, user) in enumerate([("👍", USER), ("👎", USER), ("👍", OTHER)], start=1):
            api.press(votes[label], answer, user_id=user)
            await api.wait_for("answerCallbackQuery", count=count)
    store = Store(bot.config.data)
    try:
        assert sorted(vote for *_, vote in store.votes()) == [-1, 1]
    finally:
        store.close()


async def test_buttons_sent_before_answers_had_ids_keep_working_in_their_own_chat_only(
    api: FakeBotApi, tmp_path: Path
) -> None:
    config_path = write_site(tmp_path, api)
    async with running_bot(config_path, api):
        api.message(SECOND_QUESTION)
        api.message(QUESTION, chat_id=OTHER, user_id=OTHER)
        await api.wait_for("sendMessage", chat_id=USER)
        await api.wait_for("sendMessage", chat_id=OTHER)
    as_version_3(tmp_path / "data")  # as citebot kept them before: the buttons carried row numbers
    (mine,), (theirs,) = api.bot_messages(USER), api.bot_messages(OTHER)
    rows = {USER: "1", OTHER: "2"} if "Zangezur" in mine["text"] else {USER: "2", OTHER: "1"}
    async with running_bot(config_path, api):
        api.press(f"c:{rows[OTHER]}:0:0", mine)
        refused = await api.wait_for("answerCallbackQuery")
        api.press(f"c:{rows[USER]}:0:0", mine)
        edit = await api.wait_for("editMessageText")
    assert "expired" in refused.params["text"]
    assert edit.params["chat_id"] == USER and "passage" in text_of(edit)
    assert theirs["text"] not in text_of(edit)


# --- 12: uploads of unknown size ----------------------------------------------------------


async def test_an_upload_whose_size_telegram_does_not_say_is_held_to_max_upload_mb(
    api: FakeBotApi, tmp_path: Path
) -> None:
    big = b"Quarry ledger\n\n" + b"The ledger lists every stone cut at the quarry that year. " * 60_000  # 3.5 MB
    small = b"Glacier report\n\nThe Vorlund glacier retreated 40 metres in 2019.\n"
    async with running_bot(write_site(tmp_path, api, max_upload_mb=1), api) as bot:
        api.upload("ledger.txt", big, report_size=False, chat_id=ADMIN, user_id=ADMIN)
        refused = await api.wait_for("sendMessage", chat_id=ADMIN)
        api.upload("glacier.txt", small, report_size=False, chat_id=ADMIN, user_id=ADMIN)
        added = await api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "Added" in text_of(c))
    assert "larger than the 1 MB limit" in text_of(refused)
    assert not (bot.config.corpus / "ledger.txt").exists()
    assert "glacier.txt" in text_of(added)


# --- 14: odd and forged updates -------------------------------------------------------------


async def test_odd_updates_raise_nothing_in_handlers(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(write_site(tmp_path, api), api):
        await api.wait_for("getUpdates")
        api.message(QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
        reply_id = buttons_of(reply)["More"].split(":")[1]
        api.message(QUESTION, chat=False)  # a message with no chat
        api.message(QUESTION, chat=False, edited=True)
        for action in "mcsa":  # buttons under a message sent in inline mode: no chat, no message
            api.press(f"{action}:{reply_id}:0:0")
        api.inline_query("x" * 256)
        api.message(None, chat_id=USER)  # a message with nothing in it
        await api.wait_for("answerCallbackQuery", count=4)
        await api.wait_for("answerInlineQuery")
        api.message(SECOND_QUESTION)
        follow = await api.wait_for("sendMessage", chat_id=USER, predicate=lambda c: "Zangezur" in text_of(c))
    assert follow
    assert all("expired" in call.params["text"] for call in api.sent("answerCallbackQuery"))
    assert not lines(caplog, logging.ERROR)


async def test_an_inline_answer_fits_telegrams_limit_however_long_its_source(api: FakeBotApi, tmp_path: Path) -> None:
    config_path = write_site(tmp_path, api)
    for copy in range(30):  # the same passage in 30 files: its source names every one of them
        name = f"{copy:02d}-quarry-notes-" + "x" * 180 + ".txt"
        (tmp_path / "corpus" / name).write_text(
            "Quarry notes\n\nThe zorblat vault was sealed in 1712 by the guild of masons.\n", encoding="utf-8"
        )
    async with running_bot(config_path, api):
        api.inline_query("&" * 200 + " When was the zorblat vault sealed?")
        call = await api.wait_for("answerInlineQuery")
    texts = [article["input_message_content"]["message_text"] for article in call.params["results"]]
    assert texts and all(len(text) <= 4096 for text in texts)
    assert "1712" in texts[0]


async def test_an_outage_is_told_in_a_few_lines_however_many_requests_fail(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    outage = Outage("sending", "keeping replies for up to 60 s and sending them again")
    for _ in range(1000):
        outage.failed(Undelivered("Bad Gateway (502)"))
    for _ in range(100):
        outage.gave_up(Undelivered("Bad Gateway (502)"), 60)
    await asyncio.sleep(GATHER + 0.1)
    outage.ended()
    told = lines(caplog, logging.INFO)
    assert told[:2] == [
        "sending failed (Bad Gateway (502)); keeping replies for up to 60 s and sending them again",
        "sending: gave up on 100 replies after trying for 60 s (last: Bad Gateway (502)); not delivered",
    ]
    assert len(told) == 3 and re.fullmatch(r"sending works again after 1\.\d s \(1000 failed attempts\)", told[2])


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("read_timeout", 0, "telegram.read_timeout: must be between 0.1 and 300 seconds (got 0)"),
        ("retry_for", -1, "telegram.retry_for: must be between 0 and 3600 seconds (got -1)"),
    ],
)
def test_the_reliability_settings_are_checked(tmp_path: Path, key: str, value: float, problem: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"telegram": {key: value}}), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path, {})
    assert str(error.value) == problem


def test_config_example_documents_the_reliability_keys() -> None:
    settings = yaml.safe_load((Path(__file__).parent.parent / "config.example.yaml").read_text(encoding="utf-8"))
    assert {"read_timeout": 20, "retry_for": 60}.items() <= settings["telegram"].items()
    assert load_config(Path(__file__).parent.parent / "config.example.yaml", {}).telegram.retry_for == 60


# --- keeping up: pruning, a reindex that cannot be saved, reading an upload -------------------


async def test_the_store_is_pruned_in_the_background_soon_after_start_and_then_regularly(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(life_cycle, "PRUNE_FIRST", 0.3)
    monkeypatch.setattr(life_cycle, "PRUNE_EVERY", 0.3)
    config_path = write_site(tmp_path, api)
    data = tmp_path / "data"

    def expired_answers(count: int) -> None:
        """Answers older than store.keep_days, and a newest one (prune always keeps that)."""
        store = Store(data)
        kept = [store.record(USER, n, {"question": f"q{n}", "answered": True}, 0.1) for n in range(count + 1)]
        store.close()
        with contextlib.closing(sqlite3.connect(data / STORE_FILE)) as db, db:
            db.executemany("UPDATE replies SET created = 0 WHERE key = ?", [(key,) for key in kept[:-1]])

    def answers_kept() -> int:
        with contextlib.closing(sqlite3.connect(data / STORE_FILE)) as db:
            return db.execute("SELECT count(*) FROM replies").fetchone()[0]

    expired_answers(5)
    async with running_bot(config_path, api):
        await until(lambda: answers_kept() == 1)
        expired_answers(3)  # while the bot runs: the next prune removes them
        await until(lambda: answers_kept() == 2)
    await asyncio.sleep(0)
    assert not [task for task in asyncio.all_tasks() if "_prune_now_and_then" in repr(task.get_coro())]


async def test_a_reindex_whose_index_cannot_be_saved_tells_the_admin_and_the_log_once(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(write_site(tmp_path, api), api) as bot:
        shutil.rmtree(bot.config.index)
        bot.config.index.write_text("not a folder", encoding="utf-8")  # unwritable, even for root
        api.command("/reindex", chat_id=ADMIN, user_id=ADMIN)
        report = await api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "Indexed" in text_of(c))
        api.message(SECOND_QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
    assert (
        f"⚠️ The new index was not saved (could not save the index in {bot.config.index} (File exists)): "
        "I answer from it in memory, and a restart goes back to the previous one." in text_of(report)
    )
    assert "Zangezur" in text_of(reply)
    assert lines(caplog) == [
        f"reindex: could not save the index in {bot.config.index} (File exists): answering from the new index "
        "in memory; a restart goes back to the previous one"
    ]


async def test_an_upload_is_read_within_the_reading_limits(api: FakeBotApi, tmp_path: Path) -> None:
    config_path = write_site(tmp_path, api, max_upload_mb=5)
    settings = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    settings["reading"]["max_file_mb"] = 1
    config_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    ledger = b"Quarry ledger\n\n" + b"The ledger lists every stone cut at the quarry that year. " * 25_000  # 1.4 MB
    async with running_bot(config_path, api) as bot:
        api.upload("ledger.txt", ledger, chat_id=ADMIN, user_id=ADMIN)
        refused = await api.wait_for("sendMessage", chat_id=ADMIN)
    assert "could not read ledger.txt" in text_of(refused) and "reading.max_file_mb" in text_of(refused)
    assert "Nothing was added" in text_of(refused)
    assert not (bot.config.corpus / "ledger.txt").exists()


async def test_a_flood_of_429s_is_one_log_line_a_minute(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.fail_next("sendMessage", 429, retry_after=1, times=len(CHATS))
    async with running_bot(write_site(tmp_path, api), api):
        for chat in CHATS:
            api.message(QUESTION, chat_id=chat, user_id=chat)
        for chat in CHATS:
            await api.wait_for("sendMessage", chat_id=chat)
    assert sum(call.error_code == 429 for call in api.calls) == len(CHATS)
    assert len([line for line in lines(caplog, logging.INFO) if "Rate limit hit" in line]) == 1
