"""Bot benchmark: the real citebot Application beside a minimal echo bot, same fake Bot API, same run.

    .venv/bin/python bench/bot.py                                  # 50 chats, 20 s per row
    .venv/bin/python bench/bot.py --seconds 10 --chats 20 --concurrency 8

Many private chats talk to the bot at once, closed loop: each chat sends its next question as soon
as the bot has replied to its previous one, so throughput and latency are measured together.
Questions: every question of ../shared/eval/dev.yaml (dialogue turns included), or
tests/data/own_questions.yaml without it; each chat cycles through them from its own offset.

Per row: replies per second (sendMessage replies the server recorded in the window), reply latency
p50/p95 (from the server pushing the update to it recording the bot's sendMessage to that chat;
the typing action is not a reply), and the CPU each side used. The echo bot is an ApplicationBuilder
Application with one MessageHandler replying with the text, the same concurrent_updates and the same
rate limiter: the ceiling for any bot on this framework. Both run with the rate limiter's flood
limits off (RetryAfter is still retried), with concurrent_updates on (the config default or
--concurrency) and off (1). "Start to ready" is from building citebot's Application (index already
on disk from a warm-up run) to its first getUpdates reaching the server; with no update pending,
that call's completion would only add the long-poll timeout.

The fake server (tests/fake_bot_api.py) runs in a child process, so its request handling does not
share the bot's GIL; it reports the requests per second it handled and its CPU use.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_bot_api import FakeBotApi  # noqa: E402
from telegram_harness import write_site  # noqa: E402

from bot.bot_api import PatientRateLimiter  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.evaluate import load_questions  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.telegram_bot.wiring import RETRY_AFTER_RETRIES, build_application, serving_engine  # noqa: E402

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.yaml"
OWN_QUESTIONS = ROOT / "tests" / "data" / "own_questions.yaml"
FIRST_CHAT = 1001
REPLY_TIMEOUT = 30.0  # seconds a chat waits for a reply before giving up
WARM_UP_SECONDS = 1.0


# --- the fake Bot API, in its own process ---------------------------------------------------------


class TimingBotApi(FakeBotApi):
    """FakeBotApi that times each question to the bot's first sendMessage in that chat.

    Events go to the benchmark as (key, value) over a pipe: ("started", base_url), ("polling", time
    of the first getUpdates), (chat_id, (asked, replied)) and ("mark", (requests, CPU seconds)).
    """

    def __init__(self, events: Connection) -> None:
        super().__init__()
        self._events = events
        self._sending = threading.Lock()
        self._asked_at: dict[int, float] = {}
        self._polled = False

    def ask(self, chat_id: int, text: str) -> None:
        self._asked_at[chat_id] = time.monotonic()
        self.message(text, chat_id=chat_id, user_id=chat_id)

    def report(self, key: object, value: object) -> None:
        with self._sending:
            self._events.send((key, value))

    def _api_getupdates(self, params: dict, files: dict) -> list[dict]:
        if not self._polled:
            self._polled = True
            self.report("polling", time.monotonic())
        return super()._api_getupdates(params, files)

    def _api_sendmessage(self, params: dict, files: dict) -> dict:
        message = super()._api_sendmessage(params, files)
        chat_id = message["chat"]["id"]
        asked = self._asked_at.pop(chat_id, None)
        if asked is not None:
            self.report(chat_id, (asked, time.monotonic()))
        return message


def serve(commands: Connection, events: Connection) -> None:
    """The child process: serve until told to stop, pushing questions and answering marks."""
    api = TimingBotApi(events).start()
    api.report("started", api.base_url)
    while (command := commands.recv())[0] != "stop":
        if command[0] == "ask":
            api.ask(*command[1:])
        else:
            api.report("mark", (len(api.calls), time.process_time()))
    api.stop()


class Exchange(NamedTuple):
    asked: float  # monotonic seconds, when the server pushed the question
    replied: float  # when the server recorded the bot's sendMessage to that chat


class FakeServer:
    """The benchmark's side of the child process: ask questions, await replies and marks."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # the bot's threads make fork unsafe
        child_commands, self._commands = context.Pipe(duplex=False)
        self._events, child_events = context.Pipe(duplex=False)
        self._process = context.Process(target=serve, args=(child_commands, child_events), daemon=True)
        self._waiting: dict[object, asyncio.Future] = {}
        self.base_url = ""
        self.first_poll: asyncio.Future[float] | None = None

    async def __aenter__(self) -> FakeServer:
        self._process.start()
        asyncio.get_running_loop().add_reader(self._events.fileno(), self._on_events)
        self.base_url = await self._expect("started")
        self.first_poll = self._expect("polling")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        asyncio.get_running_loop().remove_reader(self._events.fileno())
        self._commands.send(("stop",))
        self._process.join()

    async def ask(self, chat_id: int, text: str) -> Exchange:
        """Push a question from chat_id and wait for the bot's reply."""
        reply = self._expect(chat_id)
        self._commands.send(("ask", chat_id, text))
        return Exchange(*await asyncio.wait_for(reply, REPLY_TIMEOUT))

    async def mark(self) -> tuple[int, float]:
        """Requests the server has handled so far and the CPU seconds it has used."""
        marked = self._expect("mark")
        self._commands.send(("mark",))
        return await marked

    def _expect(self, key: object) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        return future

    def _on_events(self) -> None:
        try:
            while self._events.poll():
                key, value = self._events.recv()
                waiter = self._waiting.pop(key, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(value)
        except EOFError:  # the child process died; its traceback is on stderr
            asyncio.get_running_loop().remove_reader(self._events.fileno())
            for waiter in self._waiting.values():
                waiter.set_exception(RuntimeError("the fake Bot API process exited"))


# --- the two bots ---------------------------------------------------------------------------------


def build_citebot(site: Config, base_url: str, concurrency: int) -> Application:
    telegram = dataclasses.replace(site.telegram, base_url=base_url, concurrent_updates=concurrency)
    config = dataclasses.replace(site, telegram=telegram)
    store = Store(config.data)
    engine = serving_engine(config, store, notify=lambda notice: print(notice, file=sys.stderr))
    return build_application(config, engine, store)


def build_echo(site: Config, base_url: str, concurrency: int) -> Application:
    application = (
        ApplicationBuilder()
        .token(site.telegram.token)
        .base_url(base_url)
        .concurrent_updates(concurrency)
        .rate_limiter(PatientRateLimiter(max_retries=RETRY_AFTER_RETRIES, overall_max_rate=0, group_max_rate=0))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


BOTS: dict[str, Callable[[Config, str, int], Application]] = {"citebot": build_citebot, "echo": build_echo}


@asynccontextmanager
async def serving(application: Application) -> AsyncIterator[None]:
    """Start an Application as run_polling would (initialize, post_init, start, poll), stop it after."""
    async with application:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()
            if application.post_shutdown:
                await application.post_shutdown(application)


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Window:
    """What the closed loop measured in its window of `seconds`."""

    seconds: float
    latencies: list[float]  # of the replies within the window
    unanswered: int
    server_requests: int
    server_cpu: float
    bot_cpu: float  # this process: the bot, its worker threads and the simulated chats

    @property
    def replies_per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, percent: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[percent - 1] * 1000


@dataclass
class Row:
    bot: str
    concurrency: int
    start_to_ready: float
    window: Window


async def measure(bot: str, site: Config, concurrency: int, questions: list[str], chats: int, seconds: float) -> Row:
    """One row: a fresh fake server, the bot started on it, `chats` closed-loop chats for `seconds`."""
    async with FakeServer() as server:
        building = time.monotonic()
        async with serving(BOTS[bot](site, server.base_url, concurrency)):
            start_to_ready = await server.first_poll - building
            window = await closed_loop(server, questions, chats, seconds)
    return Row(bot, concurrency, start_to_ready, window)


async def closed_loop(server: FakeServer, questions: list[str], chats: int, seconds: float) -> Window:
    """Every chat asks its next question when the previous one is answered, until the window closes."""
    requests_before, server_cpu_before = await server.mark()
    bot_cpu_before = time.process_time()
    deadline = time.monotonic() + seconds
    conversations = [
        asyncio.create_task(converse(server, FIRST_CHAT + n, questions, n, deadline)) for n in range(chats)
    ]
    await asyncio.sleep(deadline - time.monotonic())
    requests_after, server_cpu_after = await server.mark()
    bot_cpu = time.process_time() - bot_cpu_before
    exchanges = [exchange for chat in await asyncio.gather(*conversations) for exchange in chat]
    return Window(
        seconds,
        latencies=[e.replied - e.asked for e in exchanges if e is not None and e.replied <= deadline],
        unanswered=exchanges.count(None),
        server_requests=requests_after - requests_before,
        server_cpu=server_cpu_after - server_cpu_before,
        bot_cpu=bot_cpu,
    )


async def converse(
    server: FakeServer, chat_id: int, questions: list[str], offset: int, deadline: float
) -> list[Exchange | None]:
    """Ask, wait for the reply, ask the next, until the deadline; None marks a question left unanswered."""
    exchanges: list[Exchange | None] = []
    for question in itertools.islice(itertools.cycle(questions), offset % len(questions), None):
        if time.monotonic() >= deadline:
            break
        try:
            exchanges.append(await server.ask(chat_id, question))
        except TimeoutError:
            exchanges.append(None)
            break
    return exchanges


def question_texts() -> tuple[list[str], Path]:
    path = DEV_QUESTIONS if DEV_QUESTIONS.exists() else OWN_QUESTIONS
    return [question.question for question in load_questions(path)], path


# --- output ---------------------------------------------------------------------------------------


HEADINGS = (
    "bot",
    "concurrent_updates",
    "replies/s",
    "p50 ms",
    "p95 ms",
    "replies",
    "server req/s",
    "server CPU",
    "bot CPU",
)


def print_report(rows: list[Row], chats: int, seconds: float, questions: int, source: Path) -> None:
    print(f"{chats} chats, closed loop, {seconds:g} s per row; {questions} questions from {source}")
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs; 1-minute load average {load:.1f} at the end, this benchmark's own ~1 included.")
    print("Rate limiter flood limits off (RetryAfter still retried); fake Bot API in a child process.")
    print(table_line(HEADINGS))
    for row in rows:
        print(table_line(row_cells(row)))
    for citebot, echo_row in pairs(rows):
        mine, ceiling = citebot.window, echo_row.window
        ratios = [
            mine.replies_per_second / ceiling.replies_per_second,
            mine.percentile_ms(50) / ceiling.percentile_ms(50),
            mine.percentile_ms(95) / ceiling.percentile_ms(95),
        ]
        print(table_line(["citebot/echo", str(citebot.concurrency), *(f"{ratio:.2f}x" for ratio in ratios)]))
    citebot_rows = [row for row in rows if row.bot == "citebot"]
    ready = [f"{row.start_to_ready:.2f} s (concurrent_updates {row.concurrency})" for row in citebot_rows]
    print(f"citebot start to ready, Application built -> first getUpdates at the server: {', '.join(ready)}")
    for row in rows:
        if row.window.unanswered:
            print(f"! {row.bot}, concurrent_updates {row.concurrency}: {row.window.unanswered} questions got no reply")


def row_cells(row: Row) -> list[str]:
    window = row.window
    return [
        row.bot,
        str(row.concurrency),
        f"{window.replies_per_second:.1f}",
        f"{window.percentile_ms(50):.1f}",
        f"{window.percentile_ms(95):.1f}",
        str(len(window.latencies)),
        f"{window.server_requests / window.seconds:.0f}",
        f"{window.server_cpu / window.seconds:.0%}",
        f"{window.bot_cpu / window.seconds:.0%}",
    ]


def table_line(cells: Sequence[str]) -> str:
    """The first cell left-aligned, the others right-aligned under their headings."""
    first, *rest = cells
    return f"{first:<13}" + "".join(f"{cell:>{len(heading) + 2}}" for cell, heading in zip(rest, HEADINGS[1:]))


def pairs(rows: list[Row]) -> list[tuple[Row, Row]]:
    """(citebot row, echo row) for each concurrency, in the order measured."""
    by_key = {(row.bot, row.concurrency): row for row in rows}
    return [(row, by_key[("echo", row.concurrency)]) for row in rows if row.bot == "citebot"]


# --- main -----------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, folder: Path) -> None:
    questions, source = question_texts()
    unstarted = FakeBotApi()  # lends write_site its token; each row's server URL is set in build_*
    site = load_config(write_site(folder, unstarted, flood_limits=False), {})
    concurrency = args.concurrency or site.telegram.concurrent_updates
    print("warming up (builds the index)…", file=sys.stderr, flush=True)
    await measure("citebot", site, concurrency, questions, args.chats, WARM_UP_SECONDS)
    rows = []
    for concurrent_updates in (concurrency, 1):
        for bot in BOTS:
            print(f"measuring {bot}, concurrent_updates {concurrent_updates}…", file=sys.stderr, flush=True)
            rows.append(await measure(bot, site, concurrent_updates, questions, args.chats, args.seconds))
    print_report(rows, args.chats, args.seconds, len(questions), source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per row")
    parser.add_argument("--chats", type=int, default=50, help="chats asking at the same time")
    parser.add_argument("--concurrency", type=int, help="concurrent_updates when on (default: the config's)")
    args = parser.parse_args()
    if args.concurrency is not None and args.concurrency < 2:
        parser.error("--concurrency is the 'on' setting, at least 2; 1 (off) is always measured")
    with tempfile.TemporaryDirectory(prefix="citebot-bench-") as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
