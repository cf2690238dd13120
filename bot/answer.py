"""Turns search hits into an Answer: the cited passages, their answering sentences and a confidence."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import language_data, spelling, word_forms
from .chunking import PROSE, Passage, units_between
from .index import Hit, Index
from .question import AnswerKind, Question, analyse
from .structure import CODE, HEADING, LIST, TABLE, TERM_LEVEL, monospaced
from .text import Analyzer
from .translations import N_


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
    section: tuple[str, ...] = ()  # the headings the passage sits under, outermost first
    code: tuple[tuple[int, int], ...] = ()  # spans of `text` that are code or table lines, shown monospaced


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


@dataclass(frozen=True, slots=True)
class Judging:
    """How a candidate passage is ranked by its best sentence (tuned on the question sets)."""

    candidates: int = 30  # passages BM25 hands on to be judged
    bm25_share: float = 0.4  # of the rank; the rest is the best sentence's score
    type_bonus: float = 0.25  # a sentence that holds what the question asks for (a date for "when")
    echo_factor: float = 0.3  # a sentence made only of the question's words (a heading repeating it),
    # or one that only points elsewhere ("See global interpreter lock.")
    subject_bonus: float = 0.1  # a sentence that opens with what the question is about
    pair_cost: float = 0.1  # two sentences must hold this much more of the question than one
    heading_bonus: float = 0.2  # × the share of the question its passage's headings hold: what it is about
    # The question's words a sentence lacks but its headings hold count as much as the headings are
    # about the question (the share of their words it asks for), at least this much.
    heading_credit: float = 0.5
    first_mention_bonus: float = 0.2  # "what is X?": the passage where a document first mentions X
    defining_bonus: float = 0.2  # "what is X?": a sentence saying what X is ("X is…", "A … (X) is…"), or
    # the passage under a heading that names X (a glossary entry), whose headings then count in full
    favoured_bonus: float = 0.1  # a follow-up: the document just cited
    favoured_section_bonus: float = 0.1  # … and more within the section just cited


@dataclass(frozen=True, slots=True)
class Confidence:
    """How sure an answer is: how much of the question its sentence and passage cover."""

    highlight: float = 0.6
    passage: float = 0.4
    # What is kept when the passage shares a single one of the question's words that the documents
    # use: had they answered, they would have said more of it in one place.
    one_shared_word: float = 0.4


@dataclass(frozen=True, slots=True)
class Folding:
    """When a passage repeats a better one and is folded into it (`also_in`)."""

    jaccard: float = 0.5  # of two passages' terms
    containment: float = 0.85  # of the smaller passage's terms inside the other's
    same_sentence: float = 0.8  # of two answering sentences' terms


JUDGING = Judging()
CONFIDENCE = Confidence()
FOLDING = Folding()


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
    favoured_section: tuple[str, ...] = (),
    language: str = "en",
) -> Answer:
    """Search the index for a question and cite the best passages with their answering sentences.

    BM25 finds candidates; each is then judged by its best sentence — how much of the question's
    weight (IDF) that sentence holds, and whether it has what the question asks for (a date for
    "when", a number for "how many", a command for "how do I") — so the passage that states the
    answer outranks one that merely repeats the question's words.

    A follow-up brings `context`, words of the conversation before it, searched at a lower
    weight, and the document and section just cited, favoured a little. `language` (ISO 639-1) is
    the question's: its words and patterns (language_data) tell what kind of answer it asks for and
    read the sentences that may give it; a language without data asks for no kind, and the
    answering sentence is the one covering most of the question.
    """
    question = " ".join(question.split())
    if not question:
        return Answer(question, False, 0.0, (), note=N_("Ask a question in words, e.g. “Who signed the declaration?”"))
    asked = analyse(
        question[:MAX_QUESTION_CHARS], index, analyzer, context, favoured_doc, favoured_section, language=language
    )
    if not asked.terms:
        return Answer(
            question, False, 0.0, (), note=N_("That question has no words to search for; ask about something specific.")
        )
    hits = index.search(asked.terms, JUDGING.candidates)
    if not hits:
        return Answer(question, False, 0.0, (), note=N_("None of the question's words occur in the documents."))
    best_score = max(hits[0].score, 1e-9)
    first_mentions = _first_mentions(asked, index)
    candidates = sorted(
        (_judge(index, analyzer, hit, asked, best_score, hit.passage in first_mentions) for hit in hits),
        key=lambda c: (-c.rank, c.hit.passage),
    )
    kept = _collapse_duplicates(candidates, settings.top_k)
    cited = tuple(_result(index, candidate, also_in) for candidate, also_in in kept)
    top = kept[0][0]
    confidence = max(0.0, min(1.0, CONFIDENCE.highlight * top.answer_cover + CONFIDENCE.passage * top.passage_cover))
    if not top.typed and asked.expects is not None:
        confidence *= asked.expects.untyped_confidence
    known = asked.weights.keys() & index.term_ids.keys()  # the question's words the documents use somewhere
    if len(known) >= 2 and len(top.passage_terms & known) == 1:
        confidence *= CONFIDENCE.one_shared_word  # "how to install docker engine" by a rule naming DOCKER
    answered = confidence >= settings.threshold
    note = "" if answered else N_("The documents don't seem to answer this. The closest passages:")
    corrected = asked.correction.question if asked.correction else ""
    return Answer(question, answered, round(confidence, 4), cited, note=note, corrected=corrected)


def prepare(index: Index) -> None:
    """Make the word lists that answering may need of an index now, rather than on a question that needs them."""
    spelling.prepare(index)
    word_forms.prepare(index)


def _first_mentions(question: Question, index: Index) -> frozenset[int]:
    """For a "what is X" question, the passage of each document where X first appears."""
    if not question.defines:
        return frozenset()
    first: dict[str, int] = {}
    for position in index.passages_with_all(question.defines).tolist():
        first.setdefault(index.passages[position].doc_id, position)
    return frozenset(first.values())


def _coverage(terms: frozenset[str], shares: dict[str, float]) -> float:
    """Share of the question's term weight that a piece of text contains (`shares` sum to 1)."""
    return sum(share for term, share in shares.items() if term in terms)


