"""Case and accent folding, so that a word matches however it is written: English's, and every
other language's (whose letters' marks may be part of the letter)."""

from __future__ import annotations

import re
import unicodedata

ENGLISH = "en"  # the language whose words fold with `fold`; every other with `fold_letters`

# Letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSABLE = str.maketrans(
    {"ı": "i", "ə": "e", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form of text: 'Şuşa' and 'SUSA' both become 'susa'."""
    if text.isascii():  # the common case, where normalizing and folding accents change nothing
        return text.lower().translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Accents on Latin letters; the marks of other scripts are part of their letters (Russian "й",
# Japanese "が") and stay.
_LATIN_ACCENTS = re.compile(r"(?<=[A-Za-z])[\u0300-\u036f]+")
_OTHER_LETTERS = str.maketrans({"ё": "е"})  # Russian is mostly written without the dots of "ё"


def fold_letters(text: str) -> str:
    """`fold` for any language: case and the accents of Latin letters folded, the marks that are
    part of other scripts' letters kept ("Шрифт" → "шрифт", "Schrift" and "Schrïft" → "schrift")."""
    if text.isascii():
        return text.lower().translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES).translate(_UNDECOMPOSABLE)
    decomposed = _LATIN_ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFC", decomposed).translate(_OTHER_LETTERS)
