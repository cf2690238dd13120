"""Turns search hits into an Answer: the cited passages, their answering sentences and a confidence."""

from __future__ import annotations

import functools
import math
import re
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import english, spelling, word_forms
from .chunking import Passage, units_between
from .index import Hit, Index
from .text import Analyzer, fold, words


@dataclass(frozen=True, slots=True)
class AnswerSettings:
    """How many results a reply offers and how sure it must be to answer rather than abstain."""

    top_k: int = 3
    threshold: float = 0.25


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
    corrected: str = ""  # the question as searched, when misspelt words were corrected
    understood: str = ""  # a follow-up as understood from its conversation ("Who ratified it? (about …)")


MAX_QUESTION_CHARS = 2000
_CANDIDATES = 30
_DUPLICATE_JACCARD = 0.5
_DUPLICATE_CONTAINMENT = 0.85
_SAME_SENTENCE_JACCARD = 0.8
_TYPE_BONUS = 0.25
_FIRST_MENTION_BONUS = 0.2
_ECHO_FACTOR = 0.3
_UNTYPED_CONFIDENCE = 0.2  # confidence kept when the answering sentence lacks what the question asks for
_CONTEXT_WEIGHT = 0.5  # a follow-up's words from earlier turns count this much of its own
_FAVOURED_BONUS = 0.1  # for a follow-up, the document just cited
_SUBJECT_BONUS = 0.1  # for a sentence that opens with what the question is about
_PAIR_COST = 0.1  # a highlight of two sentences must hold this much more of the question than one
_CATEGORY_WEIGHT = 0.1  # of the words naming the kind of answer asked for ("which cities", "how long")
# An unknown word more common in everyday English than this (zipf: log10 per billion words;
# "famous" 4.7, "forward" 4.8, "keep" 6.0) weighs 10**-2 less per zipf above it, down to the floor.
_EVERYDAY_ZIPF = 4.7
_EVERYDAY_SLOPE = 2.0
_EVERYDAY_FLOOR = 0.05
_COMMONPLACE_ZIPF = 6.0  # … and above this, even a word the documents use ("like" 6.7, "people" 6.1)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(rf"\b(?:{_MONTH}\b|1[0-9]{{3}}s?\b|20[0-9]{{2}}s?\b|\d{{4}}-\d\d-\d\d\b)", re.IGNORECASE)
_NUMBER = re.compile(  # a count or a measure; a year alone is neither ("in 2020" does not say how many)
    r"\b(?:(?!(?:1[0-9]{3}|20[0-9]{2})\b(?![.,]\d))\d[\d,.]*|one(?! of\b)|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozens?|several|half)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_QUOTATION = re.compile(r"[\"“«„][^\"“”«»„]{3,}?\s[^\"“”«»„]{3,}[\"”»“]")  # of two words or more

# "How long/many/old…": the adjective names the kind of answer (a number) more than what to find.
_HOW_ADJECTIVES = "many|much|long|old|often|large|big|far|tall|high"
_HOW_MUCH = re.compile(rf"\bhow ({_HOW_ADJECTIVES})\b", re.IGNORECASE)

# What a question asks for, by its opening words; the sentence that answers tends to contain it.
_EXPECTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"\b(?:which|what) (?:[^\W\d_]+ )?(?:quote|quotation|saying|slogan|motto)s?\b"), _QUOTATION),
    (re.compile(r"\b(?:when|since when|what year|which year|what date|what day|in what year)\b"), _DATE),
    (
        re.compile(
            rf"\b(?:how (?:{_HOW_ADJECTIVES})|what percentage|what number|"
            r"what (?:is|was|are|were) the (?:population|area|size|number|amount|percentage|price|cost|length|"
            r"height|distance|budget|value|gdp|total|age|speed|rate|weight|temperature|depth|width|volume|"
            r"capacity|duration|density|altitude|elevation|growth)\b)"
        ),
        _NUMBER,
    ),
    (re.compile(r"\b(?:who|whom|whose|where|which country|which city|what country|what city)\b"), _NAME),
)


