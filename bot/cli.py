"""`citebot run | reindex | ask | chat | eval | feedback`: thin commands over the engine.

Every command takes --config, --corpus and --index after its name. A user's mistake (bad config,
missing corpus, malformed question file) ends in one line on stderr and exit status 2; a reindex
whose index could not be saved (a full disk, a read-only folder), in one line and exit status 1.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from . import feedback, logs, render, translations
from .answer import Answer
from .config import TOKEN_ENV, Config, load_config
from .engine import Engine
from .errors import UserError
from .redact import hide_in_logs

log = logging.getLogger("citebot")

HISTORY_FILE = "console_history"  # in the data folder: the console chat's earlier questions
HISTORY_LINES = 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    hide_in_logs(os.environ.get(TOKEN_ENV, "").strip())  # a bad config value might quote it
    logs.setup(_log_level(args, os.environ.get(logs.LEVEL_ENV, "")))  # until the config says more
    try:
        config = load_config(args.config, os.environ, corpus=args.corpus, index=args.index)
        hide_in_logs(config.telegram.token)
        logs.setup(_log_level(args, config.logging.level), config.logging.format)
        return args.command(args, config)
    except UserError as error:
        log.error("%s", error)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `citebot ask … | head`: the reader has all it wanted
        _quiet_stdout()
        return 141  # as if SIGPIPE had ended it, which is what a shell expects


def _log_level(args: argparse.Namespace, configured: str) -> int:
    """--log-level, else -v (debug), else the configured (or CITEBOT_LOG_LEVEL) level, else info."""
    chosen = args.log_level or ("debug" if args.verbose else configured)
    try:
        return logs.level_of(chosen) if chosen else logging.INFO
    except ValueError:  # a bad CITEBOT_LOG_LEVEL, before the config check names it
        return logging.INFO


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # stdout is no file (captured in a test)
        pass


class _Version(argparse.Action):
    """--version, reading the installed version only when asked (importlib.metadata takes a while)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from importlib.metadata import version

        print(f"citebot {version('citebot')}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="config file (default: ./config.yaml if present)")
    common.add_argument("--corpus", type=Path, help="folder of documents (overrides the config)")
    common.add_argument("--index", type=Path, help="folder for the built index (overrides the config)")
    _logging_options(common, argparse.SUPPRESS)  # before or after the command: not reset by the command's

    parser = argparse.ArgumentParser(prog="citebot", description="Answers questions from documents, citing them.")
    parser.add_argument("--version", action=_Version)
    _logging_options(parser, None)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", parents=[common], help="the Telegram bot, or the console chat without a token")
    run.set_defaults(command=_run)

    reindex = commands.add_parser("reindex", parents=[common], help="rebuild the index from the corpus")
    reindex.set_defaults(command=_reindex)

    ask = commands.add_parser("ask", parents=[common], help="answer one question (or JSON lines on stdin)")
    ask.add_argument("question", nargs="*", help="the question (quotes optional); omit with --jsonl")
    ask.add_argument("-k", type=int, default=None, help="number of results (default: answer.top_k)")
    form = ask.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the answer as JSON")
    form.add_argument("--jsonl", action="store_true", help='read {"chat", "text"} lines on stdin, write answers')
    ask.set_defaults(command=_ask)

    chat = commands.add_parser("chat", parents=[common], help="an interactive console conversation")
    chat.set_defaults(command=_chat)

    run_eval = commands.add_parser("eval", parents=[common], help="measure answers against a question file")
    run_eval.add_argument("file", type=Path, help="questions in the format of shared/eval/dev.yaml")
    run_eval.add_argument("--json", action="store_true", help="print the figures as JSON")
    run_eval.add_argument(
        "--one-chat", action="store_true", help="ask every question in one conversation (does memory hurt?)"
    )
    run_eval.set_defaults(command=_eval)

    report = commands.add_parser(
        "feedback", parents=[common], help="what users voted down, what went unanswered, what is asked most"
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("-n", type=int, default=feedback.SHOWN, help="entries per list (default: %(default)s)")
    report.set_defaults(command=_feedback)
    return parser


def _logging_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=default or False, help="log debug lines too")
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=logs.LEVELS,
        default=default,
        help=f"least important lines logged (default: info, or {logs.LEVEL_ENV}, or logging.level)",
    )


def _notice(message: str) -> None:
    """What the engine tells whoever runs it (an index being rebuilt, a file skipped)."""
    log.info("%s", message)


def _engine(config: Config, k: int | None = None, progress: bool = False) -> Engine:
    if k is not None:
        if not 1 <= k <= 50:
            raise UserError(f"-k must be between 1 and 50 (got {k})")
        config = replace(config, answer=replace(config.answer, top_k=k))
    return Engine(config, notify=_notice, progress=progress)


def _run(args: argparse.Namespace, config: Config) -> int:
    if not config.telegram.token:
        log.warning(f"no Telegram token configured (telegram.token or {TOKEN_ENV}): starting the console chat")
        return _chat(args, config)
    from .telegram_bot import wiring  # the Telegram stack takes longer to import than `ask` takes to answer

    return wiring.run(config, _notice)


def _reindex(args: argparse.Namespace, config: Config) -> int:
    report = _engine(config, progress=True).reindex()
    if report.save_error:  # a cron job must not believe it: the index on disk is the previous one
        log.error("%s: the index there was left as it was", report.save_error)
        return 1
    reused = f" ({report.reused} unchanged, reused)" if report.reused else ""
    print(
        f"indexed {report.documents} documents{reused}, {report.passages} passages, "
        f"{report.vocabulary} terms in {report.seconds:.2f} s → {config.index}"
    )
    for skipped in report.skipped:
        print(f"skipped {skipped.doc_id}: {skipped.reason}")
    return 0


