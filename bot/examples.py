"""Example questions for /start, drawn from the corpus itself and kept only if they get answered.

Two sources, tried in order: sentences that state when something happened ("The treaty was
signed on 15 June 2021" → "When was the treaty signed?"), and the names the documents mention
most ("Tell me about the Shusha Declaration"). Either way the engine must answer the question
with confidence, so an example never leads a new user to a dead end.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from .answer import Answer
from .index import Index
from .text import REFERENCE_MARKER, sentence_spans

_DATED_STATEMENT = re.compile(
    r"^(?P<subject>(?:The |An? )?[A-Z][\w'’-]*(?: (?:of |the |and |between |with )*[\w'’-]+){0,6}?) "
    r"(?P<verb>was|were) (?P<participle>[a-z]+ed) (?:on|in) (?:\d{1,2} )?"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|\d{4})\b"
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?: (?:of |the )?[A-Z][a-z]+){1,3}\b")
_MAX_SENTENCES = 5000  # enough to find examples; a huge corpus is not scanned whole


def example_questions(index: Index, ask: Callable[[str], Answer], count: int = 3) -> list[str]:
    """Up to `count` questions, each answered from a different passage."""
    chosen: list[str] = []
    passages_used: set[tuple[str, int]] = set()
    for question in _candidates(index):
        if len(chosen) == count:
            break
        answer = ask(question)
        if not answer.answered:
            continue
        cited = (answer.results[0].doc_id, answer.results[0].ordinal)
        if cited not in passages_used:
            chosen.append(question)
            passages_used.add(cited)
    return chosen


def _candidates(index: Index) -> Iterator[str]:
    seen: set[str] = set()
    for question in (*_when_questions(index), *_about_questions(index)):
        if question.lower() not in seen:
            seen.add(question.lower())
            yield question


def _sentences(index: Index) -> Iterator[str]:
    scanned = 0
    for passage in index.passages:
        for start, end in sentence_spans(passage.text):
            scanned += 1
            if scanned > _MAX_SENTENCES:
                return
            yield REFERENCE_MARKER.sub("", passage.text[start:end]).strip()


def _when_questions(index: Index) -> list[str]:
    questions = []
    for sentence in _sentences(index):
        match = _DATED_STATEMENT.match(sentence)
        if match:
            subject = match["subject"]
            first, _, rest = subject.partition(" ")
            if first in ("The", "A", "An") or rest[:1].islower():  # "Diplomatic relations", not a name
                subject = subject[0].lower() + subject[1:]
            questions.append(f"When {match['verb']} {subject} {match['participle']}?")
    return questions


def _about_questions(index: Index) -> list[str]:
    """Names mentioned in the most documents (not at a sentence start, where any word is capitalised)."""
    mentions: Counter[str] = Counter()
    documents: dict[str, set[str]] = {}
    for passage in index.passages[: _MAX_SENTENCES // 5]:
        for start, end in sentence_spans(passage.text):
            sentence = passage.text[start:end]
            for name in _NAME.findall(sentence):
                if not sentence.startswith(name):
                    mentions[name] += 1
                    documents.setdefault(name, set()).add(passage.doc_id)
    ranked = sorted(mentions, key=lambda name: (-len(documents[name]), -mentions[name], name))
    return [f"Tell me about {name}" for name in ranked[:20]]
