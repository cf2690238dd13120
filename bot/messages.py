"""What the bot says besides its answers: /start, /help, /sources and /stats, the reindex and upload
reports, the buttons' labels, the command menus, and its short replies (an expired button, a command
for admins only, …). Answers themselves are rendered by render.

Each text is Telegram HTML in the reader's language, marked where it is written — `tr.gettext(...)`,
`tr.ngettext(...)`, or N_() for a constant translated where it is shown — so that `make catalogs`
finds it. Plain strings only: bot/telegram_bot sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from . import render
from .translations import N_, Translator

if TYPE_CHECKING:
    from .engine import BuildReport
    from .index import DocumentInfo
    from .store import ServedStats

# --- the command menus: (command, what it does) ---------------------------------------------

COMMAND_MENU = (
    ("start", N_("what I know, with example questions")),
    ("help", N_("how to ask and what the buttons do")),
    ("sources", N_("the documents I answer from")),
    ("ask", N_("ask a question (handy in groups)")),
    ("reset", N_("forget this chat's earlier questions")),
)
ADMIN_MENU = (
    ("reindex", N_("rebuild the index from the corpus folder")),
    ("stats", N_("documents, passages, questions served")),
    ("feedback", N_("answers voted down, questions not answered, most asked")),
)

# --- the buttons' labels ----------------------------------------------------------------------

MORE = N_("More")
CONTEXT = N_("Context")
SOURCE = N_("Source")
ANSWER = N_("Answer")  # back from a passage's context to the answer
EARLIER = N_("◀ Earlier")
LATER = N_("Later ▶")
NUMBERED_CONTEXT = N_("Context {number}")  # under More's list, for the result numbered so
NUMBERED_SOURCE = N_("Source {number}")

# --- short replies ----------------------------------------------------------------------------

ASK_HOW = N_("Ask after the command, e.g. <code>/ask When was the treaty signed?</code>")
NON_TEXT_HINT = N_("I answer questions written as text — type one, e.g. what you want to know about the documents.")
UNKNOWN_COMMAND = N_("I don't know that command. /help lists what I do.")
FORGOTTEN = N_("Done — I've forgotten this chat's earlier questions.")
ADMINS_ONLY = N_("Sorry, only the bot's admins can do that.")

EXPIRED = N_("This answer has expired — please ask the question again.")
OUTDATED = N_("The documents have changed since this answer and that passage is gone — please ask again.")
MISMATCHED = N_("This button no longer matches the answer — please ask again.")
NO_MORE = N_("There are no more results for this question.")
VOTED_UP = N_("Thanks — glad it helped.")
VOTED_DOWN = N_("Thanks — noted, so the documents can be improved.")
VOTE_NOT_KEPT = N_("Sorry — I cannot keep votes just now. Please try again later.")

REINDEXING = N_("Reindexing the corpus; I keep answering meanwhile…")
NO_FEEDBACK = N_("The bot's data file cannot be read just now (the log says why), so there is no report.")

BUTTON_FAILED = N_("Sorry, that didn't work. Please try again.")
MESSAGE_FAILED = N_("Sorry, something went wrong with that. Please try again.")


def passages(count: int, tr: Translator) -> str:
    """ "12 passages", said in the reader's language."""
    return tr.ngettext("{count} passage", "{count} passages", count).format(count=count)


# --- everyone's commands ----------------------------------------------------------------------


def start_html(documents: int, passage_count: int, examples: Sequence[str], tr: Translator) -> str:
    """/start: what the bot knows, and questions it answers well."""
    lines = [
        tr.ngettext(
            "Hello! I answer questions from {documents} document ({passages}), "
            "quoting the passage that answers and saying where it comes from.",
            "Hello! I answer questions from {documents} documents ({passages}), "
            "quoting the passage that answers and saying where it comes from.",
            documents,
        ).format(documents=documents, passages=passages(passage_count, tr)),
    ]
    if examples:
        lines += ["", tr.gettext("Try:")] + [f"• <i>{escape(question)}</i>" for question in examples]
    lines += ["", tr.gettext("/sources lists the documents, /help explains the buttons and groups.")]
    return "\n".join(lines)


def help_html(username: str, admin: bool, tr: Translator) -> str:
    """/help: how to ask and what the buttons do; for an admin, the admin commands too."""
    username = escape(username)
    lines = [
        tr.gettext(
            "Send me a question as a message. I reply with the passage that answers it, the answering "
            "sentence in bold (commands and tables in monospace), and its source (document, section and "
            "passage number)."
        ),
        "",
        tr.gettext(
            "<b>More</b> shows the next results, <b>Context</b> the passages around the answer, "
            "<b>Source</b> the document itself."
        ),
        tr.gettext("If the documents don't answer, I say so and show the closest passages."),
        "",
        tr.gettext(
            "Follow-up questions work: after a question about a treaty, ask <i>Who signed it?</i>; "
            "<i>What about …?</i> asks the last question again about something else. "
            "I remember a chat's last few questions for a while; /reset makes me forget them."
        ),
        tr.gettext("<b>👍 / 👎</b> tell the people who keep the documents which answers help and which don't."),
        "",
        tr.gettext(
            "In groups, mention me (@{username} your question), reply to one of my answers, or use /ask."
        ).format(username=username),
        tr.gettext("In any chat, type @{username} and a question to share a cited answer.").format(username=username),
    ]
    if admin:
        lines += [
            "",
            tr.gettext(
                "Admin: /reindex rebuilds the index, /stats shows usage, /feedback what users voted down and "
                "what went unanswered; send a document to add it."
            ),
        ]
    return "\n".join(lines)


