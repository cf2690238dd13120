"""Everyday words of a language: whether a word is one, and how common it is, from pyspellchecker's
word lists and their counts (drawn from film subtitles and the like: how people talk, and so ask).
It has lists of en, de, es, fr, it, pt, nl, ru, ar, fa, eu and lv; a language without one has no
everyday words.

Words are looked up folded, as the language's questions are read (`text.words`): English with
`fold`, the others with `fold_letters`.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import json
import math
import re
from collections import Counter
from pathlib import Path

import spellchecker
from spellchecker import SpellChecker

from .folding import ENGLISH, fold_letters

_LISTS = Path(spellchecker.__file__).parent / "resources"  # where SpellChecker reads them


def has_list(language: str) -> bool:
    return (_LISTS / f"{language}.json.gz").is_file()


def is_word(word: str, language: str = ENGLISH) -> bool:
    """Whether a word is one of the language's: English folded; another as written or folded."""
    if language == ENGLISH:
        return bool(_english().known([word]))
    counts, _ = _folded_counts(language)
    return fold_letters(word) in counts


def zipf(word: str, language: str = ENGLISH) -> float | None:
    """How common a folded word is: log10 of its occurrences per billion words; None if unlisted."""
    if language == ENGLISH:
        lines, total = _english_counts()
        key = f"{json.dumps(word, ensure_ascii=False)}:"
        at = bisect.bisect_left(lines, key)
        count = int(lines[at][len(key) :].strip(" ,")) if at < len(lines) and lines[at].startswith(key) else 0
    elif has_list(language):
        counts, total = _folded_counts(language)
        count = counts.get(word, 0)
    else:
        return None
    return math.log10(count * 1e9 / total) if count else None


def prepare(language: str = ENGLISH) -> None:
    """Load the language's list now (a second) rather than on the first question that needs it."""
    if language == ENGLISH:
        _english()
        _english_counts()
    elif has_list(language):
        _folded_counts(language)


@functools.cache
def _english_counts() -> tuple[list[str], int]:
    """The English list's lines as SpellChecker's file has them (`"word": count,`, one a line,
    sorted by word, so a word is found by bisection) and the sum of its counts. Reading the file
    takes a quarter of the time SpellChecker takes to load it, and a one-shot `citebot ask` waits
    for it."""
    text = gzip.decompress((_LISTS / "en.json.gz").read_bytes()).decode("utf-8")
    return text.split("\n")[1:-1], sum(map(int, re.findall(r'": (\d+)', text)))


@functools.cache
def _english() -> SpellChecker:
    return SpellChecker(language="en", distance=1)


@functools.cache
def _folded_counts(language: str) -> tuple[dict[str, int], int]:
    """Another language's list with its words folded (the counts of words that fold alike added up),
    and the sum of its counts."""
    listed: dict[str, int] = json.loads(gzip.decompress((_LISTS / f"{language}.json.gz").read_bytes()))
    counts: Counter[str] = Counter()
    for word, count in listed.items():
        counts[fold_letters(word)] += count
    return dict(counts), sum(listed.values())
