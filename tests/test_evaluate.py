"""The evaluator's metrics, computed by hand on a tiny question file and a scripted asker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.answer import Answer, Result
from bot.errors import QuestionFileError
from bot.evaluate import KINDS, format_table, load_questions, normalize, run, to_json

QUESTIONS = """
- id: f1
  question: What was signed in Shusha?
  answers: ["Şuşa Declaration"]
  docs: [a.txt]
- id: p1
  kind: paraphrase
  question: How long was the war?
  answers: ["44 days"]
  docs: [b.txt]
- id: p2
  kind: paraphrase
  question: Who supplies arms?
  answers: ["Israel"]
  docs: [other.txt]
- id: s1
  kind: spelling
  question: Where is Nakhichevan?
  answers: ["Nakhchivan"]
  docs: [d.txt]
- id: t1
  kind: table
  question: Which country recognized it first?
  answers: ["Türkiye"]
  docs: [t.txt]
- id: u1
  kind: unanswerable
  question: What is the exchange rate?
- id: u2
  question: What is the population?
  answers: []
- id: cd1
  kind: dialogue
  turns:
    - {question: "What is the alliance?", answers: [alliance], docs: [a.txt]}
    - {question: "When was it signed?", answers: ["15 June 2021"], docs: [a.txt]}
