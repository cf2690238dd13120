"""Typo correction: a question word the documents never use is replaced by the nearest word they do.

Only words that would otherwise find nothing, and that are not English words either, are
touched: a correct question is never rewritten, and a real word the documents lack ("rate",
"football") is left to find nothing rather than turned into one they have ("date"). The English
words are pyspellchecker's (see english); the corrections come from the corpus alone. The
nearest word is the one fewest edits away (rapidfuzz's optimal string alignment distance: a letter
added, dropped, changed, or two swapped — "debain" — is one edit; at most 1 edit for words up to 7
letters and 2 beyond, of words of five letters or more, keeping the first letter: a slip of the
hand, not another name like "pipx" or "pyproject"), the most frequent in the corpus on a tie. The
corpus's words are counted once per index, on the first question that needs them.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import english
from .index import Index
from .text import STOPWORDS, Analyzer, fold, words

_MIN_LENGTH = 5  # shorter words are too often a different word one edit away ("pipx" is not "pip")
_CANDIDATES = 20
_QUESTION_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Correction:
    question: str  # the question with its misspelt words replaced
    replaced: tuple[tuple[str, str], ...]  # (as written, as corrected)


class _CorpusWords:
    """The folded words of an index's documents, with their counts, for nearest-word lookups."""

    def __init__(self, index: Index) -> None:
        counts: Counter[str] = Counter()
        for text in index.document_texts:
            counts.update(words(text))
        self.counts = counts
        # Stopwords are never searched, so a correction into one ("whre" → "were") would only mislead.
        self.choices = [w for w in counts if len(w) >= _MIN_LENGTH - 1 and w.isalpha() and w not in STOPWORDS]


_corpus_words: weakref.WeakKeyDictionary[Index, _CorpusWords] = weakref.WeakKeyDictionary()


def correct(question: str, index: Index, analyzer: Analyzer) -> Correction | None:
    """The question with unknown words corrected, or None when nothing needed (or had) a correction."""
    if all(token in index.term_ids for token in analyzer.tokens(question)):
        return None  # the usual case, found without looking at each word on its own
    replaced: list[tuple[str, str]] = []
    corrected = question
    for match in _QUESTION_WORD.finditer(question):
        written = match.group()
        word = fold(written)
        if len(word) < _MIN_LENGTH or _known(word, index, analyzer):
            continue
        if english.is_word(word) or _misspelt_stopword(word):
            continue
        nearest = _nearest(word, _words_of(index))
        if nearest is None:
            continue
        shown = nearest.capitalize() if written[:1].isupper() else nearest
        replaced.append((written, shown))
        corrected = re.sub(rf"\b{re.escape(written)}\b", shown, corrected, count=1)
    return Correction(corrected, tuple(replaced)) if replaced else None


def prepare(index: Index) -> None:
    """Count the corpus's words now (seconds on a large corpus) rather than on the first misspelt word."""
    _words_of(index)
    english.prepare()


def _misspelt_stopword(word: str) -> bool:
    """ "whre", "wich": a question word mistyped; it is not searched, so leave it as it is."""
    return process.extractOne(word, STOPWORDS, scorer=OSA.distance, score_cutoff=1) is not None


def _known(word: str, index: Index, analyzer: Analyzer) -> bool:
    return any(token in index.term_ids for token in analyzer.tokens(word))


def _words_of(index: Index) -> _CorpusWords:
    known = _corpus_words.get(index)
    if known is None:
        known = _corpus_words[index] = _CorpusWords(index)
    return known


def _nearest(word: str, corpus: _CorpusWords) -> str | None:
    allowed = 1 if len(word) <= 7 else 2
    matches = process.extract(word, corpus.choices, scorer=OSA.distance, score_cutoff=allowed, limit=_CANDIDATES)
    # A typo keeps the word's first letter: "pyproject" is another name, not a slip for "myproject".
    matches = [match for match in matches if match[0][0] == word[0]]
    if not matches:
        return None
    return min(matches, key=lambda match: (match[1], -corpus.counts[match[0]], match[0]))[0]
