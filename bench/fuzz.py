"""Fuzz benchmark: random updates, seeded, against the real `citebot run` process.

    .venv/bin/python bench/fuzz.py                               # 10,000 updates, seed 14, ~3 min
    .venv/bin/python bench/fuzz.py --updates 20000 --seed 7 --examples 5

citebot runs as in bench/faults.py (a process of its own, the token from the environment, the
fake Bot API of tests/fake_bot_api.py served by this process on 127.0.0.1, a copy of the shipped
corpus, flood limits off). Updates go out in rounds of 100, at most one per chat a round, and a
round ends when everything it asked for is answered (20 s at most) and the bot has been quiet for a
moment; so every call the bot makes to a chat belongs to the last update sent to that chat.

What is sent, by weight: questions in private chats (own questions, random Unicode with lone
surrogates, control and zero-width characters, HTML and Markdown look-alikes, huge texts past
Telegram's 4,096 characters, blanks, mentions, entities with odd offsets and lengths), commands
(the bot's and others, with and without their entity, admin ones from others and from the admin),
edited questions, messages in groups (mentions, replies to the bot, /ask, chatter), button presses
(genuine; forged with another chat's button data; mutated data: other actions, huge and negative
numbers; random and malformed data; on messages sent in inline mode; on inaccessible messages),
inline queries, messages without a chat, documents from non-admins (and a few from the admin),
other kinds of message (stickers, photos, polls, service messages, forwards…), ids beyond
Telegram's ranges, and updates python-telegram-bot cannot read or citebot did not ask for.

Printed: handler exceptions (ERROR lines in the bot's log, with the exceptions their tracebacks
end in), invalid HTML the fake server refused (it refuses as Telegram does, with 400), texts over
4,096 characters it refused, and private questions left without a reply — each beside its target
of 0 — then more that is worth knowing (apologies, forged presses acted on, other refusals, the
bot's peak RSS), and for each kind of failure a few examples of what was sent and what happened.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_bot_api import FakeBotApi
from faults import BotProcess, bot_site, question_texts, wait_until
from telegram import Update
from telegram_harness import ADMIN

ROUND = 100  # updates a round, at most one per chat
ROUND_TIMEOUT = 20.0  # seconds a round waits for what it asked for
QUIET = 0.3  # seconds without a call from the bot that end a round
FIRST_PRIVATE = 200_000
FIRST_GROUP = -1_000_000_000_000
APOLOGIES = ("Sorry, something went wrong", "Sorry, that didn't work")
VISIBLE = {"sendmessage", "editmessagetext", "editmessagereplymarkup", "senddocument"}
CALLBACK_TEXT_LIMIT = 200  # characters Telegram allows in answerCallbackQuery's text
BEYOND = 2**64  # an id no Telegram object has

# (kind, weight): what one update is
KINDS = (
    ("question", 26),
    ("follow-up", 6),
    ("edited question", 7),
    ("command", 8),
    ("admin", 1),
    ("group", 9),
    ("press", 7),
    ("forged press", 7),
    ("mutated press", 5),
    ("random press", 4),
    ("inline", 7),
    ("no chat", 2),
    ("document", 2),
    ("admin document", 0.3),
    ("other message", 5),
    ("beyond ranges", 1),
    ("malformed", 1.5),
    ("not asked for", 1),
)


@dataclass
class Answer:
    """One request the bot made, as the server answered it."""

    at: float
    method: str  # lower case
    params: dict
    status: int
    description: str  # the Bot API's description of a refusal, "" when it succeeded

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


class FuzzBotApi(FakeBotApi):
    """FakeBotApi that keeps, with the time, every answer it gave the bot besides getUpdates."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Answer] = []
        self.last_update_id = 0
        self.unreadable: set[int] = set()  # updates python-telegram-bot cannot read

    def push_update(self, update: dict) -> int:
        self.last_update_id = super().push_update(update)
        try:
            Update.de_json(json.loads(json.dumps(update)), None)
        except Exception:  # noqa: BLE001 — whatever the library raises on data it does not expect
            self.unreadable.add(self.last_update_id)
        return self.last_update_id

    def _handle_request(self, token: str, method: str, environment: str, params: dict, files: dict) -> tuple:
        status, body = super()._handle_request(token, method, environment, params, files)
        if method.lower() != "getupdates":
            description = (body.get("description") or "") if isinstance(body, dict) else f"HTTP {status} page"
            self.answers.append(Answer(time.monotonic(), method.lower(), params, status, description))
        return status, body


