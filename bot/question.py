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

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from . import english, spelling, word_forms
from .index import Index
from .spelling import Correction
from .text import Analyzer, fold, words


@dataclass(frozen=True, slots=True)
class Weighing:
    """How much each kind of question word counts (tuned on the question sets; see README)."""

    context: float = 0.5  # a follow-up's words from earlier turns, relative to its own
    category: float = 0.1  # the word naming the kind of answer asked for ("which cities", "how long")
    # An unknown word more common in everyday English than this (zipf: log10 per billion words;
    # "famous" 4.7, "forward" 4.8, "keep" 6.0) weighs 10**-slope less per zipf above it, down to floor.
    everyday_zipf: float = 4.7
    everyday_slope: float = 2.0
    everyday_floor: float = 0.05
    commonplace_zipf: float = 6.0  # … and above this even a word the documents use ("like" 6.7, "people" 6.1)


WEIGHING = Weighing()


# --- kinds of answer ------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
_CLOCK = r"(?:\d{1,2}[:.]\d\d(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?|noon|midnight)"
_EVERY = (
    r"(?:daily|weekly|monthly|yearly|annually|hourly|nightly|every\s+(?:\w+\s+)?(?:second|minute|hour|day|night|"
    r"week|month|year|morning|evening|time|boot|reboot)s?|each\s+(?:day|night|week|month|year|morning|evening)|"
    r"once\s+a\s+\w+|twice\s+a\s+\w+|at\s+(?:boot|startup|start-up|shutdown|login|logout))"
)
_TIME = re.compile(
    rf"\b(?:{_MONTH}\b|1[0-9]{{3}}s?\b|20[0-9]{{2}}s?\b|\d{{4}}-\d\d-\d\d\b|{_WEEKDAY}\b|{_EVERY}\b)|{_CLOCK}",
    re.IGNORECASE,
)
_DURATION_UNITS = r"(?:milli)?seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies)"
_NUMBER = re.compile(  # a count or a measure; a year alone is neither ("in 2020" does not say how many)
    r"\b(?:(?!(?:1[0-9]{3}|20[0-9]{2})\b(?![.,]\d))\d[\d,.]*|one(?! of\b)|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozens?|several|half|"
    rf"a\s+(?:few|couple\s+of)\s+(?:{_DURATION_UNITS}))\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_QUOTATION = re.compile(r"[\"“«„][^\"“”«»„]{3,}?\s[^\"“”«»„]{3,}[\"”»“]")  # of two words or more
# A file or folder: /etc/papersize, ~/.pgpass, C:\Program Files, pg_hba.conf, .python_history, $HOME
_PATH = re.compile(
    r"(?:(?<![\w/])(?:~|\.{1,2}|[A-Za-z]:)?[/\\][\w.@+-]+(?:[/\\][\w.@+-]*)*"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:conf|cfg|ini|ya?ml|json|toml|xml|list|d|rc|log|db|sqlite3?|pem|key|service|txt)\b"
    r"|(?<![\w.])\.[a-z][\w.-]+|\$[A-Z][A-Z0-9_]{2,}\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b)"
)
# An instruction: an imperative at a sentence's or clause's start, or a command with options.
_INSTRUCTION = re.compile(
    r"(?:^|[:;,]\s*|\b(?:then|just|simply|and|can|could|should|must|may|to|please|you)\s+)"
    r"(?:run|use|type|enter|execute|install|edit|add|set|enable|disable|remove|delete|create|open|select|choose|"
    r"click|press|put|change|copy|move|call|pass|specify|invoke|start|stop|restart|reload|write|append|"
    r"uncomment|configure)\b"
    r"|(?:^|\s)[a-z][\w.-]*\s+(?:-{1,2}[a-z][\w-]*|[a-z][\w-]*\s+-{1,2}[a-z][\w-]*)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class AnswerKind:
    """A kind of answer: the question words that ask for it, and what in a sentence gives it."""

    name: str
    asks: re.Pattern[str]  # on the folded question
    holds: re.Pattern[str] | None  # on the answering text; None: only code gives it
    in_code: bool = False  # a code block (or a sentence leading in to one) gives it too
    untyped_confidence: float = 0.2  # what is kept of the confidence when the best sentence lacks it


_HOW_ADJECTIVES = "many|much|long|old|often|large|big|far|tall|high"
_HOW_MUCH = re.compile(rf"\bhow ({_HOW_ADJECTIVES})\b", re.IGNORECASE)

# In order: the first kind whose question words a question has is what it asks for.
KINDS: tuple[AnswerKind, ...] = (
    AnswerKind(
        "quotation",
        re.compile(r"\b(?:which|what) (?:[^\W\d_]+ )?(?:quote|quotation|saying|slogan|motto)s?\b"),
        _QUOTATION,
    ),
    AnswerKind(
        "procedure",
        re.compile(
            r"\bhow (?:do|can|could|should|would|might|must) (?:i|you|we|one)\b|\bhow to\b|"
            r"\b(?:what|which) (?:command|commands|option|flag|switch)\b|\bis there (?:a|any) (?:way|command)\b"
        ),
        _INSTRUCTION,
        in_code=True,
        untyped_confidence=0.6,
    ),
    AnswerKind(
        "default",
        re.compile(r"\bdefaults?\b|\bby default\b"),
        # "the default is 4MB", "5432 by default": the word and a value, in either order
        re.compile(
            rf"^(?=.*\bdefault)(?=.*(?:\d|\b(?:on|off|true|false|yes|no|none|empty|disabled|enabled)\b|[\"'“‘]|{_PATH.pattern}))",
            re.IGNORECASE | re.DOTALL,
        ),
        untyped_confidence=0.6,
    ),
    AnswerKind(
        "frequency", re.compile(r"\bhow often\b"), re.compile(f"{_TIME.pattern}|{_NUMBER.pattern}", re.IGNORECASE)
    ),
    AnswerKind(
        "time",
        re.compile(
            r"\b(?:when|since when|what year|which year|what date|what day|in what year|what time|at what time|"
            r"which day|which days|what days)\b"
        ),
        _TIME,
    ),
    AnswerKind(
        "file",
        re.compile(
            r"\b(?:which|what|in which|in what) (?:file|files|folder|folders|directory|directories|path|config file)\b|"
            r"\bwhere\b.*\b(?:file|files|folder|directory|config|configuration|settings?|logs?|kept|stored|saved|"
            r"installed|logged|written|configured)\b"
        ),
        _PATH,
        in_code=True,
        untyped_confidence=0.6,
    ),
    AnswerKind(
        "number",
        re.compile(
            rf"\b(?:how (?:{_HOW_ADJECTIVES})|what percentage|what number|"
            r"what (?:is|was|are|were) the (?:population|area|size|number|amount|percentage|price|cost|length|"
            r"height|distance|budget|value|gdp|total|age|speed|rate|weight|temperature|depth|width|volume|"
            r"capacity|duration|density|altitude|elevation|growth)\b)"
        ),
        _NUMBER,
    ),
    AnswerKind("place", re.compile(r"\bwhere\b"), re.compile(f"{_NAME.pattern}|{_PATH.pattern}")),
    AnswerKind("name", re.compile(r"\b(?:who|whom|which country|which city|what country|what city)\b|^whose\b"), _NAME),
)
_BY_NAME = {kind.name: kind for kind in KINDS}

# A question of keywords ("Tuvalu Azerbaijan relations date", "debian founder who"): no question
# word, and a word at its end (or alone) that says what kind of answer is wanted, not what to find.
_QUESTION_WORDS = re.compile(r"\b(?:what|when|who|whom|whose|where|which|why|how|is|are|was|were|do|does|did|can)\b")
_KEYWORD_KINDS = {
    "date": "time",
    "dates": "time",
    "year": "time",
    "years": "time",
    "day": "time",
    "time": "time",
    "location": "file",
    "path": "file",
    "command": "procedure",
    "howto": "procedure",
}
_TRAILING_WORD = re.compile(r"(?:^|\s)([^\W\d_]+)[\s?.!]*$")


# "whats", "hows": chat's contractions, without the apostrophe, read as the question words they are.
_CONTRACTED = re.compile(r"\b(what|how|where|who|when|why)'?s\b")


def expected_kind(question: str) -> tuple[AnswerKind | None, str]:
    """What the question asks for, and the question with a keyword that only said so taken out."""
    folded = _CONTRACTED.sub(r"\1 is", fold(question))
    for kind in KINDS:
        if kind.asks.search(folded):
            return kind, question
    trailing = _TRAILING_WORD.search(folded)
    if trailing and trailing[1] in _KEYWORD_KINDS and not _QUESTION_WORDS.search(folded[: trailing.start(1)]):
        return _BY_NAME[_KEYWORD_KINDS[trailing[1]]], question[: trailing.start(1)].rstrip(" ?.!")
    return None, question


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


# "What is X?", "Who was X?", "What does X mean?", "X meaning", "define X": the answer defines X.
_DEFINITION = re.compile(
    r"^(?:(?:what|who) (?:is|are|was|were) (?:the |an? )?(?P<subject>[^?]+?)"
    r"|what (?:does|do) (?:the |an? )?(?P<meant>[^?]+?) (?:mean|stand for)"
    r"|(?:define|meaning of|definition of) (?:the |an? )?(?P<defined>[^?]+?)"
    r"|what (?:is|are) (?:in|inside) (?:the |an? )?(?P<inside>[^?]+?)"
    r"|(?P<named>[^?]+?) (?:meaning|definition|means|stands for))\s*[?.!]*$"
)
_DEFINITION_MAX_TERMS = 4

# "In which Turkish cities does…": the words between "which"/"what" and the verb or preposition
# that follows name the kind of thing asked for, which the answer is an instance of ("Istanbul"),
# not a word it repeats ("cities").
_CATEGORY = re.compile(
    r"\b(?:which|what)\s+((?:[^\W\d_]+(?:'s)?\s+)?[^\W\d_]+)\s+"
    r"(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|may|might|"
    r"about|of|in|on|for|from|with|to|by|at)\b"
)
# "Where does Azerbaijan have a consulate in Iran?": the first word after the question's auxiliary
# is what the question is about; the sentence that answers usually opens with it too ("Azerbaijan
# has a consulate in Tabriz", not "Iran has one in Nakhchivan").
_SUBJECT = re.compile(
    r"^(?:[^\W\d_]+\s+){0,6}?(?:does|do|did|is|was|are|were|has|have|had|will|would|can|could)\s+"
    r"(?:the\s+|an?\s+)?([^\W\d_][\w'-]*)"
)


def analyse(
    question: str,
    index: Index,
    analyzer: Analyzer,
    context: str = "",
    favoured_doc: str = "",
    favoured_section: tuple[str, ...] = (),
    weighing: Weighing = WEIGHING,
) -> Question:
    """Everything answering needs to know about a question (already cut to a searchable length).

    A follow-up brings `context`, words of the conversation before it, searched and weighed at
    `weighing.context`, and the document and section just cited, which answering favours.
    """
    asked = " ".join(question.split())
    correction = spelling.correct(asked, index, analyzer)
    expects, searched = expected_kind(correction.question if correction else asked)
    definition = _DEFINITION.match(_CONTRACTED.sub(r"\1 is", fold(searched)))
    defined = next((name for name in definition.groups() if name), "") if definition else ""
    if definition and not definition["subject"]:  # "X meaning", "define X": X is what to find
        searched = defined
    query = terms_of(searched, index, analyzer)
    earlier = [term for term in dict.fromkeys(terms_of(context, index, analyzer)) if term not in query]
    everyday = _everyday_factors(f"{searched}\n{context}", index, analyzer, weighing)
    weights = _term_weights(query, index, everyday) | {  # squared IDFs: half the IDF is a quarter of the weight
        term: weight * weighing.context**2 for term, weight in _term_weights(earlier, index, everyday).items()
    }
    for term in weights.keys() & terms_of(_asked_kind(searched), index, analyzer):
        weights[term] *= weighing.category
    total = sum(weights.values()) or 1.0
    defines = terms_of(defined, index, analyzer)
    subject = _SUBJECT.search(_CONTRACTED.sub(r"\1 is", fold(searched)))
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
    )


