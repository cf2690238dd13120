"""The bot's own words in its reader's language: gettext catalogs shipped in bot/locale.

A Telegram user gets the catalog of their app's language (`language_code`, an IETF tag such as
"de", "de-AT" or "pt-br"), a console user that of their locale (LANGUAGE, LC_ALL, LC_MESSAGES,
LANG, read as GNU gettext reads them); a language without a catalog gets the English the texts
are written in. Texts are marked where they are written — `tr.gettext(...)`, `tr.ngettext(...)`,
or N_() for a text kept in a constant and translated where it is shown — so that `make catalogs`
finds them all.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

DOMAIN = "citebot"
LOCALE_DIR = Path(__file__).with_name("locale")
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order: the first one set decides

Translator = gettext.NullTranslations  # gettext(message) and ngettext(singular, plural, n)
ENGLISH: Translator = gettext.NullTranslations()

_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")  # anything else is nobody's language


def N_(message: str) -> str:
    """Mark a text for the catalogs where it is defined; it is translated where it is shown."""
    return message


def languages() -> tuple[str, ...]:
    """The languages with a catalog, English (the source) not included: "de", "ru", …"""
    return tuple(sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")))


def for_language(code: str | None) -> Translator:
    """The translator for an IETF language tag as Telegram sends it: "de-AT" finds de_AT, then de;
    English when there is no catalog (or no tag)."""
    if not code or not _TAG.fullmatch(code):
        return ENGLISH
    primary, *rest = re.split("[-_]", code)
    candidates = [primary.lower()]
    if rest:
        candidates.insert(0, f"{primary.lower()}_{rest[0].upper()}")
    return _catalog(candidates)


def for_locale(environ: Mapping[str, str]) -> Translator:
    """The translator for a console: the first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set
    ("de_DE.UTF-8", or LANGUAGE's list such as "de:fr"), English for "C", "POSIX" or none."""
    value = next((environ[name] for name in LOCALE_VARIABLES if environ.get(name)), "")
    wanted = [entry for entry in value.split(":") if entry]
    if not wanted or any(entry.split(".")[0] in ("C", "POSIX") for entry in wanted):
        return ENGLISH
    candidates: list[str] = []
    for entry in wanted:
        name = re.split("[.@]", entry)[0]
        if _TAG.fullmatch(name):
            candidates += [name, name.split("_")[0]] if "_" in name else [name]
    return _catalog(candidates)


def _catalog(candidates: Iterable[str]) -> Translator:
    """The first catalog there is of `candidates` (locale names such as "de_AT", "de"), else English."""
    return next((found for language in candidates if (found := _load(language)) is not None), ENGLISH)


@lru_cache(maxsize=128)
def _load(language: str) -> Translator | None:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        return None
    with path.open("rb") as file:
        return gettext.GNUTranslations(file)