@dataclass
class Sent:
    """One update pushed, and what it should get."""

    update_id: int
    at: float
    kind: str
    what: str  # a short description of what was sent
    chat: int | None = None  # the chat a reply goes to
    question: bool = False  # a private text that is not a command: it must be answered
    group_question: bool = False  # addressed to the bot in a group
    query: str | None = None  # a callback query's or inline query's id
    forged_from: int | None = None  # a forged press: the chat the button data came from


# --- texts --------------------------------------------------------------------------------------


POOLS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()[]{}/\\",
    "<>&\"'&lt;&amp;</b><i><pre><code></a><a href='x'><tg-spoiler><blockquote>",
    "*_`~|#+=-.!>[]()" * 2,
    "ÀÉÎÕÜçñßøåæœŞşĞğİıƏəЁЖЩЯжщяΑΩαω",
    "אבגדהוזحخدذرزسش\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    "中文日本語한국어漢字かなカナ",
    "😀🙂👍👎🇦🇿🇹🇷👨‍👩‍👧‍👦🏳️‍🌈𝕏𝔸𐍈",
    "\u0301\u0308\u0327\u20dd\u036f",
    "\u200b\u200c\u200d\u2060\ufeff\u00ad",
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x85\u2028\u2029",
    "\ue000\uf8ff\ufffe\uffff\ufffd",
    "".join(map(chr, range(0xD800, 0xD810))) + "".join(map(chr, range(0xDC00, 0xDC10))),  # lone surrogates
)
ODD = (
    "",
    " ",
    "\n\t ",
    "?",
    "<b>bold</b> question?",
    "</pre></code></b>",
    "&amp; &lt; &gt; &#0; &#x110000; &bogus;",
    '<a href="javascript:alert(1)">x</a>',
    "```code``` *bold* _it_ [link](http://x)",
    "../../etc/passwd",
    "%s %n {0} ${x} {{x}}",
    "9" * 400,
    "1e309 NaN -0 -1",
    "SELECT * FROM replies; --",
    "@citebot_test_bot",
    "@CITEBOT_TEST_BOT who?",
    "/",
    "/ask",
    "m:1:0:0",
)


