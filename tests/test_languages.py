"""Documents and questions in other languages than English: each language's pipeline (bot.text),
detecting a document's and a question's language (bot.language), the spelling guard
(bot.spelling), and an index that keeps its documents' languages (bot.index, bot.engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import compounds, language
from bot.config import load_config
from bot.engine import Engine
from bot.errors import ConfigError
from bot.index_file import load, save
from bot.spelling import correct, has_dictionary
from bot.text import Analyzer, fold_letters, sentence_spans, stopwords, words

# --- pipelines ------------------------------------------------------------------------------------


def test_english_is_read_as_before_whatever_other_languages_do() -> None:
    text = "The U.S. embassy's colours: os.path.join and work_mem in Türkiye; l'installation"
    assert Analyzer().tokens(text) == Analyzer(language="en").tokens(text)
    assert words(text) == words(text, "en")
    assert "linstal" in Analyzer().tokens(text)  # English keeps an apostrophe's word whole, as it did


@pytest.mark.parametrize(
    ("language_code", "forms"),
    [
        ("ru", ["пакет", "пакеты", "пакетов", "пакета"]),
        ("de", ["Paket", "Pakete", "Paketen", "Paketes"]),
        ("fr", ["paquet", "paquets"]),
        ("es", ["paquete", "paquetes"]),
        ("tr", ["paket", "paketler", "paketleri"]),
    ],
)
def test_a_words_inflections_are_one_term_in_its_language(language_code: str, forms: list[str]) -> None:
    analyzer = Analyzer(language=language_code)
    assert len({tuple(analyzer.tokens(form)) for form in forms}) == 1


@pytest.mark.parametrize(
    ("language_code", "question", "kept"),
    [
        ("ru", "Как и где это ли установить пакет?", ["установ", "пакет"]),
        ("de", "wie kann ich ein Paket und das System installieren", ["pak", "system", "installi"]),
        ("fr", "comment est-ce que l'on installe les paquets", ["install", "paquet"]),
    ],
)
def test_a_languages_stopwords_are_not_searched(language_code: str, question: str, kept: list[str]) -> None:
    assert Analyzer(language=language_code).tokens(question) == kept


def test_stopword_lists_come_folded_as_words_are() -> None:
    assert {"und", "ich", "dass", "fur"} <= stopwords("de")  # "daß", "für" folded
    assert {"и", "как", "это", "ли"} <= stopwords("ru")
    assert stopwords("xx") == frozenset()  # a language without a list: nothing left out


def test_folding_keeps_the_marks_that_are_letters_of_other_scripts() -> None:
    assert fold_letters("Schrïft Développeur") == "schrift developpeur"
    assert fold_letters("ЙОД") == "йод"  # not "иод": the breve makes another letter
    assert fold_letters("ёлка") == "елка"  # written without the dots as often as with
    assert fold_letters("が") == "が"  # the voicing mark stays (NFKD would make it か)


def test_an_apostrophe_parts_words_in_other_languages() -> None:
    assert words("l'installation d'un paquet", "fr") == ["l", "installation", "d", "un", "paquet"]
    assert Analyzer(language="fr").tokens("l'installation") == Analyzer(language="fr").tokens("installation")


def test_chinese_and_japanese_are_cut_into_words() -> None:
    analyzer = Analyzer(language="zh")
    assert analyzer.tokens("安装软件包") == ["安装", "软件", "软件包"]  # jieba's search mode: 软件包 and its 软件
    # MeCab: words in their dictionary form (使って → 使う), hiragana's grammar (を, する) left out
    assert Analyzer(language="ja").tokens("パッケージを使ってインストールする") == [
        "パッケージ",
        "使う",
        "インストール",
    ]
    assert set(analyzer.tokens("如何安装软件包？")) >= set(analyzer.tokens("软件包"))  # a question finds the text
    assert analyzer.tokens("在Debian的apt") == ["debian", "apt"]  # 在, 的 are stopwords; Latin words stay words


def test_japanese_keeps_katakana_words_and_leaves_hiragana_out() -> None:
    analyzer = Analyzer(language="ja")
    assert analyzer.tokens("パッケージをインストールします") == ["パッケージ", "インストール"]
    assert analyzer.tokens("設定ファイルの一覧") == ["設定", "ファイル", "一覧"]
    assert analyzer.tokens("ｲﾝｽﾄｰﾙ") == ["インストール"]  # half-width katakana read as full-width


def test_a_language_without_a_stemmer_keeps_its_words_whole() -> None:
    assert Analyzer(language="ko").tokens("패키지를 설치") == ["패키지를", "설치"]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("这是第一句。这是第二句！第三句？", ["这是第一句。", "这是第二句！", "第三句？"]),
        ("「はい」と言った。次の文です。", ["「はい」と言った。", "次の文です。"]),
        ("它说：「好。」然后走了。", ["它说：「好。」", "然后走了。"]),
        ("One sentence. Another one.", ["One sentence.", "Another one."]),  # as before
    ],
)
def test_chinese_and_japanese_sentences_end_at_their_full_stops(text: str, sentences: list[str]) -> None:
    assert [text[start:end] for start, end in sentence_spans(text)] == sentences


# --- detection ------------------------------------------------------------------------------------

GERMAN = "Debian ist ein freies Betriebssystem. Es wird von Freiwilligen entwickelt, die Pakete bauen und pflegen."
RUSSIAN = "Debian — это свободная операционная система. Её разрабатывают добровольцы, которые собирают пакеты."
CHINESE = "Debian 是一个自由的操作系统。它由志愿者开发，他们构建并维护软件包，并且发布新的版本。"
JAPANESE = "Debian はフリーなオペレーティングシステムです。ボランティアがパッケージを作成し、保守しています。"
ENGLISH = "Debian is a free operating system. It is developed by volunteers who build and maintain packages."


def test_each_documents_language_is_detected() -> None:
    texts = [GERMAN, RUSSIAN, CHINESE, JAPANESE, ENGLISH]
    assert language.document_languages(texts) == ["de", "ru", "zh", "ja", "en"]


def test_a_document_too_short_to_tell_takes_the_corpus_main_language() -> None:
    assert language.document_languages([GERMAN, GERMAN, "Version 11.1", "1. 2. 3."]) == ["de"] * 4
    assert language.document_languages(["42"]) == ["en"]  # nothing to go by at all


def test_a_fixed_language_is_every_documents() -> None:
    assert language.document_languages([RUSSIAN, ENGLISH], fixed="de") == ["de", "de"]


def test_a_large_corpus_in_one_language_is_told_from_a_sample() -> None:
    texts = [ENGLISH] * 1000 + [GERMAN]  # the lone German page is not in the sample
    assert set(language.document_languages(texts)) == {"en"}
    mixed = [ENGLISH, GERMAN] * 500
    assert language.document_languages(mixed) == ["en", "de"] * 500  # several found: each is detected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("wie installiere ich ein paket", "de"),
        ("Как обновить систему?", "ru"),
        ("如何安装软件包", "zh"),
        ("パッケージの一覧", "ja"),
        ("how do I install a package", "en"),
        ("dpkg", "de"),  # not telling: the corpus's main language
    ],
)
def test_a_questions_language_is_one_of_the_corpus(question: str, expected: str) -> None:
    assert language.question_language(question, {"de": 10, "en": 3, "ru": 2, "zh": 2, "ja": 2}) == expected


def test_a_corpus_in_one_language_reads_every_question_in_it() -> None:
    assert language.question_language("how do I install a package", {"de": 17}) == "de"
    assert language.question_language("wie installiere ich ein paket", {"en": 5}) == "en"


def test_the_main_language_is_the_likelier_one_for_a_question_that_could_be_either() -> None:
    corpus = {"de": 16, "en": 1}  # a German corpus with one English page
    assert language.question_language("apt-get update", corpus) == "de"
    assert language.question_language("what is the default systemd target of this machine?", corpus) == "en"


# --- spelling -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def russian_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("ru")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "pakety.txt").write_text(
        "Управление пакетами\n\nЧтобы заменить пакет, установите новую версию. Установка пакетов выполняется "
        "командой apt. Удаление пакета выполняется командой apt remove.\n",
        encoding="utf-8",
    )
    (corpus / "sistema.txt").write_text(
        "Обновление системы\n\nСистема обновляется командой apt upgrade. Перед обновлением системы сделайте "
        "резервную копию.\n",
        encoding="utf-8",
    )
    config = load_config(None, {}, corpus=corpus, index=folder / "index")
    return Engine(config, notify=lambda message: None)


def test_a_real_word_of_the_questions_language_is_never_rewritten(russian_engine: Engine) -> None:
    analyzer = russian_engine.analyzer_for("как отменить установку пакета?")
    assert analyzer.language == "ru"
    assert correct("как отменить установку пакета?", russian_engine.index, analyzer) is None  # not "заменить"


def test_a_typo_is_corrected_with_a_dictionary_of_the_questions_language(russian_engine: Engine) -> None:
    question = "как сделать обнавление системы"
    correction = correct(question, russian_engine.index, russian_engine.analyzer_for(question))
    assert correction is not None and correction.replaced == (("обнавление", "обновление"),)


def test_no_correction_in_a_language_without_a_dictionary(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Pakej\n\nPemasangan pakej dilakukan dengan arahan apt.\n", encoding="utf-8")
    engine = Engine(load_config(None, {}, corpus=corpus, index=tmp_path / "index"), notify=lambda message: None)
    analyzer = Analyzer(language="ms")
    assert not has_dictionary("ms") and not has_dictionary("ja") and has_dictionary("de")
    assert correct("bagaimana pemasangn pakej", engine.index, analyzer) is None


# --- the index ------------------------------------------------------------------------------------


def test_an_index_keeps_each_documents_language(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in {"de.txt": GERMAN, "ru.txt": RUSSIAN, "zh.txt": CHINESE, "ja.txt": JAPANESE}.items():
        (corpus / name).write_text(f"Debian\n\n{text}\n", encoding="utf-8")
    engine = Engine(load_config(None, {}, corpus=corpus, index=tmp_path / "index"), notify=lambda message: None)
    built = engine.index
    assert dict(zip(built.documents.doc_ids, built.document_languages)) == {
        "de.txt": "de",
        "ja.txt": "ja",
        "ru.txt": "ru",
        "zh.txt": "zh",
    }
    assert built.languages == {"de": 1, "ja": 1, "ru": 1, "zh": 1}
    loaded = load(tmp_path / "index")
    assert list(loaded.document_languages) == list(built.document_languages)
    assert loaded.language_of(0) == built.document_languages[int(built.passage_document[0])]
    # a passage is indexed with its document's pipeline, a question read with its own language's
    assert "пакет" in loaded.term_ids and "软件" in loaded.term_ids and "パッケージ" in loaded.term_ids
    assert engine.analyzer_for("собирают ли они пакеты?").language == "ru"
    reply = engine.ask("谁维护软件包？")
    assert reply.results and reply.results[0].doc_id == "zh.txt"
    save(loaded, tmp_path / "copy")
    assert list(load(tmp_path / "copy").document_languages) == list(built.document_languages)


def test_setting_the_language_reads_every_document_in_it_and_rebuilds(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(f"Debian\n\n{GERMAN}\n", encoding="utf-8")
    detected = Engine(load_config(None, {}, corpus=corpus, index=tmp_path / "index"), notify=lambda m: None).index
    assert detected.languages == {"de": 1}
    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"corpus: {corpus}\nindex: {tmp_path / 'index'}\nlanguage: en\n", encoding="utf-8")
    notices: list[str] = []
    fixed = Engine(load_config(config_file, {}), notify=notices.append).index
    assert fixed.languages == {"en": 1}
    assert any("settings changed" in notice for notice in notices)


@pytest.mark.parametrize("value", ["english", "EN", "", "d"])
def test_a_bad_language_setting_names_the_key(tmp_path: Path, value: str) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"language: '{value}'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="^language: must be auto or a language code"):
        load_config(config_file, {})


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("logdatei", ("log", "datei")),
        ("paketverwaltungswerkzeug", ("paket", "verwaltung", "werkzeug")),
        ("sicherheitsupdates", ("sicherheit", "updates")),  # a linking "s"
        ("konsolenschriftart", ("konsolen", "schriftart")),
        ("paket", ()),  # too short to be a compound
        ("zyxwvutsrq", ()),  # no everyday words in it
    ],
)
def test_a_german_compound_is_parted_into_its_everyday_words(word: str, expected: tuple[str, ...]) -> None:
    assert compounds.parts(word, "de") == expected


def test_a_compound_is_searched_as_itself_and_its_parts_in_german_only() -> None:
    german = Analyzer((), "de")
    assert german.tokens("Logdatei") == ["logdatei", "log", "datei"]
    assert set(german.tokens("Datei")) <= set(german.tokens("die Logdatei von dpkg"))
    assert Analyzer((), "fr").tokens("paquetlogiciel") == ["paquetlogiciel"]
    assert Analyzer().tokens("Logdatei") == ["logdatei"]


def test_chat_contractions_and_fillers_are_stopwords_as_in_english() -> None:
    """ "nen" is "einen" as typed in a chat: it names nothing, and unlisted it would weigh most."""
    assert Analyzer((), "de").tokens("welche tools gibts, um nen eigenen kernel zu bauen") == Analyzer((), "de").tokens(
        "welche tools, um einen eigenen kernel zu bauen"
    )
    assert {"nen", "nem", "gibts"} <= stopwords("de")
    assert "щас" in stopwords("ru") and "stp" in stopwords("fr")


def test_a_chinese_or_japanese_run_joined_by_a_dot_is_cut_once() -> None:
    """ "ダウンロードした.debファイル" is one word to the pattern that keeps identifiers whole; its
    parts are cut, and the whole is not cut again (which would count every term twice)."""
    assert Analyzer(language="ja").tokens("ダウンロードした.debファイル") == ["ダウンロード", "deb", "ファイル"]
    assert Analyzer(language="zh").tokens("下载的.deb文件") == ["下载", "deb", "文件"]