def _ask(args: argparse.Namespace, config: Config) -> int:
    engine = _engine(config, args.k)
    if args.jsonl:
        return _ask_lines(engine, sys.stdin, sys.stdout)
    if not " ".join(args.question):
        raise UserError('ask needs a question, e.g. citebot ask "When was the declaration signed?" (or --jsonl)')
    answer = engine.ask(" ".join(args.question))
    if args.json:
        print(json.dumps(render.answer_json(answer), ensure_ascii=False, indent=2))
    else:
        print(render.console_text(answer, tr=translations.for_locale(os.environ)))
    return 0


def _ask_lines(engine: Engine, lines: TextIO, out: TextIO) -> int:
    """One JSON answer per input line, in order, with its `chat` as given (a number stays a number);
    a bad line gets an error object, with its `chat` when it has one, not a stop."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        chat = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError('expected an object with a "text" string')
            chat = request.get("chat")
            if not isinstance(request.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            if isinstance(chat, bool) or not isinstance(chat, (str, int, type(None))):
                chat = None
                raise ValueError('"chat" must be a string or a whole number')
        except ValueError as error:
            out.write(json.dumps({"chat": chat, "line": number, "error": f"not a question: {error}"}) + "\n")
            out.flush()
            continue
        reply = render.answer_json(engine.ask(request["text"], chat="" if chat is None else str(chat)))
        out.write(json.dumps({"chat": chat, **reply}, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def _chat(args: argparse.Namespace, config: Config) -> int:
    """The console conversation, in the locale's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    tr = translations.for_locale(os.environ)
    engine = _engine(config)
    index = engine.index
    interactive = sys.stdin.isatty()
    if interactive:
        passages = tr.ngettext("{count} passage", "{count} passages", len(index)).format(count=len(index))
        print(
            tr.ngettext(
                "citebot — {documents} document, {passages} from {corpus}.",
                "citebot — {documents} documents, {passages} from {corpus}.",
                len(index.documents),
            ).format(documents=len(index.documents), passages=passages, corpus=config.corpus)
            + "\n"
            + tr.gettext(
                "Ask a question, then follow it up (“who ratified it?”, “and what about …?”);\n"
                ":reset forgets the earlier questions, :sources lists the documents, :quit (or Ctrl-D) leaves."
            )
        )
        _line_editing(config.data / HISTORY_FILE)
        print(
            tr.gettext(
                ":more shows an answer's other results; ↑ and ↓ recall earlier questions, this session's and before."
            )
        )
    last: Answer | None = None
    while True:
        try:
            question = input(tr.gettext("you> ") if interactive else "")
        except EOFError:
            return 0
        command = question.strip().lower()
        if command in (":quit", ":q", ":exit"):
            return 0
        if command == ":reset":
            engine.conversations.forget("console")
            print(tr.gettext("(forgot the earlier questions)") + "\n" if interactive else "", end="", flush=True)
            continue
        if command == ":sources":
            for doc in index.documents:
                passages = tr.ngettext("{count} passage", "{count} passages", doc.passage_count)
                print(f"  {doc.doc_id}: {doc.title} ({passages.format(count=doc.passage_count)})")
            continue
        if command == ":more":
            more = render.console_more(last, tr=tr) if last is not None else ""
            print(more or tr.gettext("(no more results: ask a question)"), end="\n\n", flush=True)
            continue
        if not command:
            continue
        last = engine.ask(question, chat="console")
        print(render.console_reply(last, tr), end="\n\n", flush=True)


def _line_editing(history: Path) -> None:
    """Arrow keys and Ctrl-R at the prompt (readline), with the questions of earlier sessions; the
    history is saved at exit in the data folder."""
    try:
        import readline
    except ImportError:  # Python built without it: plain input() still works
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(HISTORY_LINES)

    def save() -> None:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)

    atexit.register(save)


def _eval(args: argparse.Namespace, config: Config) -> int:
    from . import evaluate  # here, as the store in _feedback: a one-shot `ask` should not wait for their imports

    questions = evaluate.load_questions(args.file)
    engine = _engine(config)
    report = evaluate.run(questions, lambda question, chat: engine.ask(question, chat=chat), args.one_chat)
    if args.json:
        print(json.dumps(evaluate.to_json(report), ensure_ascii=False, indent=2))
    else:
        print(evaluate.format_table(report))
    return 0


def _feedback(args: argparse.Namespace, config: Config) -> int:
    if args.n < 1:
        raise UserError(f"-n must be at least 1 (got {args.n})")
    from .store import STORE_FILE, Store

    if not (config.data / STORE_FILE).is_file():
        asked: list[tuple[str, bool]] = []
        votes: list[tuple[str, str, int, int]] = []
    else:
        store = Store(config.data, config.store)
        try:
            asked, votes = store.asked(), store.votes()
        finally:
            store.close()
    report = feedback.build(asked, votes, args.n)
    if args.json:
        print(json.dumps(feedback.to_json(report), ensure_ascii=False, indent=2))
    else:
        print(feedback.format_text(report))
        if not asked and not votes:
            print(f"\n(nothing recorded yet in {config.data}: the Telegram bot records questions and votes there)")
    return 0
