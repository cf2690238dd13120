"""A question's word in another form than the documents' is searched as theirs, where the stemmer parts the two."""

from pathlib import Path

import pytest

from bot import index_build as index_module
from bot.answer import AnswerSettings, answer
from bot.chunking import ChunkingSettings, chunk
from bot.corpus import Document
from bot.index import SearchSettings
from bot.text import Analyzer
from bot.word_forms import in_index

MISSIONS = """Missions of Osterland

Osterland is represented in Marenca through its embassy in Quillon. Its diplomatic ties with Vardos were recognized in 1921, after the occupation of the harbour ended.

The statue of the founder is in the harbour of Quillon, beside the state archive and the standard weights of the old customs house. It is currently closed."""

GARDENS = """Botanical gardens

The botanical garden of Veltria holds more than nine hundred species of ferns. It opens every day except Monday."""


@pytest.fixture(scope="module")
def parts():
    analyzer = Analyzer()
    documents = [
        Document(doc_id=name, title=text.split("\n", 1)[0], text=text, path=Path(name))
        for name, text in [("missions.txt", MISSIONS), ("gardens.txt", GARDENS)]
    ]
    built = index_module.build(
        documents,
        [chunk(d.doc_id, d.text, ChunkingSettings()) for d in documents],
        analyzer,
        SearchSettings(),
        settings_fingerprint="test",
        corpus_fingerprint="test",
    )
    return built, analyzer


@pytest.mark.parametrize(
    ("asked", "written"),
    [("representation", "represented"), ("recognition", "recognized"), ("occupied", "occupation")],
)
def test_a_form_the_stemmer_parts_from_the_documents_is_searched_as_theirs(parts, asked: str, written: str) -> None:
    built, analyzer = parts
    [term] = analyzer.tokens(asked)
    assert term not in built.term_ids, "the stemmer keeps the two forms apart"
    assert in_index([term], built) == analyzer.tokens(written)


@pytest.mark.parametrize("word", ["statehood", "stand", "currency", "foundation", "harbours"])
def test_terms_the_index_has_and_words_sharing_too_little_with_its_terms_are_left_as_they_are(parts, word) -> None:
    """ "statehood" begins with "state", but the rest is more than an ending; "stand" is too short to
    stand for "standard"; "currency" and "currently", "foundation" and "founder" only begin alike."""
    built, analyzer = parts
    terms = analyzer.tokens(word)
    assert in_index(terms, built) == terms


def test_a_question_in_other_forms_than_the_documents_is_answered(parts) -> None:
    built, analyzer = parts
    reply = answer("Where does Osterland have its representation in Marenca?", built, analyzer, AnswerSettings())
    assert reply.answered
    assert reply.results[0].highlight == "Osterland is represented in Marenca through its embassy in Quillon."
