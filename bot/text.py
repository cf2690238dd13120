"""The one text pipeline for passages and questions: fold, tokenize, drop stopwords, stem, alias.

Passages and questions go through the same `Analyzer`, so a word matches whatever its case,
accents, inflection or spelling variant (alias groups) — and BM25 sees the very same tokens
that rank-bm25 would be given.

Each language has its own pipeline (`Analyzer(language=...)`, an ISO 639-1 code): its Snowball
stemmer (PyStemmer) and stopword list (the stop-words package) where there are ones, words split
at apostrophes (French "l'installation"), and Chinese and Japanese text, written without spaces,
cut into terms: a run of Han characters into its overlapping character pairs, a katakana run
whole, hiragana (particles and endings) left out. A passage is read with its document's
language, a question with its own. English is today's pipeline, unchanged.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import Stemmer
import stop_words
from stop_words._version import version as stop_words_version

from . import compounds
from .folding import ENGLISH, fold, fold_letters

# Wikipedia-style reference markers: [12], [note 3], [citation needed].
REFERENCE_MARKER = re.compile(r"\[(?:\d+|note \d+|[a-z]|citation needed)\]", re.IGNORECASE)
# An initialism (U.S., e.g.) is one word, so that "U.S." is not the lone letter "u". Words joined by
# dots or underscores (work_mem, os.path.join, 3.11) are found whole and then taken apart (_joined).
_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:'[^\W_]+)*(?:[._][^\W_]+(?:'[^\W_]+)*)*")
_ASCII_WORD = re.compile(r"(?:[a-z]\.){2,}|[a-z0-9]+(?:'[a-z0-9]+)*(?:[._][a-z0-9]+(?:'[a-z0-9]+)*)*")  # faster

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's which while who who's whom why why's will with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves s t d ll m re ve e.g i.e etc
    whats hows wheres whos whens whys thats theres im ive youre dont doesnt didnt cant wont isnt
    arent wasnt werent havent hasnt hadnt shouldnt wouldnt couldnt
    whose ok okay hey hi hello thanks thx pls plz yeah yep hmm btw vs versus
    """.split()
)  # the last lines: chat's contractions without the apostrophe, and its fillers

STEMMER_VERSION = f"snowball/{Stemmer.version()}"
STOPWORDS_VERSION = f"stop-words/{stop_words_version}"  # importlib.metadata would take longer than an answer

# ISO 639-1 code → PyStemmer's Snowball algorithm, for those it has.
_SNOWBALL = {
    code: name
    for code, name in {
        "ar": "arabic",
        "ca": "catalan",
        "cs": "czech",
        "da": "danish",
        "de": "german",
        "el": "greek",
        "eo": "esperanto",
        "es": "spanish",
        "et": "estonian",
        "eu": "basque",
        "fa": "persian",
        "fi": "finnish",
        "fr": "french",
        "ga": "irish",
        "hi": "hindi",
        "hu": "hungarian",
        "hy": "armenian",
        "id": "indonesian",
        "it": "italian",
        "lt": "lithuanian",
        "nb": "norwegian",
        "ne": "nepali",
        "nl": "dutch",
        "nn": "norwegian",
        "no": "norwegian",
        "pl": "polish",
        "pt": "portuguese",
        "ro": "romanian",
        "ru": "russian",
        "sr": "serbian",
        "sv": "swedish",
        "ta": "tamil",
        "tr": "turkish",
        "yi": "yiddish",
    }.items()  # fmt: skip
    if name in Stemmer.algorithms()
}
_STOPWORD_CODES = {"no": "nb", "nn": "nb"}  # the stop-words package files Norwegian under "nb"


def words(text: str, language: str = ENGLISH) -> list[str]:
    """The folded words of text, reference markers dropped, possessive "'s" removed; an identifier
    (work_mem, pg_stat_activity, os.path.join, postgresql.conf) is also a word of its own, after
    its parts, so that asking for it by name finds it before the passages that share a part.

    In other languages than English an apostrophe parts words ("l'installation", "dell'archivio")
    and Chinese and Japanese are cut into terms (see `_cjk_terms`)."""
    if language != ENGLISH:
        return _words_of_language(text, language)
    folded = fold(REFERENCE_MARKER.sub(" ", text))
    found = (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)
    if "." not in folded and "_" not in folded and "'" not in folded:
        return found
    result: list[str] = []
    for word in found:
        if "_" in word or ("." in word and not _INITIALISM.fullmatch(word)):
            result.extend(_joined(word))
        else:
            result.append(_clean(word) if "'" in word or "." in word else word)
    return result