# "What is the Treaty of Kars?", "Who was Heydar Aliyev?": the answer defines the subject,
# and documents define a thing where they first mention it.
_DEFINITION = re.compile(r"^(?:what|who) (?:is|are|was|were) (?:the |an? )?(?P<subject>[^?]+?)\s*\??$")
_DEFINITION_MAX_TERMS = 4


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A hit with the evidence used to rank it: its best sentence and how well that answers."""

    hit: Hit
    passage: Passage
    sentence: tuple[int, int]  # within the passage
    row_header: str
    answer_cover: float  # the share of the question's weight in the answering sentence (no type bonus)
    passage_cover: float  # … in its passage
    rank: float
    passage_terms: frozenset[str]
    sentence_terms: frozenset[str]  # of the sentence alone, without its row header
    typed: bool  # the sentence holds what the question asks for (a date for "when"...), or it asks for nothing


def answer(
    question: str,
    index: Index,
    analyzer: Analyzer,
    settings: AnswerSettings,
    context: str = "",
    favoured_doc: str = "",
) -> Answer:
    """Search the index for a question and cite the best passages with their answering sentences.

    BM25 finds candidates; each is then judged by its best sentence — how much of the question's
    weight (IDF) that sentence holds, and whether it has what the question asks for (a date for
    "when", a number for "how many", a name for "who") — so the passage that states the answer
    outranks one that merely repeats the question's words.

    A follow-up brings `context`, words of the conversation before it, searched and weighed at
    _CONTEXT_WEIGHT, and the document just cited, favoured a little.
    """
    question = " ".join(question.split())
    if not question:
        return Answer(question, False, 0.0, (), note="Ask a question in words, e.g. “Who signed the declaration?”")
    correction = spelling.correct(question[:MAX_QUESTION_CHARS], index, analyzer)
    searched = correction.question if correction else question[:MAX_QUESTION_CHARS]
    query = _question_terms(searched, index, analyzer)
    earlier = [term for term in dict.fromkeys(_question_terms(context, index, analyzer)) if term not in query]
    if not query and not earlier:
        return Answer(
            question, False, 0.0, (), note="That question has no words to search for; ask about something specific."
        )
    searched_terms = dict(Counter(query)) | dict.fromkeys(earlier, _CONTEXT_WEIGHT)
    hits = index.search(searched_terms, _CANDIDATES)
    if not hits:
        return Answer(question, False, 0.0, (), note="None of the question's words occur in the documents.")
    everyday = _everyday_factors(f"{searched}\n{context}", index, analyzer)
    weights = _term_weights(query, index, everyday) | {  # squared IDFs: half the IDF is a quarter of the weight
        term: weight * _CONTEXT_WEIGHT**2 for term, weight in _term_weights(earlier, index, everyday).items()
    }
    for term in weights.keys() & _question_terms(_asked_kind(searched), index, analyzer):
        weights[term] *= _CATEGORY_WEIGHT
    total = sum(weights.values())
    weights = {term: weight / total for term, weight in weights.items()}
    expects = _expected_kind(question)
    best_score = max(hits[0].score, 1e-9)
    first_mentions = _first_mentions(searched, index, analyzer)
    subject = tuple(_question_terms(_asked_subject(searched), index, analyzer))
    candidates = sorted(
        (
            _judge(
                index,
                analyzer,
                hit,
                weights,
                expects,
                best_score,
                hit.passage in first_mentions,
                favoured_doc,
                subject,
            )
            for hit in hits
        ),
        key=lambda c: (-c.rank, c.hit.passage),
    )
    kept = _collapse_duplicates(candidates, settings.top_k)
    cited = tuple(_result(index, candidate, also_in) for candidate, also_in in kept)
    top = kept[0][0]
    confidence = max(0.0, min(1.0, 0.6 * top.answer_cover + 0.4 * top.passage_cover))
    if not top.typed:
        confidence *= _UNTYPED_CONFIDENCE
    answered = confidence >= settings.threshold
    note = "" if answered else "The documents don't seem to answer this. The closest passages:"
    corrected = correction.question if correction else ""
    return Answer(question, answered, round(confidence, 4), cited, note=note, corrected=corrected)


def prepare(index: Index) -> None:
    """Make the word lists that answering may need of an index now, rather than on a question that needs them."""
    spelling.prepare(index)
    word_forms.prepare(index)
    english.prepare()


# "In which Turkish cities does…": the words between "which"/"what" and the verb or preposition
# that follows name the kind of thing asked for, which the answer is an instance of ("Istanbul"),
# not a word it repeats ("cities").
_CATEGORY = re.compile(
    r"\b(?:which|what)\s+((?:[^\W\d_]+(?:'s)?\s+)?[^\W\d_]+)\s+"
    r"(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|may|might|"
    r"about|of|in|on|for|from|with|to|by|at)\b"
)


def _asked_kind(question: str) -> str:
    """The words naming what kind of answer the question asks for: the noun of a which/what
    question, the adjective of how long/many/old…; "" if none."""
    category = _CATEGORY.search(fold(question))
    nouns = [category[1].split()[-1]] if category else []
    return " ".join(nouns + [how[1] for how in _HOW_MUCH.finditer(question)])


# "Where does Azerbaijan have a consulate in Iran?": the first word after the question's auxiliary
# is what the question is about; the sentence that answers usually opens with it too ("Azerbaijan
# has a consulate in Tabriz", not "Iran has one in Nakhchivan").
_SUBJECT = re.compile(
    r"^(?:[^\W\d_]+\s+){0,6}?(?:does|do|did|is|was|are|were|has|have|had|will|would|can|could)\s+"
    r"(?:the\s+|an?\s+)?([^\W\d_][\w'-]*)"
)
_OPENING = re.compile(r"^[\W_]*(?:(?:the|a|an)\s+)?([^\W_][\w'-]*)", re.IGNORECASE)


def _asked_subject(question: str) -> str:
    found = _SUBJECT.search(fold(question))
    return found[1] if found else ""


def _first_word(sentence: str) -> str:
    found = _OPENING.search(sentence)
    return found[1] if found else ""


def _expected_kind(question: str) -> int | None:
    """Which of _EXPECTS the question asks for (its position there), if any."""
    folded = fold(question)
    for kind, (asks, _) in enumerate(_EXPECTS):
        if asks.search(folded):
            return kind
    return None


def _first_mentions(question: str, index: Index, analyzer: Analyzer) -> frozenset[int]:
    """For a "what is X" question, the passage of each document where X first appears."""
    definition = _DEFINITION.match(fold(question))
    if definition is None:
        return frozenset()
    subject = _question_terms(definition["subject"], index, analyzer)
    if not 1 <= len(subject) <= _DEFINITION_MAX_TERMS:
        return frozenset()
    first: dict[str, int] = {}
    for position in index.passages_with_all(subject).tolist():
        first.setdefault(index.passages[position].doc_id, position)
    return frozenset(first.values())


def _question_terms(text: str, index: Index, analyzer: Analyzer) -> list[str]:
    """The question's terms as the index has them (see word_forms)."""
    return word_forms.in_index(analyzer.tokens(text), index)


