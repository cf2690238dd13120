"""Answers from a real index over small documents: highlight, tables, duplicates, abstention."""

from pathlib import Path

import pytest

from bot import index_build as index_module
from bot.answer import AnswerSettings, answer
from bot.chunking import ChunkingSettings, chunk
from bot.corpus import Document
from bot.index import SearchSettings
from bot.text import AliasGroup, Analyzer

HARBOUR = """The Harbour of Veltria

The harbour of Veltria was founded by fishermen from the northern islands. Its first stone pier was built in 1642 by the merchant guild. Ships from twelve nations anchored there during the spice trade.

The lighthouse on the eastern mole stands 48 metres tall. It was designed by the engineer Odile Marchetti and first lit on 3 May 1871.

Today the port handles container traffic and two passenger ferries a day."""

HARBOUR_COPY = """Veltria Harbour (archived copy)

The harbour of Veltria was founded by fishermen from the northern islands. Its first stone pier was built in 1642 by the merchant guild. Ships from twelve nations anchored there during the spice trade."""

TREATIES = """Treaties of Veltria

Partner Treaty Signed Notes
 Osterland 14 February 1903
 Marenca 2 June 1921 See Marenca relations
 Quillon 30 October 1955
 Vardos 1 April 1960

The treaties were negotiated by the harbour council and ratified by the city assembly."""

GARDENS = """Botanical gardens

The botanical garden of Veltria holds more than nine hundred species of ferns. It opens every day except Monday."""


def _document(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, title=text.split("\n", 1)[0], text=text, path=Path(doc_id))


def indexed(documents: list[Document], analyzer: Analyzer, chunking: ChunkingSettings):
    built = index_module.build(
        documents,
        [chunk(d.doc_id, d.text, chunking) for d in documents],
        analyzer,
        SearchSettings(),
        settings_fingerprint="test",
        corpus_fingerprint="test",
    )
    return built, analyzer


@pytest.fixture(scope="module")
def engine_parts():
    analyzer = Analyzer([AliasGroup(("Veltria", "Weltria"))])
    documents = [
        _document("harbour.txt", HARBOUR),
        _document("harbour-copy.txt", HARBOUR_COPY),
        _document("treaties.txt", TREATIES),
        _document("gardens.txt", GARDENS),
    ]
    return indexed(documents, analyzer, ChunkingSettings(target_chars=220, max_chars=600))


def ask(engine_parts, question: str, **settings):
    built, analyzer = engine_parts
    return answer(question, built, analyzer, AnswerSettings(**settings))


def test_highlight_is_the_answering_sentence_of_the_cited_passage(engine_parts):
    reply = ask(engine_parts, "Who designed the lighthouse?")
    top = reply.results[0]
    assert reply.answered
    assert top.doc_id == "harbour.txt"
    # The question's words are in two sentences: both are the highlight, "It" read with its subject.
    assert top.highlight == (
        "The lighthouse on the eastern mole stands 48 metres tall. "
        "It was designed by the engineer Odile Marchetti and first lit on 3 May 1871."
    )
    assert top.highlight in top.text


def test_question_word_when_prefers_the_sentence_with_a_date(engine_parts):
    reply = ask(engine_parts, "When was the lighthouse first lit?")
    assert "3 May 1871" in reply.results[0].highlight


def test_how_many_prefers_a_number(engine_parts):
    reply = ask(engine_parts, "How many species of ferns does the garden hold?")
    assert "nine hundred" in reply.results[0].highlight


def test_table_row_is_answerable_and_read_with_its_header(engine_parts):
    reply = ask(engine_parts, "When was the treaty with Quillon signed?")
    top = reply.results[0]
    assert top.doc_id == "treaties.txt"
    assert top.highlight.strip() == "Quillon 30 October 1955"
    assert top.header == "Partner Treaty Signed Notes"


def test_alias_spelling_finds_the_same_passages(engine_parts):
    plain = ask(engine_parts, "Who founded the harbour of Veltria?")
    variant = ask(engine_parts, "Who founded the harbour of Weltria?")
    assert [r.highlight for r in plain.results] == [r.highlight for r in variant.results]
    assert "fishermen" in variant.results[0].highlight