def _words_of_language(text: str, language: str) -> list[str]:
    folded = fold_letters(REFERENCE_MARKER.sub(" ", text)).replace("'", " ")
    if folded.isascii():
        found = _ASCII_WORD.findall(folded)
        return found if "." not in folded and "_" not in folded else _taken_apart(found)
    result: list[str] = []
    for word in _taken_apart(_WORD.findall(folded)):
        if _CJK.search(word):
            if "." not in word and "_" not in word:  # a joined word's parts come on their own
                result.extend(_cjk_terms(word, language))
        else:
            result.append(word)
    return result


def _taken_apart(found: list[str]) -> list[str]:
    result: list[str] = []
    for word in found:
        if "_" in word or ("." in word and not _INITIALISM.fullmatch(word)):
            result.extend(_joined(word))
        else:
            result.append(word.rstrip(".") if "." in word else word)
    return result


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HIRAGANA = "\u3041-\u309f"
_KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff"
_CJK = re.compile(f"[{_HAN}{_HIRAGANA}{_KATAKANA}]")
_SCRIPT_RUN = re.compile(f"([{_HAN}]+)|([{_HIRAGANA}]+)|([{_KATAKANA}]+)|([^{_HAN}{_HIRAGANA}{_KATAKANA}]+)")


def written_without_spaces(term: str) -> bool:
    """Whether a term is of Chinese or Japanese (a character pair, a katakana word: see `_cjk_terms`)."""
    return _CJK.search(term) is not None


def _cjk_terms(word: str, language: str) -> Iterable[str]:
    """A word with Chinese or Japanese characters as search terms, cut by the language's segmenter:
    Chinese by jieba, in its search mode (a long word also as the words it is made of: 软件包 is 软件
    and 软件包), one-character words left out (most are function words: 的, 是, 吗); Japanese by
    MeCab (fugashi, with UniDic), each word in its dictionary form (使って → 使う) and only the
    words with kanji or katakana (hiragana alone is grammar: particles, endings, する). Text in
    neither (a Japanese word read as Chinese's, say) is its Han runs' overlapping character pairs
    (most words are two characters) and its katakana runs (パッケージ). Letters and digits within
    are words of their own."""
    if language == "ja":
        yield from _japanese_words(word)
        return
    for han, _hiragana, katakana, other in _SCRIPT_RUN.findall(word):
        if han and language == "zh":
            yield from _chinese_words(han)
        elif han:
            yield from (han[i : i + 2] for i in range(max(len(han) - 1, 1)))
        elif katakana:
            yield katakana
        elif other:
            yield other


_KANJI_OR_KATAKANA = re.compile(f"[{_HAN}{_KATAKANA}]")
_LATIN_OR_DIGIT = re.compile(r"[^\W_]")


def _japanese_words(run: str) -> list[str]:
    terms = []
    for word in _mecab()(run):
        base = word.feature.orthBase or word.surface
        if _KANJI_OR_KATAKANA.search(base):
            terms.append(base)
        elif not _CJK.search(word.surface) and _LATIN_OR_DIGIT.search(word.surface):
            terms.append(word.surface)
    return terms


@functools.cache
def _mecab() -> Any:
    """MeCab with UniDic (fugashi, unidic-lite), loaded when Japanese is first read."""
    import fugashi  # noqa: PLC0415 — only Japanese documents and questions pay for it

    return fugashi.Tagger()


def _chinese_words(han: str) -> list[str]:
    if len(han) == 1:
        return [han]
    return [term for term in _jieba().lcut_for_search(han) if len(term) > 1]


@functools.cache
def _jieba() -> Any:
    """jieba's segmenter, loaded when Chinese is first read (its dictionary takes half a second)."""
    import jieba  # noqa: PLC0415 — only Chinese documents and questions pay for it

    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict…" lines
    return jieba.dt


_INITIALISM = re.compile(r"(?:[^\W\d_]\.){2,}")
_NUMBER_PARTS = re.compile(r"\d+(?:\.\d+)+")