def _term_weights(query: Sequence[str], index: Index, everyday: dict[str, float]) -> dict[str, float]:
    """How much each distinct query term matters: its IDF squared (at least a little); a word the
    documents never use weighs most — an off-topic question is mostly such words — unless it is
    an everyday word (`everyday`: how much less it weighs)."""
    rarest = math.log((len(index) + 0.5) / 0.5) ** 2
    return {
        term: (max(index.term_idf(term), 0.05) ** 2 if term in index.term_ids else rarest) * everyday.get(term, 1.0)
        for term in dict.fromkeys(query)
    }


def _everyday_factors(text: str, index: Index, analyzer: Analyzer) -> dict[str, float]:
    """How much less than its IDF says the text's everyday words weigh. An everyday word the
    documents never use ("What keeps the ties moving forward?", "How did they get along back
    then?") is how the question is put more than what it is about — unlike "weather" or
    "restaurant", whose absence says the documents are about something else. A commonplace word
    ("like", "one", "people") is that whether or not the documents happen to use it: in a small
    corpus one use makes it look rare."""
    factors: dict[str, float] = {}
    for word in dict.fromkeys(words(text)):
        frequency = english.zipf(word)
        if frequency is None or frequency <= _EVERYDAY_ZIPF:
            continue
        factor = max(10 ** (-_EVERYDAY_SLOPE * (frequency - _EVERYDAY_ZIPF)), _EVERYDAY_FLOOR)
        for term in _question_terms(word, index, analyzer):
            if term not in index.term_ids or frequency > _COMMONPLACE_ZIPF:
                factors[term] = min(factors.get(term, 1.0), factor)
    return factors


def _coverage(terms: frozenset[str], shares: dict[str, float]) -> float:
    """Share of the question's term weight that a piece of text contains (`shares` sum to 1)."""
    return sum(share for term, share in shares.items() if term in terms)