class Texts:
    """Random texts a user (or a forger) might send."""

    def __init__(self, rng: random.Random, questions: list[str]) -> None:
        self.rng, self.questions = rng, questions
        self.vocabulary = sorted({word for question in questions for word in re.findall(r"\w+", question)})

    def any(self) -> str:
        kind = self.rng.choices(
            ("question", "words", "unicode", "odd", "huge", "mixed"), weights=(30, 12, 20, 12, 6, 20)
        )[0]
        return getattr(self, kind)()

    def question(self) -> str:
        return self.rng.choice(self.questions)

    def words(self) -> str:
        return " ".join(self.rng.choices(self.vocabulary, k=self.rng.randint(1, 12)))

    def unicode(self, length: int | None = None) -> str:
        length = length if length is not None else self.rng.choice((1, 2, 5, 20, 80, 300))
        pools = self.rng.sample(POOLS, self.rng.randint(1, 4))
        return "".join(self.rng.choice(self.rng.choice(pools)) for _ in range(length))

    def odd(self) -> str:
        return self.rng.choice(ODD)

    def huge(self) -> str:
        length = self.rng.choice((4096, 4097, 5000, 20_000, 60_000))
        shape = self.rng.randrange(4)
        if shape == 0:
            return (self.question() + " ") * (length // 40)
        if shape == 1:
            return "😀" * (length // 2)  # two UTF-16 units each
        if shape == 2:
            return "<&>" * (length // 3)
        return self.unicode(length)

    def mixed(self) -> str:
        parts = [self.question(), self.unicode(), self.odd(), self.words()]
        self.rng.shuffle(parts)
        return " ".join(parts[: self.rng.randint(2, 4)])

    def entities(self, text: str) -> list[dict]:
        """Entities whose offsets and lengths need not fit the text (counted in UTF-16 units)."""
        size = len(text.encode("utf-16-le", "surrogatepass")) // 2  # lone surrogates count one unit
        entities = []
        for _ in range(self.rng.randint(1, 4)):
            entity: dict[str, Any] = {
                "type": self.rng.choice(
                    ("mention", "bot_command", "text_mention", "url", "bold", "hashtag", "code", "pre", "odd_type")
                ),
                "offset": self.rng.choice((0, 1, size, size + 5, -1, self.rng.randint(0, max(size, 1)))),
                "length": self.rng.choice((0, 1, size, size + 10, -3, self.rng.randint(0, max(size, 1)))),
            }
            if entity["type"] == "text_mention" and self.rng.random() < 0.7:
                entity["user"] = {"id": self.rng.choice((4242, 1, BEYOND)), "is_bot": True, "first_name": "x"}
            entities.append(entity)
        return entities


# --- the fuzzer ---------------------------------------------------------------------------------


class Fuzzer:
    """Makes updates from the state so far (chats, the bot's messages and their buttons)."""

    def __init__(self, api: FuzzBotApi, rng: random.Random, texts: Texts) -> None:
        self.api, self.rng, self.texts = api, rng, texts
        self.sent: list[Sent] = []
        self._private = itertools.count(FIRST_PRIVATE)
        self._groups = itertools.count(1)
        self.questions_in: dict[int, list[tuple[int, str]]] = defaultdict(list)  # chat -> (message id, text)
        self.buttons: dict[int, list[tuple[dict, str]]] = {}  # chat -> (bot message, callback data)
        self.bot_messages: dict[int, list[dict]] = {}  # chat -> the bot's messages there
        self.used: set[int] = set()

    # pushing

    def _record(self, kind: str, what: str, **fields: Any) -> Sent:
        sent = Sent(self.api.last_update_id, time.monotonic(), kind, what, **fields)
        self.sent.append(sent)
        return sent

    def _free(self, chats: list[int]) -> list[int]:
        return [chat for chat in chats if chat not in self.used]

    def _new_private(self) -> int:
        chat = next(self._private)
        self.used.add(chat)
        return chat

    def one(self) -> Sent:
        kind = self.rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        sent = getattr(self, "_" + kind.replace(" ", "_").replace("-", "_"))()
        if sent.chat is not None:
            self.used.add(sent.chat)
        return sent

    def _private_text(self, chat: int, kind: str, text: str, **fields: Any) -> Sent:
        entities = self.texts.entities(text) if self.rng.random() < 0.15 else None
        message = self.api.message(text, chat_id=chat, user_id=chat, entities=entities, **fields)
        command = bool(entities) and entities[0]["type"] == "bot_command" and entities[0]["offset"] == 0
        question = bool(text) and not command
        if question and not fields.get("edited"):
            self.questions_in[chat].append((message["message_id"], text))
        shown = "entities " + str(entities) + " " if entities else ""
        return self._record(kind, f"{shown}text {_short(text)}", chat=chat, question=question)

    def _question(self) -> Sent:
        return self._private_text(self._new_private(), "question", self.texts.any())

    def _follow_up(self) -> Sent:
        chats = self._free(list(self.questions_in))
        if not chats:
            return self._question()
        return self._private_text(self.rng.choice(chats), "follow-up", self.texts.any())

    def _edited_question(self) -> Sent:
        chats = self._free(list(self.questions_in))
        if not chats:
            return self._question()
        chat = self.rng.choice(chats)
        message_id, _ = self.rng.choice(self.questions_in[chat])
        return self._private_text(chat, "edited question", self.texts.any(), message_id=message_id, edited=True)

    def _command(self) -> Sent:
        chat = self.rng.choice(self._free(list(self.questions_in)) or [self._new_private()])
        name = self.rng.choice(
            ("start", "help", "sources", "ask", "reset", "reindex", "stats", "feedback", "unknown", "ASK", "s" * 40)
        )
        target = self.rng.choice(("", "", "@citebot_test_bot", "@other_bot", "@CiteBot_Test_Bot"))
        rest = self.rng.choice(("", " " + self.texts.any()))
        text = f"/{name}{target}{rest}"
        with_entity = self.rng.random() < 0.85
        if with_entity:
            self.api.command(text, chat_id=chat, user_id=chat)
        else:
            self.api.message(text, chat_id=chat, user_id=chat)
        return self._record(
            "command", f"{'' if with_entity else 'no entity '}text {_short(text)}", chat=chat, question=not with_entity
        )

    def _admin(self) -> Sent:
        if ADMIN in self.used:
            return self._question()
        name = self.rng.choices(("stats", "feedback", "reindex", "sources"), weights=(4, 4, 1, 1))[0]
        self.api.command(f"/{name}", chat_id=ADMIN, user_id=ADMIN)
        return self._record("admin", f"/{name} from the admin", chat=ADMIN)

    def _group(self) -> Sent:
        groups = self._free([chat for chat in self.bot_messages if chat < 0])
        if not groups or self.rng.random() < 0.3:
            chat = FIRST_GROUP - next(self._groups)
        else:
            chat = self.rng.choice(groups)
        user = self.rng.randint(FIRST_PRIVATE, FIRST_PRIVATE + 10_000)
        how = self.rng.choice(("mention", "reply", "ask", "chatter", "odd mention", "edited mention"))
        text = self.texts.any()
        kw: dict[str, Any] = {"chat_id": chat, "user_id": user, "chat_type": self.rng.choice(("group", "supergroup"))}
        if how == "mention":
            self.api.mention(text, **kw)
            return self._record("group", f"mention {_short(text)}", chat=chat, group_question=True)
        if how == "reply" and self.bot_messages.get(chat):
            replied = self.rng.choice(self.bot_messages[chat])
            self.api.message(text, reply_to=replied, **kw)
            return self._record("group", f"reply to the bot: {_short(text)}", chat=chat, group_question=bool(text))
        if how == "ask":
            self.api.command(f"/ask@citebot_test_bot {text}", **kw)
            return self._record("group", f"/ask@bot {_short(text)}", chat=chat, group_question=bool(text.strip()))
        if how == "odd mention":
            text = f"{text} @citebot_test_bot"
            entities = self.texts.entities(text)
            self.api.message(text, entities=entities, **kw)
            return self._record("group", f"entities {entities} text {_short(text)}", chat=chat)
        if how == "edited mention":
            message = self.api.mention(text, **kw)
            self.api.mention(self.texts.any(), message_id=message["message_id"], edited=True, **kw)
            return self._record("group", f"mention, then edited: {_short(text)}", chat=chat)
        self.api.message(text, **kw)
        return self._record("group", f"chatter {_short(text)}", chat=chat)

    def _press(self) -> Sent:
        chats = self._free([chat for chat in self.buttons if chat > 0])
        if not chats:
            return self._question()
        chat = self.rng.choice(chats)
        message, data = self.rng.choice(self.buttons[chat])
        query = self.api.press(data, message, user_id=chat)
        return self._record("press", f"genuine {data!r}", chat=chat, query=query["id"])

    def _forged_press(self) -> Sent:
        """Another chat's button data, pressed under one of the bot's messages in this chat."""
        chats = self._free([chat for chat in self.bot_messages if chat > 0])
        sources = [chat for chat in self.buttons if chat > 0]
        if not chats or not sources:
            return self._question()
        chat = self.rng.choice(chats)
        origin = self.rng.choice([source for source in sources if source != chat] or sources)
        if origin == chat:
            return self._question()
        _, data = self.rng.choice(self.buttons[origin])
        message = self.rng.choice(self.bot_messages[chat])
        query = self.api.press(data, message, user_id=chat)
        return self._record(
            "forged press", f"chat {origin}'s {data!r}", chat=chat, query=query["id"], forged_from=origin
        )

    def _mutated_press(self) -> Sent:
        chats = self._free([chat for chat in self.buttons if chat > 0])
        if not chats:
            return self._question()
        chat = self.rng.choice(chats)
        message, data = self.rng.choice(self.buttons[chat])
        parts = data.split(":")
        slot = self.rng.randrange(len(parts) + 1)
        value = self.rng.choice(
            ("m", "c", "s", "a", "u", "d", "x", "", "-1", "0", "999", "1000", str(2**31), str(-(2**31)),
             str(2**63), str(2**70), "1e9", "٣", " 1", self.texts.unicode(3))
        )  # fmt: skip
        if slot == len(parts):
            parts.append(value)
        else:
            parts[slot] = value
        mutated = ":".join(parts)
        query = self.api.press(mutated, message, user_id=chat)
        return self._record("mutated press", f"{data!r} made {mutated!r}", chat=chat, query=query["id"])

    def _random_press(self) -> Sent:
        data = self.rng.choice(
            (self.texts.unicode(self.rng.randint(1, 64)), self.texts.odd(), "m:1:0:0", "u:1:0:0",
             f"c:{self.rng.randint(0, 10**6)}:0:-5", f"m:{BEYOND}:0:0", "a" * 64, "a" * 200, ":::", "")
        )  # fmt: skip
        where = self.rng.choice(("inline", "inaccessible", "own"))
        chats = self._free([chat for chat in self.bot_messages if chat > 0])
        if where == "own" and chats:
            chat = self.rng.choice(chats)
            query = self.api.press(data, self.rng.choice(self.bot_messages[chat]), user_id=chat)
            return self._record("random press", f"{data!r} under a bot message", chat=chat, query=query["id"])
        if where == "inaccessible" and chats:
            chat = self.rng.choice(chats)
            gone = {"chat": {"id": chat, "type": "private"}, "message_id": 10**9, "date": 0}
            query = self.api.press(data, gone, user_id=chat)
            return self._record("random press", f"{data!r} under an inaccessible message", chat=chat, query=query["id"])
        query = self.api.press(data, None, user_id=self.rng.randint(FIRST_PRIVATE, FIRST_PRIVATE + 10_000))
        return self._record("random press", f"{data!r} under an inline message", query=query["id"])

    def _inline(self) -> Sent:
        text = self.texts.any() if self.rng.random() < 0.8 else self.texts.unicode(self.rng.randint(1, 256))
        query = self.api.inline_query(text, user_id=self.rng.randint(FIRST_PRIVATE, FIRST_PRIVATE + 10_000))
        return self._record("inline", f"query {_short(text)}", query=query["id"])

    def _no_chat(self) -> Sent:
        text = self.texts.any()
        edited = self.rng.random() < 0.3
        self.api.message(text, chat=False, edited=edited, user_id=self.rng.randint(1, 10**6))
        return self._record("no chat", f"{'edited ' if edited else ''}message without a chat: {_short(text)}")

    def _document(self, admin: bool = False) -> Sent:
        chat = ADMIN if admin else self._new_private()
        if admin and ADMIN in self.used:
            return self._question()
        name = self.rng.choice(
            ("notes.txt", "../../etc/passwd.txt", "a/b/c.md", ".hidden.html", "x.pdf", "no_extension", "😀.txt",
             "CON.txt", "a" * 300 + ".txt", "", "doc.exe", "page.HTM")
        )  # fmt: skip
        content = self.rng.choice(
            (b"", b"\x00\xff" * 100, b"Glacier report\n\nThe Vorlund glacier retreated 40 metres.\n",
             b"%PDF-1.4 not really", self.texts.unicode(200).encode("utf-8", "surrogatepass"))
        )  # fmt: skip
        report_size = self.rng.random() < 0.7
        self.api.upload(name, content, chat_id=chat, user_id=chat, report_size=report_size)
        who = "the admin" if admin else "a non-admin"
        return self._record(
            "admin document" if admin else "document", f"{name!r} ({len(content)} bytes) from {who}", chat=chat
        )

    def _admin_document(self) -> Sent:
        return self._document(admin=True)

    def _other_message(self) -> Sent:
        private = self.rng.random() < 0.6
        chat = self._new_private() if private else FIRST_GROUP - next(self._groups)
        chat_type = "private" if private else self.rng.choice(("group", "supergroup", "channel"))
        user = {"id": chat if private else 777, "is_bot": False, "first_name": "U"}
        kind, fields = self.rng.choice(_other_messages(self.rng, user, self.texts))
        self.api.message(fields.pop("text", None), chat_id=chat, user_id=user["id"], chat_type=chat_type, **fields)
        return self._record("other message", f"{kind} in a {chat_type} chat", chat=chat)

    def _beyond_ranges(self) -> Sent:
        """Ids no Telegram object has (only a forged webhook post could carry them)."""
        chat = self._new_private()
        text = self.texts.question()
        how = self.rng.choice(("message id", "edit", "user id"))
        if how == "message id":
            self.api.message(text, chat_id=chat, user_id=chat, message_id=BEYOND)
        elif how == "edit":
            self.api.message(text, chat_id=chat, user_id=chat, message_id=BEYOND, edited=True)
        else:
            self.api.message(text, chat_id=chat, user_id=BEYOND)
        return self._record("beyond ranges", f"{how} {BEYOND}: {_short(text)}", chat=chat)

    def _malformed(self) -> Sent:
        choice = self.rng.randrange(4)
        if choice == 0:
            self.api.unreadable_update(text=self.texts.any())
        elif choice == 1:
            self.api.push_update({"callback_query": {"id": "1", "data": "m:1:0:0", "chat_instance": "x"}})
        elif choice == 2:
            self.api.push_update({"message": self.texts.any()})
        else:
            self.api.push_update({"inline_query": {"id": "q", "query": 5}})
        return self._record("malformed", f"an update of a malformed shape ({choice})")

    def _not_asked_for(self) -> Sent:
        kind = self.rng.choice(
            ("channel_post", "my_chat_member", "message_reaction", "poll_answer", "business_message")
        )
        self.api.push_update({kind: {"chat": {"id": -5, "type": "channel"}, "date": 0, "message_id": 1}})
        return self._record("not asked for", kind)

    # state

    def learn(self, chats: set[int]) -> None:
        """After a round: the bot's messages and buttons in the chats it touched."""
        for chat in chats:
            messages = self.api.bot_messages(chat)
            if not messages:
                continue
            self.bot_messages[chat] = messages[-20:]
            buttons = [
                (message, button["callback_data"])
                for message in messages[-20:]
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for button in row
                if "callback_data" in button
            ]
            if buttons:
                self.buttons[chat] = buttons


def _other_messages(rng: random.Random, user: dict, texts: Texts) -> list[tuple[str, dict]]:
    now = int(time.time())
    return [
        ("sticker", {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
                                 "height": 512, "is_animated": False, "is_video": False}}),
        ("photo with a caption", {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}],
                                  "caption": texts.any(), "caption_entities": texts.entities("caption")}),
        ("voice", {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}),
        ("location", {"location": {"latitude": 40.4, "longitude": 49.8}}),
        ("contact", {"contact": {"phone_number": "+1", "first_name": "C"}}),
        ("dice", {"dice": {"emoji": "🎲", "value": 3}}),
        ("poll", {"poll": {"id": "p", "question": texts.any()[:300] or "?",
                           "options": [{"text": "a", "voter_count": 0, "persistent_id": "a"}],
                           "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
                           "allows_multiple_answers": False}}),
        ("new chat members", {"new_chat_members": [user, {"id": 4242, "is_bot": True, "first_name": "citebot"}]}),
        ("left chat member", {"left_chat_member": user}),
        ("pinned message", {"pinned_message": {"message_id": 1, "date": now, "chat": {"id": 1, "type": "private"}}}),
        ("forwarded text", {"text": texts.any() or "x", "forward_origin": {"type": "user", "date": now, "sender_user": user}}),
        ("text via a bot", {"text": texts.any() or "x", "via_bot": {"id": 99, "is_bot": True, "first_name": "b"}}),
        ("text and a sticker", {"text": texts.question(), "sticker": {"file_id": "s", "file_unique_id": "s",
                                "type": "regular", "width": 1, "height": 1, "is_animated": False, "is_video": False}}),
        ("malformed sticker", {"sticker": {"file_id": 5}}),
        ("game", {"game": {"title": "g", "description": "d", "photo": []}}),
        ("text from an anonymous admin", {"text": texts.any() or "x", "sender_chat": {"id": -5, "type": "supergroup"}}),
        ("topic message", {"text": texts.any() or "x", "message_thread_id": 7, "is_topic_message": True}),
    ]  # fmt: skip


