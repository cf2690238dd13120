"""Reading a message against its conversation: follow-ups widened or completed, new topics alone."""

from __future__ import annotations

import math

import pytest

from bot.answer import Answer, Result
from bot.dialogue import Reading, Turn, next_turn, read
from bot.text import Analyzer

ANALYZER = Analyzer()
# Document frequencies of a made-up corpus of 1,000 passages: country names are rare, the
# country everything is about is everywhere.
FREQUENCY = {"azerbaijan": 900, "latvia": 3, "lithuania": 3, "relat": 200, "establish": 60, "treati": 40, "kar": 8}


def rarity(term: str) -> float:
    return math.log(1001 / (FREQUENCY.get(term, 0) + 0.5))


def after(*questions: str, doc_id: str = "a.txt") -> tuple[Turn, ...]:
    """The turns a conversation holds after these questions, each answered from `doc_id`."""
    turns: tuple[Turn, ...] = ()
    for question in questions:
        reading = read(question, turns, ANALYZER, rarity)
        answer = Answer(question, True, 0.9, (Result(doc_id, "A", 0, "text", "text", 1.0),))
        turns = (*turns, next_turn(question, reading, answer, 0.0))
    return turns


def test_a_first_question_is_read_as_it_is() -> None:
    reading = read("What is the Kars Treaty?", (), ANALYZER, rarity)
    assert reading == Reading("What is the Kars Treaty?", subject="Kars Treaty")
    assert not reading.follow_up


@pytest.mark.parametrize(
    "follow_up",
    [
        "When was it ratified?",
        "Who ratified it?",
        "And when did the parliaments approve it?",
        "What did that lead to?",
        "Why is that?",
        "What happened there?",
        "Who opposed this decision?",
    ],
)
def test_a_question_pointing_back_is_searched_with_the_subject_and_favours_the_cited_document(
    follow_up: str,
) -> None:
    reading = read(follow_up, after("What is the Kars Treaty?", doc_id="decl.txt"), ANALYZER, rarity)
    assert (reading.question, reading.context, reading.doc_id) == (follow_up, "Kars Treaty", "decl.txt")
    assert reading.follow_up and "Kars Treaty" in reading.shown


def test_the_subject_carries_through_a_chain_of_follow_ups() -> None:
    turns = after("What is the Kars Treaty?", "When was it ratified?")
    assert read("Who approved it?", turns, ANALYZER, rarity).context == "Kars Treaty"


@pytest.mark.parametrize(
    ("follow_up", "understood"),
    [
        ("And with Lithuania?", "When did Azerbaijan establish relations with Lithuania?"),
        ("What about Lithuania?", "When did Azerbaijan establish relations with Lithuania?"),
        ("how about lithuania", "When did Azerbaijan establish relations with lithuania?"),
        ("And Lithuania?", "When did Azerbaijan establish relations with Lithuania?"),
    ],
)
def test_an_elliptical_follow_up_swaps_the_most_specific_name(follow_up: str, understood: str) -> None:
    turns = after("When did Azerbaijan establish relations with Latvia?", doc_id="table.txt")
    reading = read(follow_up, turns, ANALYZER, rarity)
    assert (reading.question, reading.context, reading.doc_id) == (understood, "", "table.txt")
    assert reading.shown == understood


def test_a_second_ellipsis_builds_on_the_first() -> None:
    turns = after("When did Azerbaijan establish relations with Latvia?", "And with Lithuania?")
    assert read("What about Malawi?", turns, ANALYZER, rarity).question == (
        "When did Azerbaijan establish relations with Malawi?"
    )


def test_an_ellipsis_with_a_number_swaps_a_number() -> None:
    turns = after("How many exercises did Azerbaijan and Turkey hold in 2021?")
    assert read("And in 2015?", turns, ANALYZER, rarity).question == (
        "How many exercises did Azerbaijan and Turkey hold in 2015?"
    )


def test_a_lower_case_frame_swaps_its_rarest_word() -> None:
    turns = after("when did azerbaijan establish relations with latvia")
    assert read("and lithuania?", turns, ANALYZER, rarity).question == (
        "when did azerbaijan establish relations with lithuania"
    )


