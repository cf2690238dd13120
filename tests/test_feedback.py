"""The corpus owner's report: built from the store's rows, printed as text or JSON."""

from __future__ import annotations

import json

from bot import feedback

ASKED = [
    ("What is the GDP of Azerbaijan?", False),
    ("what is the gdp of azerbaijan", False),
    ("When was the bridge opened?", True),
    ("When was the bridge opened", True),
    ("When was the bridge opened?", True),
    ("Who built the bridge?", True),
]
VOTES = [
    ("Who built the bridge?", "bridge.txt", 2, -1),
    ("Who built the bridge?", "bridge.txt", 2, -1),
    ("Who built the bridge?", "bridge.txt", 2, 1),
    ("When was the bridge opened?", "bridge.txt", 0, 1),
    ("Where is the river?", "river.txt", 4, -1),
]


def test_the_report_ranks_what_to_fix() -> None:
    report = feedback.build(ASKED, VOTES)
    assert (report.questions, report.votes) == (6, 5)
    assert report.voted_down == (
        feedback.VotedAnswer("Who built the bridge?", "bridge.txt", 3, 2, 1),
        feedback.VotedAnswer("Where is the river?", "river.txt", 5, 1, 0),
    )
    assert report.unanswered == (feedback.AskedQuestion("what is the gdp of azerbaijan", 2, 2),)
    assert [(q.question, q.times) for q in report.most_asked] == [
        ("When was the bridge opened?", 3),
        ("what is the gdp of azerbaijan", 2),
        ("Who built the bridge?", 1),
    ]


def test_lists_are_cut_to_the_number_asked_for() -> None:
    report = feedback.build(ASKED, VOTES, shown=1)
    assert len(report.most_asked) == len(report.voted_down) == 1


def test_text_and_json_forms() -> None:
    report = feedback.build(ASKED, VOTES)
    text = feedback.format_text(report)
    assert "6 questions asked, 5 votes." in text
    assert "👎 2  👍 1  Who built the bridge?" in text and "bridge.txt, passage 3" in text
    assert "2×  what is the gdp of azerbaijan" in text
    data = json.loads(json.dumps(feedback.to_json(report)))
    assert data["voted_down"][0] == {
        "question": "Who built the bridge?",
        "doc": "bridge.txt",
        "passage": 3,
        "down": 2,
        "up": 1,
    }


def test_an_empty_report_says_none() -> None:
    text = feedback.format_text(feedback.build([], []))
    assert text.count("none") == 3