def _short(text: str, width: int = 60) -> str:
    shown = repr(text)
    return shown if len(shown) <= width else f"{shown[: width - 1]}… ({len(text):,} chars)"


# --- measuring ----------------------------------------------------------------------------------


class Ledger:
    """The bot's requests, by chat and by query, as they come."""

    def __init__(self, api: FuzzBotApi) -> None:
        self.api = api
        self.read = 0
        self.by_chat: dict[int, list[Answer]] = defaultdict(list)
        self.by_query: dict[str, list[Answer]] = defaultdict(list)

    def update(self) -> int:
        """Take in the new answers; how many there were."""
        new = self.api.answers[self.read :]
        self.read += len(new)
        for answer in new:
            chat = answer.params.get("chat_id")
            if isinstance(chat, int):
                self.by_chat[chat].append(answer)
            query = answer.params.get("callback_query_id") or answer.params.get("inline_query_id")
            if query is not None:
                self.by_query[str(query)].append(answer)
        return len(new)

    def done(self, sent: Sent) -> bool:
        if sent.query is not None:
            return bool(self.by_query.get(sent.query))
        if sent.question or sent.group_question:
            return any(a.at >= sent.at and a.method in VISIBLE for a in self.by_chat.get(sent.chat, []))
        return True


def run_round(fuzzer: Fuzzer, ledger: Ledger, count: int) -> int:
    """Push `count` updates, wait for them; how many waited in vain."""
    fuzzer.used = set()
    batch = [fuzzer.one() for _ in range(count)]
    deadline = time.monotonic() + ROUND_TIMEOUT
    while True:
        ledger.update()
        if all(ledger.done(sent) for sent in batch) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    quiet_since, give_up = time.monotonic(), time.monotonic() + 3.0
    while time.monotonic() - quiet_since < QUIET and time.monotonic() < give_up:
        if ledger.update():
            quiet_since = time.monotonic()
        time.sleep(0.02)
    fuzzer.learn({sent.chat for sent in batch if sent.chat is not None})
    return sum(not ledger.done(sent) for sent in batch)


