"""Tests for bot.examples: example questions drawn from a small real corpus, checked by the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import Answer
from bot.config import load_config
from bot.engine import Engine
from bot.examples import example_questions

DOCUMENTS = {
    "bridge.txt": (
        "Sydney Harbour Bridge\n\n"
        "The Harbour Bridge was opened on 19 March 1932. The pylons were completed in 1931 by the builders. "
        "It carries rail, road and foot traffic to the North Shore. John Bradfield designed the arch, "
        "and Dorman Long of Middlesbrough built it.\n"
    ),
    "opera.txt": (
        "Sydney Opera House\n\n"
        "The Opera House was inaugurated on 20 October 1973 by Queen Elizabeth. Its architect, "
        "Jorn Utzon, left the project in 1966. Like John Bradfield before him, Jorn Utzon shaped the harbour.\n"
    ),
    "utzon.txt": (
        "The architect\n\n"
        "Jorn Utzon was honoured in May 2003 with the Pritzker Prize. As a young man Jorn Utzon studied at "
        "the Royal Danish Academy in Copenhagen.\n"
    ),
    "tower.txt": (
        "Sydney Tower\n\n"
        "The observation deck offers views of the Harbour Bridge and the Opera House. "
        "Visitors reach the top in lifts. The city of Sydney Tower Eye is busy in summer.\n"
    ),
    "museum.txt": (
        "A museum\n\n"
        "Every winter the Powerhouse Steam Collection draws school classes. "
        "Its engines once drove the Powerhouse Steam Collection mills.\n"
    ),
}


def engine_for(tmp_path: Path, documents: dict[str, str]) -> Engine:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Engine(load_config(None, {}, corpus=corpus, index=tmp_path / "index"))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return engine_for(tmp_path, DOCUMENTS)


def test_questions_are_produced_and_each_is_answered(engine: Engine) -> None:
    questions = example_questions(engine.index, engine.ask, count=10)
    assert len(questions) >= 3
    for question in questions:
        answer = engine.ask(question)
        assert answer.answered, question
        assert question.endswith("?") or question.startswith("Tell me about ")


def test_no_two_questions_cite_the_same_passage(engine: Engine) -> None:
    # bridge.txt is one passage stating two dates: only one of its questions may be chosen
    assert len(engine.index.passages) == len(DOCUMENTS)
    questions = example_questions(engine.index, engine.ask, count=10)
    cited = [(result.doc_id, result.ordinal) for result in (engine.ask(q).results[0] for q in questions)]
    assert len(cited) == len(set(cited))
    assert not {"When was the Harbour Bridge opened?", "When were the pylons completed?"} <= set(questions)


@pytest.mark.parametrize("count", [1, 2])
def test_at_most_count_questions(engine: Engine, count: int) -> None:
    assert len(example_questions(engine.index, engine.ask, count=count)) == count


def test_the_default_is_three_questions(engine: Engine) -> None:
    assert len(example_questions(engine.index, engine.ask)) == 3


def test_a_when_question_is_derived_from_a_dated_statement(engine: Engine) -> None:
    questions = example_questions(engine.index, engine.ask, count=10)
    assert "When was the Harbour Bridge opened?" in questions
    assert "When was the Opera House inaugurated?" in questions
    answer = engine.ask("When was the Harbour Bridge opened?")
    assert "19 March 1932" in answer.results[0].highlight


def test_a_named_subject_keeps_its_capital_letter(engine: Engine) -> None:
    questions = example_questions(engine.index, engine.ask, count=10)
    assert "When was Jorn Utzon honoured?" in questions


def test_dated_questions_come_before_about_questions(engine: Engine) -> None:
    questions = example_questions(engine.index, engine.ask, count=10)
    kinds = ["when" if q.startswith("When ") else "about" for q in questions]
    assert "when" in kinds and "about" in kinds
    assert kinds == sorted(kinds, key=lambda kind: kind != "when")


def test_examples_come_only_from_the_corpus(engine: Engine) -> None:
    corpus_text = " ".join(DOCUMENTS.values())
    for question in example_questions(engine.index, engine.ask, count=10):
        if question.startswith("Tell me about "):
            assert question.removeprefix("Tell me about ") in corpus_text
        else:
            subject = question.split(" ", 2)[2].rsplit(" ", 1)[0]  # "When was <subject> opened?"
            assert subject.lower() in corpus_text.lower()


def test_a_corpus_with_nothing_answerable_gives_no_examples(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path,
        {
            "notes.txt": "just some lowercase notes without names or dates.\nanother line of plain words here.\n",
            "more.txt": "more lowercase text, nothing anyone would ask about.\n",
        },
    )
    assert example_questions(engine.index, engine.ask) == []


def test_candidates_the_engine_cannot_answer_are_left_out(tmp_path: Path) -> None:
    """A candidate the engine abstains on (e.g. "Tell me about Jorn Utzon") is never offered."""
    engine = engine_for(tmp_path, DOCUMENTS)
    asked: list[str] = []

    def ask(question: str) -> Answer:  # the real engine, watched
        asked.append(question)
        return engine.ask(question)

    questions = example_questions(engine.index, ask, count=10)
    assert set(questions) <= set(asked)
    assert "Tell me about Jorn Utzon" in set(asked) - set(questions)
    for question in set(asked) - set(questions):
        answer = engine.ask(question)
        cited = (answer.results[0].doc_id, answer.results[0].ordinal) if answer.results else None
        chosen = {(result.doc_id, result.ordinal) for result in (engine.ask(q).results[0] for q in questions)}
        assert not answer.answered or cited in chosen, question
