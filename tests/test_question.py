"""Question analysis: the kind of answer a question asks for, what it defines, what it searches."""

from __future__ import annotations

import pytest

from bot.question import expected_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how do i display the default systemd target", "procedure"),
        ("How can I see which packages are installed?", "procedure"),
        ("how to rotate log files", "procedure"),
        ("which command lists the held packages", "procedure"),
        ("When was the declaration signed?", "time"),
        ("what time does the office open", "time"),
        ("which day is the archive open", "time"),
        ("how often does the checkpoint run", "frequency"),
        ("How long did the war last?", "number"),
        ("How many consulates are there?", "number"),
        ("where is the system wide paper size kept", "file"),
        ("which file holds the modules to load at boot", "file"),
        ("Where does Azerbaijan have an embassy?", "place"),
        ("Who designed the lighthouse?", "name"),
        ("whats the default work_mem", "default"),
        ("Which famous quote is attributed to Ataturk?", "quotation"),
        ("What is a conffile?", None),
        ("only the ones whose name starts with foo?", None),  # "whose" mid-question is no "who"
    ],
)
def test_the_kind_of_answer_comes_from_the_question_words(question: str, kind: str | None) -> None:
    found, searched = expected_kind(question)
    assert (found.name if found else None) == kind
    assert searched == question


@pytest.mark.parametrize(
    ("question", "kind", "searched"),
    [
        ("Tuvalu Azerbaijan relations date", "time", "Tuvalu Azerbaijan relations"),
        ("debian 12 release year?", "time", "debian 12 release"),
        ("dpkg log file location", "file", "dpkg log file"),
        ("hold package command", "procedure", "hold package"),
    ],
)
def test_a_keyword_question_reads_its_last_word_as_the_kind_of_answer(question: str, kind: str, searched: str) -> None:
    found, without = expected_kind(question)
    assert found is not None and found.name == kind
    assert without == searched


def test_a_kind_word_inside_a_question_is_searched() -> None:
    found, searched = expected_kind("date of the Shusha declaration signing")
    assert found is None and searched == "date of the Shusha declaration signing"