@dataclass
class Finding:
    kind: str
    sent: Sent | None
    happened: str


def analyse(fuzzer: Fuzzer, ledger: Ledger, bot: BotProcess) -> tuple[dict[str, object], list[Finding]]:
    """The figures, and each failure with the update it came from."""
    findings: list[Finding] = []
    by_id = {sent.update_id: sent for sent in fuzzer.sent}

    def owner(chat: int, at: float) -> Sent | None:
        """The last update sent to `chat` before `at`."""
        candidates = [sent for sent in chats_sent[chat] if sent.at <= at]
        return candidates[-1] if candidates else None

    chats_sent: dict[int, list[Sent]] = defaultdict(list)
    for sent in fuzzer.sent:
        if sent.chat is not None:
            chats_sent[sent.chat].append(sent)

    def replies(sent: Sent) -> list[Answer]:
        later = [s.at for s in chats_sent[sent.chat] if s.at > sent.at]
        until = later[0] if later else math.inf
        return [a for a in ledger.by_chat.get(sent.chat, []) if sent.at <= a.at < until]

    answers = [answer for answer in fuzzer.api.answers]
    invalid_html = [a for a in answers if "can't parse entities" in a.description]
    too_long = [a for a in answers if "too long" in a.description.lower() or "MESSAGE_TOO_LONG" in a.description]
    other_refusals = [a for a in answers if not a.ok and a not in invalid_html and a not in too_long]
    long_alerts = [a for a in answers if a.method == "answercallbackquery" and len(a.text) > CALLBACK_TEXT_LIMIT]
    for label, found in (("invalid HTML", invalid_html), ("text over 4,096", too_long), ("refused", other_refusals)):
        for answer in found:
            chat = answer.params.get("chat_id")
            query = answer.params.get("inline_query_id") or answer.params.get("callback_query_id")
            sent = owner(chat, answer.at) if isinstance(chat, int) else _by_query(fuzzer, query)
            findings.append(
                Finding(label, sent, f"{answer.method} refused: {answer.description[:120]}; text {_short(answer.text)}")
            )

    unanswered = 0
    apologies = sum(any(mark in a.text for mark in APOLOGIES) for a in answers)
    questions = [sent for sent in fuzzer.sent if sent.question]
    for sent in questions:
        got = [a for a in replies(sent) if a.ok and a.method in VISIBLE and not any(m in a.text for m in APOLOGIES)]
        if not got:
            unanswered += 1
            seen = ", ".join(
                f"{a.method}{'' if a.ok else ' ' + str(a.status)} {_short(a.text, 40)}" for a in replies(sent)
            )
            findings.append(Finding("unanswered", sent, f"the chat got: {seen or 'nothing'}"))
    group_questions = [sent for sent in fuzzer.sent if sent.group_question]
    group_unanswered = sum(not any(a.ok and a.method in VISIBLE for a in replies(sent)) for sent in group_questions)
    acted = 0
    for sent in fuzzer.sent:
        if sent.forged_from is None:
            continue
        callback = [a.text for a in ledger.by_query.get(sent.query, [])]
        visible = [a for a in replies(sent) if a.ok and a.method in VISIBLE]
        if visible or any(text.startswith("Thanks") for text in callback):
            acted += 1
            did = "; ".join([f"{a.method} {_short(a.text, 50)}" for a in visible] + [f"alert {t!r}" for t in callback])
            findings.append(Finding("forged press acted on", sent, did))

    errors = _errors(bot, by_id)
    findings += errors
    lines = [line for _, line in bot.lines]
    figures = {
        "handler exceptions": len(errors),
        "invalid HTML": len(invalid_html),
        "too long": len(too_long),
        "unanswered": unanswered,
        "questions": len(questions),
        "apologies": apologies,
        "group questions": len(group_questions),
        "group unanswered": group_unanswered,
        "forged presses": sum(sent.forged_from is not None for sent in fuzzer.sent),
        "forged acted on": acted,
        "other refusals": len(other_refusals),
        "long alerts": len(long_alerts),
        "unreadable": sum(sent.update_id in fuzzer.api.unreadable for sent in fuzzer.sent),
        "log lines": len(lines),
        "token in log": any(fuzzer.api.token.split(":")[1] in line for line in lines),
    }
    return figures, findings