"""


def result(doc: str, text: str, highlight: str = "", also_in: tuple[str, ...] = (), header: str = "") -> Result:
    return Result(doc, doc, 0, text, highlight, 1.0, also_in, header)


def reply(*results: Result, answered: bool = True) -> Answer:
    return Answer("q", answered, 0.5, results)


MISS = result("x.txt", "nothing relevant")
REPLIES = {
    "What was signed in Shusha?": reply(result("a.txt", "The susa  declaration", "SUSA\nDeclaration")),
    "How long was the war?": reply(MISS, result("b.txt", "It lasted 44 Days.")),
    "Who supplies arms?": reply(result("c.txt", "no", also_in=("other.txt",)), MISS, MISS, result("e.txt", "israel")),
    "Where is Nakhichevan?": reply(result("d.txt", "Nakhchivan is", "Nakhchivan"), answered=False),
    "Which country recognized it first?": reply(result("t.txt", "9 November 1991", "1991", header="Country: Turkiye")),
    "What is the exchange rate?": reply(MISS, answered=False),
    "What is the population?": reply(MISS),
    "What is the alliance?": reply(result("a.txt", "an Alliance", "an alliance")),
    "When was it signed?": reply(result("a.txt", "in June")),
}
ALONE = {"When was it signed?": reply(result("z.txt", "signed on 15 June 2021"))}  # the fake's answer without memory


@pytest.fixture
def report_and_calls(tmp_path: Path):
    path = tmp_path / "q.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    calls: list[tuple[str, str | None]] = []

    def ask(question: str, conversation: str | None) -> Answer:
        calls.append((question, conversation))
        return REPLIES[question] if conversation is not None else ALONE[question]

    return run(load_questions(path), ask), calls


def test_load_defaults_and_dialogue_turns(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    questions = {q.qid: q for q in load_questions(path)}
    assert questions["u2"].kind == "fact" and questions["u2"].docs == () and not questions["u2"].answerable
    assert not questions["u1"].answerable and questions["f1"].answerable
    turn = questions["cd1#2"]
    assert (turn.kind, turn.conversation, turn.turn, turn.answers) == ("dialogue", "cd1", 2, ("15 June 2021",))
    assert (questions["f1"].conversation, questions["f1"].turn) == ("f1", 1)


def test_normalize_folds_case_diacritics_whitespace_and_apostrophes() -> None:
    assert normalize("Şuşa  Declaration") == normalize("susa\n declaration") == "susa declaration"
    assert normalize("İlham Əliyev’s Łódź Bakı") == "ilham eliyev's lodz baki"


def test_questions_are_asked_in_order_with_their_conversation(report_and_calls) -> None:
    _, calls = report_and_calls
    assert [c for _, c in calls] == ["f1", "p1", "p2", "s1", "t1", "u1", "u2", "cd1", "cd1", None]
    assert calls[-3:] == [
        ("What is the alliance?", "cd1"),
        ("When was it signed?", "cd1"),
        ("When was it signed?", None),
    ]


def test_one_conversation_asks_everything_in_the_same_chat(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    chats = []
    run(load_questions(path), lambda q, chat: chats.append(chat) or REPLIES.get(q, MISS), one_conversation=True)
    assert chats[:-1] == ["all"] * 9 and chats[-1] is None


def test_per_question_outcomes(report_and_calls) -> None:
    report, _ = report_and_calls
    by_id = {o.qid: o for o in report.outcomes}
    f1, p1, p2, s1, t1 = (by_id[q] for q in ("f1", "p1", "p2", "s1", "t1"))
    assert (f1.hit1, f1.hit3, f1.highlight_hit1, f1.doc_hit1, f1.reciprocal_rank) == (True, True, True, True, 1.0)
    assert (p1.hit1, p1.hit3, p1.doc_hit1, p1.reciprocal_rank) == (False, True, False, 0.5)
    assert (p2.hit1, p2.hit3, p2.doc_hit1, p2.reciprocal_rank) == (False, False, True, 0.25)  # doc via also_in
    assert (s1.hit1, s1.highlight_hit1, s1.doc_hit1, s1.reciprocal_rank) == (False, False, False, 0.0)
    assert (t1.hit1, t1.highlight_hit1) == (True, False)  # the answer is in the table header only
    assert (f1.doc_id, f1.reply_chars) == ("a.txt", len("The susa  declaration") + len("SUSA\nDeclaration"))


def test_group_metrics(report_and_calls) -> None:
    report, _ = report_and_calls
    groups = {g.name: g for g in report.groups()}
    assert list(groups) == [
        "single",
        "fact",
        "paraphrase",
        "spelling",
        "table",
        "dialogue turns",
        "follow-up turns",
        "follow-ups alone",
        "all answerable",
    ]
    single = groups["single"]
    assert single.n == 5
    assert single.figures() == pytest.approx((2 / 5, 3 / 5, 1 / 5, 3 / 5, 2.75 / 5, 1 / 5))
    assert (groups["fact"].n, groups["paraphrase"].n, groups["paraphrase"].mrr10) == (1, 2, 0.375)
    assert (groups["dialogue turns"].n, groups["dialogue turns"].answer_hit1) == (2, 0.5)
    assert (groups["follow-up turns"].n, groups["follow-up turns"].answer_hit1) == (1, 0.0)
    assert (groups["follow-ups alone"].n, groups["follow-ups alone"].answer_hit1) == (1, 1.0)
    assert groups["all answerable"].n == 7
    assert report.abstention_accuracy == 0.5  # u1 abstained, u2 answered
    assert report.false_abstention_rate == pytest.approx(1 / 7)
    assert (report.answered_count, report.right_when_answered) == (6, 0.5)  # s1 abstained; f1, t1, cd1#1 right
    assert report.median_reply_chars == len("9 November 1991") + len("1991")  # of 37, 16, 2, 23, 19


def test_format_table_and_json(report_and_calls) -> None:
    report, _ = report_and_calls
    table = format_table(report)
    assert "single" in table and "0.40" in table and "0.55" in table and "(n=2)" in table
    missed = table.split("missed (5):")[1]
    assert all(q in missed for q in ("p1", "p2", "s1", "u2", "cd1#2")) and " f1 " not in missed
    data = json.loads(json.dumps(to_json(report)))
    assert data["groups"]["single"]["mrr@10"] == pytest.approx(0.55)
    assert data["groups"]["single"]["n"] == 5 and data["abstention_accuracy"] == 0.5
    assert data["median_reply_chars"] == 19 and len(data["questions"]) == 9
    assert data["right_when_answered"] == 0.5 and "right when answered    0.50  (n=6)" in table
    assert [o["qid"] for o in data["follow_ups_alone"]] == ["cd1#2"]


def test_empty_groups_are_left_out_and_nothing_divides_by_zero(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("- {id: u1, kind: unanswerable, question: 'Why?'}\n", encoding="utf-8")
    report = run(load_questions(path), lambda q, c: reply(answered=False))
    assert report.groups() == [] and report.abstention_accuracy == 1.0
    assert report.false_abstention_rate is None and report.median_reply_chars is None
    assert to_json(report)["groups"] == {} and "n/a" in format_table(report)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- id: [unclosed\n", "not valid YAML"),
        ("id: c1\nquestion: q\n", "expected a YAML list"),
        ("- just text\n", "entry 1"),
        ("- id: c9\n  answers: [x]\n", "entry 1 (id c9): missing 'question'"),
        ("- {id: c1, question: q}\n- {id: cd9, kind: dialogue}\n", "entry 2 (id cd9): a dialogue needs 'turns'"),
        ("- {id: cd9, kind: dialogue, turns: [{answers: [x]}]}\n", "(id cd9) turn 1: missing 'question'"),
        ("- {id: c8, question: q, answers: [44]}\n", "(id c8): 'answers' must be a list of strings"),
        ("- {id: c8, question: q, docs: a.txt}\n", "(id c8): 'docs' must be a list of strings"),
        ("- {id: c7, kind: trivia, question: q}\n", "(id c7): unknown kind 'trivia'"),
        ("- {id: c1, question: q}\n- {id: c1, question: r}\n", "entry 2 (id c1): id 'c1' is used twice"),
        (
            "- id: c1\n  question: q\n  answer: [x]\n",
            "q.yaml, line 3: unknown key 'answer' (known: answers, docs, id, kind, question)",
        ),
        (
            "- id: d1\n  kind: dialogue\n  turns:\n  - question: q\n    doc: [a.txt]\n",
            "q.yaml, line 5: unknown key 'doc' (known: answers, docs, question)",
        ),
        ("- {id: d2, kind: dialogue, question: q, turns: [{question: q}]}\n", "line 1: unknown key 'question'"),
    ],
)
def test_bad_question_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionFileError, match=r"q\.yaml") as error:
        load_questions(path)
    assert expected in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QuestionFileError, match="missing.yaml: cannot read"):
        load_questions(tmp_path / "missing.yaml")


DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.yaml"


@pytest.mark.skipif(not DEV.exists(), reason="no shared dev set")
def test_dev_set_loads() -> None:
    raw = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    questions = load_questions(DEV)
    assert {q.kind for q in questions} == {e.get("kind", "fact") for e in raw} <= set(KINDS)
    assert len(questions) == sum(len(e.get("turns", [None])) for e in raw)
    assert all(q.conversation == q.qid.split("#")[0] for q in questions)
