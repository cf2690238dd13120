"""A small fake Telegram Bot API server for end-to-end tests of the bot.

The real python-telegram-bot client talks HTTP to this server on 127.0.0.1, so tests exercise
the bot's actual request encoding, error handling and polling loop without touching Telegram.
Tests push updates (messages, button presses, inline queries, uploads) and inspect the calls the
bot made (`calls`, `sent`, `wait_for`) and the messages it left in each chat (`bot_messages`).

How python-telegram-bot v22 sends requests (telegram/request/_httpxrequest.py, _requestdata.py,
_requestparameter.py): every method is a POST whose parameters are `RequestData.json_parameters`,
i.e. strings as they are and every other value JSON-dumped (ints, bools, dicts, lists). Without
files they go out form-encoded (application/x-www-form-urlencoded); with files the same fields plus
the uploads go out as multipart/form-data. Standard library only.

Faults, for the bot's reliability tests: `fail_next` (one method, a few times), `fail_for` (every
request answered 502 — or another status — with a proxy's HTML page for some seconds), `refuse_for`
(nothing listening: connection refused for some seconds), `slow` (answers that come late, the call
carried out at once), `after_updates` (start a fault the moment the bot has fetched its updates, so
it meets the fault when it replies), `unreadable_update` and `message(..., chat=False)` (updates
python-telegram-bot cannot read, or that have no chat), `upload(..., report_size=False)` (a file
whose size Telegram does not say).
"""

from __future__ import annotations

import asyncio
import copy
import email.parser
import email.policy
import functools
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram_html import TelegramHtmlError, check_telegram_html

MAX_LONG_POLL = 1.0  # seconds; caps getUpdates' timeout so that stopping the bot stays quick
MESSAGE_LIMIT = 4096  # characters of a message's text after entities parsing, as Telegram counts them
PROXY_ERROR_PAGE = "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"

# Parameters that are always strings in the Bot API. Their values are kept verbatim, because a
# text such as "123" or "true" would otherwise be mistaken for JSON when decoding.
TEXT_PARAMS = frozenset(
    "text caption parse_mode caption_parse_mode callback_query_id inline_query_id inline_message_id "
    "file_id url action description short_description secret_token language_code next_offset "
    "business_connection_id message_effect_id emoji title query data ip_address "
    "document photo audio video voice animation sticker video_note thumbnail".split()
)

_BOT_METHOD_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<test>test/)?(?P<method>[A-Za-z]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?:test/)?(?P<path>.+)$")


@dataclass
class Call:
    """One Bot API request the bot made, with its parameters decoded and the server's answer."""

    method: str  # as the bot sent it, e.g. "sendMessage"
    params: dict[str, object]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field name -> (file name, content)
    environment: str = "prod"  # "test" for /bot<token>/test/<method>
    result: object = None  # the answer's "result", None on failure
    error_code: int | None = None  # HTTP status of a failed call, None on success

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def summary(self) -> str:
        """A one-line description for assertion messages."""
        args = ", ".join(
            [f"{k}={_shorten(v)}" for k, v in self.params.items()]
            + [f"{k}=<file {name!r}, {len(data)} bytes>" for k, (name, data) in self.files.items()]
        )
        status = "" if self.ok else f" -> {self.error_code}"
        return f"{self.method}({args}){status}"