def _by_query(fuzzer: Fuzzer, query: object) -> Sent | None:
    return next((sent for sent in fuzzer.sent if sent.query == str(query)), None)


def _errors(bot: BotProcess, by_id: dict[int, Sent]) -> list[Finding]:
    """Each ERROR line of the log with the exception its traceback ends in and the update it names."""
    lines = [line for _, line in bot.lines]
    findings = []
    for number, line in enumerate(lines):
        if not line.startswith(("ERROR", "CRITICAL")):
            continue
        exception = ""
        for following in lines[number + 1 : number + 200]:
            if following.startswith(("ERROR", "WARNING", "INFO", "CRITICAL", "DEBUG")):
                break
            if following and not following.startswith((" ", "Traceback", "During handling", "The above")):
                exception = following
        named = re.search(r"handling \w+ (\d+)", line)
        sent = by_id.get(int(named[1])) if named else None
        findings.append(Finding("handler exception", sent, f"{line[:160]} → {exception[:200] or '(no traceback)'}"))
    return findings


# --- output -------------------------------------------------------------------------------------


def print_report(
    figures: dict[str, object], findings: list[Finding], fuzzer: Fuzzer, args: argparse.Namespace,
    seconds: float, waited_in_vain: int, bot: BotProcess, ending: tuple[float | None, bool, int | None],
) -> None:  # fmt: skip
    peak, alive, exit_status = ending
    print(
        f"{len(fuzzer.sent):,} updates, seed {args.seed}, in {seconds:.0f} s, against citebot run "
        f"(a process of its own) and the fake Bot API on 127.0.0.1"
    )
    rows = (
        ("handler exceptions (ERROR lines in the log)", figures["handler exceptions"], "0"),
        ("invalid HTML (refused by the server, 400)", figures["invalid HTML"], "0"),
        ("texts over 4,096 characters (refused, 400)", figures["too long"], "0"),
        (f"private questions unanswered (of {figures['questions']:,})", figures["unanswered"], "0"),
        ("apologies sent", figures["apologies"], ""),
        (f"forged presses acted on (of {figures['forged presses']:,})", figures["forged acted on"], "0"),
        (f"group questions unanswered (of {figures['group questions']:,})", figures["group unanswered"], ""),
        ("other requests refused by the server", figures["other refusals"], ""),
        (f"callback answers over {CALLBACK_TEXT_LIMIT} characters", figures["long alerts"], ""),
        ("updates python-telegram-bot cannot read", figures["unreadable"], ""),
    )
    print(f"{'measure':<52}{'count':>8}{'target':>8}")
    for label, value, target in rows:
        print(f"{label:<52}{value:>8,}{target:>8}")
    kinds = Counter(sent.kind for sent in fuzzer.sent)
    unreadable = Counter(sent.kind for sent in fuzzer.sent if sent.update_id in fuzzer.api.unreadable)
    print(
        "sent: "
        + ", ".join(
            f"{kind} {count:,}" + (f" ({unreadable[kind]} unreadable)" if unreadable[kind] else "")
            for kind, count in kinds.most_common()
        )
    )
    print(
        f"the bot: {figures['log lines']:,} log lines, token in them: {'yes' if figures['token in log'] else 'no'}; "
        f"peak RSS {peak or 0:.0f} MB; rounds that waited {ROUND_TIMEOUT:g} s in vain for something: "
        f"{waited_in_vain}; alive at the end: {'yes' if alive else 'no'}; exit status on Ctrl-C: {exit_status}"
    )
    requests = Counter(answer.method for answer in fuzzer.api.answers)
    print("the bot's requests: " + ", ".join(f"{method} {count:,}" for method, count in requests.most_common()))
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[(finding.kind, _signature(finding))].append(finding)
    for (kind, signature), group in sorted(grouped.items(), key=lambda item: -len(item[1])):
        print(f"\n{kind} ×{len(group)}: {signature}")
        for finding in group[: args.examples]:
            sent = finding.sent
            about = f"update {sent.update_id} ({sent.kind}): {sent.what}" if sent else "update unknown"
            print(f"  sent {about}\n    → {finding.happened}")