@dataclass(frozen=True, slots=True)
class _Sentence:
    span: tuple[int, int]  # within the passage
    text: str
    row_header: str
    terms: frozenset[str]  # of the sentence alone
    terms_with_header: frozenset[str]
    opening: tuple[str, ...]  # the tokens of its first word (after an article)
    checked: list[bool | None]  # per kind of _EXPECTS: whether the sentence holds one, once asked

    def holds(self, kind: int) -> bool:
        """Whether the sentence holds what _EXPECTS[kind] looks for (a quotation, a date, a number, a name)."""
        found = self.checked[kind]
        if found is None:
            found = self.checked[kind] = _EXPECTS[kind][1].search(self.text) is not None
        return found


@dataclass(frozen=True, slots=True)
class _PassageTerms:
    """What judging needs of a passage, whatever the question: its sentences and their terms."""

    passage: Passage
    sentences: tuple[_Sentence, ...]
    terms: frozenset[str]


# Per index, the analyses of recently judged passages: questions keep landing on the same ones.
_ANALYSES_KEPT = 4096
_analyses: weakref.WeakKeyDictionary[Index, tuple[Analyzer, Callable[[int], _PassageTerms]]] = (
    weakref.WeakKeyDictionary()
)


def _passage_terms(index: Index, analyzer: Analyzer, position: int) -> _PassageTerms:
    known = _analyses.get(index)
    if known is None or known[0] is not analyzer:
        known = _analyses[index] = (
            analyzer,
            functools.lru_cache(maxsize=_ANALYSES_KEPT)(functools.partial(_analyse, index, analyzer)),
        )
    return known[1](position)


def _analyse(index: Index, analyzer: Analyzer, position: int) -> _PassageTerms:
    passage = index.passages[position]
    document = int(index.passage_document[position])
    document_text = index.document_texts[document]
    start = passage.span[0]
    sentences = []
    for unit in units_between(document_text, index.marks_of(document), *passage.span):
        text = document_text[unit.start : unit.end]
        terms = frozenset(analyzer.tokens(text))
        header_terms = terms.union(analyzer.tokens(unit.header)) if unit.header else terms
        opening = tuple(analyzer.tokens(_first_word(text)))
        sentences.append(
            _Sentence(
                (unit.start - start, unit.end - start), text, unit.header, terms, header_terms, opening, [None] * len(_EXPECTS)
            )
        )
    # The passage's terms are its sentences' (sentences cover its words), its headings' and its table header's.
    terms = frozenset(analyzer.tokens("\n".join([*passage.section, passage.header]))).union(
        *(sentence.terms for sentence in sentences)
    )
    return _PassageTerms(passage, tuple(sentences), terms)


def _judge(
    index: Index,
    analyzer: Analyzer,
    hit: Hit,
    weights: dict[str, float],
    expects: int | None,
    best_score: float,
    first_mention: bool,
    favoured_doc: str,
    subject: tuple[str, ...],
) -> _Candidate:
    """Rank a hit by its best sentence — or two adjacent ones, when together they hold much more
    of the question ("The Quillon bridge… . It was designed by…") —: its share of the question's
    weight, what the question asks for (a type bonus), where the thing asked about is first
    defined, the document just cited."""
    analysis = _passage_terms(index, analyzer, hit.passage)
    best: tuple[float, float, _Sentence | None, bool] = (-1.0, 0.0, None, expects is None)
    for sentence in analysis.sentences:
        cover = _coverage(sentence.terms_with_header, weights)
        if sentence.terms <= weights.keys():  # only repeats the question (a heading, say): answers nothing
            cover *= _ECHO_FACTOR
        typed = expects is None or sentence.holds(expects)
        score = (
            cover
            + _TYPE_BONUS * (expects is not None and typed)
            + _SUBJECT_BONUS * (bool(subject) and sentence.opening == subject)
        )
        if score > best[0]:
            best = (score, cover, sentence, typed)
    sentence_score, answer_cover, chosen, typed = best
    span = chosen.span if chosen else (0, len(analysis.passage.text))
    row_header = chosen.row_header if chosen else ""
    sentence_terms = chosen.terms if chosen else frozenset()
    pair = _best_pair(analysis.sentences, weights, expects, subject, sentence_score)
    if pair is not None:
        sentence_score, answer_cover, typed, span, sentence_terms = pair
        row_header = ""
    rank = (
        0.4 * max(hit.score, 0.0) / best_score
        + 0.6 * sentence_score
        + _FIRST_MENTION_BONUS * first_mention
        + _FAVOURED_BONUS * (analysis.passage.doc_id == favoured_doc)
    )
    return _Candidate(
        hit=hit,
        passage=analysis.passage,
        sentence=span,
        row_header=row_header,
        answer_cover=answer_cover,
        passage_cover=_coverage(analysis.terms, weights),
        rank=rank,
        passage_terms=analysis.terms,
        sentence_terms=sentence_terms,
        typed=typed,
    )