def test_near_duplicate_passages_collapse_into_one_result_naming_the_other_source(engine_parts):
    reply = ask(engine_parts, "When was the first stone pier built?", top_k=3)
    top = reply.results[0]
    assert "1642" in top.highlight
    other = "harbour-copy.txt" if top.doc_id == "harbour.txt" else "harbour.txt"
    assert top.also_in == (other,)
    assert all(r.doc_id != other for r in reply.results[1:])
    texts = [r.text for r in reply.results]
    assert len(set(texts)) == len(texts)


def test_unrelated_question_abstains_and_still_offers_the_closest_passages(engine_parts):
    reply = ask(engine_parts, "What is the exchange rate of the harbour currency?")
    assert not reply.answered
    assert reply.confidence < AnswerSettings().threshold
    assert reply.results, "closest passages are offered"
    assert "don't seem to answer" in reply.note


def test_everyday_words_the_documents_lack_weigh_little_and_uncommon_ones_much(engine_parts):
    """ "back in the day" is how the question is put; a "fog siren" is something the documents never mention."""
    plain = ask(engine_parts, "When was the lighthouse on the eastern mole first lit?")
    everyday = ask(engine_parts, "When was the lighthouse on the eastern mole first lit, back in the day?")
    uncommon = ask(engine_parts, "When was the fog siren of the lighthouse on the eastern mole first sounded?")
    assert everyday.answered
    assert everyday.confidence > plain.confidence - 0.15
    assert uncommon.confidence < plain.confidence - 0.3


def test_a_year_alone_does_not_answer_how_many(engine_parts):
    reply = ask(engine_parts, "How many stone piers had the merchant guild built by 1642?")
    assert reply.results[0].highlight == "Its first stone pier was built in 1642 by the merchant guild."
    assert not reply.answered


def test_threshold_decides_abstention(engine_parts):
    confident = ask(engine_parts, "Who designed the lighthouse?")
    assert confident.answered
    strict = ask(engine_parts, "Who designed the lighthouse?", threshold=1.0)
    assert strict.confidence == confident.confidence
    assert strict.answered is (confident.confidence >= 1.0)


@pytest.mark.parametrize("question", ["", "   ", "what is the", "?!", "the of and"])
def test_questions_without_searchable_words_get_a_note_not_an_answer(engine_parts, question):
    reply = ask(engine_parts, question)
    assert not reply.answered
    assert reply.results == ()
    assert reply.note


def test_words_absent_from_the_corpus_get_a_note(engine_parts):
    reply = ask(engine_parts, "zyxxyq wuffle?")
    assert not reply.answered and reply.results == () and "occur" in reply.note


def test_huge_question_is_answered_without_error(engine_parts):
    reply = ask(engine_parts, "Who designed the lighthouse? " + "lorem ipsum " * 5000)
    assert len(reply.question) > 50_000
    assert reply.results


def test_top_k_limits_results(engine_parts):
    assert len(ask(engine_parts, "Veltria harbour", top_k=1).results) == 1
    assert len(ask(engine_parts, "Veltria harbour", top_k=3).results) <= 3


def test_overlapping_passages_of_one_document_do_not_repeat_the_same_sentence(engine_parts):
    built, _ = engine_parts
    overlapping = [
        (a, b) for a, b in zip(built.passages, built.passages[1:]) if a.doc_id == b.doc_id and a.span[1] > b.span[0]
    ]
    assert overlapping, "the fixture has passages that overlap by a sentence"
    for question in ("When was the first stone pier built?", "Who anchored during the spice trade?"):
        reply = ask(engine_parts, question, top_k=5)
        highlights = [r.highlight for r in reply.results]
        assert len(set(highlights)) == len(highlights)


ACCORD = """Amber Accord

The Amber Accord, a trade pact between Veltria and Osterland, was signed in the harbour hall in 1903.

Later years brought new councils. In the spirit of the Amber Accord the councils met again, and the Amber Accord was praised in every Amber Accord anniversary speech."""

SEABIRDS = """Cliffs of Veltria

Veltria's populations of seabirds nest on the eastern cliffs every spring.

Orlan, the neighbouring village, has a population of 4,200 people."""