def _signature(finding: Finding) -> str:
    """What findings of one sort share: the exception's type, the refusal's text, the update's kind."""
    if finding.kind == "handler exception":
        return re.sub(r"\d+", "N", finding.happened.split(" → ", 1)[-1].split(":", 1)[0])
    if finding.kind in ("invalid HTML", "text over 4,096", "refused"):
        return re.sub(r"\d+", "N", finding.happened.split(";", 1)[0])[:100]
    return finding.sent.kind if finding.sent else ""


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--updates", type=int, default=10_000, help="how many updates (default 10,000)")
    parser.add_argument("--seed", type=int, default=14, help="for everything random (default 14)")
    parser.add_argument("--examples", type=int, default=3, help="examples printed of each kind of failure")
    parser.add_argument("--log", action="store_true", help="print the bot's log (its stderr) at the end")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="citebot-fuzz-") as folder, FuzzBotApi() as api:
        (Path(folder) / "data").mkdir()
        bot = BotProcess(bot_site(Path(folder), api, flood_limits=False), api.token)
        print("starting citebot run…", file=sys.stderr, flush=True)
        bot.start()
        fuzzer, ledger = Fuzzer(api, rng, Texts(rng, question_texts())), Ledger(api)
        started, waited_in_vain = time.monotonic(), 0
        try:
            for done in range(0, args.updates, ROUND):
                if done % 1000 == 0:
                    print(f"{done:,} updates sent…", file=sys.stderr, flush=True)
                waited_in_vain += bool(run_round(fuzzer, ledger, min(ROUND, args.updates - done)))
            wait_until(lambda: ledger.update() == 0, 5.0, step=0.5)
            seconds = time.monotonic() - started
            figures, findings = analyse(fuzzer, ledger, bot)
            peak, alive = bot.peak_mb(), bot.alive
        finally:
            exit_status = bot.stop()
        print_report(figures, findings, fuzzer, args, seconds, waited_in_vain, bot, (peak, alive, exit_status))
        if args.log:
            print("\n".join(line for _, line in bot.lines))


if __name__ == "__main__":
    main()