_DEFINED_MAX_CHARS = 100
_WHOLE_LIST_MAX = 300  # characters of a list or table beyond which only its rows can answer


def _defined(sentence: str, analyzer: Analyzer, said: language_data.Sentences) -> frozenset[str]:
    """The terms of what a sentence says something about, before its first "is", "means"…"""
    copula = said.copula.search(sentence, 0, _DEFINED_MAX_CHARS)
    if copula is None or said.negation.match(sentence, copula.end()):  # "The X file is not read": no definition
        return frozenset()
    return frozenset(analyzer.tokens(sentence[: copula.start()]))


def _cover(terms: frozenset[str], heading_terms: frozenset[str], shares: dict[str, float], credit: float) -> float:
    """A sentence's share of the question: its own words', and `credit` of what its headings add."""
    return _coverage(terms, shares) + credit * _coverage(heading_terms - terms, shares)


def _precision(heading: frozenset[str], shares: dict[str, float]) -> float:
    """How much a heading is about the question: the share of its words (not its numbers) asked for."""
    words = [term for term in heading if not term.isdigit()]
    return sum(term in shares for term in words) / len(words) if words else 0.0


def _first_word(sentence: str, said: language_data.Sentences) -> str:
    found = said.opening.search(sentence)
    return found[1] if found else ""


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A piece of a passage that can answer: a sentence, a row, a code block, or a line of one."""

    span: tuple[int, int]  # within the passage
    text: str
    row_header: str  # a row's table header, or the sentence leading in to a line of code or a list
    terms: frozenset[str]  # of the sentence alone
    terms_with_header: frozenset[str]
    heading_terms: frozenset[str]  # of the headings its passage sits under
    code: bool  # code, or a sentence leading in to code
    # What was worked out of it once asked, by the language read in: the kinds it holds, what it defines
    known: dict[tuple[str, str], object]

    def holds(self, kind: AnswerKind) -> bool:
        """Whether the sentence holds what `kind` looks for (a quotation, a date, a command, a name…)."""
        found = self.known.get((kind.language, kind.name))
        if found is None:
            read = f"{self.row_header}\n{self.text}" if self.row_header else self.text  # a row with its header
            found = self.known[kind.language, kind.name] = (kind.in_code and self.code) or (
                kind.holds is not None and kind.holds.search(read) is not None
            )
        return bool(found)

    def opens_with(self, terms: tuple[str, ...], analyzer: Analyzer, language: str) -> bool:
        """Whether the sentence's first word (after an article) is `terms`: it is about them."""
        opening = self.known.get((language, "opening"))
        if opening is None:
            said = language_data.of(language).sentences
            opening = self.known[language, "opening"] = tuple(analyzer.tokens(_first_word(self.text, said)))
        return bool(terms) and opening == terms

    def defines(self, terms: frozenset[str], analyzer: Analyzer, language: str) -> bool:
        """Whether the sentence says what the thing named by `terms` is (never a line of code)."""
        defined = self.known.get((language, "defines"))
        if defined is None:
            said = language_data.of(language).sentences
            defined = self.known[language, "defines"] = (
                frozenset() if self.code else _defined(self.text, analyzer, said)
            )
        return terms <= defined  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class _PassageTerms:
    """What judging needs of a passage, whatever the question: its sentences and their terms."""

    passage: Passage
    sentences: tuple[_Sentence, ...]
    terms: frozenset[str]
    headings: frozenset[str]  # the terms of the headings it sits under
    heading: frozenset[str]  # … of the innermost one
    named: bool  # the innermost is a name it describes (a setting, a function, a glossary term)
    opens_section: bool  # it is the first passage under its innermost heading
    pointers: dict[str, tuple[bool, ...]]  # per language read in: which sentences only point elsewhere

    def pointing(self, language: str) -> tuple[bool, ...]:
        """Which of its sentences only send the reader elsewhere ("See …", "For details, see …")."""
        found = self.pointers.get(language)
        if found is None:
            pointer = language_data.of(language).sentences.pointer
            found = self.pointers[language] = tuple(pointer.match(s.text) is not None for s in self.sentences)
        return found


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
    offset = passage.span[0]
    heading_terms = frozenset(analyzer.tokens("\n".join(passage.section)))
    sentences = []
    header_terms: dict[str, frozenset[str]] = {}  # a table's header is read once, not once a row

    def add(start: int, end: int, header: str, code: bool) -> None:
        text = document_text[start:end]
        terms = frozenset(analyzer.tokens(text))
        if header and header not in header_terms:
            header_terms[header] = frozenset(analyzer.tokens(header))
        sentences.append(
            _Sentence(
                (start - offset, end - offset),
                text,
                header,
                terms,
                terms | header_terms[header] if header else terms,
                heading_terms,
                code,
                {},
            )
        )

    for unit in units_between(document_text, index.marks_of(document), *passage.span):
        lines = _lines_of(document_text, unit.start, unit.end) if unit.kind in (CODE, LIST, TABLE) else []
        if len(lines) > 1:  # each line read with what leads in to it, before the whole: the shorter wins a tie
            lead = unit.header or (document_text[unit.start : lines[0][0]].strip() if lines[0][0] > unit.start else "")
            for start, end in lines:
                add(start, end, lead, unit.kind == CODE)
            if unit.kind != CODE and unit.end - unit.start > _WHOLE_LIST_MAX:
                continue  # a long list is its items: as a whole it would hold every question's words
        add(unit.start, unit.end, unit.header if unit.kind != PROSE else "", unit.kind == CODE)
    # The passage's terms are its sentences' (sentences cover its words), its headings' and its table header's.
    terms = heading_terms.union(analyzer.tokens(passage.header), *(sentence.terms for sentence in sentences))
    heading = frozenset(analyzer.tokens(passage.section[-1])) if passage.section else frozenset()
    marks = index.marks_of(document)
    innermost = next((m for m in reversed(marks) if m.kind == HEADING and m.start < passage.span[0]), None)
    named = bool(passage.section) and innermost is not None and innermost.level == TERM_LEVEL
    opens = innermost is not None and not document_text[innermost.end : passage.span[0]].strip()
    return _PassageTerms(passage, tuple(sentences), terms, heading_terms, heading, named, opens, {})