@pytest.fixture(scope="module")
def accord_parts():
    analyzer = Analyzer()
    documents = [_document("accord.txt", ACCORD), _document("cliffs.txt", SEABIRDS), _document("gardens.txt", GARDENS)]
    return indexed(documents, analyzer, ChunkingSettings(target_chars=120, max_chars=400))


def test_what_is_x_leads_with_where_the_documents_first_define_x(accord_parts):
    built, analyzer = accord_parts
    later = next(p for p in built.passages if "anniversary" in p.text)
    scores = built.scores(analyzer.tokens("Amber Accord"))
    first = next(p for p in built.passages if "trade pact" in p.text)
    assert scores[built.passages.index(later)] > scores[built.passages.index(first)], "BM25 alone prefers the later"
    reply = ask(accord_parts, "What is the Amber Accord?")
    assert "trade pact" in reply.results[0].highlight


def test_a_heading_that_only_repeats_the_question_is_not_the_answer(accord_parts):
    reply = ask(accord_parts, "What was the Amber Accord?")
    assert reply.results[0].highlight.strip() != "Amber Accord"


def test_a_question_asking_for_a_number_abstains_when_the_match_has_none(accord_parts):
    unanswered = ask(accord_parts, "What is the population of Veltria?")
    assert not unanswered.answered
    answered = ask(accord_parts, "What is the population of Orlan?")
    assert answered.answered and "4,200" in answered.results[0].highlight


def test_a_follow_up_is_answered_with_its_context_words(engine_parts):
    """ "When was it built?" alone is about the pier (the only thing "built"); after a question
    about the lighthouse, it is about the lighthouse."""
    built, analyzer = engine_parts
    alone = answer("When was it built?", built, analyzer, AnswerSettings())
    assert "1642" in alone.results[0].highlight
    follow_up = answer("When was it built?", built, analyzer, AnswerSettings(), context="lighthouse")
    assert "lighthouse" in follow_up.results[0].text and "3 May 1871" in follow_up.results[0].text


def test_context_words_count_less_than_the_question_s_own(engine_parts):
    built, analyzer = engine_parts
    reply = answer("When was the treaty with Quillon signed?", built, analyzer, AnswerSettings(), context="lighthouse")
    assert reply.results[0].highlight.strip() == "Quillon 30 October 1955"


def test_a_follow_up_favours_the_document_just_cited(engine_parts):
    built, analyzer = engine_parts
    question = "Who founded the harbour of Veltria?"
    plain = answer(question, built, analyzer, AnswerSettings())
    cited = {r.doc_id for r in plain.results[:1]} | set(plain.results[0].also_in)
    assert cited == {"harbour.txt", "harbour-copy.txt"}  # the same passage in both: the copy is folded in
    favoured = answer(question, built, analyzer, AnswerSettings(), favoured_doc="harbour-copy.txt")
    assert favoured.results[0].doc_id == "harbour-copy.txt"


def test_a_follow_up_without_words_of_its_own_is_searched_with_its_context(engine_parts):
    built, analyzer = engine_parts
    reply = answer("Why?", built, analyzer, AnswerSettings(), context="lighthouse eastern mole")
    assert reply.results and "lighthouse" in reply.results[0].text


def test_a_sentence_of_the_asked_kind_that_holds_little_of_the_question_does_not_answer_it(engine_parts):
    """A name is what "who" asks for, but the lighthouse's designer is not the designer of a tower in Paris."""
    reply = ask(engine_parts, "Who designed the lighthouse clock tower in Paris?")
    assert "lighthouse" in reply.results[0].text
    assert not reply.answered


CONSULATES = """Consulates of Veltria

The northern consulates of Veltria are in Osterburg and Marenhaven, both opened after the trade treaty."""

CITY_HALL = """Quillon city hall

The city hall of Quillon has a consulates desk in the city centre for visiting traders."""


