"""Follow-up questions: what a message means given the turns of its conversation before it.

"Who ratified it?" after "What is the Treaty of Kars?" is searched with "Treaty of Kars" added;
"And with Estonia?" after "When did Azerbaijan establish relations with Bulgaria?" is searched
as that question with Estonia in Bulgaria's place. A message that does not
point back — no pronoun, no "and …?" fragment, no word it shares with the subject just discussed —
starts a new topic and is searched on its own, so memory never drags old words into it. The
pronouns and fragments are each language's own ("und mit X?", "а как насчёт X?", "那X呢？"): data
in bot/languages/ (language_data); a language without data follows up on a repeated word only.

Pure functions over small records; keeping the turns per chat is memory.py's job.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import language_data
from .answer import Answer
from .language_data import FollowUps
from .text import STOPWORDS, Analyzer, fold


@dataclass(frozen=True, slots=True)
class ConversationSettings:
    """How much a chat remembers, and for how long."""

    turns: int = 4  # earlier questions a chat keeps
    idle_minutes: float = 30.0  # a chat silent this long starts afresh


@dataclass(frozen=True, slots=True)
class Turn:
    """One question of a conversation, as understood, and where its answer came from."""

    question: str  # as asked
    understood: str  # the question an elliptical follow-up builds on: this one as searched, or one before
    subject: str  # what the conversation is about after this turn: what "it" refers to next
    doc_id: str  # the document of the cited answer; "" when none was found
    asked: float  # seconds since the epoch
    section: tuple[str, ...] = ()  # the headings of the cited answer's passage


@dataclass(frozen=True, slots=True)
class Reading:
    """How to search a message: its own words, or completed and widened by the conversation."""

    question: str  # to search and to read the answer type from ("when" → a date)
    context: str = ""  # earlier words searched too, at a lower weight
    doc_id: str = ""  # the document just cited, favoured
    section: tuple[str, ...] = ()  # … and the section of it, favoured more
    subject: str = ""  # the subject this turn carries forward
    shown: str = ""  # how the follow-up was understood, for the reply to say; "" for a fresh question
    frame: str = ""  # the question a later "and X?" builds on, when not this one ("and the date?" keeps the last)

    @property
    def follow_up(self) -> bool:
        return bool(self.shown)


Rarity = Callable[[str], float]  # an index term's rarity in the corpus (its IDF); unknown terms are rarest

_ELLIPSIS_MAX_WORDS = 6
# Where a question ends: what is left of a fragment without it ("And Estonia?" → "Estonia").
_END = "?.!？。！ "
_SHARED_RARITY = 0.5  # a shared word marks the same subject only if it is this rare, relative to the subject's rarest


@dataclass(frozen=True, slots=True)
class _Cues:
    """A language's follow-up cues, with the words that name nothing (function words, question words)."""

    data: FollowUps
    spaced: bool  # words are written apart; else (Chinese) a word is looked for within the text
    not_own: frozenset[str]  # words that ask rather than name: function words, question words, asking words
    not_names: frozenset[str]  # words a capital only opens ("When", "Did"): function and question words
    not_own_within: re.Pattern[str]  # for a language written without spaces: any word of `not_own`


@functools.lru_cache(maxsize=64)
def _cues(language: str, stopwords: frozenset[str] | None) -> _Cues:
    data = language_data.of(language)
    if stopwords is None:  # English's are the index's own list; another language's are in its file
        stopwords = STOPWORDS if data.code == "en" else data.follow_ups.function_words
    follow_ups = data.follow_ups
    not_own = stopwords | follow_ups.question_words | follow_ups.asking
    within = "|".join(map(re.escape, sorted(not_own, key=len, reverse=True)))
    return _Cues(
        follow_ups,
        data.spaced,
        not_own,
        stopwords | follow_ups.question_words,
        re.compile(within) if within and not data.spaced else language_data.NEVER,
    )


def read(
    question: str,
    history: Sequence[Turn],
    analyzer: Analyzer,
    rarity: Rarity,
    language: str = "en",
    stopwords: frozenset[str] | None = None,
) -> Reading:
    """How to search `question` after the conversation `history` (oldest first).

    `language` (ISO 639-1) is the question's: its follow-up cues (language_data) say whether it
    points back. `stopwords`, folded, are that language's words that name nothing; None: English's
    list (text.STOPWORDS) for English, else the short list in the language's file.
    """
    cues = _cues(language, stopwords)
    question = " ".join(question.split())
    fresh = Reading(question, subject=_subject(question, cues))
    if not history:
        return fresh
    last = history[-1]
    ellipsis = cues.data.ellipsis.match(question)
    if ellipsis:
        rest = cues.data.also.sub("", question[ellipsis.end() :].rstrip(_END))
        # "And Estonia?", "and the hardware clock too?": a name or a thing in place of another, not
        # a question of its own ("and how do I undo that?").
        if (
            rest.strip()
            and _word_count(rest, cues) <= _ELLIPSIS_MAX_WORDS
            and not _has_word(rest, cues.data.question_words, cues)
            and not cues.data.refers_back.search(fold(rest))
        ):
            # "And Estonia?" puts a name in another's place; "And the date?" asks more of the same
            # subject (a writer who never capitalises gets the swap).
            if _name_spans(rest, cues) or question == question.lower():
                return _swapped(rest, last, analyzer, rarity, cues)
            return _about(question, last, cues, keeps_frame=True)
    if not _own_words(question, cues):  # "Why?", "Tell me more"
        return _about(question, last, cues, keeps_frame=True)
    if last.subject and (
        cues.data.refers_back.search(fold(question))
        or cues.data.goes_on.match(question)
        or _continues(question, last, analyzer, rarity, cues)
    ):
        return _about(question, last, cues)
    return fresh


