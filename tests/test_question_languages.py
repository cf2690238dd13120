"""Questions in other languages: the kind of answer asked for, what in a sentence gives it, and
follow-ups read against the conversation — from each language's data file (bot/languages/)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot import index_build as index_module
from bot import language_data
from bot.answer import Answer, AnswerSettings, Result, answer
from bot.chunking import ChunkingSettings, chunk
from bot.corpus import Document
from bot.dialogue import Turn, next_turn, read
from bot.index import SearchSettings
from bot.question import analyse, expected_kind, kinds
from bot.text import Analyzer

LANGUAGES = ("en", "de", "ru", "fr", "es", "tr", "zh")
ANALYZER = Analyzer()


def test_every_language_has_a_file_asking_for_every_kind() -> None:
    assert set(LANGUAGES) <= set(language_data.supported())
    for language in LANGUAGES:
        assert [kind.name for kind in kinds(language)] == [kind.name for kind in kinds("en")], language
        assert all(kind.language == language for kind in kinds(language))


@pytest.mark.parametrize(
    ("language", "question", "kind"),
    [
        ("de", "wann kommt trixie raus?", "time"),
        ("de", "Seit wann gibt es Debian?", "time"),
        ("de", "Wie viele Pakete hat Debian?", "number"),
        ("de", "wie lange dauert ein Upgrade", "number"),
        ("de", "Wie oft läuft cron.daily?", "frequency"),
        ("de", "Wie kann ich ein Paket entfernen?", "procedure"),
        ("de", "wie finde ich raus, welche version läuft", "procedure"),
        ("de", "Welcher Befehl zeigt die Kernelversion?", "procedure"),
        ("de", "Wo ist die Papiergröße eingestellt?", "file"),
        ("de", "In welcher Datei stehen die Paketquellen?", "file"),
        ("de", "Wo liegt Baku?", "place"),
        ("de", "Wer hat Debian gegründet?", "name"),
        ("de", "Was ist der Standardwert von work_mem?", "default"),
        ("de", "Was ist ein conffile?", None),
        ("de", "Warum heißt es Debian?", None),
        ("ru", "Когда выйдет Debian 13?", "time"),
        ("ru", "В каком году основан Debian?", "time"),
        ("ru", "Сколько пакетов в Debian?", "number"),
        ("ru", "Как часто запускается cron?", "frequency"),
        ("ru", "Как установить пакет?", "procedure"),
        ("ru", "Как мне удалить старое ядро?", "procedure"),
        ("ru", "Какая команда показывает версию?", "procedure"),
        ("ru", "Где хранится файл sources.list?", "file"),
        ("ru", "Где находится Баку?", "place"),
        ("ru", "Кто основал Debian?", "name"),
        ("ru", "Какой размер по умолчанию?", "default"),
        ("ru", "Что такое conffile?", None),
        ("ru", "Почему Debian так называется?", None),
        ("fr", "Quand sort Debian 13 ?", "time"),
        ("fr", "Combien de paquets contient Debian ?", "number"),
        ("fr", "Comment installer un paquet ?", "procedure"),
        ("fr", "Où est stocké le fichier de configuration ?", "file"),
        ("fr", "Où se trouve Bakou ?", "place"),
        ("fr", "Qui a fondé Debian ?", "name"),
        ("fr", "Debian ou Ubuntu, lequel choisir ?", None),  # "ou" (or) is no "où"
        ("fr", "Quel est le paquet qui contient ls ?", None),  # a "qui" inside is no "who"
        ("es", "¿Cuándo sale Debian 13?", "time"),
        ("es", "¿Cuántos paquetes hay?", "number"),
        ("es", "¿Cómo instalo un paquete?", "procedure"),
        ("es", "¿Dónde se guarda el archivo de configuración?", "file"),
        ("es", "¿Quién fundó Debian?", "name"),
        ("es", "¿Qué es un conffile?", None),
        ("tr", "Debian 13 ne zaman çıkacak?", "time"),
        ("tr", "Debian'da kaç paket var?", "number"),
        ("tr", "Paket nasıl kurulur?", "procedure"),
        ("tr", "Yapılandırma dosyası nerede?", "file"),
        ("tr", "Bakü nerede?", "place"),
        ("tr", "Debian'ı kim kurdu?", "name"),
        ("tr", "Conffile nedir?", None),
        ("zh", "Debian 13 什么时候发布？", "time"),
        ("zh", "Debian有多少个软件包？", "number"),
        ("zh", "多久一次更新？", "frequency"),
        ("zh", "怎么安装软件包？", "procedure"),
        ("zh", "用什么命令查看版本？", "procedure"),
        ("zh", "配置文件在哪里？", "file"),
        ("zh", "巴库在哪里？", "place"),
        ("zh", "谁创建了Debian？", "name"),
        ("zh", "默认值是多少？", "default"),
        ("zh", "什么是conffile？", None),
        ("zh", "Debian怎么样？", None),  # "what is it like", not "how do I"
    ],
)
def test_the_kind_of_answer_comes_from_the_question_words_of_its_language(
    language: str, question: str, kind: str | None
) -> None:
    found, searched = expected_kind(question, language)
    assert (found.name if found else None) == kind
    assert searched == question


def test_question_words_are_only_read_in_their_own_language() -> None:
    assert expected_kind("Wann wurde Debian gegründet?", "en")[0] is None
    assert expected_kind("When was Debian founded?", "de")[0] is None


@pytest.mark.parametrize(
    ("language", "question", "kind", "searched"),
    [
        ("de", "secure boot aktivieren wie", "procedure", "secure boot aktivieren"),
        ("de", "dpkg logdatei pfad", "file", "dpkg logdatei"),
        ("de", "debian 12 veröffentlichung datum?", "time", "debian 12 veröffentlichung"),
        ("ru", "выход debian 12 дата", "time", "выход debian 12"),
        ("ru", "удержать пакет команда", "procedure", "удержать пакет"),
        ("fr", "sortie debian 12 année", "time", "sortie debian 12"),
        ("es", "lanzamiento debian 12 fecha", "time", "lanzamiento debian 12"),
        ("tr", "debian 12 çıkış tarih", "time", "debian 12 çıkış"),
    ],
)
def test_a_keyword_question_reads_its_last_word_as_the_kind_of_answer(
    language: str, question: str, kind: str, searched: str
) -> None:
    found, without = expected_kind(question, language)
    assert found is not None and found.name == kind
    assert without == searched


def test_a_keyword_after_a_question_word_is_searched() -> None:
    question = "wie finde ich das datum"
    assert expected_kind(question, "de") == (expected_kind(question, "de")[0], question)


def _kind(language: str, name: str):
    return next(kind for kind in kinds(language) if kind.name == name)


@pytest.mark.parametrize(
    ("language", "kind", "sentence", "holds"),
    [
        ("de", "time", "Debian 12 wurde am 10. Juni 2023 veröffentlicht.", True),
        ("de", "time", "Die Freigabe ist für März geplant.", True),
        ("de", "time", "Der Dienst läuft täglich um 6:25 Uhr.", True),
        ("de", "time", "Das Paket wird beim nächsten Upgrade ersetzt.", False),
        ("de", "number", "Das Archiv enthält über 59000 Pakete.", True),
        ("de", "number", "Es dauert üblicherweise fünf Tage.", True),
        ("de", "number", "Es erschien 2019 als Nachfolger.", False),  # a year says no amount
        ("de", "number", "Ein Paket ist eine Datei.", False),  # "ein" is an article
        ("de", "procedure", "Führen Sie dazu apt-mark hold aus.", True),
        ("de", "procedure", "Debian ist ein freies Betriebssystem.", False),
        ("ru", "time", "Debian 12 вышел 10 июня 2023 года.", True),
        ("ru", "time", "Обновление запускается каждую неделю.", True),
        ("ru", "time", "Среда рабочего стола GNOME установлена.", False),  # an environment, not Wednesday
        ("ru", "number", "Архив содержит более 59000 пакетов.", True),
        ("ru", "number", "Обычно это занимает пять дней.", True),
        ("ru", "number", "Пакет был удалён.", False),
        ("ru", "procedure", "Выполните команду apt-mark hold.", True),
        ("ru", "procedure", "Debian — свободная операционная система.", False),
        ("fr", "time", "Debian 12 est sortie le 10 juin 2023.", True),
        ("fr", "time", "La tâche s'exécute tous les jours à 6 h 25.", True),
        ("fr", "time", "Le paquet est remplacé lors de la mise à niveau.", False),
        ("fr", "number", "L'archive contient plus de 59000 paquets.", True),
        ("fr", "number", "Un paquet est un fichier.", False),
        ("es", "time", "Debian 12 salió el 10 de junio de 2023.", True),
        ("es", "time", "El paquete se reemplaza al actualizar.", False),
        ("es", "number", "Tarda normalmente cinco días.", True),
        ("es", "number", "Un paquete es un archivo.", False),
        ("tr", "time", "Debian 12, 10 Haziran 2023'te yayımlandı.", True),
        ("tr", "time", "Paket güncelleme sırasında değiştirilir.", False),
        ("tr", "number", "Arşivde 59000'den fazla paket var.", True),
        ("tr", "number", "Programlar /usr/bin altında bulunur.", False),  # a path's "bin" is no thousand
        ("zh", "time", "Debian 12 于2023年6月10日发布。", True),
        ("zh", "time", "该任务每天运行一次。", True),
        ("zh", "time", "软件包在升级时被替换。", False),
        ("zh", "number", "软件库包含超过59000个软件包。", True),
        ("zh", "number", "通常需要五天。", True),
        ("zh", "number", "这是一个软件包。", False),  # "一个" is "a"
        ("zh", "procedure", "请运行 apt-mark hold 命令。", True),
        ("zh", "procedure", "Debian是一个自由的操作系统。", False),
    ],
)
def test_a_sentence_holds_a_date_a_number_or_an_instruction_as_its_language_writes_them(
    language: str, kind: str, sentence: str, holds: bool
) -> None:
    assert (_kind(language, kind).holds.search(sentence) is not None) == holds


# --- follow-ups -----------------------------------------------------------------------------

FREQUENCY = {"debian": 500}


def rarity(term: str) -> float:
    return math.log(1001 / (FREQUENCY.get(term, 0) + 0.5))


def after(language: str, *questions: str) -> tuple[Turn, ...]:
    turns: tuple[Turn, ...] = ()
    for question in questions:
        reading = read(question, turns, ANALYZER, rarity, language=language)
        reply = Answer(question, True, 0.9, (Result("a.html", "A", 0, "text", "text", 1.0),))
        turns = (*turns, next_turn(question, reading, reply, 0.0))
    return turns


@pytest.mark.parametrize(
    ("language", "first", "follow_up", "understood"),
    [
        ("de", "Wie installiere ich Apache auf Debian?", "Und mit Nginx?", "Wie installiere ich Nginx auf Debian?"),
        ("de", "Wie installiere ich Apache auf Debian?", "Was ist mit Nginx?", "Wie installiere ich Nginx auf Debian?"),
        (
            "de",
            "Wie installiere ich Apache auf Debian?",
            "wie sieht es mit Lighttpd aus?",
            "Wie installiere ich Lighttpd auf Debian?",
        ),
        ("ru", "Как установить Apache в Debian?", "А с Nginx?", "Как установить Nginx в Debian?"),
        ("ru", "Как установить Apache в Debian?", "А как насчёт Nginx?", "Как установить Nginx в Debian?"),
        ("zh", "怎么在Debian上安装Apache？", "那Nginx呢？", "怎么在Debian上安装Nginx？"),
        ("zh", "Apache在Debian上的默认端口是多少？", "那Nginx呢？", "Nginx在Debian上的默认端口是多少？"),
        ("fr", "Comment installer Apache sur Debian ?", "Et avec Nginx ?", "Comment installer Nginx sur Debian ?"),
        ("es", "¿Cómo instalo Apache en Debian?", "¿Y con Nginx?", "¿Cómo instalo Nginx en Debian?"),
        ("tr", "Debian'a Apache nasıl kurulur?", "Peki ya Nginx?", "Debian'a Nginx nasıl kurulur?"),
    ],
)
def test_and_with_x_puts_x_in_place_of_the_last_question_s_name(
    language: str, first: str, follow_up: str, understood: str
) -> None:
    reading = read(follow_up, after(language, first), ANALYZER, rarity, language=language)
    assert reading.follow_up and reading.question == understood and reading.doc_id == "a.html"


@pytest.mark.parametrize(
    ("language", "first", "subject", "follow_up"),
    [
        ("de", "Was ist Apache?", "Apache", "Wer hat es entwickelt?"),
        ("de", "was ist sid", "sid", "wird das irgendwann mal veröffentlicht?"),
        ("de", "Was ist Apache?", "Apache", "und wie mach ich das rückgängig?"),
        ("de", "Was ist Apache?", "Apache", "Warum?"),
        ("ru", "Что такое Apache?", "Apache", "Кто его разработал?"),
        ("ru", "Что такое Apache?", "Apache", "Почему?"),
        ("ru", "Что такое Apache?", "Apache", "А когда он вышел?"),
        ("zh", "什么是Apache？", "apache", "它是谁开发的？"),
        ("zh", "什么是Apache？", "apache", "为什么？"),
        ("fr", "Qu'est-ce que Apache ?", "Apache", "Qui l'a développé ?"),
        ("es", "¿Qué es Apache?", "Apache", "¿Cómo instalarlo?"),
        ("tr", "Apache nedir?", "Apache", "Onu kim geliştirdi?"),
    ],
)
def test_a_question_pointing_back_is_searched_with_the_subject(
    language: str, first: str, subject: str, follow_up: str
) -> None:
    reading = read(follow_up, after(language, first), ANALYZER, rarity, language=language)
    assert reading.follow_up and reading.question == follow_up
    assert reading.context == subject and reading.doc_id == "a.html"


@pytest.mark.parametrize(
    ("language", "first", "fresh"),
    [
        ("de", "Was ist Apache?", "Was kostet eine Pizza in Rom?"),
        ("de", "Wie viele Pakete gibt es?", "Wie lange dauert es, bis ein Fix in Testing landet?"),  # "dauert es"
        ("ru", "Что такое Apache?", "Сколько стоит пицца в Риме?"),
        ("ru", "Что такое Apache?", "Кто такой Линус Торвальдс?"),  # "такой" is no "this"
        ("zh", "什么是Apache？", "罗马的披萨多少钱？"),
        ("zh", "什么是Apache？", "其他发行版怎么样？"),  # "其他" (other) is no "他" (he)
        ("fr", "Qu'est-ce que Apache ?", "Combien coûte une pizza à Rome ?"),
        ("fr", "Qu'est-ce que Apache ?", "Faut-il un pare-feu pour Nginx ?"),  # "faut-il" is no "il"
    ],
)
def test_a_new_topic_in_another_language_is_searched_on_its_own(language: str, first: str, fresh: str) -> None:
    reading = read(fresh, after(language, first), ANALYZER, rarity, language=language)
    assert not reading.follow_up and reading.question == fresh and reading.context == ""


def test_the_subject_of_a_definition_is_what_a_follow_up_refers_to() -> None:
    assert read("Was ist der Kars-Vertrag?", (), ANALYZER, rarity, language="de").subject == "Kars-Vertrag"
    assert read("Что такое conffile?", (), ANALYZER, rarity, language="ru").subject == "conffile"
    assert read("conffile是什么？", (), ANALYZER, rarity, language="zh").subject == "conffile"


def test_passed_stopwords_decide_what_names_nothing() -> None:
    turns = after("de", "Was ist Apache?")
    assert not read("Warum eigentlich überhaupt?", turns, ANALYZER, rarity, language="de").follow_up
    stopwords = frozenset({"eigentlich", "uberhaupt"})  # folded, as the index has them
    reading = read("Warum eigentlich überhaupt?", turns, ANALYZER, rarity, language="de", stopwords=stopwords)
    assert reading.follow_up and reading.context == "Apache"


# --- an unknown language: plain retrieval ---------------------------------------------------


def test_an_unknown_language_asks_for_no_kind_and_follows_up_on_no_cue() -> None:
    assert kinds("xx") == ()
    assert expected_kind("When was the declaration signed?", "xx") == (None, "When was the declaration signed?")
    assert expected_kind("date of signing date", "xx") == (None, "date of signing date")
    turns = after("xx", "Kiedy wyszedł Debian 10?")
    assert not read("A Debian 11?", turns, ANALYZER, rarity, language="xx").follow_up
    assert not read("Who made it?", turns, ANALYZER, rarity, language="xx").follow_up
    assert language_data.of("../en") is language_data.NEUTRAL  # a code names a file of bot/languages/, nothing else


def test_a_language_tag_reads_as_its_primary_language() -> None:
    assert language_data.of("de-AT") is language_data.of("de")
    assert language_data.of("zh_Hans").code == "zh"
    assert expected_kind("Wann kommt Trixie?", "de-CH")[0] is not None


LIGHTHOUSE = """Der Leuchtturm von Veltria

