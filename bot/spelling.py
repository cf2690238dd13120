"""Typo correction: a question word the documents never use is replaced by the nearest word they do.

Only words that would otherwise find nothing, and that are not English words either, are
touched: a correct question is never rewritten, and a real word the documents lack ("rate",
"football") is left to find nothing rather than turned into one they have ("date"). The English
words are pyspellchecker's (see everyday); the corrections come from the corpus alone. The
nearest word is the one fewest edits away (rapidfuzz's optimal string alignment distance: a letter
added, dropped, changed, or two swapped — "debain" — is one edit; at most 1 edit for words up to 7
letters and 2 beyond, of words of five letters or more, keeping the first letter: a slip of the
hand, not another name like "pipx" or "pyproject"), the most frequent in the corpus on a tie. The
corpus's words are counted once per index, on the first question that needs them.

A question is corrected only in a language pyspellchecker has a dictionary of (en, de, es, fr, it,
pt, nl, ru, ar, fa, eu, lv): without one, a correct word cannot be told from a typo ("отменить"
would become "заменить"). The question's language is its Analyzer's; a word of that language,
with or without its accents, is never rewritten.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from . import everyday
from .index import Index
from .text import ENGLISH, Analyzer, fold, fold_letters, stopwords, words

_MIN_LENGTH = 5  # shorter words are too often a different word one edit away ("pipx" is not "pip")
_CANDIDATES = 20
_QUESTION_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_WORD_OF_LANGUAGE = re.compile(r"[^\W\d_]+")  # other languages part words at apostrophes (see text.words)


@dataclass(frozen=True, slots=True)
class Correction:
    question: str  # the question with its misspelt words replaced
    replaced: tuple[tuple[str, str], ...]  # (as written, as corrected)


class _CorpusWords:
    """The folded words of an index's documents in one language, with their counts, for
    nearest-word lookups."""

    def __init__(self, index: Index, language: str) -> None:
        counts: Counter[str] = Counter()
        for text, document_language in zip(index.document_texts, index.document_languages):
            if document_language == language:
                counts.update(words(text, language))
        self.counts = counts
        # Stopwords are never searched, so a correction into one ("whre" → "were") would only mislead.
        unsearched = stopwords(language)
        self.choices = [w for w in counts if len(w) >= _MIN_LENGTH - 1 and w.isalpha() and w not in unsearched]


_corpus_words: weakref.WeakKeyDictionary[Index, dict[str, _CorpusWords]] = weakref.WeakKeyDictionary()


def correct(question: str, index: Index, analyzer: Analyzer) -> Correction | None:
    """The question with unknown words corrected, or None when nothing needed (or had) a correction."""
    language = analyzer.language
    if not has_dictionary(language) or all(token in index.term_ids for token in analyzer.tokens(question)):
        return None  # the usual case, found without looking at each word on its own
    english_question = language == ENGLISH
    replaced: list[tuple[str, str]] = []
    corrected = question
    for match in (_QUESTION_WORD if english_question else _WORD_OF_LANGUAGE).finditer(question):
        written = match.group()
        word = fold(written) if english_question else fold_letters(written)
        if len(word) < _MIN_LENGTH or _known(word, index, analyzer):
            continue
        if _is_word(written, word, language) or _misspelt_stopword(word, language):
            continue
        nearest = _nearest(word, _words_of(index, language))
        if nearest is None:
            continue
        shown = nearest.capitalize() if written[:1].isupper() else nearest
        replaced.append((written, shown))
        corrected = re.sub(rf"\b{re.escape(written)}\b", shown, corrected, count=1)
    return Correction(corrected, tuple(replaced)) if replaced else None


def prepare(index: Index) -> None:
    """Count the corpus's words now (seconds on a large corpus) rather than on the first misspelt word."""
    for language in index.languages:
        if has_dictionary(language):
            _words_of(index, language)
            everyday.prepare(language)


def has_dictionary(language: str) -> bool:
    """Whether pyspellchecker has a dictionary of the language, and so its questions are corrected."""
    return everyday.has_list(language)


def _is_word(written: str, folded: str, language: str) -> bool:
    """Whether the word is one of the language's, as written or accents aside."""
    return everyday.is_word(folded if language == ENGLISH else written, language)


def _misspelt_stopword(word: str, language: str) -> bool:
    """ "whre", "wich": a question word mistyped; it is not searched, so leave it as it is."""
    return bool(_within_edits(word, stopwords(language), 1, limit=1))


def _known(word: str, index: Index, analyzer: Analyzer) -> bool:
    return any(token in index.term_ids for token in analyzer.tokens(word))


def _words_of(index: Index, language: str) -> _CorpusWords:
    known = _corpus_words.setdefault(index, {})
    if language not in known:
        known[language] = _CorpusWords(index, language)
    return known[language]


def _nearest(word: str, corpus: _CorpusWords) -> str | None:
    allowed = 1 if len(word) <= 7 else 2
    matches = _within_edits(word, corpus.choices, allowed, limit=_CANDIDATES)
    # A typo keeps the word's first letter: "pyproject" is another name, not a slip for "myproject".
    matches = [match for match in matches if match[0][0] == word[0]]
    if not matches:
        return None
    return min(matches, key=lambda match: (match[1], -corpus.counts[match[0]], match[0]))[0]


def _within_edits(word: str, choices: Collection[str], edits: int, limit: int) -> list[tuple[str, int]]:
    """The choices at most `edits` slips from the word, nearest first, with their distance. rapidfuzz is
    imported here, as most questions need no correction and a one-shot `citebot ask` would wait for it."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    matches = process.extract(word, choices, scorer=OSA.distance, score_cutoff=edits, limit=limit)
    return [(choice, distance) for choice, distance, _ in matches]
