"""What an operator watches: `GET /health` for a load balancer or a service manager, and Prometheus
metrics at `GET /metrics` for a dashboard.

The bot is ready once its index is loaded and the Bot API last answered; until then, and while the
Bot API cannot be reached, /health says 503 with the reason. The metrics (prometheus_client, in a
registry of the bot's own) count questions answered and abstained, time answers, count failed Bot
API requests by reason and the replies sent again, and show the index's size and age and how long
reindexing takes. Both are served by the webhook server, or in polling mode by a MonitoringServer
on telegram.metrics.listen:port. Neither shows a question, a chat or the token.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .config import MetricsSettings
from .errors import UserError

log = logging.getLogger(__name__)

ANSWER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # seconds
REINDEX_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)  # seconds


class Metrics:
    """The bot's health and its Prometheus metrics, fed by bot/telegram_bot and bot_api."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.index_loaded = False
        self.bot_api_reachable = False
        self._index_built = 0.0  # seconds since the epoch
        self.questions = Counter(
            "citebot_questions",
            "Questions answered from the documents or abstained from (the documents do not answer).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("answered", "abstained"):
            self.questions.labels(outcome)
        self.answer_seconds = Histogram(
            "citebot_answer_seconds", "Time to answer a question.", buckets=ANSWER_BUCKETS, registry=self.registry
        )
        self.bot_api_errors = Counter(
            "citebot_bot_api_errors", "Failed Bot API requests, by reason.", ["reason"], registry=self.registry
        )
        for reason in BOT_API_FAILURES:
            self.bot_api_errors.labels(reason)
        self.bot_api_retries = Counter(
            "citebot_bot_api_retries",
            "Requests sent again because the Bot API did not receive them (an outage).",
            registry=self.registry,
        )
        self.index_documents = Gauge("citebot_index_documents", "Documents in the index.", registry=self.registry)
        self.index_passages = Gauge("citebot_index_passages", "Passages in the index.", registry=self.registry)
        self.index_skipped = Gauge("citebot_index_skipped_files", "Corpus files not indexed.", registry=self.registry)
        age = Gauge("citebot_index_age_seconds", "Seconds since the index was built.", registry=self.registry)
        age.set_function(lambda: time.time() - self._index_built if self._index_built else 0.0)
        self.reindex_seconds = Histogram(
            "citebot_reindex_seconds", "Time a reindex took.", buckets=REINDEX_BUCKETS, registry=self.registry
        )
        ready = Gauge("citebot_ready", "1 when /health says ready, else 0.", registry=self.registry)
        ready.set_function(lambda: float(self.ready))

    @property
    def ready(self) -> bool:
        return self.index_loaded and self.bot_api_reachable

    def index_in_use(self, documents: int, passages: int, skipped: int, saved_as: Path) -> None:
        """The index answering now; its age counts from its file's time (from now when it was not saved)."""
        self.index_documents.set(documents)
        self.index_passages.set(passages)
        self.index_skipped.set(skipped)
        try:
            self._index_built = saved_as.stat().st_mtime
        except OSError:
            self._index_built = time.time()
        self.index_loaded = True

    def asked(self, answered: bool, seconds: float) -> None:
        self.questions.labels("answered" if answered else "abstained").inc()
        self.answer_seconds.observe(seconds)

    def bot_api_failed(self, reason: str, reachable: bool) -> None:
        self.bot_api_errors.labels(reason).inc()
        if not reachable:
            self.bot_api_reachable = False

    def health(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body of GET /health."""
        problems = []
        if not self.index_loaded:
            problems.append("the index is not loaded yet")
        if not self.bot_api_reachable:
            problems.append(
                "the Bot API has not answered" if not self.index_loaded else "the Bot API cannot be reached"
            )
        body: dict[str, Any] = {"status": "ready" if not problems else "not ready"}
        if problems:
            body["problems"] = problems
        return (200 if not problems else 503), body


BOT_API_FAILURES = ("no connection", "server error", "timeout", "network", "flood wait", "refused")


def monitoring_routes(metrics: Metrics) -> list[tuple[str, type, dict[str, Any]]]:
    """Tornado routes for /health and /metrics."""
    return [
        (r"/health/?", _HealthHandler, {"metrics": metrics}),
        (r"/metrics/?", _MetricsHandler, {"metrics": metrics}),
    ]


class _HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        status, body = self.metrics.health()
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body) + "\n")

    head = get


class _MetricsHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(self.metrics.registry))


class MonitoringServer:
    """/health and /metrics on their own port, for polling mode (which has no server of its own)."""

    def __init__(self, metrics: Metrics, settings: MetricsSettings) -> None:
        self.metrics = metrics
        self.settings = settings
        self._server: tornado.httpserver.HTTPServer | None = None

    def start(self) -> None:
        app = tornado.web.Application(monitoring_routes(self.metrics), log_function=lambda handler: None)
        self._server = tornado.httpserver.HTTPServer(app)
        try:
            self._server.listen(self.settings.port, address=self.settings.listen)
        except OSError as error:
            raise UserError(
                f"telegram.metrics: cannot listen on {self.settings.listen}:{self.settings.port}: "
                f"{error.strerror or error}"
            ) from None
        log.info("health and metrics on http://%s:%d/health and /metrics", self.settings.listen, self.settings.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
