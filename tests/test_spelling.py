"""Typo correction on the shipped corpus: misspelt words are corrected, real words never are."""

from pathlib import Path

import math

import pytest

from bot import render
from bot.config import load_config
from bot.engine import Engine
from bot.spelling import correct

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    config = load_config(
        ROOT / "config.example.yaml", {}, corpus=ROOT / "corpus", index=tmp_path_factory.mktemp("index")
    )
    return Engine(config, notify=lambda message: None)


@pytest.mark.parametrize(
    ("question", "replaced"),
    [
        ("When did Azerbajan recognise Kosovo?", [("Azerbajan", "Azerbaijan")]),
        ("Who signd the Shusa declaraton?", [("signd", "signed"), ("Shusa", "Shusha"), ("declaraton", "declaration")]),
        ("Where is the embasy of Turkiye?", [("embasy", "embassy")]),
        ("Where is the embsasy of Turkiye?", [("embsasy", "embassy")]),  # two letters swapped: one slip
    ],
)
def test_a_misspelt_word_becomes_the_nearest_corpus_word(engine: Engine, question: str, replaced: list) -> None:
    correction = correct(question, engine.index, engine.analyzer)
    assert correction is not None
    assert list(correction.replaced) == replaced
    for wrong, right in replaced:
        assert wrong not in correction.question.split()
        assert right in correction.question


@pytest.mark.parametrize(
    "question",
    [
        "When did Azerbaijan declare its independence?",  # every word known to the index
        "What is the exchange rate of the manat?",  # "rate" is English, merely absent: not turned into "date"
        "Who won the football match?",  # "match" is not turned into "march"
        "Wich treaty was signed?",  # a mistyped question word is not turned into another word
        "Tell me about zqxvbnm",  # nothing near it
        "What did Azerbaijan sign in Zhusha?",  # a typo keeps its first letter: another name, not "Shusha"
        "What happened in Baki?",  # four letters are too few to tell a slip (from "Baku") from another name
    ],
)
def test_correct_and_real_words_are_left_alone(engine: Engine, question: str) -> None:
    assert correct(question, engine.index, engine.analyzer) is None


def test_the_answer_to_a_misspelt_question_says_what_it_searched(engine: Engine) -> None:
    answer = engine.ask("Who signd the Shusa declaraton?")
    assert answer.corrected == "Who signed the Shusha declaration?"
    assert answer.answered
    assert render.console_text(answer).startswith("Showing results for “Who signed the Shusha declaration?”")
    assert "Showing results for <i>Who signed the Shusha declaration?</i>" in render.reply_html(answer)
    assert render.answer_json(answer)["corrected"] == answer.corrected
    assert render.answer_from_json(render.stored_json(answer)) == answer


def test_a_misspelt_question_finds_what_the_correct_one_finds(engine: Engine) -> None:
    misspelt = engine.ask("When did Azerbajan declare its independance?")
    spelt = engine.ask("When did Azerbaijan declare its independence?")
    assert [r.doc_id for r in misspelt.results] == [r.doc_id for r in spelt.results]


def test_a_correctly_spelt_answer_has_no_correction(engine: Engine) -> None:
    answer = engine.ask("When did Azerbaijan declare its independence?")
    assert answer.corrected == ""
    assert not render.console_text(answer).startswith("Showing")


def test_word_counts_are_spellcheckers() -> None:
    """everyday.zipf reads pyspellchecker's lists itself (faster than loading them): the same figures."""
    from spellchecker import SpellChecker

    from bot import everyday

    frequencies = SpellChecker(language="en", distance=1).word_frequency
    for word in ("the", "a", "like", "people", "weather", "azerbaijan", "don't", "zzyzx-not-a-word", "aachen"):
        count = frequencies.dictionary.get(word, 0)
        expected = math.log10(count * 1e9 / frequencies.total_words) if count else None
        assert everyday.zipf(word) == expected, word
    german = SpellChecker(language="de", distance=1).word_frequency
    for word in ("und", "nicht", "paket", "zzyzx"):
        count = german.dictionary.get(word, 0)
        expected = math.log10(count * 1e9 / german.total_words) if count else None
        assert everyday.zipf(word, "de") == expected, word
    assert everyday.zipf("fur", "de") > everyday.zipf("paket", "de")  # "für", folded as German questions are
    assert everyday.zipf("the", "ja") is None  # no list of Japanese
