"""What the bot gets wrong, for the corpus owner: the answers voted down most, the questions it
could not answer, and the questions asked most — the list of what to fix in or add to the documents.

Built from the store's rows by pure functions; `citebot feedback` prints it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .text import fold

SHOWN = 10  # entries per list


@dataclass(frozen=True, slots=True)
class VotedAnswer:
    """One question with the passage it was answered from, and what people thought of it."""

    question: str
    doc: str
    passage: int  # 1-based, as replies show it
    down: int
    up: int


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    question: str  # its latest wording
    times: int
    unanswered: int  # how many of those times the bot said the documents do not answer it


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    questions: int
    votes: int
    voted_down: tuple[VotedAnswer, ...]
    unanswered: tuple[AskedQuestion, ...]
    most_asked: tuple[AskedQuestion, ...]


def build(
    asked: Iterable[tuple[str, bool]], votes: Iterable[tuple[str, str, int, int]], shown: int = SHOWN
) -> FeedbackReport:
    """`asked`: (question, answered) per reply; `votes`: (question, doc, passage, ±1) per vote.

    Questions count as the same when they differ only in case, accents, spacing and punctuation
    at the end.
    """
    wording: dict[str, str] = {}
    times: Counter[str] = Counter()
    unanswered: Counter[str] = Counter()
    for question, answered in asked:
        key = _same_question(question)
        wording[key] = question
        times[key] += 1
        unanswered[key] += not answered
    tallies: dict[tuple[str, str, int], list[int]] = {}
    vote_count = 0
    for question, doc, passage, vote in votes:
        key = _same_question(question)
        wording.setdefault(key, question)
        tally = tallies.setdefault((key, doc, passage), [0, 0])
        tally[0 if vote < 0 else 1] += 1
        vote_count += 1
    voted_down = sorted(
        (
            VotedAnswer(wording[key], doc, passage + 1, down, up)
            for (key, doc, passage), (down, up) in tallies.items()
            if down
        ),
        key=lambda v: (-v.down, v.up, v.question),
    )

    def listed(keys: Iterable[str]) -> tuple[AskedQuestion, ...]:
        return tuple(AskedQuestion(wording[key], times[key], unanswered[key]) for key in keys)

    return FeedbackReport(
        questions=sum(times.values()),
        votes=vote_count,
        voted_down=tuple(voted_down[:shown]),
        unanswered=listed(
            sorted((k for k in times if unanswered[k]), key=lambda k: (-unanswered[k], wording[k]))[:shown]
        ),
        most_asked=listed(sorted(times, key=lambda k: (-times[k], wording[k]))[:shown]),
    )


def _same_question(question: str) -> str:
    return " ".join(fold(question).rstrip("?!. ").split())


def format_text(report: FeedbackReport) -> str:
    lines = [
        f"{_count(report.questions, 'question')} asked, {_count(report.votes, 'vote')}.",
        "",
        "Answers voted down most:",
    ]
    lines += [
        f"  👎 {v.down}  👍 {v.up}  {v.question}\n           → {v.doc}, passage {v.passage}" for v in report.voted_down
    ] or ["  none"]
    lines += ["", "Questions the documents did not answer:"]
    lines += [f"  {q.unanswered:>4}×  {q.question}" for q in report.unanswered] or ["  none"]
    lines += ["", "Most asked:"]
    lines += [
        f"  {q.times:>4}×  {q.question}" + (f"  (not answered {q.unanswered}×)" if q.unanswered else "")
        for q in report.most_asked
    ] or ["  none"]
    return "\n".join(lines)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def to_json(report: FeedbackReport) -> dict[str, Any]:
    return asdict(report)