def test_the_word_naming_what_is_asked_for_is_not_what_the_answer_repeats():
    """ "In which cities…": the answer names cities; a sentence that only says "city" does not answer."""
    analyzer = Analyzer()
    documents = [_document(name, text) for name, text in [("consulates.txt", CONSULATES), ("city.txt", CITY_HALL)]]
    documents += [_document("harbour.txt", HARBOUR), _document("gardens.txt", GARDENS)]
    parts = indexed(documents, analyzer, ChunkingSettings(target_chars=200, max_chars=400))
    built, _ = parts
    question = "In which northern cities are there consulates?"
    scores = built.scores(analyzer.tokens(question))
    city_hall = next(i for i, p in enumerate(built.passages) if "city hall" in p.text)
    assert scores.argmax() == city_hall, "BM25 alone prefers the sentence with the word"
    reply = ask(parts, question)
    assert reply.results[0].doc_id == "consulates.txt"
    assert "Osterburg" in reply.results[0].highlight


EMBASSIES = """Embassies

Marenca has an embassy in Osterland and a consulate in Quillon. Osterland has an embassy in Marenca and a consulate in Vardos."""


def test_the_sentence_that_opens_with_what_the_question_is_about_answers_it():
    """Both sentences hold every word of the question; the one about Osterland answers it."""
    analyzer = Analyzer()
    parts = indexed(
        [_document("embassies.txt", EMBASSIES), _document("gardens.txt", GARDENS)], analyzer, ChunkingSettings()
    )
    reply = ask(parts, "Where does Osterland have an embassy?")
    assert reply.results[0].highlight.startswith("Osterland has an embassy in Marenca")


BRIDGES = """Bridges of Veltria

The Quillon footbridge crosses the old canal near the fish market. It was drawn by the architect Ines Valdor in 1888.

The harbour bridge was rebuilt after the storm of 1901. Its towers were drawn by students of the guild school."""


def test_two_adjacent_sentences_answer_when_the_question_spans_them():
    analyzer = Analyzer()
    documents = [
        _document("bridges.txt", BRIDGES),
        _document("harbour.txt", HARBOUR),
        _document("gardens.txt", GARDENS),
    ]
    parts = indexed(documents, analyzer, ChunkingSettings())
    reply = ask(parts, "Who was the architect of the Quillon footbridge?")
    assert reply.answered
    assert reply.results[0].highlight == (
        "The Quillon footbridge crosses the old canal near the fish market. "
        "It was drawn by the architect Ines Valdor in 1888."
    )
    one = ask(parts, "When was the harbour bridge rebuilt?")  # one sentence holds it all: no second
    assert one.results[0].highlight == "The harbour bridge was rebuilt after the storm of 1901."


SAYINGS = """Fishermen of Veltria

The fishermen of Veltria mend their nets on the northern pier every evening. Old fishermen of Veltria have a saying: "a calm sea never made a sailor"."""


def test_a_question_asking_for_a_quotation_is_answered_by_the_sentence_that_quotes():
    analyzer = Analyzer()
    documents = [_document(name, text) for name, text in [("fishermen.txt", SAYINGS), ("gardens.txt", GARDENS)]]
    parts = indexed(documents + [_document("harbour.txt", HARBOUR)], analyzer, ChunkingSettings())
    reply = ask(parts, "Which saying do the fishermen of Veltria have when they mend their nets?")
    assert '"a calm sea never made a sailor"' in reply.results[0].highlight
    plain = ask(parts, "What do the fishermen of Veltria do when they mend their nets?")  # asks for no quotation
    assert plain.results[0].highlight.startswith("The fishermen of Veltria mend their nets")


FERRIES = """Ferries to Vardos

Vardos lies a long way from Veltria, across the northern sea, and its ferries sail only in summer."""


def test_the_word_of_how_long_names_the_kind_of_answer_more_than_what_to_find():
    """ "How long…" asks for a length of time; "a long way" does not give one."""
    analyzer = Analyzer()
    documents = [_document("ferries.txt", FERRIES), _document("treaties.txt", TREATIES)]
    parts = indexed(documents + [_document("gardens.txt", GARDENS)], analyzer, ChunkingSettings())
    reply = ask(parts, "How long has Vardos been a partner of Veltria?")
    assert reply.answered
    assert reply.results[0].highlight.strip() == "Vardos 1 April 1960"