def _joined(word: str) -> list[str]:
    """Words joined by dots or underscores: a number (3.11, 2.0.1) stays whole; an identifier
    (work_mem, os.path.join, postgresql.conf) is its parts and then itself; anything else
    (a.b, e.g) its parts."""
    if _NUMBER_PARTS.fullmatch(word):
        return [word]
    parts = [_clean(part) if "'" in part else part for part in re.split(r"[._]", word) if part]
    dotted = word.split(".")
    identifier = word[0].isalpha() and ("_" in word or (len(dotted[0]) > 1 and len(dotted[-1]) > 1))
    return [*parts, word.replace("'", "")] if identifier else parts


def _clean(word: str) -> str:
    word = word.rstrip(".")
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


# British spellings written the American way before stemming (recognise → recognize, colour →
# color, centre → center). Passages and questions are rewritten alike, so a rewrite that makes a
# non-word ("exercize") is harmless: both sides agree on it.
_BRITISH = (
    (re.compile(r"^(\w{3,})is(e|ed|es|ing|ation|ations|er|ers)$"), r"\1iz\2"),
    (re.compile(r"^(\w{2,})ys(e|ed|es|ing)$"), r"\1yz\2"),
    (re.compile(r"^(\w{2,}[^aeiou])our(s|ed|ing|ite|ites|able)?$"), r"\1or\2"),
    (re.compile(r"^(\w{2,})tre(s)?$"), r"\1ter\2"),
)


def american_spelling(word: str) -> str:
    for pattern, replacement in _BRITISH:
        if pattern.match(word):
            return pattern.sub(replacement, word)
    return word


# A nation's adjective is searched as its name ("Turkish cities" finds "cities of Türkiye"): the
# words people ask with and the words documents state facts with differ in exactly this way.
# Word → name; plurals and the alias groups follow, as both go through the stemmer first.
# Left out: adjectives that are everyday words too (polish, english).
DEMONYMS = {
    "afghan": "afghanistan",
    "albanian": "albania",
    "algerian": "algeria",
    "american": "america",
    "argentine": "argentina",
    "argentinian": "argentina",
    "armenian": "armenia",
    "australian": "australia",
    "austrian": "austria",
    "azerbaijani": "azerbaijan",
    "bahraini": "bahrain",
    "bangladeshi": "bangladesh",
    "belarusian": "belarus",
    "belgian": "belgium",
    "bosnian": "bosnia",
    "brazilian": "brazil",
    "british": "britain",
    "bulgarian": "bulgaria",
    "canadian": "canada",
    "chilean": "chile",
    "chinese": "china",
    "colombian": "colombia",
    "croatian": "croatia",
    "cuban": "cuba",
    "cypriot": "cyprus",
    "czech": "czechia",
    "danish": "denmark",
    "dutch": "netherlands",
    "egyptian": "egypt",
    "emirati": "emirates",
    "estonian": "estonia",
    "ethiopian": "ethiopia",
    "european": "europe",
    "finnish": "finland",
    "french": "france",
    "georgian": "georgia",
    "german": "germany",
    "greek": "greece",
    "hungarian": "hungary",
    "icelandic": "iceland",
    "indian": "india",
    "indonesian": "indonesia",
    "iranian": "iran",
    "iraqi": "iraq",
    "irish": "ireland",
    "israeli": "israel",
    "italian": "italy",
    "japanese": "japan",
    "jordanian": "jordan",
    "kazakh": "kazakhstan",
    "kazakhstani": "kazakhstan",
    "kenyan": "kenya",
    "korean": "korea",
    "kuwaiti": "kuwait",
    "kyrgyz": "kyrgyzstan",
    "latvian": "latvia",
    "lebanese": "lebanon",
    "libyan": "libya",
    "lithuanian": "lithuania",
    "malaysian": "malaysia",
    "maltese": "malta",
    "mexican": "mexico",
    "moldovan": "moldova",
    "mongolian": "mongolia",
    "moroccan": "morocco",
    "nepalese": "nepal",
    "nigerian": "nigeria",
    "norwegian": "norway",
    "omani": "oman",
    "pakistani": "pakistan",
    "palestinian": "palestine",
    "peruvian": "peru",
    "filipino": "philippines",
    "portuguese": "portugal",
    "qatari": "qatar",
    "romanian": "romania",
    "russian": "russia",
    "serbian": "serbia",
    "singaporean": "singapore",
    "slovak": "slovakia",
    "slovenian": "slovenia",
    "spanish": "spain",
    "sudanese": "sudan",
    "swedish": "sweden",
    "swiss": "switzerland",
    "syrian": "syria",
    "tajik": "tajikistan",
    "thai": "thailand",
    "tunisian": "tunisia",
    "turkish": "turkey",
    "turkmen": "turkmenistan",
    "ukrainian": "ukraine",
    "uzbek": "uzbekistan",
    "venezuelan": "venezuela",
    "vietnamese": "vietnam",
    "yemeni": "yemen",
}


