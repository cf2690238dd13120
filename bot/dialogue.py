"""Follow-up questions: what a message means given the turns of its conversation before it.

"Who ratified it?" after "What is the Treaty of Kars?" is searched with "Treaty of Kars" added;
"And with Estonia?" after "When did Azerbaijan establish relations with Bulgaria?" is searched
as that question with Estonia in Bulgaria's place. A message that does not
point back — no pronoun, no "and …?" fragment, no word it shares with the subject just discussed —
starts a new topic and is searched on its own, so memory never drags old words into it.

Pure functions over small records; keeping the turns per chat is memory.py's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .answer import Answer
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

_QUESTION_WORDS = frozenset(
    "what when who whom whose where why how which is are was were do does did can could has have had "
    "will would should may might shall tell name list give".split()
)
_ASKING = frozenset("tell explain elaborate detail details more further else anything please really".split())
_NOT_OWN = STOPWORDS | _QUESTION_WORDS | _ASKING
# A reference back: "it", "its", "they", "he", "this decision" …; "that" only where it cannot join
# a clause — after a verb or a preposition, or ending the question ("what did that lead to", "why is
# that") — not as in "the treaty that was signed".
_REFERS_BACK = re.compile(
    r"\b(?:it|its|itself|they|them|their|theirs|he|him|his|she|her|hers|these|those|the same)\b"
    r"|\bthis\b(?! (?:year|month|week|morning|evening|time)\b)"
    r"|(?:^|\b(?:did|does|do|was|is|were|are|has|had|about|after|before|behind|during|against|under|over|at|of|to|"
    r"by|with|from|for|in|on|into|through|like|since|following|despite)\s+)that\b"
    r"|\bthat\s*[?.!]*$"
    r"|(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )\bthere\b(?! (?:is|are|was|were|been)\b)"
    r"|\b(?:the|those|these) ones\b|\bone of (?:them|those|these)\b|\bthe (?:latter|former)\b"
)
# "And later, can I switch?", "ok and then how do I install it": a question opening with a
# conjunction goes on from the one before.
_GOES_ON = re.compile(r"^(?:and|but|so|also|then|ok|okay)\b", re.IGNORECASE)
_ALSO = re.compile(r"\s+(?:too|as well|also|either)\s*$", re.IGNORECASE)
# "And with Estonia?", "What about Kenya?", "How about in 2015?": the rest of the previous question goes on.
_ELLIPSIS = re.compile(
    r"^(?:(?:and|but|so|also|ok|okay)\s*,?\s*)?(?:(?:what|how)\s+about|and|also|same for)\b\s*,?\s*", re.IGNORECASE
)
_LEADING_PREPOSITION = re.compile(r"^(?:with|in|for|to|of|on|at|from|by|about|between)\s+", re.IGNORECASE)
_ELLIPSIS_MAX_WORDS = 6
# A run of capitalised words or numbers, with the small words names hold ("Bank of Baku"). A
# possessive "'s" stays outside: "the mayor's plan" keeps its "'s" when another name takes the mayor's place.
_WORD_OF_NAME = r"(?:[A-Z][\w.\-+&]*|\d[\w.,+/\-]*)"
_NAME = re.compile(rf"{_WORD_OF_NAME}(?:\s+(?:(?:of|the|and|for|de|al|bin|ibn)\s+)*{_WORD_OF_NAME})*")
_DEFINITION = re.compile(
    r"^(?:what|who) (?:is|are|was|were) (?:the |an? )?(?P<subject>[^?]+?)\s*[?.!]*$", re.IGNORECASE
)
_SHARED_RARITY = 0.5  # a shared word marks the same subject only if it is this rare, relative to the subject's rarest


def read(question: str, history: Sequence[Turn], analyzer: Analyzer, rarity: Rarity) -> Reading:
    """How to search `question` after the conversation `history` (oldest first)."""
    question = " ".join(question.split())
    fresh = Reading(question, subject=_subject(question))
    if not history:
        return fresh
    last = history[-1]
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis:
        rest = _ALSO.sub("", question[ellipsis.end() :].rstrip("?.! "))
        rest_words = fold(rest).split()
        # "And Estonia?", "and the hardware clock too?": a name or a thing in place of another, not
        # a question of its own ("and how do I undo that?").
        if (
            rest_words
            and len(rest_words) <= _ELLIPSIS_MAX_WORDS
            and _QUESTION_WORDS.isdisjoint(rest_words)
            and not _REFERS_BACK.search(fold(rest))
        ):
            # "And Estonia?" puts a name in another's place; "And the date?" asks more of the same
            # subject (a writer who never capitalises gets the swap).
            if _name_spans(rest) or question == question.lower():
                return _swapped(rest, last, analyzer, rarity)
            return _about(question, last, keeps_frame=True)
    if not _own_words(question):  # "Why?", "Tell me more"
        return _about(question, last, keeps_frame=True)
    if last.subject and (
        _REFERS_BACK.search(fold(question)) or _GOES_ON.match(question) or _continues(question, last, analyzer, rarity)
    ):
        return _about(question, last)
    return fresh


def _about(question: str, last: Turn, keeps_frame: bool = False) -> Reading:
    """A follow-up searched with its own words and, at a lower weight, the subject before it."""
    return Reading(
        question,
        context=last.subject,
        doc_id=last.doc_id,
        section=last.section,
        subject=last.subject,
        shown=f"{question} (about {', '.join(_names(last.subject)) or last.subject})",
        frame=last.understood if keeps_frame else "",
    )


def _own_words(question: str) -> list[str]:
    """The words of a question that name something, not the asking ("tell me more", "explain")."""
    return [word for word in re.findall(r"[^\W_]+", question) if fold(word) not in _NOT_OWN]


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


def _swapped(new: str, last: Turn, analyzer: Analyzer, rarity: Rarity) -> Reading:
    """The previous question with `new` in place of its most specific name (or word)."""
    new = _LEADING_PREPOSITION.sub("", new.strip().rstrip("?.! ")).strip()
    frame = last.understood
    focus = _focus(frame, new, analyzer, rarity)
    if focus is None:
        understood = f"{frame.rstrip('?.! ')} {new}?"
    else:
        if re.search(r"\b(?:the|a|an)\s+$", frame[: focus[0]], re.IGNORECASE):  # not "the the Second War"
            new = re.sub(r"^(?:the|a|an)\s+", "", new, flags=re.IGNORECASE)
        understood = frame[: focus[0]] + new + frame[focus[1] :]
    return Reading(understood, doc_id=last.doc_id, section=last.section, subject=_subject(understood), shown=understood)


def _focus(frame: str, new: str, analyzer: Analyzer, rarity: Rarity) -> tuple[int, int] | None:
    """Where in `frame` the words `new` go: over its rarest name of the same kind (a number for a
    number), else over its rarest word."""
    numeric = any(ch.isdigit() for ch in new)
    spans = [span for span in _name_spans(frame) if any(ch.isdigit() for ch in frame[span[0] : span[1]]) == numeric]
    if not spans:
        spans = [
            m.span()
            for m in re.finditer(r"[^\W_]+", frame)
            if analyzer.tokens(m.group()) and fold(m.group()) not in _QUESTION_WORDS
        ]
    if not spans:
        return None

    def rarest_term(span: tuple[int, int]) -> float:
        return max((rarity(term) for term in analyzer.tokens(frame[span[0] : span[1]])), default=0.0)

    return max(spans, key=lambda span: (rarest_term(span), span[0]))


def _name_spans(question: str) -> list[tuple[int, int]]:
    """Capitalised runs and numbers, except a capital that only starts the question ("When", "Did")."""
    spans = []
    for match in _NAME.finditer(question):
        start, end = match.span()
        first_word = match.group().split()[0]
        if start == 0 and fold(first_word) in _QUESTION_WORDS | STOPWORDS:
            start += len(first_word)
            rest = question[start:end].lstrip()
            if not rest:
                continue
            start = end - len(rest)
        spans.append((start, end - (len(match.group()) - len(match.group().rstrip(".,")))))
    return spans


def _names(question: str) -> list[str]:
    return [question[start:end] for start, end in _name_spans(question)]


def _subject(question: str) -> str:
    """What a question is about: the thing it asks to define, else all its words that are searched for."""
    definition = _DEFINITION.match(question)
    if definition is not None:
        return definition["subject"]
    return " ".join(_own_words(question))


def _continues(question: str, last: Turn, analyzer: Analyzer, rarity: Rarity) -> bool:
    """A question that names nothing new but repeats a telling word of the subject ("When was the
    treaty ratified?" after the Treaty of Kars) goes on with it."""
    subject_terms = set(analyzer.tokens(last.subject))
    own_names = {term for name in _names(question) for term in analyzer.tokens(name)}
    if not subject_terms or own_names - subject_terms:
        return False
    rarest = max(rarity(term) for term in subject_terms)
    shared = subject_terms.intersection(analyzer.tokens(question))
    return any(rarity(term) >= _SHARED_RARITY * rarest for term in shared)