Der Leuchtturm wurde von der Ingenieurin Odile Marchetti gebaut. Der Leuchtturm wurde 1871 gebaut."""


def one_document_index(text: str, analyzer: Analyzer):
    documents = [Document(doc_id="doc.txt", title=text.split("\n")[0], text=text, path=Path("doc.txt"))]
    return index_module.build(
        documents,
        [chunk(d.doc_id, d.text, ChunkingSettings()) for d in documents],
        analyzer,
        SearchSettings(),
        settings_fingerprint="test",
        corpus_fingerprint="test",
    )


@pytest.fixture(scope="module")
def lighthouse():
    return one_document_index(LIGHTHOUSE, ANALYZER)


def test_a_german_when_question_is_answered_by_the_sentence_with_a_date(lighthouse) -> None:
    reply = answer("Wann wurde der Leuchtturm gebaut?", lighthouse, ANALYZER, AnswerSettings(), language="de")
    assert reply.results[0].highlight == "Der Leuchtturm wurde 1871 gebaut."


def test_in_an_unknown_language_the_sentence_holding_most_of_the_question_answers(lighthouse) -> None:
    """Both sentences hold the question's words; without question words to read, coverage alone
    decides and the first of the two answers, date or not."""
    for language in ("xx", "en"):
        reply = answer("Wann wurde der Leuchtturm gebaut?", lighthouse, ANALYZER, AnswerSettings(), language=language)
        assert reply.results[0].highlight == "Der Leuchtturm wurde von der Ingenieurin Odile Marchetti gebaut."


def test_a_german_everyday_word_the_documents_lack_weighs_little_as_an_english_one_does() -> None:
    """ "damals" is how the question is put, not what it asks about; "Zeppelin" is a subject the
    documents lack. Their weights are told apart by German's everyday words, as English's are."""
    german = Analyzer((), "de")
    index = one_document_index(LIGHTHOUSE, german)
    asked = analyse("Wann wurde der Zeppelin damals gebaut?", index, german, language="de")
    (everyday_term,) = german.tokens("damals")
    (subject_term,) = german.tokens("Zeppelin")
    assert asked.weights[everyday_term] < asked.weights[subject_term] / 10


@pytest.mark.parametrize(
    ("language", "sentence", "points"),
    [
        ("zh", "（另请参见第 7.8 节 “什么是虚拟软件包？”", True),
        ("zh", "请参见第 4.1 节。", True),
        ("zh", "虚拟软件包是一个通用的名称，适合称呼一组软件包中的任意一个。", False),
        ("de", "Siehe dazu den Abschnitt über Pakete.", True),
        ("de", "Debian wurde 1993 gegründet.", False),
    ],
)
def test_a_sentence_that_only_points_elsewhere_is_told(language: str, sentence: str, points: bool) -> None:
    assert (language_data.of(language).sentences.pointer.match(sentence) is not None) is points


def test_a_chinese_word_the_documents_never_use_weighs_little() -> None:
    """ "哪个" ("which") is how the question is put, not what it asks about."""
    chinese = Analyzer((), "zh")
    index = one_document_index("软件包工具\n\ndpkg 是最常用的软件包工具。", chinese)
    asked = analyse("常用的 dselect 软件包工具是哪个？", index, chinese, language="zh")
    unseen = [term for term in asked.weights if term not in index.term_ids and term != "dselect"]
    assert unseen == ["哪个"]  # a Latin word the documents lack keeps its weight, a Chinese one does not
    assert asked.weights["哪个"] < asked.weights["dselect"] / 5