@dataclass(frozen=True, slots=True)
class AliasGroup:
    """Spellings of one name; every spelling is indexed and searched as the first one."""

    spellings: tuple[str, ...]


@functools.cache
def stopwords(language: str) -> frozenset[str]:
    """A language's stopwords, folded as its words are: ours for English, the stop-words
    package's list for the others it has (none for a language it lacks)."""
    if language == ENGLISH:
        return STOPWORDS
    try:
        listed = stop_words.get_stop_words(_STOPWORD_CODES.get(language, language), cache=False)
    except stop_words.StopWordError:
        listed = []
    listed = [*listed, *_CHAT_WORDS.get(language, "").split()]
    return frozenset(word for entry in listed for word in words(entry, language))


# What chat adds to a language's stopwords, as English's last lines do: contractions ("nen" for
# "einen"), fillers and greetings. They name nothing, and a question's rare words weigh most.
_CHAT_WORDS = {
    "de": """
        n ne nen nem ner nes hab habs hätt gibts gehts isses is nich nix ned net jo jup nö ok okay
        hallo hi hey moin servus danke thx bitte mal halt eben eigentlich echt irgendwie grad
        kannste willste haste biste weisste machste sone son ja nein doch wohl
    """,
    "fr": "stp svp slt salut bonjour merci bcp pk pcq jsp jsuis chui ya y'a ok okay ben bah genre svp",
    "es": "porfa xfa pls ok vale hola gracias oye pues bueno tío q xq pq",
    "ru": "плз пжл пожалуйста спасибо ок окей привет чё че шо щас типа вообще короче блин ну вот плиз",
    "it": "ciao grazie ok okay tipo cioè boh allora",
    "pt": "oi olá obrigado obrigada ok pfv vc tb né",
    "nl": "hoi hallo dank bedankt ok oké effe even gewoon eigenlijk hè",
}


def has_stemmer(language: str) -> bool:
    return language == ENGLISH or language in _SNOWBALL


class Analyzer:
    """Text → index tokens: folded words, stopwords out, stemmed, alias spellings made one; in
    one language (an ISO 639-1 code such as "en", "de", "ru", "zh", "ja"; English by default)."""

    def __init__(self, alias_groups: Sequence[AliasGroup] = (), language: str = ENGLISH) -> None:
        self.language = language
        self._english = language == ENGLISH
        algorithm = "english" if self._english else _SNOWBALL.get(language)
        self._stemmer = Stemmer.Stemmer(algorithm) if algorithm else None
        self._stopwords = stopwords(language)
        self._stem_cache: dict[str, str] = {}
        self._compounding = language in compounds.COMPOUNDING
        self._parts_cache: dict[str, tuple[str, ...]] = {}
        # English questions name nations by their adjective ("Turkish cities"); DEMONYMS is English.
        self._nations = (
            {self._plain_stem(adjective): self._plain_stem(name) for adjective, name in DEMONYMS.items()}
            if self._english
            else {}
        )
        # Each alias spelling as a tuple of stems → the canonical spelling's stems.
        self._aliases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for group in alias_groups:
            canonical = tuple(self._stems(words(group.spellings[0], language)))
            for spelling in group.spellings:
                variant = tuple(self._stems(words(spelling, language)))
                if variant and canonical:
                    self._aliases[variant] = canonical
        self._longest_alias = max((len(v) for v in self._aliases), default=0)
        self._alias_starts = frozenset(variant[0] for variant in self._aliases)

    def _stems(self, folded_words: Iterable[str]) -> list[str]:
        cache, stopwords = self._stem_cache, self._stopwords
        if self._compounding:
            return [stem for word in folded_words if word not in stopwords for stem in self._with_parts(word)]
        return [cache.get(word) or self._stem(word) for word in folded_words if word not in stopwords]

    def _with_parts(self, word: str) -> tuple[str, ...]:
        """A word's stem, and if it is a compound, its parts' (see `compounds`)."""
        stems = self._parts_cache.get(word)
        if stems is None:
            parts = [part for part in compounds.parts(word, self.language) if part not in self._stopwords]
            stems = (self._stem_cache.get(word) or self._stem(word), *map(self._plain_stem, parts))
            self._parts_cache[word] = stems
        return stems

    def _stem(self, word: str) -> str:
        stem = self._plain_stem(word)
        stem = self._stem_cache[word] = self._nations.get(stem, stem)
        return stem

    def _plain_stem(self, word: str) -> str:
        if self._english:
            return self._stemmer.stemWord(american_spelling(word))
        return self._stemmer.stemWord(word) if self._stemmer is not None else word

    def words(self, text: str) -> list[str]:
        """The folded words of text as this language reads them (before stopwords and stemming)."""
        return words(text, self.language)

    def tokens(self, text: str) -> list[str]:
        """The tokens BM25 indexes and searches for text (passage or question alike)."""
        stems = self._stems(words(text, self.language))
        if not self._aliases:
            return stems
        return self._apply_aliases(stems)

    def _apply_aliases(self, stems: list[str]) -> list[str]:
        if self._alias_starts.isdisjoint(stems):  # the usual case: no spelling variant here
            return stems
        result: list[str] = []
        i = 0
        while i < len(stems):
            for length in range(min(self._longest_alias, len(stems) - i), 0, -1):
                canonical = self._aliases.get(tuple(stems[i : i + length]))
                if canonical is not None:
                    result.extend(canonical)
                    i += length
                    break
            else:
                result.append(stems[i])
                i += 1
        return result


