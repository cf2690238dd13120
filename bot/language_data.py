"""The words and patterns of a language that answering reads questions and sentences with: which
question words ask for a date or a number, what a date or a number looks like in a sentence,
which words point back to the conversation before.

They are data, one YAML file per language in bot/languages/ (README.md there describes the
format), so that adding a language is writing a file, not code. A language without a file reads
as `NEUTRAL`: nothing asks for a kind of answer, nothing points back — plain retrieval.

Usage::

    german = language_data.of("de")
    german.asks["time"].search(fold("Wann kommt Trixie raus?"))   # a match: a date answers it
    german.evidence.time.search("Die Veröffentlichung ist für Juni 2025 geplant.")
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .text import fold

# A file or folder: /etc/papersize, ~/.pgpass, C:\Program Files, pg_hba.conf, .python_history, $HOME —
# written alike in every language, so a piece every file may use as {{path}}.
PATH = (
    r"(?:(?<![\w/])(?:~|\.{1,2}|[A-Za-z]:)?[/\\][\w.@+-]+(?:[/\\][\w.@+-]*)*"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:conf|cfg|ini|ya?ml|json|toml|xml|list|d|rc|log|db|sqlite3?|pem|key|service|txt)\b"
    r"|(?<![\w.])\.[a-z][\w.-]+|\$[A-Z][A-Z0-9_]{2,}\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b)"
)
# A quotation of two words or more, in the quotation marks of any language.
QUOTATION = r"[\"“«„][^\"“”«»„]{3,}?\s[^\"“”«»„]{3,}[\"”»“]"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when PyYAML has it: ten times faster
NEVER = re.compile(r"(?!)")  # what a language without a pattern for something matches
_PIECE = re.compile(r"\{\{(\w+)\}\}")
_KEPT_AS_WRITTEN = re.compile(r"(\\.|\(\?P[<=]\w+>?)")  # escapes and group names


@dataclass(frozen=True, slots=True)
class Evidence:
    """What in an answering sentence gives a kind of answer."""

    time: re.Pattern[str]  # a date, a year, a weekday, a clock time, "daily"
    number: re.Pattern[str]  # a count or a measure
    name: re.Pattern[str]  # a proper name
    instruction: re.Pattern[str]  # an imperative, or a command with options
    default: re.Pattern[str]  # "the default is 4MB"
    quotation: re.Pattern[str]
    path: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class FollowUps:
    """What makes a message go on from the one before it."""

    question_words: frozenset[str]  # folded
    asking: frozenset[str]  # words that ask without naming anything ("tell me more")
    function_words: frozenset[
        str
    ]  # a small list of the language's own, for telling own words; English uses text.STOPWORDS
    refers_back: re.Pattern[str]  # on the folded message: "it", "they", "this decision"
    goes_on: re.Pattern[str]  # a message opening with a conjunction ("and then…")
    also: re.Pattern[str]  # a fragment's trailing "too"
    ellipsis: re.Pattern[str]  # "and with X?", "what about X?"
    leading_preposition: re.Pattern[str]  # "with" of "and with X?"
    name: re.Pattern[str]  # a run of words making a name, or a number
    article_before: re.Pattern[str]  # an article ending the text before a swapped name
    article_opening: re.Pattern[str]  # an article opening the swapped-in words
    definition: re.Pattern[str]  # "What is X?": X is the subject


@dataclass(frozen=True, slots=True)
class Sentences:
    """How a sentence of the language says what something is, or points elsewhere."""

    copula: re.Pattern[str]  # where it starts saying what its subject is ("X is…")
    negation: re.Pattern[str]  # right after the copula: "X is not…" defines nothing
    pointer: re.Pattern[str]  # "See section 3."
    opening: re.Pattern[str]  # its first word after an article, as group 1


@dataclass(frozen=True, slots=True)
class Language:
    """A language's data, as read from its file."""

    code: str  # ISO 639-1; "" for a language without a file
    spaced: bool  # words are written apart (not so in Chinese): question words are whole words
    asks: Mapping[str, re.Pattern[str]]  # answer kind → the question words asking for it, on the folded question
    evidence: Evidence
    question_words: re.Pattern[str]  # any question word, on the folded question (not a keyword question)
    keyword_kinds: Mapping[str, str]  # a keyword question's last word → the kind it asks for
    contraction: re.Pattern[str]  # chat's contractions of question words …
    contraction_as: str  # … and what they stand for
    definition: re.Pattern[str]  # on the folded question: "what is X?"; see question.analyse
    category: re.Pattern[str]  # "which cities": the kind of thing asked for, as group 1
    how_much: re.Pattern[str]  # "how long": the word asking for a measure, as group 1
    kept: re.Pattern[str]  # "where is … kept": the verb asking for a place, as group 1
    subject: re.Pattern[str]  # what the question is about, as group 1
    follow_ups: FollowUps
    sentences: Sentences


@functools.cache  # asked for every sentence judged: the tag is read once
def of(code: str) -> Language:
    """The data of the language with this ISO 639-1 code, or of a tag's primary language ("pt-BR",
    "zh_Hans"); `NEUTRAL` if it has no file."""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return _load(primary if re.fullmatch(r"[a-z]{2}", primary) else "")