class ApiError(Exception):
    """Raised by a method handler to answer with a Bot API error."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def body(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class FakeBotApi:
    """Serves the Bot API methods citebot uses, keeping just enough state to answer realistically."""

    def __init__(
        self,
        token: str = "123456:TEST-fake-token",
        bot_id: int = 4242,
        username: str = "citebot_test_bot",
        local_files: Path | None = None,
    ):
        """`local_files`: act as a local Bot API server started with --local, which keeps files in that
        folder, gives their absolute paths in getFile and takes file:// URIs of files to send."""
        self.token, self.bot_id, self.username = token, bot_id, username
        self.local_files = local_files
        self.calls: list[Call] = []
        self._lock = threading.Condition()  # guards all state below; notified when updates arrive
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)  # callback/inline query ids, file ids
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> message
        self._bot_message_ids: dict[int, list[int]] = {}
        self._chats: dict[int, dict] = {}
        self._files: dict[str, dict] = {}  # file_id -> File object plus "content"
        self._failures: dict[str, list[ApiError]] = {}
        self._failing: tuple[float, int, frozenset[str] | None] = (0.0, 0, None)  # until, status, methods
        self._slow: dict[str, list[float]] = {}  # method -> delays of its next answers
        self._held: dict[str, tuple[int, threading.Event]] = {}  # method -> (calls let through, release)
        self._after_updates: list[Callable[[], None]] = []
        self._faults_started = threading.Event()  # cleared while updates are out and their faults not yet on
        self._faults_started.set()
        self._server: _Server | None = None
        self._listening_again: threading.Timer | None = None
        self._port = 0
        self._stopping = False
        self.base_url = self.base_file_url = ""

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        self._stopping = False
        self._listen(0)
        self.base_url = f"http://127.0.0.1:{self._port}/bot"
        self.base_file_url = f"http://127.0.0.1:{self._port}/file/bot"
        return self

    def _listen(self, port: int) -> None:
        server = _Server(("127.0.0.1", port), _Handler)
        server.api = self
        self._port = server.server_address[1]
        serve = functools.partial(server.serve_forever, poll_interval=0.01)  # so stop() is quick
        threading.Thread(target=serve, name="FakeBotApi", daemon=True).start()
        self._server = server

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()  # release pending long polls
            timer, self._listening_again = self._listening_again, None
            held = [release for _, release in self._held.values()]
        for release in held:  # no server thread left waiting
            release.set()
        if timer is not None:
            timer.cancel()
        self._close_server()

    def _close_server(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- pushing updates -------------------------------------------------------------------------

    def push_update(self, update: dict) -> int:
        """Queue a raw update for getUpdates, giving it the next update_id."""
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._lock.notify_all()
            return update["update_id"]

    def message(
        self,
        text: str | None = None,
        *,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        message_id: int | None = None,
        reply_to: dict | None = None,
        entities: list | None = None,
        edited: bool = False,
        chat: bool = True,
        language_code: str | None = None,
        **fields: Any,
    ) -> dict:
        """A user writes (or, with edited=True, edits) a message; extra fields such as sticker=... are
        merged in. chat=False leaves out the chat, which Telegram never does but a forger may.
        language_code is the user's app language, as Telegram tells it ("de", "pt-br")."""
        now = int(time.time())
        about = {"id": chat_id, "type": chat_type}
        about.update({"first_name": f"User{user_id}"} if chat_type == "private" else {"title": f"Chat {chat_id}"})
        with self._lock:
            self._chats[chat_id] = about
            message_id = self._new_message_id(chat_id, message_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": now,
            "chat": about,
            "from": _user(user_id, language_code),
        }
        if not chat:
            del message["chat"]
        if text is not None:
            message["text"] = text
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        message.update(fields)
        if edited:
            message["edit_date"] = now
        with self._lock:
            self._messages[(chat_id, message_id)] = message
        self.push_update({"edited_message" if edited else "message": message})
        return message

    def mention(self, text_after: str, **kw: Any) -> dict:
        """A message addressing the bot as "@username ...", with the mention entity a client would add."""
        handle = f"@{self.username}"
        entity = {"type": "mention", "offset": 0, "length": utf16_len(handle)}
        return self.message(f"{handle} {text_after}", entities=[entity, *(kw.pop("entities", None) or [])], **kw)

    def command(self, text: str, **kw: Any) -> dict:
        """A message such as "/ask@botname question" with the bot_command entity covering "/ask@botname"."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])}
        return self.message(text, entities=[entity, *(kw.pop("entities", None) or [])], **kw)

    def press(
        self, data: str, message: dict | None = None, *, user_id: int = 1001, language_code: str | None = None
    ) -> dict:
        """A user presses an inline button with callback `data` under `message`; returns the callback_query.
        Without a message, the button is under a message sent in inline mode: the query has no chat."""
        with self._lock:
            query = {"id": str(next(self._ids)), "from": _user(user_id, language_code), "data": data}
            if message is None:
                query.update(chat_instance="instance-inline", inline_message_id=f"inline-{query['id']}")
            else:
                key = (message["chat"]["id"], message["message_id"])
                current = copy.deepcopy(self._messages.get(key, message))  # as it is now, after edits
                query.update(chat_instance=f"instance-{key[0]}", message=current)
        self.push_update({"callback_query": query})
        return query

    def inline_query(self, query: str, *, user_id: int = 1001, language_code: str | None = None) -> dict:
        """A user types "@botname query" in some chat; returns the inline_query."""
        with self._lock:
            inline = {
                "id": str(next(self._ids)),
                "from": _user(user_id, language_code),
                "query": query,
                "offset": "",
                "chat_type": "sender",
            }
        self.push_update({"inline_query": inline})
        return inline

    def upload(
        self,
        file_name: str,
        content: bytes,
        *,
        mime_type: str = "text/plain",
        caption: str | None = None,
        report_size: bool = True,
        **kw: Any,
    ) -> dict:
        """A user sends a document; its bytes become available through getFile and the file URL.
        report_size=False leaves file_size out of the message and of getFile, as Telegram may."""
        with self._lock:
            file = self._register_file(content, file_name, report_size)
        document = {
            "file_id": file["file_id"],
            "file_unique_id": file["file_unique_id"],
            "file_name": file_name,
            "mime_type": mime_type,
        }
        if report_size:
            document["file_size"] = len(content)
        if caption is not None:
            kw["caption"] = caption
        return self.message(document=document, **kw)

    def unreadable_update(self, kind: str = "message", text: str = "a private question") -> int:
        """Queue an update python-telegram-bot cannot read (a field of the wrong type), carrying `text`
        so tests can check it stays out of the log. kind="message_reaction" gives one of a type
        citebot does not ask for."""
        chat = {"id": 1001, "type": "private", "first_name": "User1001"}
        if kind == "message_reaction":
            body = {"chat": chat, "message_id": 1, "date": int(time.time()), "old_reaction": [], "new_reaction": text}
        else:
            body = {"message_id": 1, "date": "yesterday", "chat": chat, "from": _user(1001), "text": text}
        return self.push_update({kind: body})

    # --- faults ----------------------------------------------------------------------------------

    def fail_for(self, seconds: float, status: int = 502, *, methods: Iterable[str] | None = None) -> None:
        """For the next `seconds`, answer every request (or those of `methods`) with `status` and an
        HTML page, as a proxy in front of a Bot API that is down does; nothing is carried out."""
        only = frozenset(m.lower() for m in methods) if methods is not None else None
        with self._lock:
            self._failing = (time.monotonic() + seconds, status, only)

    def refuse_for(self, seconds: float) -> None:
        """Stop listening for `seconds` (connection refused), closing open connections, then listen
        again on the same port."""
        with self._lock:
            if self._stopping or self._server is None:
                return
            timer = self._listening_again = threading.Timer(seconds, self._listen_again)
            timer.daemon = True
        self._close_server()
        timer.start()

    def _listen_again(self) -> None:
        with self._lock:
            if self._stopping or self._listening_again is None:
                return
            self._listening_again = None
        self._listen(self._port)

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` calls of `method` after `seconds`; each call is carried out at once,
        as when Telegram is slow to answer but has acted."""
        with self._lock:
            self._slow.setdefault(method.lower(), []).extend([seconds] * times)

    def hold(self, method: str, *, after: int = 0) -> threading.Event:
        """Keep the calls of `method` after its next `after` waiting, unanswered and not carried out,
        until the returned event is set: the bot is stuck at that call for as long as a test needs."""
        release = threading.Event()
        with self._lock:
            self._held[method.lower()] = (after, release)
        return release

    def after_updates(self, fault: Callable[[], None]) -> None:
        """Run `fault` (e.g. `lambda: api.refuse_for(3)`) just after the next getUpdates answer that
        carries updates has been sent: the bot has its updates and meets the fault when it replies (a
        call that arrives before the fault has started waits for it)."""
        with self._lock:
            self._after_updates.append(fault)

    def fail_next(
        self, method: str, status: int, description: str = "", *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Make the next `times` calls of `method` fail with HTTP `status` and a Bot API error body."""
        if not description:
            if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is not None:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = HTTPStatus(status).phrase
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend(
                ApiError(status, description, retry_after) for _ in range(times)
            )

    # --- inspecting what the bot did -------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Successful calls of `method` (case-insensitive), optionally only those to `chat_id`."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.ok
            and c.method.lower() == method.lower()
            and (chat_id is None or _as_int(c.params.get("chat_id")) == chat_id)
        ]

    async def wait_for(
        self,
        method: str = "sendMessage",
        *,
        chat_id: int | None = None,
        count: int = 1,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> Call:
        """Wait until the bot has made `count` matching successful calls and return the last of them."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [c for c in self.sent(method, chat_id) if predicate is None or predicate(c)]
            if len(matching) >= count:
                return matching[count - 1]
            if time.monotonic() >= deadline:
                with self._lock:
                    calls = list(self.calls)
                polls = sum(c.method == "getUpdates" for c in calls)  # polling noise: counted, not listed
                seen = "\n  ".join(c.summary() for c in calls if c.method != "getUpdates") or "(none)"
                target = f"{count} x {method}" + (f" to chat {chat_id}" if chat_id is not None else "")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {target}; got {len(matching)}. "
                    f"Calls seen (besides {polls} getUpdates):\n  {seen}"
                )
            await asyncio.sleep(0.01)

    def bot_messages(self, chat_id: int) -> list[dict]:
        """The bot's messages in a chat as they are now (after edits, without deleted ones), oldest first."""
        with self._lock:
            return [copy.deepcopy(self._messages[(chat_id, i)]) for i in self._bot_message_ids.get(chat_id, [])]

    # --- request handling (runs in the server's threads) -----------------------------------------

    def _handle_request(
        self, token: str, method: str, environment: str, params: dict, files: dict
    ) -> tuple[int, dict | str]:
        """Answer one Bot API request and record it; returns (HTTP status, JSON body or an HTML page)."""
        call = Call(method, params, files, environment)
        self._faults_started.wait(timeout=5)  # a call made once the updates are in meets their fault
        with self._lock:
            let_through, release = self._held.get(method.lower(), (0, None))
            if release is not None and let_through:
                self._held[method.lower()] = (let_through - 1, release)
        if release is not None and not let_through:
            release.wait()
        with self._lock:
            until, status, methods = self._failing
            failing = time.monotonic() < until and (methods is None or method.lower() in methods)
            delays = self._slow.get(method.lower())
            delay = delays.pop(0) if delays and not failing else 0.0
        if failing:
            call.error_code = status
            with self._lock:
                self.calls.append(call)
            return status, PROXY_ERROR_PAGE.format(status=f"{status} {HTTPStatus(status).phrase}")
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            with self._lock:  # getUpdates waits on the condition, which releases the lock meanwhile
                if failures := self._failures.get(method.lower()):
                    raise failures.pop(0)
                call.result = copy.deepcopy(handler(params, files))
                if method.lower() == "getupdates" and call.result and self._after_updates:
                    self._faults_started.clear()
            status, body = 200, {"ok": True, "result": call.result}
        except ApiError as error:
            call.error_code = error.status
            status, body = error.status, error.body()
        with self._lock:
            self.calls.append(call)
        time.sleep(delay)
        return status, body

    def _answered(self, method: str, body: dict | str) -> None:
        """After an answer has been sent: start the faults waiting for a getUpdates that carried updates."""
        if method.lower() != "getupdates" or not isinstance(body, dict) or not body.get("result"):
            return
        with self._lock:
            faults, self._after_updates = self._after_updates, []
        try:
            for fault in faults:
                fault()
        finally:  # a fault that fails still lets the waiting calls through
            self._faults_started.set()

    def _file_content(self, token: str, file_path: str) -> bytes | None:
        with self._lock:
            if token != self.token:
                return None
            return next((f["content"] for f in self._files.values() if f["file_path"] == file_path), None)

    # Each _api_<lowercase method> runs with the lock held, takes decoded params and files and returns the result.

    def _api_getme(self, params: dict, files: dict) -> dict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _api_getupdates(self, params: dict, files: dict) -> list[dict]:
        offset = _as_int(params.get("offset")) or 0
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        allowed = params.get("allowed_updates") or None

        def pending() -> list[dict]:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return [u for u in self._updates if allowed is None or set(u) & set(allowed)][:limit]

        wait = min(float(params.get("timeout") or 0), MAX_LONG_POLL)
        self._lock.wait_for(lambda: pending() or self._stopping, timeout=wait)
        return pending()

    def _api_sendmessage(self, params: dict, files: dict) -> dict:
        return self._store_bot_message(params, text=_parsed_text(params))

    def _api_senddocument(self, params: dict, files: dict) -> dict:
        extra = {}
        if "document" in files:
            name, content = files["document"]
            file = self._register_file(content, name)
            extra["document"] = {
                "file_id": file["file_id"],
                "file_unique_id": file["file_unique_id"],
                "file_name": name,
                "file_size": len(content),
            }
        elif self.local_files is not None and str(params.get("document", "")).startswith("file://"):
            path = Path(unquote(urlsplit(params["document"]).path))
            if not path.is_file():
                raise ApiError(400, "Bad Request: file not found")
            file = self._register_file(path.read_bytes(), path.name)
            extra["document"] = {
                "file_id": file["file_id"],
                "file_unique_id": file["file_unique_id"],
                "file_name": path.name,
                "file_size": file["file_size"],
            }
        elif params.get("document") in self._files:  # re-sending a known file_id
            file = self._files[params["document"]]
            extra["document"] = {k: file[k] for k in ("file_id", "file_unique_id", "file_size") if k in file}
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if params.get("caption") is not None:
            extra["caption"] = params["caption"]
        return self._store_bot_message(params, **extra)

    def _api_editmessagetext(self, params: dict, files: dict) -> dict | bool:
        return self._edit(params, text=_parsed_text(params))

    def _api_answerinlinequery(self, params: dict, files: dict) -> bool:
        for result in params.get("results") or []:
            content = result.get("input_message_content") or {}
            text = {"text": content.get("message_text", ""), "parse_mode": content.get("parse_mode")}
            _parsed_text(text, too_long="Bad Request: MESSAGE_TOO_LONG")
        return True

    def _api_editmessagereplymarkup(self, params: dict, files: dict) -> dict | bool:
        return self._edit(params)

    def _api_deletemessage(self, params: dict, files: dict) -> bool:
        chat_id, message_id = _as_int(params.get("chat_id")), _as_int(params.get("message_id"))
        if self._messages.pop((chat_id, message_id), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        if message_id in self._bot_message_ids.get(chat_id, []):
            self._bot_message_ids[chat_id].remove(message_id)
        return True

    def _api_getfile(self, params: dict, files: dict) -> dict:
        file = self._files.get(str(params.get("file_id")))
        if file is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {k: v for k, v in file.items() if k not in ("content", "report_size")}

    def _api_getmycommands(self, params: dict, files: dict) -> list:
        return []

    def _api_getwebhookinfo(self, params: dict, files: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _api_true(self, params: dict, files: dict) -> bool:
        return True

    _api_answercallbackquery = _api_sendchataction = _api_setmycommands = _api_deletemycommands = _api_true
    _api_deletewebhook = _api_setwebhook = _api_close = _api_logout = _api_true
    _api_setmydescription = _api_setmyshortdescription = _api_true

    # --- helpers (called with the lock held) -----------------------------------------------------

    def _bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "citebot test", "username": self.username}

    def _new_message_id(self, chat_id: int, message_id: int | None) -> int:
        """Message ids increase per chat, as in real private chats and groups."""
        if message_id is None:
            message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)
        return message_id

    def _register_file(self, content: bytes, file_name: str, report_size: bool = True) -> dict:
        n = next(self._ids)
        suffix = file_name[file_name.rfind(".") :] if "." in file_name else ""
        file = {
            "file_id": f"file-{n}",
            "file_unique_id": f"unique-{n}",
            "file_size": len(content),
            "file_path": f"documents/file_{n}{suffix}",
            "content": content,
        }
        if self.local_files is not None:  # kept on this machine, named by its absolute path
            kept = self.local_files / f"file_{n}{suffix}"
            kept.write_bytes(content)
            file["file_path"] = str(kept.resolve())
        if not report_size:
            del file["file_size"]
        self._files[file["file_id"]] = file
        return file

    def _store_bot_message(self, params: dict, **content: Any) -> dict:
        chat_id = _as_int(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id, None),
            "date": int(time.time()),
            "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}),
            "from": self._bot_user(),
            **content,
        }
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get("reply_to_message_id")
        reply_id = _as_int(reply_to)
        replied = self._messages.get((chat_id, reply_id)) if reply_id is not None else None
        if replied is not None:
            message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        _set_inline_markup(message, params.get("reply_markup"))
        self._messages[(chat_id, message["message_id"])] = message
        self._bot_message_ids.setdefault(chat_id, []).append(message["message_id"])
        return message

    def _edit(self, params: dict, **changes: Any) -> dict | bool:
        """Edit a stored message; the inline keyboard is replaced (or dropped, if none is given) as in Telegram."""
        if params.get("inline_message_id"):
            return True
        message = self._messages.get((_as_int(params.get("chat_id")), _as_int(params.get("message_id"))))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        message.update(changes, edit_date=int(time.time()))
        _set_inline_markup(message, params.get("reply_markup"))
        return message


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: FakeBotApi

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close the kept-alive connections too, so that the next request finds nothing listening."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients hanging up mid-long-poll (the Updater stopping) is expected."""


