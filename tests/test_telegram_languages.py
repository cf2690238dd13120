"""End to end: the bot speaks each user's Telegram app language (`language_code`), English when it
has no catalog for it — the real Application, over HTTP, against the fake Bot API server."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_bot_api import Call, FakeBotApi
from telegram_harness import ADMIN, USER, RunningBot, buttons_of, running_bot, text_of, write_site

ANSWERABLE = "When did Azerbaijan declare its independence?"
UNANSWERABLE = "What's the weather in Baku tomorrow?"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(write_site(tmp_path, api), api) as running:
        yield running


async def command(bot: RunningBot, text: str, language: str | None, user: int = USER) -> str:
    before = len(bot.api.sent("sendMessage", user))
    bot.api.command(text, chat_id=user, user_id=user, language_code=language)
    return text_of(await bot.api.wait_for("sendMessage", chat_id=user, count=before + 1))


async def ask(bot: RunningBot, question: str, language: str | None) -> tuple[Call, dict]:
    before = len(bot.api.sent("sendMessage", USER))
    bot.api.message(question, language_code=language)
    reply = await bot.api.wait_for("sendMessage", chat_id=USER, count=before + 1)
    return reply, reply.result


async def expired_alert(bot: RunningBot, message: dict, language: str | None) -> str:
    before = len(bot.api.sent("answerCallbackQuery"))
    bot.api.press("nonsense", message, language_code=language)
    alert = await bot.api.wait_for("answerCallbackQuery", count=before + 1)
    assert alert.params["show_alert"] is True
    return alert.params["text"]


async def test_a_german_user_gets_german_texts(bot: RunningBot) -> None:
    start = await command(bot, "/start", "de")
    assert start.startswith("Hallo! Ich beantworte Fragen aus 5 Dokumenten (")
    assert "Textstellen), zitiere die Textstelle" in start and "Probier es mit:" in start
    help_text = await command(bot, "/help", "de")
    assert "<b>Mehr</b> zeigt die nächsten Treffer" in help_text
    assert f"In Gruppen erwähne mich (@{bot.api.username} deine Frage)" in help_text

    answered, message = await ask(bot, ANSWERABLE, "de")
    assert set(buttons_of(answered)) == {"Mehr", "Kontext", "Quelle", "👍", "👎"}
    assert "· Textstelle " in text_of(answered)
    abstained, _ = await ask(bot, UNANSWERABLE, "de-AT")  # a regional variant gets its language's catalog
    assert "<i>Die Dokumente scheinen das nicht zu beantworten. Die nächstliegenden Textstellen:</i>" in text_of(
        abstained
    )
    assert (
        await expired_alert(bot, message, "de") == "Diese Antwort ist abgelaufen — bitte stell die Frage noch einmal."
    )


async def test_the_same_chat_is_answered_in_each_senders_language(bot: RunningBot) -> None:
    """A language is a user's, chosen per update: an English user pressing a German user's button
    is answered in English."""
    _, message = await ask(bot, ANSWERABLE, "de")
    assert await expired_alert(bot, message, "en") == "This answer has expired — please ask the question again."
    assert (await command(bot, "/reset", "ru")) == "Готово — я забыл предыдущие вопросы этого чата."


@pytest.mark.parametrize("language", ["en", "pt-br", None])
async def test_a_user_whose_language_has_no_catalog_gets_english(bot: RunningBot, language: str | None) -> None:
    start = await command(bot, "/start", language)
    assert start.startswith("Hello! I answer questions from 5 documents (")
    answered, message = await ask(bot, ANSWERABLE, language)
    assert set(buttons_of(answered)) == {"More", "Context", "Source", "👍", "👎"}
    abstained, _ = await ask(bot, UNANSWERABLE, language)
    assert "The documents don't seem to answer this. The closest passages:" in html.unescape(text_of(abstained))
    assert await expired_alert(bot, message, language) == "This answer has expired — please ask the question again."


async def test_a_russian_user_counts_in_russian(bot: RunningBot) -> None:
    start = await command(bot, "/start", "ru")
    assert start.startswith("Здравствуйте! Я отвечаю на вопросы по 5 документам (")
    sources = await command(bot, "/sources", "ru")
    assert sources.startswith("5 документов:")
    assert "фрагмент" in sources and "passages" not in sources


async def test_the_buttons_after_more_and_context_speak_the_users_language(bot: RunningBot) -> None:
    _, message = await ask(bot, ANSWERABLE, "de")
    bot.api.press(buttons_of(message)["Mehr"], message, language_code="de")
    more = await bot.api.wait_for("sendMessage", chat_id=USER, predicate=lambda call: "Mehr zu" in text_of(call))
    assert "Kontext 2" in buttons_of(more) and "Quelle 2" in buttons_of(more)
    bot.api.press(buttons_of(message)["Kontext"], message, language_code="de")
    context = await bot.api.wait_for("editMessageText")
    assert "Antwort" in buttons_of(context)
    assert "<i>Textstelle " in text_of(context)


async def test_admin_replies_and_command_menus_are_translated(bot: RunningBot) -> None:
    help_text = await command(bot, "/help", "de", user=ADMIN)
    assert "Admin: /reindex baut den Index neu auf" in help_text
    refused = await command(bot, "/stats", "de")
    assert refused == "Das dürfen leider nur die Admins des Bots."

    menus = {(c.params.get("language_code"), "scope" in c.params): c.params for c in bot.api.sent("setMyCommands")}
    assert set(menus) == {(language, scoped) for language in (None, "de", "ru") for scoped in (False, True)}
    german = {command["command"]: command["description"] for command in menus["de", False]["commands"]}
    assert german["start"] == "was ich weiß, mit Beispielfragen"
    russian_admin = {command["command"]: command["description"] for command in menus["ru", True]["commands"]}
    assert russian_admin["reindex"] == "перестроить индекс из папки корпуса"


async def test_inline_results_speak_the_users_language(bot: RunningBot) -> None:
    bot.api.inline_query(ANSWERABLE, language_code="ru")
    answered = (await bot.api.wait_for("answerInlineQuery")).params["results"]
    assert " · фрагмент " in answered[0]["description"] and "passage" not in answered[0]["description"]
    assert " · фрагмент " in answered[0]["input_message_content"]["message_text"]
    bot.api.inline_query(UNANSWERABLE, language_code="de")
    abstained = (await bot.api.wait_for("answerInlineQuery", count=2)).params["results"]
    assert abstained[0]["description"].startswith("nächstliegende Textstelle · ")
