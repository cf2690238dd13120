"""Measure answers against a question file, so a change to search or answering shows up as numbers.

The file format is described in the header of shared/eval/dev.yaml. `run` asks through a
caller-supplied `ask`, so the evaluator needs no index and its tests need no corpus:

    report = run(load_questions(Path("eval/dev.yaml")), lambda q, chat: engine.ask(q, chat=chat))
    print(format_table(report))
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from .answer import Answer, Result
from .errors import QuestionFileError
from .text import fold

KINDS = ("fact", "paraphrase", "spelling", "table", "unanswerable", "dialogue")
_SINGLE_KINDS = ("fact", "paraphrase", "spelling", "table")
_COLUMNS = {  # JSON key -> table heading, in GroupScore.figures() order
    "answer_hit@1": "answer@1",
    "answer_hit@3": "answer@3",
    "highlight_hit@1": "highlight@1",
    "doc_hit@1": "doc@1",
    "mrr@10": "MRR@10",
    "false_abstention": "false-abst",
}
_MRR_DEPTH = 10
_CUT = 100

Ask = Callable[[str, str | None], Answer]  # (question text, conversation id or None: on its own) -> Answer


@dataclass(frozen=True, slots=True)
class Question:
    """One question as asked; every turn of a dialogue shares the dialogue's id as its conversation."""

    qid: str
    kind: str
    question: str
    answers: tuple[str, ...]
    docs: tuple[str, ...]
    conversation: str
    turn: int

    @property
    def answerable(self) -> bool:
        """The file marks an expected abstention either by kind or by listing no answers."""
        return self.kind != "unanswerable" and bool(self.answers)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one question fared; hits are false whenever the reply abstained, as it then answers nothing."""

    qid: str
    kind: str
    turn: int
    question: str
    answerable: bool
    answered: bool
    hit1: bool
    hit3: bool
    highlight_hit1: bool
    doc_hit1: bool
    reciprocal_rank: float
    doc_id: str
    highlight: str
    reply_chars: int


@dataclass(frozen=True, slots=True)
class GroupScore:
    """The answer metrics of one group of answerable questions (never empty)."""

    name: str
    n: int
    answer_hit1: float
    answer_hit3: float
    highlight_hit1: float
    doc_hit1: float
    mrr10: float
    false_abstention: float

    def figures(self) -> tuple[float, ...]:
        """The metrics in the order of the table's columns."""
        return (
            self.answer_hit1,
            self.answer_hit3,
            self.highlight_hit1,
            self.doc_hit1,
            self.mrr10,
            self.false_abstention,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """Per-question outcomes in the order asked; the metrics are derived from them on demand.

    `alone` holds the follow-up turns asked again on their own, without their conversation: what
    the conversation's memory is worth.
    """

    outcomes: tuple[Outcome, ...]
    alone: tuple[Outcome, ...] = ()

    def groups(self) -> list[GroupScore]:
        """Score each non-empty group, so a weakness in one kind of question is not averaged away."""
        answerable = [o for o in self.outcomes if o.answerable]
        single = [o for o in answerable if o.kind != "dialogue"]
        turns = [o for o in answerable if o.kind == "dialogue"]
        members = {"single": single} | {k: [o for o in single if o.kind == k] for k in _SINGLE_KINDS}
        members |= {
            "dialogue turns": turns,
            "follow-up turns": [o for o in turns if o.turn >= 2],
            "follow-ups alone": [o for o in self.alone if o.answerable],
            "all answerable": answerable,
        }
        return [_score_group(name, group) for name, group in members.items() if group]

    @property
    def unanswerable_count(self) -> int:
        """How many replies should have been abstentions: the n of the abstention accuracy."""
        return sum(not o.answerable for o in self.outcomes)

    @property
    def abstention_accuracy(self) -> float | None:
        """Share of unanswerable questions the bot rightly declined; None when there are none."""
        return _share([not o.answered for o in self.outcomes if not o.answerable])

    @property
    def false_abstention_rate(self) -> float | None:
        """Share of answerable questions (single and turns) the bot wrongly declined."""
        return _share([not o.answered for o in self.outcomes if o.answerable])

    @property
    def answered_count(self) -> int:
        """How many answerable questions got an answer rather than an abstention."""
        return sum(o.answered for o in self.outcomes if o.answerable)

    @property
    def right_when_answered(self) -> float | None:
        """Share of the answers given to answerable questions that are right (answer-hit@1 counting
        only answered questions): what a user who gets an answer can trust."""
        return _share([o.hit1 for o in self.outcomes if o.answerable and o.answered])

    @property
    def median_reply_chars(self) -> float | None:
        """A rough size of the chat reply to a single question, to catch answers growing into walls."""
        sizes = [o.reply_chars for o in self.outcomes if o.answerable and o.kind != "dialogue"]
        return statistics.median(sizes) if sizes else None


def load_questions(path: Path) -> list[Question]:
    """Read a question file, failing with the entry and the problem so it can be fixed by hand."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise QuestionFileError(f"{path}: cannot read the question file ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise QuestionFileError(f"{path}: the question file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise QuestionFileError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, list):
        raise QuestionFileError(f"{path}: expected a YAML list of questions, got {type(data).__name__}")
    _check_keys(yaml.compose(text), path)
    questions: list[Question] = []
    for index, entry in enumerate(data, 1):
        where = f"{path}: entry {index}"
        if not isinstance(entry, dict):
            raise QuestionFileError(f"{where}: expected a mapping with 'id' and 'question'")
        qid = str(entry.get("id", index))
        where += f" (id {qid})" if "id" in entry else ""
        if any(q.conversation == qid for q in questions):
            raise QuestionFileError(f"{where}: id {qid!r} is used twice")
        kind = entry.get("kind", "fact")
        if kind not in KINDS:
            raise QuestionFileError(f"{where}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind != "dialogue":
            questions.append(_question(entry, where, qid, kind, 1))
            continue
        turns = entry.get("turns")
        if not isinstance(turns, list) or not turns:
            raise QuestionFileError(f"{where}: a dialogue needs 'turns', a non-empty list of questions")
        questions += [_question(t, f"{where} turn {n}", qid, kind, n) for n, t in enumerate(turns, 1)]
    return questions


_KEYS = {  # what an entry may hold, by kind; a misspelt key would silently change what is measured
    "question": ("id", "kind", "question", "answers", "docs"),
    "dialogue": ("id", "kind", "turns"),
    "turn": ("question", "answers", "docs"),
}


def _check_keys(root: yaml.Node, path: Path) -> None:
    """Refuse a key the format does not have (`answer:` for `answers:`), naming its line, as config
    files do: read as it is, such an entry would count as an unanswerable question."""

    def check(node: yaml.Node, known: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode):
            return  # load_questions says what is wrong with it
        for key, _ in node.value:
            if key.value not in known:
                raise QuestionFileError(
                    f"{path}, line {key.start_mark.line + 1}: unknown key {key.value!r} (known: {', '.join(sorted(known))})"
                )

    for entry in root.value if isinstance(root, yaml.SequenceNode) else ():
        values = {key.value: value for key, value in entry.value} if isinstance(entry, yaml.MappingNode) else {}
        kind = values.get("kind")
        dialogue = isinstance(kind, yaml.ScalarNode) and kind.value == "dialogue"
        check(entry, _KEYS["dialogue" if dialogue else "question"])
        turns = values.get("turns")
        if dialogue and isinstance(turns, yaml.SequenceNode):
            for turn in turns.value:
                check(turn, _KEYS["turn"])


def _question(entry: Any, where: str, conversation: str, kind: str, turn: int) -> Question:
    if not isinstance(entry, dict):
        raise QuestionFileError(f"{where}: expected a mapping with 'question'")
    text = entry.get("question")
    if not isinstance(text, str) or not text.strip():
        raise QuestionFileError(f"{where}: missing 'question' (a non-empty string)")
    qid = conversation if kind != "dialogue" else f"{conversation}#{turn}"
    return Question(
        qid, kind, text, _strings(entry, "answers", where), _strings(entry, "docs", where), conversation, turn
    )


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QuestionFileError(f"{where}: '{key}' must be a list of strings (quote numbers and dates)")
    return tuple(value)


def normalize(text: str) -> str:
    """Fold case, diacritics and spacing, so "Şuşa  Declaration" and "susa declaration" match."""
    return " ".join(fold(text).split())


def run(questions: Sequence[Question], ask: Ask, one_conversation: bool = False) -> Report:
    """Ask every question in the given order (load_questions keeps dialogue turns in order, so the
    asker can keep per-conversation memory) and score each reply; ask each follow-up turn again on
    its own. With `one_conversation`, every question is asked in the same conversation, as one
    long chat would: single questions must not suffer from what was asked before them."""
    outcomes = tuple(score(q, ask(q.question, "all" if one_conversation else q.conversation)) for q in questions)
    alone = tuple(score(q, ask(q.question, None)) for q in questions if q.kind == "dialogue" and q.turn >= 2)
    return Report(outcomes, alone)


def score(question: Question, answer: Answer) -> Outcome:
    """Compare one reply with the accepted answers and documents."""
    accepted = [normalize(a) for a in question.answers]

    def contains(text: str) -> bool:
        return answer.answered and any(a in normalize(text) for a in accepted)

    found = [contains(f"{r.header}\n{r.text}\n{r.highlight}") for r in answer.results[:_MRR_DEPTH]]
    first = answer.results[0] if answer.results else Result("", "", 0, "", "", 0.0)
    in_docs = bool(answer.results) and any(d in question.docs for d in (first.doc_id, *first.also_in))
    return Outcome(
        qid=question.qid,
        kind=question.kind,
        turn=question.turn,
        question=question.question,
        answerable=question.answerable,
        answered=answer.answered,
        hit1=any(found[:1]),
        hit3=any(found[:3]),
        highlight_hit1=contains(first.highlight),
        doc_hit1=answer.answered and in_docs,
        reciprocal_rank=1 / (found.index(True) + 1) if True in found else 0.0,
        doc_id=first.doc_id,
        highlight=first.highlight,
        reply_chars=len(first.highlight) + len(first.text),
    )


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _score_group(name: str, group: list[Outcome]) -> GroupScore:
    n = len(group)
    return GroupScore(
        name,
        n,
        sum(o.hit1 for o in group) / n,
        sum(o.hit3 for o in group) / n,
        sum(o.highlight_hit1 for o in group) / n,
        sum(o.doc_hit1 for o in group) / n,
        sum(o.reciprocal_rank for o in group) / n,
        sum(not o.answered for o in group) / n,
    )


def _missed(o: Outcome) -> bool:
    return not o.hit1 if o.answerable else o.answered


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _CUT else text[: _CUT - 1] + "…"


def format_table(report: Report) -> str:
    """The metrics as a plain-text table, then the misses, so a developer sees what failed and why."""
    lines = [f"{'group':<16}{'n':>5}" + "".join(f"{h:>13}" for h in _COLUMNS.values())]
    lines += [f"{g.name:<16}{g.n:>5}" + "".join(f"{v:>13.2f}" for v in g.figures()) for g in report.groups()]
    answerable = len(report.outcomes) - report.unanswerable_count
    lines += [
        "",
        f"abstention accuracy    {_fmt(report.abstention_accuracy)}  (n={report.unanswerable_count})",
        f"false-abstention rate  {_fmt(report.false_abstention_rate)}  (n={answerable})",
        f"right when answered    {_fmt(report.right_when_answered)}  (n={report.answered_count})",
        f"median reply chars     {_fmt(report.median_reply_chars, '.0f')}",
    ]
    missed = [o for o in report.outcomes if _missed(o)]
    lines += ["", f"missed ({len(missed)}):"]
    for o in missed:
        verdict = "should abstain, got" if not o.answerable else "abstained, closest" if not o.answered else "got"
        lines += [f"  {o.qid} [{o.kind}] {o.question}", f"      {verdict} {o.doc_id or '-'}: {_cut(o.highlight)}"]
    return "\n".join(lines)


def to_json(report: Report) -> dict[str, Any]:
    """The same figures for machines (CI, comparing runs)."""
    return {
        "groups": {g.name: {"n": g.n} | dict(zip(_COLUMNS, g.figures())) for g in report.groups()},
        "abstention_accuracy": report.abstention_accuracy,
        "false_abstention_rate": report.false_abstention_rate,
        "right_when_answered": report.right_when_answered,
        "median_reply_chars": report.median_reply_chars,
        "questions": [asdict(o) for o in report.outcomes],
        "follow_ups_alone": [asdict(o) for o in report.alone],
    }