class _Handler(BaseHTTPRequestHandler):
    """Routes /bot<token>/[test/]<method> to FakeBotApi._handle_request and /file/bot<token>/<path> to file contents."""

    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    disable_nagle_algorithm = True  # else headers and body in two writes cost ~40 ms per request
    server: _Server

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)  # File.download_* percent-encodes the token's ":"
        if match := _FILE_PATH.match(path):
            content = self.server.api._file_content(match["token"], match["path"])
            if content is None:
                self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            else:
                self._send(200, content, "application/octet-stream")
            return
        self.do_POST()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        match = _BOT_METHOD_PATH.match(unquote(url.path))
        if not match:
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        fields, files = dict(parse_qsl(url.query, keep_blank_values=True)), {}
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            more_fields, files = parse_multipart(content_type, body)
            fields.update(more_fields)
        elif content_type.startswith("application/json"):
            fields.update(json.loads(body or b"{}"))
        elif body:
            fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        params = {name: decode_param(name, value) for name, value in fields.items()}
        environment = "test" if match["test"] else "prod"
        status, answer = self.server.api._handle_request(match["token"], match["method"], environment, params, files)
        if isinstance(answer, str):
            self._send(status, answer.encode(), "text/html")
        else:
            self._send_json(status, answer)
        self.server.api._answered(match["method"], answer)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send_json(self, status: int, body: dict) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client hung up (e.g. it stopped reading a file at its size limit)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


