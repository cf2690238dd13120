"""What a question asks, worked out once: its terms and their weights, the kind of answer it
wants, what it is about.

Answering judges every candidate sentence against one `Question`, as bm25s passes one
`Tokenized`: nothing downstream re-reads the question's words.

Usage::

    question = analyse("When was the declaration signed?", index, analyzer)
    question.expects.name     # "time": a date, a clock time, a weekday or "daily" answers it
    question.weights          # each term's share of the question's weight
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import everyday, language_data, spelling, word_forms
from .index import Index
from .language_data import Evidence, Language
from .spelling import Correction
from .text import Analyzer, fold, words, written_without_spaces


@dataclass(frozen=True, slots=True)
class Weighing:
    """How much each kind of question word counts (tuned on the question sets; see README)."""

    context: float = 0.5  # a follow-up's words from earlier turns, relative to its own
    category: float = 0.1  # the word naming the kind of answer asked for ("which cities", "how long")
    # An unknown word more common in everyday use than this (zipf: log10 per billion words;
    # "famous" 4.7, "forward" 4.8, "keep" 6.0) weighs 10**-slope less per zipf above it, down to floor.
    everyday_zipf: float = 4.7
    everyday_slope: float = 2.0
    everyday_floor: float = 0.05
    # In Chinese and Japanese a term the documents never use says little about what is asked: a
    # Japanese character pair mostly straddles two words ("何で"), and Chinese questions are put in
    # everyday words (为啥, 咋) that no list of ours tells apart (Chinese set: 0.32 → 0.44).
    unseen_pair: float = 0.1
    commonplace_zipf: float = 6.0  # … and above this even a word the documents use ("like" 6.7, "people" 6.1)


WEIGHING = Weighing()


# --- kinds of answer ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerKind:
    """A kind of answer: the question words that ask for it, and what in a sentence gives it."""

    name: str
    asks: re.Pattern[str]  # on the folded question
    holds: re.Pattern[str] | None  # on the answering text; None: only code gives it
    in_code: bool = False  # a code block (or a sentence leading in to one) gives it too
    untyped_confidence: float = 0.2  # what is kept of the confidence when the best sentence lacks it
    language: str = "en"  # whose words and patterns these are


def kinds(language: str = "en") -> tuple[AnswerKind, ...]:
    """The kinds of answer a question in `language` can ask for, in order: the first kind whose
    question words a question has is what it asks for. The words and patterns are the language's
    (language_data); which evidence gives which kind, and how much its lack costs, is the same in all."""
    return _kinds(language_data.of(language).code)


# In order, each kind of answer with what in a sentence gives it, whether code does too, and what
# is kept of the confidence when the best sentence lacks it: the same in every language.
_KINDS: tuple[tuple[str, Callable[[Evidence], re.Pattern[str]], bool, float], ...] = (
    ("quotation", lambda said: said.quotation, False, 0.2),
    ("procedure", lambda said: said.instruction, True, 0.6),
    ("default", lambda said: said.default, False, 0.6),
    ("frequency", lambda said: re.compile(f"{said.time.pattern}|{said.number.pattern}", re.IGNORECASE), False, 0.2),
    ("time", lambda said: said.time, False, 0.2),
    ("file", lambda said: said.path, True, 0.6),
    ("number", lambda said: said.number, False, 0.2),
    ("place", lambda said: re.compile(f"{said.name.pattern}|{said.path.pattern}"), False, 0.2),
    ("name", lambda said: said.name, False, 0.2),
)


@functools.cache
def _kinds(code: str) -> tuple[AnswerKind, ...]:
    language = language_data.of(code)
    return tuple(
        AnswerKind(name, language.asks[name], holds(language.evidence), in_code, untyped, language.code)
        for name, holds, in_code, untyped in _KINDS
        if name in language.asks
    )


_TRAILING_WORD = re.compile(r"(?:^|\s)([^\W\d_]+)[\s?.!]*$")


def expected_kind(question: str, language: str = "en") -> tuple[AnswerKind | None, str]:
    """What the question asks for, and the question with a keyword that only said so taken out."""
    data = language_data.of(language)
    folded = _expanded(question, data)
    for kind in _kinds(data.code):
        if kind.asks.search(folded):
            return kind, question
    trailing = _TRAILING_WORD.search(folded)
    if trailing and trailing[1] in data.keyword_kinds and not data.question_words.search(folded[: trailing.start(1)]):
        named = next((kind for kind in _kinds(data.code) if kind.name == data.keyword_kinds[trailing[1]]), None)
        if named is not None:
            return named, question[: trailing.start(1)].rstrip(" ?.!")
    return None, question


def _expanded(question: str, data: Language) -> str:
    """The folded question, chat's contractions of question words ("whats") written out."""
    return data.contraction.sub(data.contraction_as, fold(question))


# --- the question ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    """A question as answering uses it."""

    asked: str  # as asked, its whitespace tidied
    searched: str  # as searched: misspellings corrected, a keyword naming the kind of answer taken out
    correction: Correction | None
    terms: Mapping[str, float]  # what the index is searched for: term → how much it counts
    weights: Mapping[str, float]  # each term's share of the question's weight (they sum to 1)
    expects: AnswerKind | None  # what kind of answer it asks for
    subject: tuple[str, ...]  # the terms of what it is about ("Where does Azerbaijan have…")
    defines: tuple[str, ...]  # "What is X?": X's terms, when X is short enough to be a name
    favoured_doc: str  # a follow-up's document just cited
    favoured_section: tuple[str, ...]  # … and the section of it
    language: str = "en"  # ISO 639-1: whose question words and patterns read it ("" for none)