def supported() -> tuple[str, ...]:
    """The codes of the languages that have a file."""
    return tuple(
        sorted(entry.name.removesuffix(".yaml") for entry in _folder().iterdir() if entry.name.endswith(".yaml"))
    )


def _folder() -> Path:
    return Path(__file__).parent / "languages"  # not importlib.resources: its import costs every start 5 ms


@functools.cache
def _load(code: str) -> Language:
    source = _folder() / f"{code}.yaml"
    if not code or not source.is_file():
        return NEUTRAL
    return parse(code, yaml.load(source.read_text(encoding="utf-8"), Loader=_LOADER) or {})


def parse(code: str, data: Mapping[str, Any]) -> Language:
    """A language from its file's contents; a missing entry never matches (or is empty)."""
    pieces = {"path": PATH} | {name: _joined(value) for name, value in (data.get("pieces") or {}).items()}

    def pattern(value: Any, flags: int = 0, folded: bool = False) -> re.Pattern[str]:
        """A pattern of the file; `folded`: matched against the folded question, so written folded too."""
        if value is None:
            return NEVER
        text = _PIECE.sub(lambda m: pieces[m[1]], _joined(value))
        return re.compile(_fold_pattern(text) if folded else text, flags)

    evidence_data = data.get("evidence") or {}
    time = pattern(evidence_data.get("time"), re.IGNORECASE)
    evidence = Evidence(
        time=time,
        number=pattern(evidence_data.get("number"), re.IGNORECASE),
        name=pattern(evidence_data.get("name")),
        instruction=pattern(evidence_data.get("instruction"), re.IGNORECASE),
        default=pattern(evidence_data.get("default"), re.IGNORECASE | re.DOTALL),
        quotation=pattern(evidence_data.get("quotation", QUOTATION)),
        path=re.compile(PATH),
    )
    follow = data.get("follow_ups") or {}
    articles = follow.get("articles")
    follow_ups = FollowUps(
        question_words=_words(follow.get("question_words")),
        asking=_words(follow.get("asking")),
        function_words=_words(follow.get("function_words")),
        refers_back=pattern(follow.get("refers_back"), folded=True),
        goes_on=pattern(follow.get("goes_on"), re.IGNORECASE),
        also=pattern(follow.get("also"), re.IGNORECASE),
        ellipsis=pattern(follow.get("ellipsis"), re.IGNORECASE),
        leading_preposition=pattern(follow.get("leading_preposition"), re.IGNORECASE),
        name=pattern(follow.get("name")),
        article_before=pattern(articles and rf"\b{_joined(articles)}\s+$", re.IGNORECASE),
        article_opening=pattern(articles and rf"^{_joined(articles)}\s+", re.IGNORECASE),
        definition=pattern(follow.get("definition"), re.IGNORECASE),
    )
    said = data.get("sentences") or {}
    sentences = Sentences(
        copula=pattern(said.get("copula"), re.IGNORECASE),
        negation=pattern(said.get("negation"), re.IGNORECASE),
        pointer=pattern(said.get("pointer"), re.IGNORECASE),
        opening=pattern(said.get("opening"), re.IGNORECASE),
    )
    return Language(
        code=code,
        spaced=data.get("spaced", True),
        asks={kind: pattern(words, folded=True) for kind, words in (data.get("asks") or {}).items()},
        evidence=evidence,
        question_words=pattern(data.get("question_words"), folded=True),
        keyword_kinds={fold(word): kind for word, kind in (data.get("keyword_kinds") or {}).items()},
        contraction=pattern(data.get("contraction"), folded=True),
        contraction_as=data.get("contraction_as", ""),
        definition=pattern(data.get("definition"), folded=True),
        category=pattern(data.get("category"), folded=True),
        how_much=pattern(data.get("how_much"), re.IGNORECASE),
        kept=pattern(data.get("kept"), folded=True),
        subject=pattern(data.get("subject"), folded=True),
        follow_ups=follow_ups,
        sentences=sentences,
    )


def _joined(value: str | list[str]) -> str:
    """A pattern written as one string, or as a list of strings run together (a long one)."""
    return value if isinstance(value, str) else "".join(value)


def _words(value: list[str] | None) -> frozenset[str]:
    for word in value or ():
        if not isinstance(word, str):  # YAML reads a bare no, on, yes as a boolean
            raise TypeError(f"{word!r} in a word list of a language file: quote it")
    return frozenset(fold(word) for word in value or ())


def _fold_pattern(pattern: str) -> str:
    """A pattern folded as text is (lower case, accents off: "über" → "uber", "какой" → "какои"),
    its escapes (\\W, \\d, \\b) and group names kept, so that it can be written as the language is written."""
    return "".join(fold(part) if i % 2 == 0 else part for i, part in enumerate(_KEPT_AS_WRITTEN.split(pattern)))


NEUTRAL = parse("", {})  # a language without a file: asks for no kind of answer, points back with nothing
