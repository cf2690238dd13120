"""Everyday English: whether a word is one, and how common it is, from pyspellchecker's English
list and its counts (drawn from film subtitles and the like: how people talk, and so ask)."""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
from pathlib import Path

import spellchecker
from spellchecker import SpellChecker

_WORD_LIST = Path(spellchecker.__file__).parent / "resources" / "en.json.gz"  # where SpellChecker reads it


def is_word(word: str) -> bool:
    return bool(_dictionary().known([word]))


def zipf(word: str) -> float | None:
    """How common a (folded) word is: log10 of its occurrences per billion words; None if unlisted."""
    text, total = _counts()
    at = text.find(f"\n{json.dumps(word, ensure_ascii=False)}: ")
    if at < 0:
        return None
    count = int(re.match(r"[^:]*: (\d+)", text[at + 1 : at + 200])[1])
    return math.log10(count * 1e9 / total) if count else None


def prepare() -> None:
    """Load the list now (a second) rather than on the first question that needs it."""
    _dictionary()
    _counts()


@functools.cache
def _counts() -> tuple[str, int]:
    """The word list as SpellChecker's file has it (JSON, one `"word": count,` a line, in lower case)
    and the sum of its counts. A word's count is found in the text: reading it takes a quarter of the
    time SpellChecker takes to load it, and a question needs the counts of a few words, not the list
    (a one-shot `citebot ask` waits for it)."""
    text = gzip.decompress(_WORD_LIST.read_bytes()).decode("utf-8")
    return text, sum(map(int, re.findall(r'": (\d+)', text)))


@functools.cache
def _dictionary() -> SpellChecker:
    return SpellChecker(language="en", distance=1)