_DEFINITION_MAX_TERMS = 4


def analyse(
    question: str,
    index: Index,
    analyzer: Analyzer,
    context: str = "",
    favoured_doc: str = "",
    favoured_section: tuple[str, ...] = (),
    weighing: Weighing = WEIGHING,
    language: str = "en",
) -> Question:
    """Everything answering needs to know about a question (already cut to a searchable length).

    A follow-up brings `context`, words of the conversation before it, searched and weighed at
    `weighing.context`, and the document and section just cited, which answering favours.
    `language` (ISO 639-1) is the question's: its question words say what kind of answer it asks
    for; in a language without data (language_data) it asks for none.
    """
    data = language_data.of(language)
    asked = " ".join(question.split())
    correction = spelling.correct(asked, index, analyzer)
    expects, searched = expected_kind(correction.question if correction else asked, data.code)
    definition = data.definition.match(_expanded(searched, data))
    defined = next((name for name in definition.groups() if name), "") if definition else ""
    if definition and not definition.groupdict().get("subject"):  # "X meaning", "define X": X is what to find
        searched = defined
    query = terms_of(searched, index, analyzer)
    earlier = [term for term in dict.fromkeys(terms_of(context, index, analyzer)) if term not in query]
    usual = _everyday_factors(f"{searched}\n{context}", query + earlier, index, analyzer, weighing)
    weights = _term_weights(query, index, usual) | {  # squared IDFs: half the IDF is a quarter of the weight
        term: weight * weighing.context**2 for term, weight in _term_weights(earlier, index, usual).items()
    }
    for term in weights.keys() & terms_of(_asked_kind(searched, data), index, analyzer):
        weights[term] *= weighing.category
    total = sum(weights.values()) or 1.0
    defines = terms_of(defined, index, analyzer)
    subject = data.subject.search(_expanded(searched, data))
    return Question(
        asked=asked,
        searched=searched,
        correction=correction,
        terms=dict(Counter(query)) | dict.fromkeys(earlier, weighing.context),
        weights={term: weight / total for term, weight in weights.items()},
        expects=expects,
        subject=tuple(terms_of(subject[1], index, analyzer)) if subject else (),
        defines=tuple(defines) if 1 <= len(defines) <= _DEFINITION_MAX_TERMS else (),
        favoured_doc=favoured_doc,
        favoured_section=favoured_section,
        language=data.code,
    )


def terms_of(text: str, index: Index, analyzer: Analyzer) -> list[str]:
    """Text's terms as the index has them (see word_forms)."""
    return word_forms.in_index(analyzer.tokens(text), index)


def _asked_kind(question: str, data: Language) -> str:
    """The words naming what kind of answer the question asks for: the noun of a which/what
    question, the adjective of how long/many/old…, the verb of where … kept/stored; "" if none."""
    folded = fold(question)
    category = data.category.search(folded)
    nouns = [category[1].split()[-1]] if category else []
    return " ".join(nouns + [how[1] for how in data.how_much.finditer(question)] + data.kept.findall(folded))


def _term_weights(query: list[str], index: Index, everyday: dict[str, float]) -> dict[str, float]:
    """How much each distinct query term matters: its IDF squared (at least a little); a word the
    documents never use weighs most — an off-topic question is mostly such words — unless it is
    an everyday word (`everyday`: how much less it weighs)."""
    rarest = math.log((len(index) + 0.5) / 0.5) ** 2
    return {
        term: (max(index.term_idf(term), 0.05) ** 2 if term in index.term_ids else rarest) * everyday.get(term, 1.0)
        for term in dict.fromkeys(query)
    }


def _everyday_factors(
    text: str, terms: list[str], index: Index, analyzer: Analyzer, weighing: Weighing
) -> dict[str, float]:
    """How much less than its IDF says the text's everyday words weigh. An everyday word the
    documents never use ("What keeps the ties moving forward?", "How did they get along back
    then?") is how the question is put more than what it is about — unlike "weather" or
    "restaurant", whose absence says the documents are about something else. A commonplace word
    ("like", "one", "people") is that whether or not the documents happen to use it: in a small
    corpus one use makes it look rare. In Chinese and Japanese a term the documents never
    use is most often how the question is put (`Weighing.unseen_pair`)."""
    factors: dict[str, float] = {}
    for term in terms:  # the text's, already worked out
        if term not in index.term_ids and written_without_spaces(term):
            factors[term] = weighing.unseen_pair
    for word in dict.fromkeys(words(text, analyzer.language)):
        frequency = everyday.zipf(word, analyzer.language)
        if frequency is None or frequency <= weighing.everyday_zipf:
            continue
        factor = max(10 ** (-weighing.everyday_slope * (frequency - weighing.everyday_zipf)), weighing.everyday_floor)
        for term in terms_of(word, index, analyzer):
            if term not in index.term_ids or frequency > weighing.commonplace_zipf:
                factors[term] = min(factors.get(term, 1.0), factor)
    return factors