def sources_html(documents: Sequence[DocumentInfo], tr: Translator) -> str:
    """/sources: the documents, as many as fit one message."""
    lines = [tr.ngettext("{count} document:", "{count} documents:", len(documents)).format(count=len(documents))]
    for shown, document in enumerate(documents):
        line = f"• <b>{escape(document.title)}</b> — {escape(document.doc_id)} ({passages(document.passage_count, tr)})"
        if sum(len(existing) + 1 for existing in lines) + len(line) > render.TELEGRAM_LIMIT - 40:
            lines.append(tr.gettext("… and {count} more").format(count=len(documents) - shown))
            break
        lines.append(line)
    return "\n".join(lines)


# --- admins' commands -------------------------------------------------------------------------


def stats_html(documents: int, passage_count: int, skipped: int, served: ServedStats | None, tr: Translator) -> str:
    """/stats: the index in use, and the questions served (None: the store cannot be read)."""
    if served is None:
        questions = median = tr.gettext("unknown (the bot's data file cannot be read; the log says why)")
    else:
        questions = str(served.questions)
        median = (
            tr.gettext("{milliseconds} ms").format(milliseconds=f"{served.median_seconds * 1000:.0f}")
            if served.median_seconds is not None
            else "—"
        )
    return tr.gettext(
        "Documents: {documents}\nPassages: {passages}\nSkipped files: {skipped}\n"
        "Questions served: {questions}\nMedian answer time: {median}"
    ).format(documents=documents, passages=passage_count, skipped=skipped, questions=questions, median=median)


def feedback_html(report: str) -> str:
    """/feedback: `citebot feedback`'s plain-text report, cut to fit one message."""
    budget = render.TELEGRAM_LIMIT
    while len(reply := f"<pre>{escape(render.cut(report, budget))}</pre>") > render.TELEGRAM_LIMIT:
        budget //= 2
    return reply


def reindex_failed_html(error: str, tr: Translator) -> str:
    return tr.gettext("Reindex failed, the previous index stays in use: {error}").format(error=escape(error))


def report_html(report: BuildReport, tr: Translator) -> str:
    """/reindex's report: what was indexed, how long it took, and which files were skipped and why."""
    documents = tr.ngettext("{count} document", "{count} documents", report.documents).format(count=report.documents)
    if report.reused:
        documents += " " + tr.gettext("({count} unchanged)").format(count=report.reused)
    lines = [
        tr.gettext("Indexed {documents}, {passages} in {seconds} s.").format(
            documents=documents, passages=passages(report.passages, tr), seconds=f"{report.seconds:.1f}"
        )
    ]
    if report.save_error:
        lines.append(unsaved_html(report, tr))
    if report.skipped:
        lines.append(
            tr.ngettext("Skipped {count} file:", "Skipped {count} files:", len(report.skipped)).format(
                count=len(report.skipped)
            )
        )
        lines += [f"• {escape(skipped.doc_id)}: {escape(skipped.reason)}" for skipped in report.skipped[:20]]
        if len(report.skipped) > 20:
            lines.append(tr.gettext("… and {count} more").format(count=len(report.skipped) - 20))
    return "\n".join(lines)


def unsaved_html(report: BuildReport, tr: Translator) -> str:
    return tr.gettext(
        "⚠️ The new index was not saved ({error}): I answer from it in memory, "
        "and a restart goes back to the previous one."
    ).format(error=escape(report.save_error or ""))


# --- an admin's upload ------------------------------------------------------------------------


def too_large_html(megabytes: int, tr: Translator) -> str:
    return tr.gettext("That file is larger than the {megabytes} MB limit. Nothing was added.").format(
        megabytes=megabytes
    )


def download_failed_html(name: str, error: str, tr: Translator) -> str:
    """`error` names the error's kind only: its text may hold the file's URL, which holds the token."""
    return tr.gettext("I could not download {name} ({error}). Nothing was added.").format(
        name=escape(name), error=error
    )


def unreadable_html(name: str, problem: str, tr: Translator) -> str:
    return tr.gettext("I could not read {name}: {problem}. Nothing was added.").format(
        name=escape(name), problem=escape(problem)
    )


def saved_unindexed_html(name: str, error: str, tr: Translator) -> str:
    return tr.gettext("Saved {name}, but reindexing failed: {error}").format(name=escape(name), error=escape(error))


def added_html(name: str, replaced: bool, passage_count: int, report: BuildReport, tr: Translator) -> str:
    """An upload indexed: the document's passages, the index's size after it, and a warning if it
    could not be saved."""
    done = (
        tr.gettext("Replaced <b>{name}</b>: {passages}.")
        if replaced
        else tr.gettext("Added <b>{name}</b>: {passages}.")
    )
    now = tr.ngettext(
        "The index now has {documents} document, {passages}.",
        "The index now has {documents} documents, {passages}.",
        report.documents,
    )
    return (
        done.format(name=escape(name), passages=passages(passage_count, tr))
        + " "
        + now.format(documents=report.documents, passages=passages(report.passages, tr))
        + (f"\n\n{unsaved_html(report, tr)}" if report.save_error else "")
    )
