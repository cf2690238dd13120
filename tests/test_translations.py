"""Tests for bot.translations and the catalogs in bot/locale: every text the code marks is translated
in every catalog, with its placeholders and HTML tags intact, and the committed .mo files are
compiled from their .po files (`make catalogs` makes all of this so)."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.translations import DOMAIN, ENGLISH, LOCALE_DIR, for_language, for_locale, languages

BOT = Path(__file__).resolve().parent.parent / "bot"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")
FIX = "run `make catalogs`, translate what it adds, and run it again"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def marked_texts() -> set[str | tuple[str, ...]]:
    """Every text the code marks for translation, as `make catalogs` extracts it."""
    return {message for _, _, message, _, _ in extract_from_dir(BOT, keywords=DEFAULT_KEYWORDS)}


def entries(catalog: Catalog) -> dict[str | tuple[str, ...], object]:
    return {message.id: message for message in catalog if message.id}


@pytest.fixture(scope="module")
def marked() -> set[str | tuple[str, ...]]:
    return marked_texts()


def test_the_shipped_languages_are_german_and_russian() -> None:
    assert languages() == ("de", "ru")


def test_the_template_holds_every_marked_text(marked: set) -> None:
    template = entries(read_catalog(LOCALE_DIR / f"{DOMAIN}.pot"))
    assert len(marked) > 50
    assert set(template) == marked, FIX


@pytest.mark.parametrize("language", languages())
def test_every_catalog_translates_every_text(language: str, marked: set) -> None:
    catalog = read_catalog(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po")
    found = entries(catalog)
    assert set(found) == marked, FIX
    for message in found.values():
        forms = message.string if message.pluralizable else (message.string,)
        expected = catalog.num_plurals if message.pluralizable else 1
        assert not message.fuzzy and len(forms) == expected and all(forms), (language, message.id)


@pytest.mark.parametrize("language", languages())
def test_translations_keep_placeholders_and_tags(language: str) -> None:
    catalog = read_catalog(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po")
    for message in entries(catalog).values():
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(source)), (language, form)
            assert TAG.findall(form) == TAG.findall(source), (language, form)
            assert form.count("\n") == source.count("\n"), (language, form)


@pytest.mark.parametrize("language", languages())
def test_the_committed_mo_file_is_compiled_from_its_po_file(language: str) -> None:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(folder / f"{DOMAIN}.po"))
    compiled.seek(0)
    with (folder / f"{DOMAIN}.mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog, FIX


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de", "Mehr"), ("de-AT", "Mehr"), ("DE-ch", "Mehr"), ("ru", "Ещё"), ("ru-RU", "Ещё"), ("en", "More")],
)
def test_a_telegram_language_code_finds_its_catalog(code: str, expected: str) -> None:
    assert for_language(code).gettext("More") == expected


@pytest.mark.parametrize("code", [None, "", "pt-br", "zh-hans", "../../../tmp", "de/../ru", "x"])
def test_a_language_without_a_catalog_or_no_language_is_english(code: str | None) -> None:
    assert for_language(code) is ENGLISH


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "de_DE.UTF-8"}, "Mehr"),
        ({"LANG": "ru_RU.UTF-8"}, "Ещё"),
        ({"LC_MESSAGES": "de_AT@euro", "LANG": "ru_RU.UTF-8"}, "Mehr"),  # LC_MESSAGES comes before LANG
        ({"LC_ALL": "ru_RU.UTF-8", "LANG": "de_DE.UTF-8"}, "Ещё"),
        ({"LANGUAGE": "fr:de", "LANG": "ru_RU.UTF-8"}, "Mehr"),  # the first of LANGUAGE's list with a catalog
        ({"LANGUAGE": "", "LANG": "de_DE.UTF-8"}, "Mehr"),  # set but empty counts as unset
        ({"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}, "More"),
        ({"LANG": "POSIX"}, "More"),
        ({"LANG": "fr_FR.UTF-8"}, "More"),
        ({}, "More"),
    ],
)
def test_the_console_follows_the_locale(environ: dict[str, str], expected: str) -> None:
    assert for_locale(environ).gettext("More") == expected


def test_russian_counts_take_the_right_form() -> None:
    russian = for_language("ru")
    counted = [russian.ngettext("{count} passage", "{count} passages", n).format(count=n) for n in (1, 3, 5, 11, 21)]
    assert counted == ["1 фрагмент", "3 фрагмента", "5 фрагментов", "11 фрагментов", "21 фрагмент"]
