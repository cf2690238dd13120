"""`citebot run` as a user starts it, webhook mode, and the test environment's URL form."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sqlite3
import sys
import time
from pathlib import Path

import httpx
import yaml
from fake_bot_api import FakeBotApi
from log_lines import logged
from telegram_harness import ADMIN, ROOT, USER, running_bot, text_of, write_site

from bot.config import load_config
from bot.engine import Engine
from bot.store import STORE_FILE, Store
from bot.telegram_bot.wiring import build_application
from bot.webhook import WebhookServer

QUESTION = "When did Azerbaijan declare its independence?"


async def start_citebot(config_path: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        "--config",
        str(config_path),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CITEBOT_TELEGRAM_TOKEN": ""},
    )


async def test_citebot_run_polls_answers_and_stops_cleanly_on_ctrl_c(api: FakeBotApi, tmp_path: Path) -> None:
    """Also: the store is opened with the config's store settings (an answer older than
    store.keep_days is not counted)."""
    config_path = write_site(tmp_path, api)
    settings = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    settings["store"]["keep_days"] = 1
    config_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    store = Store(tmp_path / "data")
    store.record(USER, 1, {"question": "asked two days ago", "answered": True}, 0.1)
    store.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "data" / STORE_FILE)) as db, db:
        db.execute("UPDATE replies SET created = ?", (time.time() - 2 * 86400,))
    process = await start_citebot(config_path, "run")
    try:
        await api.wait_for("getUpdates", timeout=30)
        api.message(QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
        api.command("/stats", chat_id=ADMIN, user_id=ADMIN)
        stats = await api.wait_for("sendMessage", chat_id=ADMIN)
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert "1991" in text_of(reply)
    assert "Questions served: 1\n" in text_of(stats)
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert re.search(
        r"INFO bot.telegram_bot.life_cycle: ready as @citebot_test_bot: \d+ documents, \d+ passages, 0 files skipped; index ready in \d+\.\d s",
        log,
    )
    logged(log)  # every line with its time and level
    assert api.token.split(":")[1] not in log + stdout.decode()
    assert "Traceback" not in log


async def test_citebot_run_with_a_rejected_token_says_so_without_the_token(api: FakeBotApi, tmp_path: Path) -> None:
    config_path = write_site(tmp_path, api)
    settings = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    settings["telegram"]["token"] = "111:not-the-right-secret"
    config_path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    process = await start_citebot(config_path, "run")
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 2
    assert "Telegram rejected the bot token" in log
    assert "not-the-right-secret" not in log + stdout.decode()
    assert "Traceback" not in log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_serves_updates_posted_with_the_secret(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    webhook = {"url": "https://bot.example.org/hook", "port": port, "path": "/hook", "secret_token": "s3cret-x"}
    config = load_config(write_site(tmp_path, api, webhook=webhook), {})
    application = build_application(config, Engine(config, notify=lambda message: None), Store(config.data))
    update = {"update_id": 1, "message": api.message(QUESTION)}
    async with application:
        await application.post_init(application)
        await application.start()
        server = WebhookServer(application, config.telegram.webhook)
        await server.start()
        try:
            async with httpx.AsyncClient() as client:
                refused = await client.post(f"http://127.0.0.1:{port}/hook", json=update)
                accepted = await client.post(
                    f"http://127.0.0.1:{port}/hook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-x"},
                )
            reply = await api.wait_for("sendMessage", chat_id=USER)
        finally:
            await server.stop()
            await application.stop()
            await application.post_shutdown(application)
    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert "1991" in text_of(reply)
    registered = api.sent("setWebhook")[0].params
    assert registered["url"] == "https://bot.example.org/hook"
    assert registered["secret_token"] == "s3cret-x"


async def test_a_test_environment_token_uses_the_test_api_path(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(write_site(tmp_path, api, test_environment=True), api):
        api.message(QUESTION)
        await api.wait_for("sendMessage", chat_id=USER)
    assert {call.environment for call in api.calls} == {"test"}


async def test_citebot_run_tells_a_bot_api_outage_in_a_few_lines(api: FakeBotApi, tmp_path: Path) -> None:
    process = await start_citebot(write_site(tmp_path, api), "run")
    try:
        await api.wait_for("getUpdates", timeout=30)
        api.refuse_for(4)
        await asyncio.sleep(4)
        api.message(QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER, timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert "1991" in text_of(reply)
    assert "Traceback" not in log
    outage = [line for line in logged(log).splitlines() if "getting updates" in line]
    assert len(outage) == 2, log  # failed …; works again after …
    assert outage[0].startswith("bot.bot_api: getting updates failed")
    assert outage[1].startswith("bot.bot_api: getting updates works again after")
    assert " WARNING bot.bot_api: getting updates failed" in log and " INFO bot.bot_api: getting updates works" in log


async def test_citebot_run_in_webhook_mode_makes_a_secret_and_stops_on_sigterm(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    webhook = {"url": "https://bot.example.org/hook", "port": port, "path": "hook"}
    process = await start_citebot(write_site(tmp_path, api, webhook=webhook), "run")
    try:
        registered = await api.wait_for("setWebhook", timeout=30)
        secret = registered.params["secret_token"]
        update = {"update_id": 1, "message": api.message(QUESTION)}
        # A connection of its own for each: the server closes one whose request it refused unread.
        async with httpx.AsyncClient() as client:
            forged = await client.post(f"http://127.0.0.1:{port}/hook", json=update)
        async with httpx.AsyncClient() as client:
            accepted = await client.post(
                f"http://127.0.0.1:{port}/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
        reply = await api.wait_for("sendMessage", chat_id=USER, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert (forged.status_code, accepted.status_code) == (403, 200)
    assert "1991" in text_of(reply)
    assert process.returncode == 0, log
    assert secret not in log + stdout.decode()
    assert "webhook: refused a request from 127.0.0.1 (403: no secret token)" in log
    assert "Traceback" not in log
