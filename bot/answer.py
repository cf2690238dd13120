"""Turns search hits into an Answer: the cited passages, their answering sentences and a confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .index import Hit, Index, passage_tokens
from .text import Analyzer, sentence_spans


@dataclass(frozen=True, slots=True)
class AnswerSettings:
    """How many results a reply offers and how sure it must be to answer rather than abstain."""

    top_k: int = 3
    threshold: float = 0.35


@dataclass(frozen=True, slots=True)
class Result:
    """One cited passage: where it comes from, its text, and the sentence(s) in it that answer."""

    doc_id: str
    title: str
    ordinal: int
    text: str
    highlight: str
    score: float
    also_in: tuple[str, ...] = ()
    header: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to one question; when `answered` is false, `results` holds the closest passages."""

    question: str
    answered: bool
    confidence: float
    results: tuple[Result, ...]
    note: str = ""


MAX_QUESTION_CHARS = 2000
_CANDIDATES = 30
_DUPLICATE_OVERLAP = 0.6


def answer(question: str, index: Index, analyzer: Analyzer, settings: AnswerSettings) -> Answer:
    """Search the index for a question and cite the best passages with their answering sentences."""
    question = " ".join(question.split())
    if not question:
        return Answer(question, False, 0.0, (), note="Ask a question in words, e.g. “Who signed the declaration?”")
    query = analyzer.tokens(question[:MAX_QUESTION_CHARS])
    if not query:
        return Answer(question, False, 0.0, (), note="That question has only common words; ask about something specific.")
    hits = index.search(query, _CANDIDATES)
    if not hits:
        return Answer(question, False, 0.0, (), note="None of the question's words occur in the documents.")
    weights = _term_weights(query, index)
    results = _collapse_duplicates(index, analyzer, hits, settings.top_k)
    cited = tuple(_result(index, analyzer, hit, also_in, weights) for hit, also_in in results)
    confidence = _confidence(index, analyzer, results[0][0], cited[0], weights)
    answered = confidence >= settings.threshold
    note = "" if answered else "The documents don't seem to answer this. The closest passages:"
    return Answer(question, answered, round(confidence, 4), cited, note=note)


def _term_weights(query: Sequence[str], index: Index) -> dict[str, float]:
    """How much each distinct query term matters: its IDF, and the most for a word no document has."""
    rarest = math.log((len(index) + 0.5) / 0.5)
    return {term: (index.term_idf(term) if term in index.term_ids else rarest) for term in dict.fromkeys(query)}


def _collapse_duplicates(
    index: Index, analyzer: Analyzer, hits: Sequence[Hit], k: int
) -> list[tuple[Hit, tuple[str, ...]]]:
    """The k best hits, each near-duplicate from another document folded into the one above it."""
    kept: list[tuple[Hit, set[str], list[str]]] = []
    for hit in hits:
        passage = index.passages[hit.passage]
        tokens = set(passage_tokens(analyzer, passage))
        for earlier, earlier_tokens, also_in in kept:
            if _overlap(tokens, earlier_tokens) >= _DUPLICATE_OVERLAP:
                doc_id = passage.doc_id
                if doc_id != index.passages[earlier.passage].doc_id and doc_id not in also_in:
                    also_in.append(doc_id)
                break
        else:
            if len(kept) < k:
                kept.append((hit, tokens, []))
    return [(hit, tuple(also_in)) for hit, _, also_in in kept]


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller passage's terms found in the other one."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _result(index: Index, analyzer: Analyzer, hit: Hit, also_in: tuple[str, ...], weights: dict[str, float]) -> Result:
    passage = index.passages[hit.passage]
    document = index.document_of(hit.passage)
    start, end = _best_sentence(passage.text, analyzer, weights)
    return Result(
        doc_id=passage.doc_id,
        title=document.title,
        ordinal=passage.ordinal,
        text=passage.text,
        highlight=passage.text[start:end],
        score=round(hit.score, 6),
        also_in=also_in,
        header=passage.header,
        url=document.url,
    )


def _best_sentence(text: str, analyzer: Analyzer, weights: dict[str, float]) -> tuple[int, int]:
    """The span of the sentence carrying most of the question's weight (the earliest on ties)."""
    best_span, best_score = (0, len(text)), -1.0
    for span in sentence_spans(text):
        score = _coverage(set(analyzer.tokens(text[span[0] : span[1]])), weights)
        if score > best_score:
            best_span, best_score = span, score
    return best_span


def _coverage(terms: set[str], weights: dict[str, float]) -> float:
    """Share of the question's term weight that a piece of text contains."""
    total = sum(max(w, 0.0) for w in weights.values())
    if total <= 0:
        return 0.0
    return sum(max(w, 0.0) for term, w in weights.items() if term in terms) / total


def _confidence(index: Index, analyzer: Analyzer, hit: Hit, top: Result, weights: dict[str, float]) -> float:
    """How much of the question the best passage and its best sentence cover, in [0, 1]."""
    passage = index.passages[hit.passage]
    passage_cover = _coverage(set(passage_tokens(analyzer, passage)), weights)
    sentence_cover = _coverage(set(analyzer.tokens(top.highlight)), weights)
    return max(0.0, min(1.0, 0.5 * passage_cover + 0.5 * sentence_cover))
