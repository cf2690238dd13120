"""How citebot talks to the Bot API: what a failed request means, what is tried again, and what
reaches the log.

A request that certainly did not reach Telegram — no connection, a connect timeout, a 5xx from
its front end — is `Undelivered`: a reply that meets one is kept and sent again, with growing
pauses, for up to `telegram.retry_for` seconds, so an ordinary outage loses nothing. A request
that may have reached Telegram (a read or write timeout, a connection lost mid-answer) is never
sent again: a duplicate is worse than a gap. A refusal (4xx other than 429) is final; a 429 is
waited out. However many requests fail, an outage writes a few lines to the log, not one (or a
traceback) per request.

Updates are read one by one: one that python-telegram-bot cannot read is skipped, and logged
without its contents, instead of failing every update fetched with it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import httpx
from telegram import Update
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter
from telegram.request import HTTPXRequest

if TYPE_CHECKING:
    from .metrics import Metrics

log = logging.getLogger(__name__)

# Only the updates citebot has handlers for; Telegram then sends no others.
ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY)
POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait for updates
# Seconds. A send waits telegram.read_timeout for Telegram's answer; getUpdates waits that beyond
# its long poll. Connecting is quick or not at all; an upload gets longer to go out.
CONNECT_TIMEOUT, WRITE_TIMEOUT, POOL_TIMEOUT, UPLOAD_WRITE_TIMEOUT = 10.0, 20.0, 5.0, 120.0
FIRST_PAUSE, LONGEST_PAUSE = 0.25, 5.0  # seconds between attempts to send a reply during an outage
NOT_KEPT = frozenset({"sendChatAction"})  # a late "typing…" is worthless: tried once
_RATE_LIMITER_LOG = "telegram.ext.AIORateLimiter"  # logs "Rate limit hit" for every 429
REPORT_EVERY = 60.0  # seconds between "still failing" lines while an outage lasts
GATHER = 1.0  # seconds: replies given up this close together are told in one line
SHAPE_CHARS = 200  # of a skipped update's outline in the log


class Undelivered(NetworkError):
    """The Bot API certainly did not act on the request (no connection, a connect timeout, a 5xx,
    a 429 without a wait), so sending it again cannot double it."""


def maybe_delivered(error: BaseException) -> bool:
    """A request that failed after it may have reached Telegram (a read or write timeout, the
    connection lost while waiting for the answer): it may have been carried out."""
    if isinstance(error, Undelivered) or not isinstance(error, NetworkError):
        return False
    return isinstance(error, TimedOut) or isinstance(error.__cause__, httpx.TransportError)


class BotApiRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, telling a request that never reached Telegram
    (`Undelivered`) from one that may have, and quiet about answers that are not JSON (a proxy's
    error page is not worth a traceback with its contents). Each failure is counted in `metrics`,
    and whether the Bot API answered at all (it is reachable) kept there for /health."""

    def __init__(self, metrics: Metrics | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: Any = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        except NetworkError as error:
            cause = error.__cause__
            if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
                self._count("no connection", reachable=False)
                raise Undelivered(f"no connection ({type(cause).__name__}: {cause})") from cause
            self._count("timeout" if isinstance(error, TimedOut) else "network", reachable=isinstance(error, TimedOut))
            raise
        if status >= 500 or (status == 429 and _retry_after(payload) is None):
            self._count("server error" if status >= 500 else "flood wait", reachable=status < 500)
            raise Undelivered(_status_text(status, payload))
        if self.metrics is not None:
            self.metrics.bot_api_reachable = True
            if status >= 400:
                self._count("flood wait" if status == 429 else "refused", reachable=True)
        return status, payload

    def _count(self, reason: str, reachable: bool) -> None:
        """A failed request, and whether it tells that the Bot API cannot be reached (a timeout
        does not: the request may have arrived)."""
        if self.metrics is not None:
            self.metrics.bot_api_failed(reason, reachable)

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            return json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            raise TelegramError("the Bot API answered with something that is not JSON") from None


class UpdatesRequest(BotApiRequest):
    """The client getUpdates uses. It reads the updates one by one: one that python-telegram-bot
    cannot read is replaced by an empty update with its id, which moves the offset past it, where
    the library would fail the whole batch and fetch it again, and fail again, for ever. An answer
    that is no list of updates is a failure, so that polling pauses before asking again. Failed
    polls are told as one outage, not one traceback each."""

    def __init__(self, metrics: Metrics | None = None, **kwargs: Any) -> None:
        super().__init__(metrics, **kwargs)
        self.outage = Outage("getting updates")
        self.skipped = SkippedUpdates()

    async def do_request(self, url: str, method: str, request_data: Any = None, **timeouts: Any) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(url, method, request_data, **timeouts)
            if status == 200:
                payload = self._readable(payload)
        except TelegramError as error:
            self.outage.failed(error)
            raise
        if status == 200:
            self.outage.ended()
        else:
            self.outage.failed(TelegramError(_status_text(status, payload)))
        return status, payload

    def _readable(self, payload: bytes) -> bytes:
        answer = self.parse_json_payload(payload)
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, list) or (result and all(_update_id(item) is None for item in result)):
            raise TelegramError("the Bot API answered getUpdates with something that is not a list of updates")
        readable = [
            item if read_update(item, None, self.skipped) is not None else {"update_id": _update_id(item)}
            for item in result
            if _update_id(item) is not None
        ]
        return payload if readable == result else json.dumps({**answer, "result": readable}).encode()