# --- decoding ------------------------------------------------------------------------------------


def decode_param(name: str, value: object) -> object:
    """Undo python-telegram-bot's encoding: non-string values arrive JSON-dumped, strings verbatim."""
    if not isinstance(value, str) or name in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # a plain string, e.g. chat_id="@channel"


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Split a multipart/form-data body into plain fields and uploaded files, with the `email` package."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        file_name = part.get_filename()
        content = part.get_payload(decode=True) or b""
        if file_name is None:
            fields[name] = content.decode(part.get_content_charset() or "utf-8")
        else:  # raw UTF-8 in the header comes back surrogate-escaped
            files[name] = (file_name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), content)
    return fields, files


def _parsed_text(params: dict, too_long: str = "Bad Request: message is too long") -> str:
    """A message's text, refused as Telegram refuses HTML it cannot parse or a text over its limit
    (the text is kept as sent)."""
    text = shown = str(params.get("text", ""))
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            shown = check_telegram_html(text)
        except TelegramHtmlError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    if len(shown) > MESSAGE_LIMIT:
        raise ApiError(400, too_long)
    return text


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _user(user_id: int, language_code: str | None = None) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _set_inline_markup(message: dict, markup: object) -> None:
    """Messages carry only inline keyboards; reply keyboards and force_reply are not echoed back."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _shorten(value: object, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
