"""A local Bot API server (telegram.local_mode): files pass by path on its machine, both ways, and
webhooks may be http://. The fake server plays one started with --local."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from telegram_harness import ADMIN, USER, buttons_of, running_bot, text_of, write_site

from bot.config import load_config
from bot.errors import ConfigError

QUESTION = "Which corridor connecting Azerbaijan and Turkey does the declaration mention?"


@pytest.fixture
def local_api(tmp_path: Path) -> Iterator[FakeBotApi]:
    (tmp_path / "server-files").mkdir()
    with FakeBotApi(local_files=tmp_path / "server-files") as server:
        yield server


async def test_files_go_by_path_both_ways(local_api: FakeBotApi, tmp_path: Path) -> None:
    api = local_api
    async with running_bot(write_site(tmp_path / "site", api, local_mode=True), api) as bot:
        content = b"Glacier report\n\nThe Vorlund glacier retreated 40 metres in 2019.\n"
        api.upload("glacier.txt", content, chat_id=ADMIN, user_id=ADMIN)
        added = await api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "Added" in text_of(c))
        assert (bot.config.corpus / "glacier.txt").read_bytes() == content
        api.message(QUESTION)
        reply = await api.wait_for("sendMessage", chat_id=USER)
        api.press(buttons_of(reply)["Source"], reply.result)
        sent = await api.wait_for("sendDocument")
    assert "glacier.txt" in text_of(added)
    assert sent.files == {}  # not uploaded: named by a file:// URI the server reads itself
    document = Path(sent.params["document"].removeprefix("file://"))
    assert document.parent == (bot.config.corpus).resolve() and document.name in text_of(reply)


def test_an_http_webhook_needs_a_local_server(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    webhook = "  webhook:\n    url: http://bot.internal:8443/hook\n"
    config.write_text(f"telegram:\n  base_url: http://127.0.0.1:8081/bot\n{webhook}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^telegram.webhook.url: must be an https:// URL .*local_mode: true\)$"):
        load_config(config)
    config.write_text(
        f"telegram:\n  base_url: http://127.0.0.1:8081/bot\n  local_mode: true\n{webhook}", encoding="utf-8"
    )
    assert load_config(config).telegram.webhook.url == "http://bot.internal:8443/hook"


def test_local_mode_needs_the_local_servers_address(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  local_mode: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="^telegram.local_mode: needs telegram.base_url"):
        load_config(config)