def read_update(data: object, bot: Any, skipped: SkippedUpdates) -> Update | None:
    """The update python-telegram-bot makes of `data` for `bot`, or None (and a line in the log
    without its contents) when it cannot read it."""
    try:
        update = Update.de_json(data if isinstance(data, dict) else {}, bot)
    except Exception as error:  # noqa: BLE001 — whatever the library raises on data it does not expect
        skipped.add(data, error)
        return None
    if update is None or not isinstance(data, dict):
        skipped.add(data, TypeError("not an update"))
        return None
    return update


class EveryMinute:
    """For lines that may come in floods: one a minute, counting the ones held back."""

    def __init__(self) -> None:
        self._next = 0.0
        self._held_back = 0

    def due(self) -> int | None:
        """None if a line now would come too soon (it is counted), else how many were held back."""
        now = time.monotonic()
        if now < self._next:
            self._held_back += 1
            return None
        self._next = now + REPORT_EVERY
        held_back, self._held_back = self._held_back, 0
        return held_back


class FloodLines(logging.Filter):
    """Lets one of a library's lines that come in floods through a minute (python-telegram-bot's
    "Rate limit hit" is one per 429), saying how many like it were held back."""

    def __init__(self) -> None:
        super().__init__()
        self._minute = EveryMinute()

    def filter(self, record: logging.LogRecord) -> bool:
        held_back = self._minute.due()
        if held_back is None:
            return False
        if held_back:
            record.msg = f"{record.msg} ({held_back} more like it held back in the last minute)"
        return True


class SkippedUpdates:
    """Updates python-telegram-bot could not read: each is logged by its outline alone — field
    names, never values, so no user's text reaches the log — at most one line a minute."""

    def __init__(self) -> None:
        self._lines = EveryMinute()

    def add(self, data: object, error: BaseException) -> None:
        held_back = self._lines.due()
        if held_back is None:
            return
        more = f" (and {held_back} more since the last such line)" if held_back else ""
        log.warning(
            "skipped update %s, which python-telegram-bot cannot read (%s): %s%s",
            _update_id(data),
            type(error).__name__,
            outline(data),
            more,
        )


def outline(data: object, limit: int = SHAPE_CHARS) -> str:
    """The shape of a JSON value — keys and nesting, no values — cut to `limit` characters."""

    def shape(value: object, depth: int) -> str:
        if isinstance(value, Mapping):
            if depth == 3:
                return "{…}"
            fields = [f"{key}: {shape(value[key], depth + 1)}" for key in list(value)[:12]]
            return "{" + ", ".join(fields) + ("…" if len(value) > 12 else "") + "}"
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            return "[…]" if value else "[]"
        return type(value).__name__

    text = shape(data, 0)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Outage:
    """A run of failed requests of one kind ("sending", "getting updates"), told in a few lines
    whatever the traffic: when it starts, at most once a minute while it lasts, when replies kept
    through it are given up (those given up together, in one line), and when it ends."""

    def __init__(self, doing: str, plan: str = "trying again with growing pauses") -> None:
        self.doing, self.plan = doing, plan
        self.started: float | None = None
        self.attempts = 0
        self.dropped = 0  # replies given up and not yet told
        self._next_report = 0.0
        self._last_drop: tuple[BaseException, float] | None = None
        self._telling: asyncio.TimerHandle | None = None
        self._next_drop_line = 0.0

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self.attempts += 1
        if self.started is None:
            self.started, self._next_report = now, now + REPORT_EVERY
            log.warning("%s failed (%s); %s", self.doing, _reason(error), self.plan)
        elif now >= self._next_report:
            self._next_report = now + REPORT_EVERY
            log.warning(
                "%s still failing after %.0f s (%d attempts; last: %s)",
                self.doing,
                now - self.started,
                self.attempts,
                _reason(error),
            )

    def gave_up(self, error: BaseException, tried_for: float) -> None:
        """A reply is dropped. It is told with those dropped within GATHER seconds of it, and at most
        one such line a minute while the outage lasts."""
        self.dropped += 1
        self._last_drop = (error, tried_for)
        if self._telling is None:
            wait = max(GATHER, self._next_drop_line - time.monotonic())
            self._telling = asyncio.get_running_loop().call_later(wait, self.tell_dropped)

    def tell_dropped(self) -> None:
        """One line for the replies given up since the last such line (also called at shutdown)."""
        if self._telling is not None:
            self._telling.cancel()
            self._telling = None
        if not self.dropped or self._last_drop is None:
            return
        error, tried_for = self._last_drop
        log.warning(
            "%s: gave up on %d %s after trying for %.0f s (last: %s); not delivered",
            self.doing,
            self.dropped,
            "reply" if self.dropped == 1 else "replies",
            tried_for,
            _reason(error),
        )
        self.dropped = 0
        self._next_drop_line = time.monotonic() + REPORT_EVERY

    def ended(self) -> None:
        self.tell_dropped()
        if self.started is None:
            return
        seconds, attempts = time.monotonic() - self.started, self.attempts
        self.started, self.attempts = None, 0
        log.info("%s works again after %.1f s (%d failed attempts)", self.doing, seconds, attempts)


