"""Alias groups: the corpus's aliases.yaml, the config's, the built-in renamed places, merged.

Real files in tmp_path and the real index; the command-line tests run `citebot` in-process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from log_lines import logged

from bot import aliases
from bot.aliases import ALIAS_FILE, RENAMED_PLACES, AliasGroups, merge, read_alias_file
from bot.cli import main
from bot.config import TOKEN_ENV, Config
from bot.engine import Engine
from bot.errors import AliasFileError
from bot.text import AliasGroup, Analyzer

ROOT = Path(__file__).resolve().parent.parent
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.yaml"

DOCUMENTS = {
    "consulate.txt": (
        "Zorvath consulate\n\nThe Zorvath consulate in Qeshlaq was opened in 1998 by envoy Mirela Duskova.\n"
    ),
    "glacier.txt": "Glacier report\n\nThe Tarnovia glacier retreated 40 metres in 2019.\n",
}
CONSULATE_QUESTION = "Who opened the consulate in Kishlak?"  # the documents say Qeshlaq
GLACIER_QUESTION = "How far did the Ternovo glacier retreat?"  # the documents say Tarnovia


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A corpus folder in tmp_path, the working folder (so no ./config.yaml is read)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for name, text in DOCUMENTS.items():
        write(tmp_path / "docs" / name, text)
    return tmp_path


def ask(capsys: pytest.CaptureFixture[str], question: str, *flags: str) -> tuple[dict, str]:
    """`citebot ask --json` on the site's corpus: the answer and what went to stderr."""
    code = main(["ask", "--corpus", "docs", "--index", "index", "--json", *flags, question])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out), err


def engine(folder: Path) -> Engine:
    return Engine(Config(corpus=folder / "docs", index=folder / "index"), notify=lambda message: None)


# --- through the command line, on the real index ---------------------------------------------


