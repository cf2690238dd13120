"""Compound words parted into the everyday words they are made of, in languages that write a
compound as one word: German's "Logdatei" is "log" + "datei", "Paketverwaltungswerkzeug" is
"paket" + "verwaltung" + "werkzeug". A question's "Logdatei" then finds the page's "Datei" of the
log, and "Sicherheitsupdates" the "Updates" for "Sicherheit": `text.Analyzer` indexes and searches
a compound as itself and as its parts.

A part is a word of the language's everyday list (`everyday`: at least `_COMMON` zipf, so not a
rare fragment that happens to be listed), of `_MIN_PART` letters or more; a linking "s" or "n"
("Sicherheit-s-update", "Konsole-n-schrift") may join two. Of the ways to part a word, the one
whose least common part is most common wins; a word is parted into at most `_MAX_PARTS`.
"""

from __future__ import annotations

import functools

from . import everyday

COMPOUNDING = frozenset({"de", "nl"})  # of the languages `everyday` has lists of
_MIN_WORD = 7
_MIN_PART = 3
_MAX_PARTS = 4
_COMMON = 2.0  # zipf: a word used at least 100 times in a billion
_LINKS = ("s", "n")


def parts(word: str, language: str) -> tuple[str, ...]:
    """The everyday words a folded word is made of, in order; () when it is not a compound of them."""
    if language not in COMPOUNDING or len(word) < _MIN_WORD or not word.isalpha():
        return ()
    best = _best_split(word, language, _MAX_PARTS)
    return best[1] if best is not None else ()


@functools.lru_cache(maxsize=200_000)
def _best_split(word: str, language: str, most: int) -> tuple[float, tuple[str, ...]] | None:
    """(how common the least common part is, the parts) of the best way to part `word` into 2 to
    `most` everyday words; None if there is none."""
    best: tuple[float, tuple[str, ...]] | None = None
    for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, tail = word[:cut], word[cut:]
        heads = [head] + [head[: -len(link)] for link in _LINKS if head.endswith(link) and cut > _MIN_PART]
        for first in heads:
            first_zipf = _zipf(first, language)
            if first_zipf is None:
                continue
            tail_zipf = _zipf(tail, language)
            candidates = [(tail_zipf, (tail,))] if tail_zipf is not None else []
            if most > 2 and len(tail) >= 2 * _MIN_PART:
                rest = _best_split(tail, language, most - 1)
                if rest is not None:
                    candidates.append(rest)
            for rest_zipf, rest_parts in candidates:
                split = (min(first_zipf, rest_zipf), (first, *rest_parts))
                if best is None or split[0] > best[0]:
                    best = split
    return best


def _zipf(word: str, language: str) -> float | None:
    """How common a word is, if it is common enough to be a part."""
    frequency = everyday.zipf(word, language) if len(word) >= _MIN_PART else None
    return frequency if frequency is not None and frequency >= _COMMON else None
