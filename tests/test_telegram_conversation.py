"""Conversations end to end: follow-ups, memory across a restart, /reset, and 👍/👎 feedback,
through the real Application and the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from fake_bot_api import FakeBotApi
from telegram_harness import ROOT, USER, RunningBot, answers_kept, buttons_of, running_bot, text_of, write_site

from bot import cli
from bot.evaluate import normalize

DIALOGUES = {d["id"]: d["turns"] for d in yaml.safe_load((ROOT / "tests/data/own_dialogues.yaml").read_text("utf-8"))}
# Follow-ups that cannot be answered on their own (the quality tests check the set holds such).
THREE_TURNS = DIALOGUES["od17"][:3]
GROUP = -100300
OTHER_USER = 2002


def plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def answers(turn: dict, reply_text: str) -> bool:
    return any(normalize(accepted) in normalize(plain(reply_text)) for accepted in turn["answers"])


async def say(api: FakeBotApi, text: str, chat_id: int = USER, **kw) -> object:
    before = len(api.sent("sendMessage", chat_id))
    api.message(text, chat_id=chat_id, **kw)
    return await api.wait_for("sendMessage", chat_id=chat_id, count=before + 1)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path):
    async with running_bot(write_site(tmp_path, api), api) as running:
        yield running


async def test_a_three_turn_conversation_answers_each_follow_up(bot: RunningBot) -> None:
    replies = [await say(bot.api, turn["question"]) for turn in THREE_TURNS]
    for turn, reply in zip(THREE_TURNS, replies):
        assert answers(turn, text_of(reply)), (turn["question"], text_of(reply))
    first, *follow_ups = (plain(text_of(reply)) for reply in replies)
    assert not first.startswith("↪")
    assert all(text.startswith(f"↪ {turn['question']} (about ") for text, turn in zip(follow_ups, THREE_TURNS[1:]))


async def test_chats_keep_their_own_memory(bot: RunningBot) -> None:
    first, follow_up = THREE_TURNS[0], THREE_TURNS[1]
    await say(bot.api, first["question"])
    elsewhere = await say(bot.api, follow_up["question"], chat_id=OTHER_USER, user_id=OTHER_USER)
    assert not plain(text_of(elsewhere)).startswith("↪")  # another chat's question is not this one's context
    here = await say(bot.api, follow_up["question"])
    assert answers(follow_up, text_of(here))


async def test_a_group_shares_one_memory(bot: RunningBot) -> None:
    api = bot.api
    first, follow_up = THREE_TURNS[0], THREE_TURNS[1]
    api.mention(first["question"], chat_id=GROUP, chat_type="supergroup", user_id=USER)
    await api.wait_for("sendMessage", chat_id=GROUP)
    api.mention(follow_up["question"], chat_id=GROUP, chat_type="supergroup", user_id=OTHER_USER)
    reply = await api.wait_for("sendMessage", chat_id=GROUP, count=2)
    assert answers(follow_up, text_of(reply))


async def test_a_restart_in_the_middle_of_a_conversation_loses_nothing(api: FakeBotApi, tmp_path: Path) -> None:
    turns = DIALOGUES["od15"]
    config_path = write_site(tmp_path, api)
    async with running_bot(config_path, api):
        await say(api, turns[0]["question"])
    async with running_bot(config_path, api):
        reply = await say(api, turns[1]["question"])
    assert answers(turns[1], text_of(reply)), text_of(reply)


async def test_reset_forgets_the_conversation(bot: RunningBot) -> None:
    await say(bot.api, THREE_TURNS[0]["question"])
    before = len(bot.api.sent("sendMessage", USER))
    bot.api.command("/reset")
    done = await bot.api.wait_for("sendMessage", chat_id=USER, count=before + 1)
    assert "forgotten" in text_of(done)
    reply = await say(bot.api, THREE_TURNS[1]["question"])
    assert not plain(text_of(reply)).startswith("↪")


async def test_votes_are_recorded_changed_and_reported(
    bot: RunningBot, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    api = bot.api
    question = THREE_TURNS[0]["question"]
    reply = await say(api, question)
    buttons = buttons_of(reply)
    assert {"👍", "👎"} <= set(buttons)
    api.press(buttons["👍"], reply.result)
    api.press(buttons["👎"], reply.result)  # a change of mind: still one vote, now down
    api.press(buttons["👎"], reply.result, user_id=OTHER_USER)
    thanks = [await api.wait_for("answerCallbackQuery", count=n) for n in (1, 2, 3)]
    assert all("Thanks" in call.params["text"] for call in thanks)
    unanswerable = await say(api, "What will the weather be like in Baku tomorrow?")
    assert {"👍", "👎"} <= set(buttons_of(unanswerable))
    await answers_kept(bot.config, 2)

    assert cli.main(["feedback", "--json", "--config", str(tmp_path / "config.yaml")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["votes"] == 2
    ((voted,),) = [report["voted_down"]]
    assert (voted["question"], voted["down"], voted["up"]) == (question, 2, 0)
    assert voted["doc"] in text_of(reply)
    assert [q["question"] for q in report["unanswered"]] == ["What will the weather be like in Baku tomorrow?"]
    assert {q["question"] for q in report["most_asked"]} == {
        question,
        "What will the weather be like in Baku tomorrow?",
    }


async def test_a_vote_on_an_unknown_answer_is_refused_politely(bot: RunningBot) -> None:
    reply = await say(bot.api, THREE_TURNS[0]["question"])
    bot.api.press("d:999999:0:0", reply.result)
    notice = await bot.api.wait_for("answerCallbackQuery")
    assert "expired" in notice.params["text"]