# --- sentences ----------------------------------------------------------------------------

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e no nos fig al approx inc ltd co corp gen col lt "
    "sgt capt gov sen rep jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# . ! ? end a sentence before a space; Chinese and Japanese 。！？ end one wherever they stand.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?:\[[^\]\n]{1,20}\])*(?=\s+)|[。！？]+[」』）”’]*")
_NEXT_CHARACTER = re.compile(r"\s*(\S)")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in text[start:end].

    A line break ends a sentence too — a table row or a list item is a sentence of its own —
    unless the text is hard-wrapped prose (see `_wraps_on`). Within a line a sentence ends at
    . ! ? followed by space, unless the word before is an abbreviation or an initial (U.S.,
    J. Smith).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line_start, line_end in logical_lines(text, start, end):
        spans.extend(_line_sentences(text, line_start, line_end))
    return spans


_LIST_MARKER = re.compile(r"\s*(?:[-*•·▪–]|\d{1,3}[.)]|[a-z][.)])\s")
_WRAPPED_LINE_MIN = 50


def logical_lines(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """Lines, with the lines of hard-wrapped prose joined back into one."""
    line_start = physical_start = start
    while physical_start < end:
        newline = text.find("\n", physical_start, end)
        if newline == -1:
            break
        following_end = text.find("\n", newline + 1, end)
        following = text[newline + 1 : end if following_end == -1 else following_end]
        if not _wraps_on(text[physical_start:newline], following):
            yield (line_start, newline)
            line_start = newline + 1
        physical_start = newline + 1
    yield (line_start, end)


def _wraps_on(line: str, following: str) -> bool:
    """Does `line` continue on the next line: a sentence hard-wrapped rather than a new row?

    It does when the next line starts in lower case, or when the line is long, ends mid-sentence,
    and the next line is not a list item.
    """
    line = REFERENCE_MARKER.sub("", line).rstrip()
    following = following.lstrip()
    if not line or not following:
        return False
    if following[0].islower():
        return True
    return (
        len(line.strip()) >= _WRAPPED_LINE_MIN
        and line[-1] not in ".!?:;。！？：；"
        and not _LIST_MARKER.match(following)
    )


def _line_sentences(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    sentence_start = start
    for match in _SENTENCE_END.finditer(text, start, end):
        before = text[sentence_start : match.start()].rsplit(None, 1)
        last_word = before[-1].lower().rstrip(".").lstrip("([{\"'“‘«") if before else ""
        if text[match.start()] == "." and (
            last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()) or _is_initialism(last_word)
        ):
            continue
        following = _NEXT_CHARACTER.match(text, match.end(), end)
        if following and following[1].islower():
            continue
        yield from _trimmed(text, sentence_start, match.end())
        sentence_start = match.end()
    yield from _trimmed(text, sentence_start, end)


def _is_initialism(word: str) -> bool:
    """U.S, e.g, N.A.T.O: letters separated by periods."""
    return "." in word and all(len(part) <= 2 for part in word.split("."))


def _trimmed(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield (start, end)