def terms_of(text: str, index: Index, analyzer: Analyzer) -> list[str]:
    """Text's terms as the index has them (see word_forms)."""
    return word_forms.in_index(analyzer.tokens(text), index)


# "Where is the paper size kept?": the verb says a place is asked for, not what to find there.
_KEPT = re.compile(r"\bwhere\b.*?\b(kept|stored|located|saved|placed|found|installed|live[sd]?)\b")


def _asked_kind(question: str) -> str:
    """The words naming what kind of answer the question asks for: the noun of a which/what
    question, the adjective of how long/many/old…, the verb of where … kept/stored; "" if none."""
    folded = fold(question)
    category = _CATEGORY.search(folded)
    nouns = [category[1].split()[-1]] if category else []
    return " ".join(nouns + [how[1] for how in _HOW_MUCH.finditer(question)] + _KEPT.findall(folded))


def _term_weights(query: list[str], index: Index, everyday: dict[str, float]) -> dict[str, float]:
    """How much each distinct query term matters: its IDF squared (at least a little); a word the
    documents never use weighs most — an off-topic question is mostly such words — unless it is
    an everyday word (`everyday`: how much less it weighs)."""
    rarest = math.log((len(index) + 0.5) / 0.5) ** 2
    return {
        term: (max(index.term_idf(term), 0.05) ** 2 if term in index.term_ids else rarest) * everyday.get(term, 1.0)
        for term in dict.fromkeys(query)
    }


def _everyday_factors(text: str, index: Index, analyzer: Analyzer, weighing: Weighing) -> dict[str, float]:
    """How much less than its IDF says the text's everyday words weigh. An everyday word the
    documents never use ("What keeps the ties moving forward?", "How did they get along back
    then?") is how the question is put more than what it is about — unlike "weather" or
    "restaurant", whose absence says the documents are about something else. A commonplace word
    ("like", "one", "people") is that whether or not the documents happen to use it: in a small
    corpus one use makes it look rare."""
    factors: dict[str, float] = {}
    for word in dict.fromkeys(words(text)):
        frequency = english.zipf(word)
        if frequency is None or frequency <= weighing.everyday_zipf:
            continue
        factor = max(10 ** (-weighing.everyday_slope * (frequency - weighing.everyday_zipf)), weighing.everyday_floor)
        for term in terms_of(word, index, analyzer):
            if term not in index.term_ids or frequency > weighing.commonplace_zipf:
                factors[term] = min(factors.get(term, 1.0), factor)
    return factors