def _about(question: str, last: Turn, cues: _Cues, keeps_frame: bool = False) -> Reading:
    """A follow-up searched with its own words and, at a lower weight, the subject before it."""
    return Reading(
        question,
        context=last.subject,
        doc_id=last.doc_id,
        section=last.section,
        subject=last.subject,
        shown=f"{question} (about {', '.join(_names(last.subject, cues)) or last.subject})",
        frame=last.understood if keeps_frame else "",
    )


def _word_count(text: str, cues: _Cues) -> int:
    """How many words a text has; without spaces, a Latin word or two characters count as one."""
    folded = fold(text)
    return len(folded.split()) if cues.spaced else len(re.findall(r"[a-z0-9]+|[^\W\da-z_]{1,2}", folded))


def _has_word(text: str, words: frozenset[str], cues: _Cues) -> bool:
    folded = fold(text)
    return not words.isdisjoint(folded.split()) if cues.spaced else any(word in folded for word in words)


def _own_words(question: str, cues: _Cues) -> list[str]:
    """The words of a question that name something, not the asking ("tell me more", "explain")."""
    if not cues.spaced:  # what is left between the words that ask
        return re.findall(r"[^\W_]+", cues.not_own_within.sub(" ", fold(question)))
    return [word for word in re.findall(r"[^\W_]+", question) if fold(word) not in cues.not_own]


def next_turn(question: str, reading: Reading, answer: Answer, asked: float) -> Turn:
    """The turn to remember after answering."""
    cited = answer.results[0] if answer.answered and answer.results else None
    return Turn(
        question,
        reading.frame or reading.question,
        reading.subject,
        cited.doc_id if cited else "",
        asked,
        cited.section if cited else (),
    )


def _swapped(new: str, last: Turn, analyzer: Analyzer, rarity: Rarity, cues: _Cues) -> Reading:
    """The previous question with `new` in place of its most specific name (or word)."""
    new = cues.data.leading_preposition.sub("", new.strip().rstrip(_END)).strip()
    frame = last.understood
    focus = _focus(frame, new, analyzer, rarity, cues)
    if focus is None:
        understood = f"{frame.rstrip(_END)} {new}?"
    else:
        if cues.data.article_before.search(frame[: focus[0]]):  # not "the the Second War"
            new = cues.data.article_opening.sub("", new)
        understood = frame[: focus[0]] + new + frame[focus[1] :]
    return Reading(
        understood, doc_id=last.doc_id, section=last.section, subject=_subject(understood, cues), shown=understood
    )


def _focus(frame: str, new: str, analyzer: Analyzer, rarity: Rarity, cues: _Cues) -> tuple[int, int] | None:
    """Where in `frame` the words `new` go: over its rarest name of the same kind (a number for a
    number), else over its rarest word."""
    numeric = any(ch.isdigit() for ch in new)
    spans = [
        span for span in _name_spans(frame, cues) if any(ch.isdigit() for ch in frame[span[0] : span[1]]) == numeric
    ]
    if not spans:
        spans = [
            m.span()
            for m in re.finditer(r"[^\W_]+", frame)
            if analyzer.tokens(m.group()) and fold(m.group()) not in cues.data.question_words
        ]
    if not spans:
        return None

    def rarest_term(span: tuple[int, int]) -> float:
        return max((rarity(term) for term in analyzer.tokens(frame[span[0] : span[1]])), default=0.0)

    return max(spans, key=lambda span: (rarest_term(span), span[0]))


def _name_spans(question: str, cues: _Cues) -> list[tuple[int, int]]:
    """Capitalised runs and numbers, except a capital that only starts the question ("When", "Did")."""
    spans = []
    for match in cues.data.name.finditer(question):
        start, end = match.span()
        first_word = match.group().split()[0]
        opens = not any(ch.isalnum() for ch in question[:start])  # "When", "¿Cuándo"
        if opens and fold(first_word) in cues.not_names:
            start += len(first_word)
            rest = question[start:end].lstrip()
            if not rest:
                continue
            start = end - len(rest)
        spans.append((start, end - (len(match.group()) - len(match.group().rstrip(".,")))))
    return spans


def _names(question: str, cues: _Cues) -> list[str]:
    return [question[start:end] for start, end in _name_spans(question, cues)]


def _subject(question: str, cues: _Cues) -> str:
    """What a question is about: the thing it asks to define, else all its words that are searched for."""
    definition = cues.data.definition.match(question)
    if definition is not None:
        return definition["subject"]
    return " ".join(_own_words(question, cues))


def _continues(question: str, last: Turn, analyzer: Analyzer, rarity: Rarity, cues: _Cues) -> bool:
    """A question that names nothing new but repeats a telling word of the subject ("When was the
    treaty ratified?" after the Treaty of Kars) goes on with it."""
    subject_terms = set(analyzer.tokens(last.subject))
    own_names = {term for name in _names(question, cues) for term in analyzer.tokens(name)}
    if not subject_terms or own_names - subject_terms:
        return False
    rarest = max(rarity(term) for term in subject_terms)
    shared = subject_terms.intersection(analyzer.tokens(question))
    return any(rarity(term) >= _SHARED_RARITY * rarest for term in shared)
