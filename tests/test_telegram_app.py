"""End to end: the real Application, over HTTP, against the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from fake_bot_api import FakeBotApi
from telegram_harness import ADMIN, ROOT, USER, RunningBot, buttons_of, running_bot, text_of, write_site

from bot.evaluate import normalize
from bot.telegram_bot import asking

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.yaml"
OWN_QUESTIONS = ROOT / "tests" / "data" / "own_questions.yaml"
GROUP = -100200
SECOND_QUESTION = "Which corridor connecting Azerbaijan and Turkey does the declaration mention?"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(write_site(tmp_path, api), api) as running:
        yield running


def plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def bold(html_text: str) -> str:
    return " ".join(html.unescape(part) for part in re.findall(r"<b>(.*?)</b>", html_text, re.DOTALL))


def first_fact(path: Path) -> dict:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(e for e in entries if e.get("kind") == "fact" and e.get("answers") and e.get("docs"))


async def ask(api: FakeBotApi, text: str, **kw) -> tuple[dict, object]:
    sent_before = len(api.sent("sendMessage", kw.get("chat_id", USER)))
    question = api.message(text, chat_id=kw.pop("chat_id", USER), **kw)
    reply = await api.wait_for("sendMessage", chat_id=question["chat"]["id"], count=sent_before + 1)
    return question, reply


# --- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "questions",
    [
        pytest.param(OWN_QUESTIONS, id="own"),
        pytest.param(
            DEV_QUESTIONS,
            id="dev",
            marks=pytest.mark.skipif(not DEV_QUESTIONS.exists(), reason="shared dev set not present"),
        ),
    ],
)
async def test_a_question_gets_the_cited_answer_in_bold_with_its_source(bot: RunningBot, questions: Path) -> None:
    entry = first_fact(questions)
    _, reply = await ask(bot.api, entry["question"])
    text = text_of(reply)
    assert reply.params["parse_mode"] == "HTML"
    assert any(normalize(answer) in normalize(bold(text)) for answer in entry["answers"]), text
    assert any(doc in text for doc in entry["docs"]), text
    assert re.search(r"passage \d+", text)
    assert set(buttons_of(reply)) == {"More", "Context", "Source", "👍", "👎"}
    assert len(text) <= 4096


async def test_a_misspelt_question_is_answered_and_says_what_was_searched(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, "Who signd the Shusa declaraton?")
    assert plain(text_of(reply)).startswith("Showing results for Who signed the Shusha declaration?")


async def test_typing_is_shown_while_a_slow_answer_is_worked_out(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(write_site(tmp_path, api, typing_delay=0), api):  # every answer counts as slow
        await ask(api, "When did Azerbaijan declare its independence?")
    action = api.sent("sendChatAction", USER)
    assert action and action[0].params["action"] == "typing"
    methods = [c.method for c in api.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods.index("sendChatAction") < methods.index("sendMessage")


@pytest.mark.parametrize("typing_delay", [0, 0.3])
async def test_on_a_large_index_answers_are_worked_out_in_a_thread(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typing_delay: float
) -> None:
    monkeypatch.setattr(asking, "INLINE_ASK_PASSAGES", 0)  # the shipped corpus counts as large
    async with running_bot(write_site(tmp_path, api, typing_delay=typing_delay), api):
        _, reply = await ask(api, "When did Azerbaijan declare its independence?")
    assert "1991" in bold(text_of(reply))
    assert bool(api.sent("sendChatAction", USER)) == (typing_delay == 0)


async def test_a_quick_answer_comes_without_a_typing_hint(bot: RunningBot) -> None:
    await ask(bot.api, "When did Azerbaijan declare its independence?")
    assert not bot.api.sent("sendChatAction", USER)


async def test_an_unanswerable_question_says_so_and_lists_the_closest_passages(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, "What's the weather in Baku tomorrow?")
    text = plain(text_of(reply))
    assert "don't seem to answer" in text
    assert re.search(r"^1\. ", text, re.MULTILINE)


async def test_html_in_a_question_arrives_escaped(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, "<script>alert(1)</script> & <b>x</b>")
    assert "<script>" not in text_of(reply)
    assert "<b>x</b>" not in text_of(reply)


async def test_html_in_a_document_arrives_escaped(api: FakeBotApi, tmp_path: Path) -> None:
    config_path = write_site(tmp_path, api)
    (tmp_path / "corpus" / "markup.txt").write_text(
        "Notes on markup\n\nThe zorblat tag is written <zorblat> & closed with </zorblat> in every template.\n",
        encoding="utf-8",
    )
    async with running_bot(config_path, api):
        _, reply = await ask(api, "How is the zorblat tag written?")
    text = text_of(reply)
    assert "&lt;zorblat&gt; &amp; closed" in text
    assert "<zorblat>" not in text


async def test_a_long_passage_is_cut_to_fit_and_the_context_button_shows_it_whole(
    api: FakeBotApi, tmp_path: Path
) -> None:
    config_path = write_site(tmp_path, api, chunking={"target_chars": 20000, "max_chars": 40000})
    filler = " ".join(f"Sentence {n} of the long record talks about quarries and stone." for n in range(400))
    (tmp_path / "corpus" / "long.txt").write_text(
        f"A long record\n\n{filler} The quillion vault was sealed in 1712. {filler}\n", encoding="utf-8"
    )
    async with running_bot(config_path, api):
        _, reply = await ask(api, "When was the quillion vault sealed?")
        assert len(text_of(reply)) <= 4096
        assert "1712" in bold(text_of(reply))
        assert "…" in text_of(reply)
        api.press(buttons_of(reply)["Context"], reply.result)
        edit = await api.wait_for("editMessageText")
    assert len(text_of(edit)) <= 4096
    assert len(plain(text_of(edit))) > len(plain(text_of(reply)))


CONFFILE_PAGE = """<html><head><title>Debian FAQ</title></head><body>
<h1>Debian FAQ</h1>
<h2>7. Basics of the Debian package management system</h2>
<p>Packages are archives that hold files and the metadata that describes them.</p>
<h3>7.5. What is a Debian conffile?</h3>
<p>Conffiles are configuration files that dpkg keeps across upgrades of the zorblat package.</p>
<p>To list the conffiles of an installed package, run the following command:</p>
<pre>dpkg-query --showformat='${Conffiles}\\n' --show zorblat
</pre>
<p>The output names each file with its checksum.</p>
</body></html>
"""
CONFFILE_SECTION = "7. Basics of the Debian package management system › 7.5. What is a Debian conffile?"
CONFFILE_COMMAND = "dpkg-query --showformat='${Conffiles}\\n' --show zorblat"


async def test_a_command_is_cited_from_its_section_in_monospace_also_after_a_restart(
    api: FakeBotApi, tmp_path: Path
) -> None:
    config_path = write_site(tmp_path, api)
    (tmp_path / "corpus" / "debian-faq.html").write_text(CONFFILE_PAGE, encoding="utf-8")
    question = "How do I list the conffiles of the zorblat package?"
    async with running_bot(config_path, api):
        _, reply = await ask(api, question)
    text = text_of(reply)
    assert f"<pre>{html.escape(CONFFILE_COMMAND)}</pre>" in text, text
    assert "To list the conffiles of an installed package" in bold(text)
    assert CONFFILE_COMMAND not in bold(text)  # code is never inside a bold entity
    source = plain(text).rsplit("\n— ", 1)[1]
    assert source.startswith(f"Debian FAQ › {CONFFILE_SECTION}")
    assert "debian-faq.html · passage" in source
    async with running_bot(config_path, api):  # the stored answer renders the same after a restart
        api.press(buttons_of(reply)["Context"], reply.result)
        context = await api.wait_for("editMessageText")
        api.press(buttons_of(context)["Answer"], context.result)
        back = await api.wait_for("editMessageText", count=2)
        api.inline_query(question)
        inline = await api.wait_for("answerInlineQuery")
    assert plain(text_of(context)).startswith(f"Debian FAQ › {CONFFILE_SECTION} · debian-faq.html")
    assert f"<pre>{html.escape(CONFFILE_COMMAND)}</pre>" in text_of(context)
    assert text_of(back) == text
    assert "7.5. What is a Debian conffile?" in inline.params["results"][0]["description"]


# --- buttons ------------------------------------------------------------------------------


async def test_more_sends_the_next_results(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, "When were diplomatic relations between Turkey and Azerbaijan established?")
    bot.api.press(buttons_of(reply)["More"], reply.result)
    more = await bot.api.wait_for("sendMessage", chat_id=USER, count=2)
    assert plain(text_of(more)).startswith("More for")
    assert re.search(r"^2\. ", plain(text_of(more)), re.MULTILINE)
    assert "Context 2" in buttons_of(more)
    assert bot.api.sent("answerCallbackQuery")


async def test_context_edits_the_answer_into_the_neighbouring_passages_and_back(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, SECOND_QUESTION)
    bot.api.press(buttons_of(reply)["Context"], reply.result)
    edit = await bot.api.wait_for("editMessageText")
    assert edit.params["message_id"] == reply.result["message_id"]
    assert len(re.findall(r"passage \d+ of \d+", text_of(edit))) >= 2
    buttons = buttons_of(edit)
    assert {"Answer", "Later ▶"} <= set(buttons)
    bot.api.press(buttons["Later ▶"], edit.result)
    later = await bot.api.wait_for("editMessageText", count=2)
    assert text_of(later) != text_of(edit)
    bot.api.press(buttons_of(later)["Answer"], later.result)
    back = await bot.api.wait_for("editMessageText", count=3)
    assert text_of(back) == text_of(reply)


async def test_source_describes_the_document_and_sends_the_file(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, SECOND_QUESTION)
    bot.api.press(buttons_of(reply)["Source"], reply.result)
    document = await bot.api.wait_for("sendDocument")
    about = await bot.api.wait_for("sendMessage", chat_id=USER, count=2)
    assert "passages:" in text_of(about)
    ((name, content),) = document.files.values()
    assert (bot.config.corpus / name).read_bytes() == content
    assert name in text_of(reply)


async def test_buttons_keep_working_after_a_restart(api: FakeBotApi, tmp_path: Path) -> None:
    config_path = write_site(tmp_path, api)
    async with running_bot(config_path, api):
        _, reply = await ask(api, SECOND_QUESTION)
    async with running_bot(config_path, api):
        api.press(buttons_of(reply)["Context"], reply.result)
        edit = await api.wait_for("editMessageText")
    assert "passage" in text_of(edit)


async def test_a_button_whose_passage_is_gone_after_a_reindex_says_so(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, SECOND_QUESTION)
    cited = next(doc for doc in bot.engine.index.document_position if doc in text_of(reply))
    (bot.config.corpus / cited).unlink()
    bot.engine.reindex()
    bot.api.press(buttons_of(reply)["Context"], reply.result)
    notice = await bot.api.wait_for("answerCallbackQuery")
    assert "changed" in notice.params["text"]
    assert not bot.api.sent("editMessageText")


async def test_a_forged_or_expired_button_gets_a_polite_answer(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, SECOND_QUESTION)
    bot.api.press("c:999999:0:0", reply.result)
    bot.api.press("nonsense", reply.result)
    notices = [await bot.api.wait_for("answerCallbackQuery", count=n) for n in (1, 2)]
    assert all("ask" in notice.params["text"] for notice in notices)


# --- commands -----------------------------------------------------------------------------


async def test_commands_are_registered_at_start_up(bot: RunningBot) -> None:
    default = next(c for c in bot.api.sent("setMyCommands") if "scope" not in c.params)
    assert {command["command"] for command in default.params["commands"]} == {
        "start",
        "help",
        "sources",
        "ask",
        "reset",
    }
    admin = next(c for c in bot.api.sent("setMyCommands") if "scope" in c.params)
    assert admin.params["scope"] == {"type": "chat", "chat_id": ADMIN}
    assert {"reindex", "stats", "feedback"} <= {command["command"] for command in admin.params["commands"]}


async def test_start_gives_example_questions_that_get_answered(bot: RunningBot) -> None:
    bot.api.command("/start")
    reply = await bot.api.wait_for("sendMessage", chat_id=USER)
    examples = [html.unescape(q) for q in re.findall(r"• <i>(.*?)</i>", text_of(reply))]
    assert 2 <= len(examples) <= 3
    assert all(bot.engine.ask(question).answered for question in examples)
    assert "5 documents" in text_of(reply)


async def test_help_explains_buttons_groups_and_inline_mode(bot: RunningBot) -> None:
    bot.api.command("/help")
    text = text_of(await bot.api.wait_for("sendMessage", chat_id=USER))
    assert "More" in text and "Context" in text and "Source" in text
    assert f"@{bot.api.username}" in text
    assert "/reindex" not in text


async def test_sources_lists_every_document_with_its_passage_count(bot: RunningBot) -> None:
    bot.api.command("/sources")
    text = text_of(await bot.api.wait_for("sendMessage", chat_id=USER))
    for document in bot.engine.index.documents:
        assert f"{document.doc_id} ({document.passage_count} passages)" in text


async def test_ask_command_answers_and_without_a_question_explains_itself(bot: RunningBot) -> None:
    bot.api.command("/ask")
    usage = await bot.api.wait_for("sendMessage", chat_id=USER)
    assert "/ask" in text_of(usage)
    bot.api.command("/ask When did Azerbaijan declare its independence?")
    reply = await bot.api.wait_for("sendMessage", chat_id=USER, count=2)
    assert "1991" in bold(text_of(reply))


async def test_unknown_command_points_to_help(bot: RunningBot) -> None:
    bot.api.command("/frobnicate")
    assert "/help" in text_of(await bot.api.wait_for("sendMessage", chat_id=USER))


@pytest.mark.parametrize("command", ["/reindex", "/stats", "/feedback"])
async def test_admin_commands_are_refused_to_others_and_logged(
    bot: RunningBot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.telegram_bot.access"):
        bot.api.command(command)
        reply = await bot.api.wait_for("sendMessage", chat_id=USER)
    assert "only the bot's admins" in text_of(reply)
    assert f"refused {command} from user {USER}" in caplog.text


async def test_reindex_rebuilds_while_answering_and_reports(bot: RunningBot) -> None:
    (bot.config.corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    bot.api.command("/reindex", chat_id=ADMIN, user_id=ADMIN)
    report = await bot.api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "Indexed" in text_of(c))
    assert re.search(r"Indexed 5 documents \(5 unchanged\), \d+ passages in [\d.]+ s", text_of(report))
    assert "broken.pdf" in text_of(report)


async def test_reindex_reads_an_edited_alias_file_without_a_restart(bot: RunningBot) -> None:
    question = "When did Azerbaijan establish diplomatic relations with Fidschi?"  # the documents say Fiji
    _, before = await ask(bot.api, question)
    assert "don't seem to answer" in plain(text_of(before))
    with (bot.config.corpus / "aliases.yaml").open("a", encoding="utf-8") as groups:
        groups.write("- [Fiji, Fidschi]\n")
    bot.api.command("/reindex", chat_id=ADMIN, user_id=ADMIN)
    await bot.api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "Indexed" in text_of(c))
    _, after = await ask(bot.api, question)
    assert "19 March 2010" in bold(text_of(after))


async def test_a_bad_alias_file_fails_the_reindex_with_its_line_and_keeps_answering(bot: RunningBot) -> None:
    (bot.config.corpus / "aliases.yaml").write_text("- [Fiji, Fidschi]\n- Turkey\n", encoding="utf-8")
    bot.api.command("/reindex", chat_id=ADMIN, user_id=ADMIN)
    failed = await bot.api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "failed" in text_of(c))
    assert "Reindex failed, the previous index stays in use:" in text_of(failed)
    assert "aliases.yaml, line 2: an alias group must be a list of two or more spellings" in plain(text_of(failed))
    _, reply = await ask(bot.api, "When did Azerbaijan establish diplomatic relations with Fiji?")
    assert "19 March 2010" in bold(text_of(reply))


async def test_stats_counts_questions_served(bot: RunningBot) -> None:
    await ask(bot.api, "When did Azerbaijan declare its independence?")
    bot.api.command("/stats", chat_id=ADMIN, user_id=ADMIN)
    text = text_of(await bot.api.wait_for("sendMessage", chat_id=ADMIN))
    assert "Documents: 5" in text
    assert "Questions served: 1" in text
    assert re.search(r"Median answer time: \d+ ms", text)


async def test_feedback_shows_an_admin_the_report(bot: RunningBot) -> None:
    _, reply = await ask(bot.api, "What is the <b>weather</b> & the rain in Baku tomorrow?")
    bot.api.press(buttons_of(reply)["👎"], reply.result)
    await bot.api.wait_for("answerCallbackQuery")
    bot.api.command("/feedback", chat_id=ADMIN, user_id=ADMIN)
    text = text_of(await bot.api.wait_for("sendMessage", chat_id=ADMIN))
    assert text.startswith("<pre>1 question asked, 1 vote.")
    assert "👎 1  👍 0  What is the &lt;b&gt;weather&lt;/b&gt; &amp; the rain in Baku tomorrow?" in text


# --- documents and other messages ---------------------------------------------------------


async def test_an_admin_document_is_saved_safely_indexed_and_answered_from(bot: RunningBot) -> None:
    content = b"Glacier report\n\nThe Vorlund glacier retreated 40 metres in 2019.\n"
    bot.api.upload("../../Glacier report.TXT", content, chat_id=ADMIN, user_id=ADMIN)
    confirmation = await bot.api.wait_for("sendMessage", chat_id=ADMIN, predicate=lambda c: "Added" in text_of(c))
    assert "Glacier_report.txt" in text_of(confirmation)
    assert re.search(r"1 passage\b", text_of(confirmation))
    assert (bot.config.corpus / "Glacier_report.txt").read_bytes() == content
    _, reply = await ask(bot.api, "How far did the Vorlund glacier retreat?", chat_id=ADMIN, user_id=ADMIN)
    assert "40 metres" in bold(text_of(reply))


async def test_an_unreadable_admin_upload_is_refused_and_not_saved(bot: RunningBot) -> None:
    bot.api.upload("scan.pdf", b"not a pdf at all", chat_id=ADMIN, user_id=ADMIN, mime_type="application/pdf")
    reply = await bot.api.wait_for("sendMessage", chat_id=ADMIN)
    assert "could not read scan.pdf" in text_of(reply)
    assert not (bot.config.corpus / "scan.pdf").exists()


async def test_a_document_from_a_non_admin_is_refused(bot: RunningBot) -> None:
    bot.api.upload("notes.txt", b"Some notes.\n")
    reply = await bot.api.wait_for("sendMessage", chat_id=USER)
    assert "only the bot's admins" in text_of(reply)
    assert not (bot.config.corpus / "notes.txt").exists()


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u1",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]},
        {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 2}},
    ],
    ids=["sticker", "photo", "voice"],
)
async def test_non_text_messages_get_a_one_line_hint(bot: RunningBot, content: dict) -> None:
    bot.api.message(None, **content)
    reply = await bot.api.wait_for("sendMessage", chat_id=USER)
    assert "questions written as text" in text_of(reply)
    assert "\n" not in text_of(reply)


async def test_an_edited_question_updates_its_answer_in_place(bot: RunningBot) -> None:
    question, reply = await ask(bot.api, "When did Azerbaijan declare its independence?")
    bot.api.message(SECOND_QUESTION, message_id=question["message_id"], edited=True)
    edit = await bot.api.wait_for("editMessageText")
    assert edit.params["message_id"] == reply.result["message_id"]
    assert "Zangezur" in bold(text_of(edit))
    assert len(bot.api.sent("sendMessage", USER)) == 1


# --- groups and inline mode ---------------------------------------------------------------


async def test_in_a_group_the_bot_answers_mentions_and_replies_and_ignores_chatter(bot: RunningBot) -> None:
    api = bot.api
    api.message("Anyone around for lunch?", chat_id=GROUP, chat_type="supergroup")
    question = api.mention("When did Azerbaijan declare its independence?", chat_id=GROUP, chat_type="supergroup")
    answer = await api.wait_for("sendMessage", chat_id=GROUP)
    assert "1991" in bold(text_of(answer))
    assert answer.params["reply_parameters"]["message_id"] == question["message_id"]
    api.message(
        SECOND_QUESTION,
        chat_id=GROUP,
        chat_type="supergroup",
        reply_to=answer.result,
    )
    follow = await api.wait_for("sendMessage", chat_id=GROUP, count=2)
    assert "Zangezur" in bold(text_of(follow))
    api.message("lunch at noon then", chat_id=GROUP, chat_type="supergroup")
    api.command(
        "/ask@citebot_test_bot When did Azerbaijan declare its independence?", chat_id=GROUP, chat_type="supergroup"
    )
    await api.wait_for("sendMessage", chat_id=GROUP, count=3)
    assert len(api.sent("sendMessage", GROUP)) == 3


async def test_inline_mode_offers_cited_articles(bot: RunningBot) -> None:
    bot.api.inline_query("When did Azerbaijan declare its independence?")
    call = await bot.api.wait_for("answerInlineQuery")
    articles = call.params["results"]
    assert articles and all(article["type"] == "article" for article in articles)
    content = articles[0]["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert "1991" in bold(content["message_text"])
    assert "passage" in articles[0]["description"]


# --- robustness ---------------------------------------------------------------------------


async def test_a_429_is_waited_out_and_the_answer_still_arrives(bot: RunningBot) -> None:
    bot.api.fail_next("sendMessage", 429, retry_after=1)
    _, reply = await ask(bot.api, "When did Azerbaijan declare its independence?")
    failed = [c for c in bot.api.calls if c.method == "sendMessage" and c.error_code == 429]
    assert len(failed) == 1
    assert "1991" in bold(text_of(reply))


async def test_a_500_is_retried_and_the_answer_still_arrives(bot: RunningBot) -> None:
    bot.api.fail_next("sendMessage", 500, times=2)
    _, reply = await ask(bot.api, "When did Azerbaijan declare its independence?")
    assert "1991" in bold(text_of(reply))
    assert sum(c.error_code == 500 for c in bot.api.calls) == 2


async def test_a_failing_handler_tells_the_user_and_the_bot_keeps_going(bot: RunningBot) -> None:
    bot.api.fail_next("sendMessage", 400, "Bad Request: something odd")
    await ask(bot.api, "When did Azerbaijan declare its independence?")
    sorry = bot.api.sent("sendMessage", USER)[-1]
    assert "went wrong" in text_of(sorry)
    _, reply = await ask(bot.api, SECOND_QUESTION)
    assert "Zangezur" in bold(text_of(reply))


async def test_allowed_chats_keeps_other_chats_out(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(write_site(tmp_path, api, allowed_chats=[ADMIN]), api):
        api.message("When did Azerbaijan declare its independence?")
        _, reply = await ask(api, "When did Azerbaijan declare its independence?", chat_id=ADMIN, user_id=ADMIN)
    assert "1991" in bold(text_of(reply))
    assert not api.sent("sendMessage", USER)


async def test_the_token_is_never_logged(api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(write_site(tmp_path, api), api):
        api.fail_next("sendMessage", 500)
        api.fail_next("getUpdates", 502)
        await ask(api, "When did Azerbaijan declare its independence?")
        answer = api.bot_messages(USER)[-1]
        api.press(buttons_of(answer)["Context"], answer)
        await api.wait_for("editMessageText")
    assert caplog.records
    secret = api.token.split(":", 1)[1]
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert secret not in caplog.text