def _lines_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The lines of a code block, list or table unit, after the sentence that leads in to it (if any)."""
    body = text.find("\n\n", start, end)
    body = start if body == -1 else body + 2
    spans = []
    for line_start in [body, *(i + 1 for i in range(body, end) if text[i] == "\n")]:
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end == -1 else line_end
        if text[line_start:line_end].strip():
            spans.append((line_start, line_end))
    return spans


def _judge(
    index: Index, analyzer: Analyzer, hit: Hit, question: Question, best_score: float, first_mention: bool
) -> _Candidate:
    """Rank a hit by its best sentence — or two adjacent ones, when together they hold much more
    of the question ("The Quillon bridge… . It was designed by…") —: its share of the question's
    weight, what the question asks for (a type bonus), where the thing asked about is first
    defined, the document just cited."""
    analysis = _passage_terms(index, analyzer, hit.passage)
    weights = question.weights
    expects = question.expects
    defines = frozenset(question.defines)
    # the passage that opens a section whose heading names what is asked: its first sentence defines it
    entry = bool(defines) and analysis.heading == defines and analysis.opens_section
    credit = 1.0 if entry or analysis.named else max(JUDGING.heading_credit, _precision(analysis.heading, weights))
    best: tuple[float, float, _Sentence | None, bool] = (-1.0, 0.0, None, expects is None)
    for sentence, pointer in zip(analysis.sentences, analysis.pointing(question.language)):
        cover = _cover(sentence.terms_with_header, sentence.heading_terms, weights, credit)
        if sentence.terms <= weights.keys() or pointer:  # repeats the question, or points elsewhere
            cover *= JUDGING.echo_factor
        typed = expects is None or sentence.holds(expects)
        score = (
            cover
            + JUDGING.type_bonus * (expects is not None and typed)
            + JUDGING.subject_bonus * sentence.opens_with(question.subject, analyzer, question.language)
            + JUDGING.defining_bonus * (bool(defines) and sentence.defines(defines, analyzer, question.language))
        )
        if score > best[0]:
            best = (score, cover, sentence, typed)
    sentence_score, answer_cover, chosen, typed = best
    span = chosen.span if chosen else (0, len(analysis.passage.text))
    row_header = chosen.row_header if chosen else ""
    sentence_terms = chosen.terms if chosen else frozenset()
    pair = _best_pair(analysis.sentences, question, sentence_score, credit, analyzer)
    if pair is not None:
        sentence_score, answer_cover, typed, span, sentence_terms = pair
        row_header = ""
    rank = (
        JUDGING.bm25_share * max(hit.score, 0.0) / best_score
        + (1 - JUDGING.bm25_share) * sentence_score
        + JUDGING.first_mention_bonus * first_mention
        + JUDGING.defining_bonus * entry
        + JUDGING.heading_bonus * _coverage(analysis.headings, weights)
        + JUDGING.favoured_bonus * (analysis.passage.doc_id == question.favoured_doc)
        + JUDGING.favoured_section_bonus
        * (bool(question.favoured_section) and analysis.passage.section == question.favoured_section)
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
    sentences: Sequence[_Sentence], question: Question, to_beat: float, credit: float, analyzer: Analyzer
) -> tuple[float, float, bool, tuple[int, int], frozenset[str]] | None:
    """Two adjacent sentences that together answer better than `to_beat` (the best one alone), as
    (score, cover, typed, span, terms); None if no pair does. A pair pays its cost for its length."""
    weights, expects = question.weights, question.expects
    best = None
    for first, second in zip(sentences, sentences[1:]):
        if (
            first.row_header or second.row_header or first.span[1] > second.span[0]
        ):  # rows, lines: read with their header
            continue
        if first.terms.isdisjoint(weights) or second.terms.isdisjoint(weights):  # one alone does as well
            continue
        terms = first.terms | second.terms
        if terms <= weights.keys():  # only repeats the question
            continue
        cover = _cover(terms, first.heading_terms, weights, credit)
        # What the question asks for counts in a sentence that is about the question too.
        typed = expects is None or any(
            part.holds(expects) and not part.terms.isdisjoint(weights) for part in (first, second)
        )
        score = (
            cover
            - JUDGING.pair_cost
            + JUDGING.type_bonus * (expects is not None and typed)
            + JUDGING.subject_bonus * first.opens_with(question.subject, analyzer, question.language)
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
    return bool(first) and len(first & second) / len(first | second) >= FOLDING.same_sentence


def _highlight_span(passage: Passage, candidate: _Candidate) -> tuple[int, int]:
    """Where a candidate's answering sentence lies in its document."""
    return (passage.span[0] + candidate.sentence[0], passage.span[0] + candidate.sentence[1])


def _near_duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two passages saying the same: most terms shared, or one almost wholly inside the other."""
    if not a or not b:
        return False
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared) >= FOLDING.jaccard or shared / min(len(a), len(b)) >= FOLDING.containment


def _result(index: Index, candidate: _Candidate, also_in: tuple[str, ...]) -> Result:
    passage = candidate.passage
    document = int(index.passage_document[candidate.hit.passage])
    info = index.documents[document]
    start, end = candidate.sentence
    return Result(
        doc_id=passage.doc_id,
        title=info.title,
        ordinal=passage.ordinal,
        text=passage.text,
        highlight=passage.text[start:end],
        score=round(candidate.hit.score, 6),
        also_in=also_in,
        header=candidate.row_header,
        url=info.url,
        section=passage.section,
        code=monospaced(index.marks_of(document), *passage.span),
    )
