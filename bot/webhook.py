"""Webhook mode: a small HTTP server that takes the updates Telegram posts and hands them to the
Application, in place of python-telegram-bot's own.

Every request is judged on its headers, before its body is read: without the secret token it is
refused (403), and a body declared larger than MAX_BODY is refused (413); a body that turns out
larger is cut off there. So an unauthenticated caller can make the bot read nothing, and anyone at
most MAX_BODY. When no secret is configured, a strong one is made at start and registered with
setWebhook; it is kept out of every log line either way. An update python-telegram-bot cannot read
is skipped (logged without its contents) and acknowledged, so that Telegram does not send it
again and again.

It speaks plain HTTP: Telegram posts to an https:// URL, so a TLS reverse proxy sits in front. It
also answers GET /health and /metrics (bot.metrics), for the operator: the proxy need not pass them on.
It listens before the index is loaded, so that /health says 503 meanwhile rather than nothing
answering; an update posted before the bot has started (a webhook left registered by an earlier run)
is refused with 503, which Telegram sends again later, not taken and lost if the start fails.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
from typing import Any

import tornado.httpserver
import tornado.web
from telegram.error import BadRequest
from telegram.ext import Application

from .bot_api import ALLOWED_UPDATES, EveryMinute, SkippedUpdates, read_update
from .config import WebhookSettings
from .errors import UserError
from .metrics import Metrics, monitoring_routes
from .redact import hide_in_logs

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; an update is a few kilobytes
BODY_SECONDS = 30  # a body that takes longer to arrive is dropped
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(settings: WebhookSettings) -> str:
    """The configured secret token, or a strong one made for this run; hidden in logs either way."""
    secret = settings.secret_token or secrets.token_urlsafe(32)  # A-Z a-z 0-9 _ -, as Telegram allows
    hide_in_logs(secret, "<webhook secret>")
    return secret


class WebhookServer:
    """Listens on telegram.webhook.listen:port/path and registers the URL (with the secret and the
    update types citebot handles) with setWebhook."""

    def __init__(self, application: Application, settings: WebhookSettings, metrics: Metrics | None = None) -> None:
        self.application = application
        self.settings = settings
        self.metrics = metrics
        self.secret = webhook_secret(settings)
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        self.listen()
        await self.register()

    def listen(self) -> None:
        """Serve the webhook's path (and /health and /metrics) from now on; updates are refused with
        503 until the Application is running."""
        settings = self.settings
        if not _loopback(settings.listen):
            log.warning(
                "telegram.webhook.listen is %s: the webhook server speaks plain HTTP and other machines can "
                "reach it; keep it on 127.0.0.1 behind the TLS reverse proxy that telegram.webhook.url points at, "
                "unless that proxy runs on another machine (then firewall the port to it)",
                settings.listen,
            )
        routes = [
            (
                rf"/{settings.path.strip('/')}/?",
                _UpdateHandler,
                {"inbox": _Inbox(self.application, self.secret)},
            )
        ]
        if self.metrics is not None:
            routes += monitoring_routes(self.metrics)
        app = tornado.web.Application(routes, log_function=lambda handler: None)  # no access log
        self._server = tornado.httpserver.HTTPServer(
            app, max_body_size=MAX_BODY, max_buffer_size=2 * MAX_BODY, body_timeout=BODY_SECONDS
        )
        try:
            self._server.listen(settings.port, address=settings.listen)
        except OSError as error:
            raise UserError(
                f"telegram.webhook: cannot listen on {settings.listen}:{settings.port}: {error.strerror or error}"
            ) from None

    async def register(self) -> None:
        """Tell Telegram to post updates to telegram.webhook.url (once the bot can take them)."""
        settings = self.settings
        try:
            await self.application.bot.set_webhook(
                settings.url, secret_token=self.secret, allowed_updates=list(ALLOWED_UPDATES)
            )
        except BadRequest as error:
            await self.stop()
            raise UserError(f"Telegram refused telegram.webhook.url {settings.url}: {error.message}") from None
        log.info("webhook: listening on %s:%d/%s for %s", settings.listen, settings.port, settings.path, settings.url)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


class _Inbox:
    """What the request handlers share: where updates go, the secret, and the refusal count."""

    def __init__(self, application: Application, secret: str) -> None:
        self.application = application
        self.secret = secret.encode()
        self.skipped = SkippedUpdates()
        self.refusals = EveryMinute()

    def refused(self, request: Any, status: int, why: str) -> None:
        held_back = self.refusals.due()
        if held_back is not None:
            more = f" ({held_back} more refused since the last such line)" if held_back else ""
            log.warning("webhook: refused a request from %s (%d: %s)%s", request.remote_ip, status, why, more)


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    """One POST from Telegram: checked on its headers, read up to MAX_BODY, queued as an update."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, inbox: _Inbox) -> None:
        self.inbox = inbox
        self.body = bytearray()

    def prepare(self) -> None:
        token = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(token, self.inbox.secret):
            self._refuse(403, "no secret token" if not token else "wrong secret token")
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            self._refuse(413, f"body of {length[:20]} bytes")
        if not self.inbox.application.running:
            self._refuse(503, "the bot is still starting")
        self.request.connection.set_max_body_size(MAX_BODY)

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    async def post(self) -> None:
        try:
            data = json.loads(self.body)
        except ValueError:
            self._refuse(400, "not JSON")
        update = read_update(data, self.inbox.application.bot, self.inbox.skipped)
        if update is not None:
            await self.inbox.application.update_queue.put(update)
        self.set_status(200)  # a skipped update too: Telegram would only send it again

    def _refuse(self, status: int, why: str) -> None:
        self.inbox.refused(self.request, status, why)
        raise tornado.web.HTTPError(status)

    def log_exception(self, kind: Any, error: Any, trace: Any) -> None:
        """Refusals are logged by _Inbox.refused, once a minute at most; anything else is a bug."""
        if not isinstance(error, tornado.web.HTTPError):
            log.error("webhook: error while taking an update", exc_info=(kind, error, trace))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
