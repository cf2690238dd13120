"""Which language a document or a question is written in, as an ISO 639-1 code ("en", "de", "ru",
"zh", "ja"), so that each is read with its own language's pipeline (bot.text.Analyzer).

The detector is py3langid (langid.py's naive Bayes model over byte n-grams, shipped inside the
package: offline and deterministic). A document is detected on its opening text; one the model is
unsure of (a title, a table of numbers) takes the language most of the corpus's documents are in.
In a large corpus (more than `_SAMPLE_DOCUMENTS`) a sample spread over it is detected first: when
it finds one language, every document is taken to be in it (detecting each of a hundred thousand
documents would double the time indexing takes); when it finds several, each document is
detected among those. A question is short, and short texts are where detectors fail ("sid bedeutung" could be several
languages), so a question is only told apart among the languages its corpus has, and when even
that is unsure it is taken to be in the corpus's main language: a corpus in one language reads
every question in it, without detecting anything.
"""

from __future__ import annotations

import copy
import functools
import math
from collections import Counter
from collections.abc import Mapping, Sequence

import py3langid
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from .text import ENGLISH

AUTO = "auto"  # the `language` setting that detects each document's language
DETECTOR_VERSION = f"py3langid/{py3langid.__version__}"

_SAMPLE_DOCUMENTS = 400
_SAMPLE_MIN_SHARE = 0.01  # of the sampled documents a language must be found in, to be one of the corpus's
_DOCUMENT_SAMPLE_CHARS = 2_000  # a document's language shows in its opening; all of it costs more
_DOCUMENT_SURE = 0.9  # the model's probability from which a document's language is taken
_DOCUMENT_MIN_LETTERS = 40  # fewer letters than this say too little to detect
_QUESTION_SURE = 0.8  # … and a question's, among its corpus's languages
# The model's labels that are dialects or scripts of a language the pipelines know by another code.
_SAME_LANGUAGE = {"wuu": "zh", "yue": "zh", "nn": "no", "nb": "no"}


def document_languages(texts: Sequence[str], fixed: str = AUTO) -> list[str]:
    """Each document's language: `fixed` for all unless it is AUTO; else detected, and where the
    detector is unsure, the language most of the documents it is sure of are in (English if none)."""
    if fixed != AUTO:
        return [fixed] * len(texts)
    candidates: tuple[str, ...] = ()
    if len(texts) > _SAMPLE_DOCUMENTS:
        step = len(texts) / _SAMPLE_DOCUMENTS
        found = Counter(_document_language(texts[int(i * step)]) for i in range(_SAMPLE_DOCUMENTS))
        found.pop(None, None)
        candidates = tuple(sorted(k for k, n in found.items() if n >= _SAMPLE_MIN_SHARE * _SAMPLE_DOCUMENTS))
        if len(candidates) < 2:
            return [candidates[0] if candidates else ENGLISH] * len(texts)
    detected = [_document_language(text, candidates) for text in texts]
    sure = Counter(language for language in detected if language is not None)
    fallback = majority(sure) if sure else ENGLISH
    return [language or fallback for language in detected]


def question_language(question: str, corpus_languages: Mapping[str, int]) -> str:
    """The language a question is read in: one of the corpus's languages (`corpus_languages`: each
    language's number of documents), the one it most likely is in, or the corpus's main language
    when the question does not say clearly (or the corpus has one language only). A language's
    share of the documents is its prior: in a German corpus with one English page, a question
    that could be either is German."""
    main = majority(corpus_languages) if corpus_languages else ENGLISH
    if len(corpus_languages) < 2:
        return main
    scores: dict[str, float] = {}
    for label, score in _identifier().rank(question):
        language = _SAME_LANGUAGE.get(label, label)
        if language in corpus_languages:
            scores[language] = scores.get(language, 0.0) + score * corpus_languages[language]
    if not scores:
        return main
    best = max(scores, key=scores.__getitem__)
    return best if _probability(scores, best) >= _QUESTION_SURE else main


def majority(counts: Mapping[str, int]) -> str:
    """The language with the most documents (ties by code, so the choice does not depend on order)."""
    return min(counts, key=lambda language: (-counts[language], language))


def _document_language(text: str, candidates: tuple[str, ...] = ()) -> str | None:
    """A document's language (among `candidates`, if any), None when the detector is unsure."""
    sample = text[:_DOCUMENT_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < _DOCUMENT_MIN_LETTERS:
        return None
    label, probability = _identifier(candidates).classify(sample)
    return _SAME_LANGUAGE.get(label, label) if probability >= _DOCUMENT_SURE else None


def _probability(scores: Mapping[str, float], language: str) -> float:
    """The share of `language`'s probability among the languages scored (0 when all are nil)."""
    total = math.fsum(scores.values())
    return scores[language] / total if total > 0 else 0.0


@functools.cache
def _identifier(candidates: tuple[str, ...] = ()) -> LanguageIdentifier:
    """The model (restricted to the candidates, if any), loaded once (a second) and only when a
    language has to be detected."""
    if not candidates:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    restricted = copy.copy(_identifier())  # set_languages keeps the whole model aside: a copy shares it
    restricted.set_languages([label for label in restricted.labels if _SAME_LANGUAGE.get(label, label) in candidates])
    return restricted