def _best_pair(
    sentences: Sequence[_Sentence],
    weights: dict[str, float],
    expects: int | None,
    subject: tuple[str, ...],
    to_beat: float,
) -> tuple[float, float, bool, tuple[int, int], frozenset[str]] | None:
    """Two adjacent sentences that together answer better than `to_beat` (the best one alone), as
    (score, cover, typed, span, terms); None if no pair does. A pair pays _PAIR_COST for its length."""
    best = None
    for first, second in zip(sentences, sentences[1:]):
        if first.row_header or second.row_header:  # table rows are read with their header instead
            continue
        if first.terms.isdisjoint(weights) or second.terms.isdisjoint(weights):  # one alone does as well
            continue
        terms = first.terms | second.terms
        if terms <= weights.keys():  # only repeats the question
            continue
        cover = _coverage(terms, weights)
        # What the question asks for counts in a sentence that is about the question too.
        typed = expects is None or any(
            part.holds(expects) and not part.terms.isdisjoint(weights) for part in (first, second)
        )
        score = (
            cover
            - _PAIR_COST
            + _TYPE_BONUS * (expects is not None and typed)
            + _SUBJECT_BONUS * (bool(subject) and first.opening == subject)
        )
        if score > to_beat:
            to_beat = score
            best = (score, cover, typed, (first.span[0], second.span[1]), terms)
    return best


def _collapse_duplicates(candidates: Sequence[_Candidate], k: int) -> list[tuple[_Candidate, tuple[str, ...]]]:
    """The k best candidates, each repeat of a better one dropped or folded into it.

    A passage of the same document whose answering sentence is the same sentence (passages
    overlap by a sentence) is dropped; a near-duplicate passage from another document, or one
    whose answering sentence is a copy, is folded in and named in `also_in`.
    """
    kept: list[tuple[_Candidate, list[str]]] = []
    for candidate in candidates:
        passage = candidate.passage
        for earlier, also_in in kept:
            earlier_passage = earlier.passage
            if passage.doc_id == earlier_passage.doc_id:
                if _highlight_span(passage, candidate) == _highlight_span(earlier_passage, earlier):
                    break
            elif _near_duplicates(candidate.passage_terms, earlier.passage_terms) or _same_sentence(candidate, earlier):
                if passage.doc_id not in also_in:
                    also_in.append(passage.doc_id)
                break
        else:
            if len(kept) < k:
                kept.append((candidate, []))
    return [(candidate, tuple(also_in)) for candidate, also_in in kept]


def _same_sentence(a: _Candidate, b: _Candidate) -> bool:
    """Two answering sentences that say the same in the same words (a copied sentence)."""
    first, second = a.sentence_terms, b.sentence_terms
    return bool(first) and len(first & second) / len(first | second) >= _SAME_SENTENCE_JACCARD


def _highlight_span(passage: Passage, candidate: _Candidate) -> tuple[int, int]:
    """Where a candidate's answering sentence lies in its document."""
    return (passage.span[0] + candidate.sentence[0], passage.span[0] + candidate.sentence[1])


def _near_duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two passages saying the same: most terms shared, or one almost wholly inside the other."""
    if not a or not b:
        return False
    shared = len(a & b)
    return (
        shared / (len(a) + len(b) - shared) >= _DUPLICATE_JACCARD
        or shared / min(len(a), len(b)) >= _DUPLICATE_CONTAINMENT
    )


def _result(index: Index, candidate: _Candidate, also_in: tuple[str, ...]) -> Result:
    passage = candidate.passage
    document = index.document_of(candidate.hit.passage)
    start, end = candidate.sentence
    return Result(
        doc_id=passage.doc_id,
        title=document.title,
        ordinal=passage.ordinal,
        text=passage.text,
        highlight=passage.text[start:end],
        score=round(candidate.hit.score, 6),
        also_in=also_in,
        header=candidate.row_header,
        url=document.url,
    )