def test_a_group_in_the_corpus_folder_finds_the_other_spelling(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(site / "docs" / ALIAS_FILE, "# spellings in these documents\n- [Qeshlaq, Kishlak]\n")
    reply, _ = ask(capsys, CONSULATE_QUESTION)
    assert reply["answered"]
    assert reply["results"][0]["doc"] == "consulate.txt"
    assert "Qeshlaq" in reply["results"][0]["highlight"]


def test_config_groups_add_to_the_corpus_groups(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(site / "docs" / ALIAS_FILE, "- [Qeshlaq, Kishlak]\n")
    config = write(site / "citebot.yaml", "search:\n  aliases:\n    - [Tarnovia, Ternovo]\n")
    for question, doc, spelling in [
        (CONSULATE_QUESTION, "consulate.txt", "Qeshlaq"),
        (GLACIER_QUESTION, "glacier.txt", "Tarnovia"),
    ]:
        reply, _ = ask(capsys, question, "--config", str(config))
        assert reply["answered"], question
        assert reply["results"][0]["doc"] == doc
        assert spelling in reply["results"][0]["highlight"]


def test_a_renamed_country_is_known_with_no_config_and_no_alias_file(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        site / "docs" / "kingdom.txt",
        "Kingdom notes\n\nThe king of Eswatini opened a new parliament in Lobamba in 2021.\n",
    )
    reply, _ = ask(capsys, "When did Swaziland get a new parliament?")
    assert reply["answered"]
    assert reply["results"][0]["doc"] == "kingdom.txt"
    assert "2021" in reply["results"][0]["highlight"]


def test_editing_the_alias_file_rebuilds_the_index_on_the_next_question(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, _ = ask(capsys, CONSULATE_QUESTION)
    assert not before["answered"]
    _, quiet = ask(capsys, CONSULATE_QUESTION)
    assert "rebuilding" not in quiet
    write(site / "docs" / ALIAS_FILE, "- [Qeshlaq, Kishlak]\n")
    after, notice = ask(capsys, CONSULATE_QUESTION)
    assert "settings changed" in notice and ALIAS_FILE in notice
    assert after["answered"] and after["results"][0]["doc"] == "consulate.txt"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("# ours\n- [Qeshlaq, Kishlak]\n- [Tarnovia]\n", 3, "two or more spellings"),
        ("- Qeshlaq\n- Kishlak\n", 1, "two or more spellings, written - [Turkey, Türkiye]"),
        ("aliases:\n  - [Qeshlaq, Kishlak]\n", 1, "without `aliases:`"),
        ("- [Qeshlaq, Kishlak\n- [Tarnovia, Ternovo]\n", 2, "not valid YAML"),
        ("- [Qeshlaq, '']\n", 1, "a blank spelling"),
        ("- [Qeshlaq, [Kishlak]]\n", 1, "a spelling must be text, got [Kishlak]"),
        ("- [IT, information technology]\n", 1, "'IT' has no word that is searched"),
    ],
    ids=["one spelling", "flat list", "mapping", "bad YAML", "blank", "nested", "stopwords only"],
)
def test_a_bad_alias_file_stops_with_one_line_naming_the_file_line_and_problem(
    site: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, problem: str
) -> None:
    write(site / "docs" / ALIAS_FILE, text)
    code = main(["ask", "--corpus", "docs", "--index", "index", CONSULATE_QUESTION])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert logged(err).startswith(f"citebot: {Path('docs') / ALIAS_FILE}, line {line}: ")
    assert problem in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_alias_file_that_is_not_utf8_is_named(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / "docs" / ALIAS_FILE).write_bytes("- [Qeshlaq, Qe\xfelaq]\n".encode("latin-1"))
    assert main(["reindex", "--corpus", "docs", "--index", "index"]) == 2
    err = capsys.readouterr().err
    assert logged(err) == f"citebot: {Path('docs') / ALIAS_FILE}: not UTF-8 text; save it as UTF-8\n"


@pytest.mark.skipif(not DEV_QUESTIONS.exists(), reason="the shared dev set is not beside the project")
def test_the_shipped_corpus_answers_the_same_with_and_without_the_example_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.yaml
    figures = []
    for config in ([], ["--config", str(ROOT / "config.example.yaml")]):
        index = tmp_path / f"index{len(config)}"
        code = main(
            ["eval", str(DEV_QUESTIONS), "--json", "--corpus", str(ROOT / "corpus"), "--index", str(index), *config]
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        figures.append(json.loads(out))
    assert figures[0] == figures[1]
    # the shipped groups are in effect ("When did Türkiye recognize Azerbaijan?" needs Turkey = Türkiye)
    assert figures[0]["groups"]["all answerable"]["answer_hit@1"] >= 0.9


# --- the engine: reindex reads the file again; questions see only the names the index holds ---


def test_reindex_picks_up_an_edited_alias_file_without_a_new_engine(site: Path) -> None:
    running = engine(site)
    assert not running.ask(CONSULATE_QUESTION).answered
    write(site / "docs" / ALIAS_FILE, "- [Qeshlaq, Kishlak]\n")
    running.reindex()
    reply = running.ask(CONSULATE_QUESTION)
    assert reply.answered and reply.results[0].doc_id == "consulate.txt"


def test_a_bad_alias_file_fails_a_reindex_and_the_previous_index_stays(site: Path) -> None:
    running = engine(site)
    previous = running.index
    write(site / "docs" / ALIAS_FILE, "- [Qeshlaq]\n")
    with pytest.raises(AliasFileError, match=r"aliases\.yaml, line 1: "):
        running.reindex()
    assert running.index is previous


def test_questions_use_a_renamed_place_only_when_the_documents_name_it(site: Path) -> None:
    write(site / "docs" / "school.txt", "School notes\n\nThe old madrasa teaches calligraphy to forty pupils.\n")
    running = engine(site)
    # Chennai is not in the documents: "Madras" is read as it would be with no table (and may
    # still find "madrasa"), not turned into a city the documents never name.
    assert running.analyzer.tokens("Madras") == Analyzer().tokens("Madras")
    write(site / "docs" / "city.txt", "City notes\n\nChennai has a harbour on the Coromandel Coast.\n")
    running.reindex()
    assert running.analyzer.tokens("Madras") == running.analyzer.tokens("Chennai")
    assert running.ask("Does Madras have a harbour?").results[0].doc_id == "city.txt"


# --- merging and the table (pure) ------------------------------------------------------------


def test_a_built_in_group_sharing_a_spelling_joins_the_own_group_under_its_first_spelling() -> None:
    groups = merge([AliasGroup(("Turkey", "Türkiye", "Turkiye"))])
    turkey = [group for group in groups.indexed if "Türkiye" in group.spellings]
    assert turkey == [groups.own[0]]
    assert groups.own[0].spellings[0] == "Turkey"
    assert Analyzer(groups.indexed).tokens("Türkiye") == Analyzer().tokens("Turkey")
    assert len(groups.renamed) == len(RENAMED_PLACES) - 1
    kiev = merge([AliasGroup(("Kiev", "Kyjiv"))]).own
    assert kiev == (AliasGroup(("Kiev", "Kyjiv", "Kyiv")),)


def test_groups_sharing_a_spelling_become_one_in_order() -> None:
    groups = merge(
        [AliasGroup(("Shusha", "Shushi")), AliasGroup(("Ganja", "Gence")), AliasGroup(("SHUSHI", "Şuşa"))], ()
    )
    assert groups == AliasGroups((AliasGroup(("Shusha", "Shushi", "Şuşa")), AliasGroup(("Ganja", "Gence"))), ())


def test_the_built_in_table_names_each_place_once_and_no_ambiguous_name() -> None:
    plain = Analyzer()
    keys = [tuple(plain.tokens(spelling)) for group in RENAMED_PLACES for spelling in group.spellings]
    assert all(keys) and len(set(keys)) == len(keys)  # every spelling searched, none in two groups
    assert merge(()) == AliasGroups((), RENAMED_PLACES)
    for ambiguous in ("Macedonia", "Holland", "Zaire", "Rhodesia", "Persia", "Saint Petersburg"):
        assert tuple(plain.tokens(ambiguous)) not in keys


def test_the_table_changes_no_token_of_a_text_without_its_names() -> None:
    text = (
        "The north-east cape of the upper valley, east of the republic's coast, faces Turkish ships; "
        "Sri and Ho met in the city of Ivory, in a house of teak."
    )
    assert Analyzer(merge(()).indexed).tokens(text) == Analyzer().tokens(text)


def test_for_questions_keeps_own_groups_and_the_named_places() -> None:
    groups = merge([AliasGroup(("Qeshlaq", "Kishlak"))])
    indexing = Analyzer(groups.indexed)
    vocabulary = set(indexing.tokens("Qeshlaq and Kyiv, and the Côte d'Ivoire"))
    chosen = groups.for_questions(vocabulary)
    assert chosen[0] == groups.own[0]
    assert [group.spellings[0] for group in chosen[1:]] == ["Côte d'Ivoire", "Kyiv"]


def test_the_alias_file_is_optional_and_may_hold_only_comments(tmp_path: Path) -> None:
    assert read_alias_file(tmp_path / ALIAS_FILE) == ()
    assert read_alias_file(write(tmp_path / ALIAS_FILE, "# groups go here\n")) == ()
    assert read_alias_file(write(tmp_path / ALIAS_FILE, "\ufeff- [NO2, nitrogen dioxide]\n- [Qeshlaq, 1923]\n")) == (
        AliasGroup(("NO2", "nitrogen dioxide")),
        AliasGroup(("Qeshlaq", "1923")),  # every spelling is text as written
    )


def test_load_reads_the_file_then_adds_the_config_groups(tmp_path: Path) -> None:
    write(tmp_path / ALIAS_FILE, "- [Qeshlaq, Kishlak]\n")
    groups = aliases.load(tmp_path, (AliasGroup(("Tarnovia", "Ternovo")),))
    assert groups.own == (AliasGroup(("Qeshlaq", "Kishlak")), AliasGroup(("Tarnovia", "Ternovo")))


def test_the_shipped_corpus_carries_its_groups() -> None:
    shipped = read_alias_file(ROOT / "corpus" / ALIAS_FILE)
    assert AliasGroup(("Turkey", "Türkiye", "Turkiye")) in shipped
    assert len(shipped) >= 10