@pytest.mark.parametrize(
    "fresh",
    [
        "When did Türkiye recognize Azerbaijan?",
        "Who signed the treaty that was approved in 2010?",
        "Is there an embassy in Baku?",
        "how many passages mention azerbaijan",  # shares only a word that is everywhere
    ],
)
def test_a_new_topic_is_searched_on_its_own(fresh: str) -> None:
    reading = read(fresh, after("When did Azerbaijan establish relations with Latvia?"), ANALYZER, rarity)
    assert (reading.question, reading.context, reading.doc_id, reading.shown) == (fresh, "", "", "")


def test_a_question_repeating_a_telling_word_of_the_subject_goes_on_with_it() -> None:
    reading = read("When was the treaty ratified?", after("What is the Kars Treaty?"), ANALYZER, rarity)
    assert reading.context == "Kars Treaty"


def test_a_question_naming_something_new_is_not_a_continuation() -> None:
    reading = read("When was the Latvia treaty ratified?", after("What is the Kars Treaty?"), ANALYZER, rarity)
    assert reading.context == ""


def test_an_unanswered_turn_favours_no_document() -> None:
    reading = read("What is the Kars Treaty?", (), ANALYZER, rarity)
    turn = next_turn("What is the Kars Treaty?", reading, Answer("q", False, 0.1, ()), 5.0)
    assert (turn.doc_id, turn.subject, turn.asked) == ("", "Kars Treaty", 5.0)


@pytest.mark.parametrize("follow_up", ["Why?", "Tell me more", "Can you explain?"])
def test_a_message_with_nothing_of_its_own_goes_on_with_the_subject(follow_up: str) -> None:
    reading = read(follow_up, after("What is the Kars Treaty?"), ANALYZER, rarity)
    assert (reading.question, reading.context) == (follow_up, "Kars Treaty")


def test_and_with_a_common_noun_asks_more_of_the_subject_and_keeps_the_question_to_build_on() -> None:
    turns = after("When did Azerbaijan establish relations with Latvia?")
    reading = read("And the embassy?", turns, ANALYZER, rarity)
    assert (reading.question, reading.context) == ("And the embassy?", "Azerbaijan establish relations Latvia")
    turns = after("When did Azerbaijan establish relations with Latvia?", "And the embassy?")
    assert read("And Lithuania?", turns, ANALYZER, rarity).question == (
        "When did Azerbaijan establish relations with Lithuania?"
    )


@pytest.mark.parametrize(
    "follow_up",
    ["and how do I undo that?", "ok and then how do i install it", "And later, can I switch?"],
)
def test_a_question_opening_with_a_conjunction_goes_on_and_is_not_a_name_swap(follow_up: str) -> None:
    reading = read(follow_up, after("how do i hold a package", doc_id="pkg.html"), ANALYZER, rarity)
    assert reading.question == follow_up  # its own words, not the question before with one swapped
    assert reading.context and reading.doc_id == "pkg.html"


def test_the_ones_and_one_of_them_point_back() -> None:
    turns = after("how can I see which packages are installed")
    for follow_up in ["only the ones whose name starts with foo?", "a detailed report for one of them?"]:
        reading = read(follow_up, turns, ANALYZER, rarity)
        assert reading.follow_up and reading.context == "see packages installed"


def test_an_elliptical_fragment_ending_in_too_swaps_without_it() -> None:
    reading = read(
        "and Lithuania too?", after("When did Azerbaijan establish relations with Latvia?"), ANALYZER, rarity
    )
    assert reading.question == "When did Azerbaijan establish relations with Lithuania?"


def test_the_section_just_cited_is_remembered_and_favoured() -> None:
    question = "how do i hold a package"
    reading = read(question, (), ANALYZER, rarity)
    cited = Result("pkg.html", "Packages", 3, "text", "text", 1.0, section=("7.12. How do I put a package on hold?",))
    turn = next_turn(question, reading, Answer(question, True, 0.9, (cited,)), 0.0)
    follow_up = read("and how do I undo that?", (turn,), ANALYZER, rarity)
    assert follow_up.section == ("7.12. How do I put a package on hold?",)