class PatientRateLimiter(AIORateLimiter):
    """AIORateLimiter (flood limits; a RetryAfter is waited out) that also keeps a request the Bot
    API did not receive (`Undelivered`) and sends it again with growing pauses, for up to
    `retry_for` seconds after it was made, so an outage of that long loses no reply. Replies to one
    chat keep their order: each waits for the one before it.

    A timeout is not retried: the message may have been sent, and sending it twice is worse.
    """

    def __init__(self, retry_for: float = 60.0, metrics: Metrics | None = None, **limits: Any) -> None:
        super().__init__(**limits)
        self._rate_limit_lines = FloodLines()
        logging.getLogger(_RATE_LIMITER_LOG).addFilter(self._rate_limit_lines)
        self.retry_for = retry_for
        self.metrics = metrics
        self.outage = Outage("sending", f"keeping replies for up to {retry_for:g} s and sending them again")
        self._chat_turns: dict[object, _Turn] = {}

    async def shutdown(self) -> None:
        self.outage.tell_dropped()
        logging.getLogger(_RATE_LIMITER_LOG).removeFilter(self._rate_limit_lines)
        await super().shutdown()

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        request = functools.partial(super().process_request, callback, args, kwargs, endpoint, data, rate_limit_args)
        if endpoint in NOT_KEPT:
            return await self._send(request, endpoint, deadline=0.0)
        deadline = time.monotonic() + self.retry_for
        chat = data.get("chat_id")
        if chat is None:
            return await self._send(request, endpoint, deadline)
        turn = self._chat_turns.setdefault(chat, _Turn())
        turn.waiting += 1
        try:
            async with turn.lock:
                return await self._send(request, endpoint, deadline)
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._chat_turns[chat]

    async def _send(self, request: Callable[[], Awaitable[Any]], endpoint: str, deadline: float) -> Any:
        """The request, made again with growing pauses while the Bot API does not receive it, until
        `deadline` (a reply given up then is told by the outage)."""
        pause = FIRST_PAUSE
        while True:
            try:
                result = await request()
            except Undelivered as error:
                self.outage.failed(error)
                left = deadline - time.monotonic()
                if left <= 0:
                    if endpoint not in NOT_KEPT:
                        self.outage.gave_up(error, self.retry_for)
                    raise
                if self.metrics is not None:
                    self.metrics.bot_api_retries.inc()
                await asyncio.sleep(min(left, pause * random.uniform(0.75, 1.0)))
                pause = min(pause * 2, LONGEST_PAUSE)
            else:
                self.outage.ended()
                return result


class _Turn:
    """Requests to one chat, one after another."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


def http_clients(read_timeout: float, metrics: Metrics | None = None) -> tuple[BotApiRequest, UpdatesRequest]:
    """The HTTP clients for sending and for getUpdates, with timeouts that fit Telegram: a send
    waits `read_timeout` for the answer; a long poll waits that much beyond its own timeout."""
    sending = BotApiRequest(
        metrics,
        connection_pool_size=256,
        read_timeout=read_timeout,
        write_timeout=WRITE_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
        media_write_timeout=UPLOAD_WRITE_TIMEOUT,
    )
    polling = UpdatesRequest(
        metrics,
        connection_pool_size=1,
        read_timeout=read_timeout,  # python-telegram-bot adds the long poll's timeout to it
        write_timeout=WRITE_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
    )
    return sending, polling


def _update_id(data: object) -> int | None:
    value = data.get("update_id") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _retry_after(payload: bytes) -> object:
    try:
        answer = json.loads(payload)
    except ValueError:
        return None
    parameters = answer.get("parameters") if isinstance(answer, dict) else None
    return parameters.get("retry_after") if isinstance(parameters, dict) else None


def _status_text(status: int, payload: bytes) -> str:
    """Telegram's own description of the error when it gave one, else e.g. "Bad Gateway (502)"."""
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    description = answer.get("description") if isinstance(answer, dict) else None
    if isinstance(description, str) and description:
        return f"{description[:200]} ({status})"
    try:
        return f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        return f"HTTP {status}"


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, Undelivered) else f"{type(error).__name__}: {text}"
