"""GET /health and /metrics, read over HTTP from `citebot run` (a real process) talking to the fake
Bot API: in polling mode on telegram.metrics' port, in webhook mode on the webhook server."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
from fake_bot_api import FakeBotApi
from prometheus_client.parser import text_string_to_metric_families
from telegram_harness import ADMIN, ROOT, USER, text_of, write_site
from test_telegram_run import QUESTION, free_port, start_citebot

DOCUMENTS = len([path for path in (ROOT / "corpus").iterdir() if path.suffix in (".txt", ".md", ".html", ".pdf")])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page: (name, labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def health_until(url: str, status: int, timeout: float = 30) -> dict:
    """GET /health until it answers `status` (the server may not be listening yet); its body."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                response = await client.get(url)
                if response.status_code == status:
                    return response.json()
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} never answered {status}"
            await asyncio.sleep(0.1)


async def test_polling_mode_serves_health_and_metrics_on_its_port(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    config = write_site(tmp_path, api, metrics={"port": port})
    api.fail_next("setMyCommands", 502, times=2)  # the Bot API is down when the bot starts (however slow)
    process = await start_citebot(config, "run")
    try:
        starting = await health_until(f"http://127.0.0.1:{port}/health", 503)
        assert starting["status"] == "not ready" and starting["problems"]
        ready = await health_until(f"http://127.0.0.1:{port}/health", 200)
        assert ready == {"status": "ready"}
        await api.wait_for("getUpdates", timeout=30)
        api.message(QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
        api.message("What is the boiling point of mercury on Neptune?")
        await api.wait_for("sendMessage", chat_id=USER)
        api.command("/reindex", chat_id=ADMIN, user_id=ADMIN)
        await api.wait_for("sendMessage", chat_id=ADMIN, timeout=60, count=2)
        async with httpx.AsyncClient() as client:
            page = await client.get(f"http://127.0.0.1:{port}/metrics")
        api.refuse_for(4)  # the Bot API cannot be reached: not ready until it can
        outage = await health_until(f"http://127.0.0.1:{port}/health", 503)
        await health_until(f"http://127.0.0.1:{port}/health", 200)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert "1991" in text_of(reply)
    assert process.returncode == 0, stderr.decode()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    values = samples(page.text)
    assert values[("citebot_questions_total", (("outcome", "answered"),))] == 1
    assert values[("citebot_questions_total", (("outcome", "abstained"),))] == 1
    assert values[("citebot_answer_seconds_count", ())] == 2
    assert values[("citebot_answer_seconds_bucket", (("le", "+Inf"),))] == 2
    assert values[("citebot_bot_api_errors_total", (("reason", "server error"),))] >= 1
    assert values[("citebot_bot_api_retries_total", ())] >= 1
    assert values[("citebot_index_documents", ())] == DOCUMENTS
    assert values[("citebot_index_passages", ())] > DOCUMENTS
    assert 0 <= values[("citebot_index_age_seconds", ())] < 600
    assert values[("citebot_reindex_seconds_count", ())] == 1
    assert values[("citebot_ready", ())] == 1
    assert outage["problems"] == ["the Bot API cannot be reached"]
    assert api.token.split(":")[1] not in page.text


async def test_webhook_mode_serves_health_and_metrics_beside_the_webhook(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    webhook = {"url": "https://bot.example.org/hook", "port": port, "path": "hook"}
    process = await start_citebot(write_site(tmp_path, api, webhook=webhook), "run")
    try:
        secret = (await api.wait_for("setWebhook", timeout=30)).params["secret_token"]
        assert await health_until(f"http://127.0.0.1:{port}/health", 200) == {"status": "ready"}
        update = {"update_id": 1, "message": api.message(QUESTION)}
        async with httpx.AsyncClient() as client:
            await client.post(
                f"http://127.0.0.1:{port}/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
        await api.wait_for("sendMessage", chat_id=USER, timeout=30)
        async with httpx.AsyncClient() as client:
            page = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    values = samples(page.text)
    assert values[("citebot_questions_total", (("outcome", "answered"),))] == 1
    assert values[("citebot_index_documents", ())] == DOCUMENTS
    assert secret not in page.text


async def test_webhook_mode_is_not_ready_from_the_moment_it_listens(api: FakeBotApi, tmp_path: Path) -> None:
    """/health answers 503 while the bot starts (held here at the Application's getMe, before the
    index is loaded), and an update posted meanwhile is refused with 503, for Telegram to send again."""
    port = free_port()
    secret = "s3cret-health"
    webhook = {"url": "https://bot.example.org/hook", "port": port, "path": "hook", "secret_token": secret}
    starting = api.hold("getMe", after=1)  # the token check's getMe is answered, the Application's waits
    process = await start_citebot(write_site(tmp_path, api, webhook=webhook), "run")
    update = {"update_id": 1, "message": api.message(QUESTION)}
    try:
        loading = await health_until(f"http://127.0.0.1:{port}/health", 503)
        async with httpx.AsyncClient() as client:
            early = await client.post(
                f"http://127.0.0.1:{port}/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
        registered_while_starting = api.sent("setWebhook")
        starting.set()
        ready = await health_until(f"http://127.0.0.1:{port}/health", 200)
        await api.wait_for("setWebhook", timeout=30)
        async with httpx.AsyncClient() as client:
            late = await client.post(
                f"http://127.0.0.1:{port}/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
        reply = await api.wait_for("sendMessage", chat_id=USER, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert loading == {
        "status": "not ready",
        "problems": ["the index is not loaded yet", "the Bot API has not answered"],
    }
    assert early.status_code == 503 and not registered_while_starting
    assert ready == {"status": "ready"}
    assert late.status_code == 200 and "1991" in text_of(reply)
    assert len(api.sent("sendMessage", chat_id=USER)) == 1  # the refused update was not taken
