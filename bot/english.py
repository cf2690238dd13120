"""Everyday English: whether a word is one, and how common it is, from pyspellchecker's English
list and its counts (drawn from film subtitles and the like: how people talk, and so ask)."""

from __future__ import annotations

import functools
import math

from spellchecker import SpellChecker


def is_word(word: str) -> bool:
    return bool(_dictionary().known([word]))


def zipf(word: str) -> float | None:
    """How common a (folded) word is: log10 of its occurrences per billion words; None if unlisted."""
    frequencies = _dictionary().word_frequency
    count = frequencies.dictionary.get(word, 0)
    return math.log10(count * 1e9 / frequencies.total_words) if count else None


def prepare() -> None:
    """Load the list now (a second) rather than on the first question that needs it."""
    _dictionary()


@functools.cache
def _dictionary() -> SpellChecker:
    return SpellChecker(language="en", distance=1)
