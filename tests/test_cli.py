"""Tests for bot.cli: `citebot ...` run in-process on a tiny corpus in tmp_path, asserting on output."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from data_files import tmpfs
from log_lines import logged

from bot.cli import main
from bot.config import TOKEN_ENV
from bot.index_file import INDEX_FILE, load
from bot.store import STORE_FILE, Store

PROJECT = Path(__file__).resolve().parent.parent

DOCUMENTS = {
    "observatory.txt": (
        "Kestrel Observatory\n\n"
        "The Kestrel Observatory was founded in 1887 by astronomer Helena Varga. "
        "It stands on the northern ridge above the town of Lindqvist.\n\n"
        "The main telescope of the observatory has a mirror of 2.4 metres."
    ),
    "bread.txt": (
        "Baking Notes\n\n"
        "Sourdough bread rises because wild yeast ferments the dough. "
        "The starter named Gustav is fed every morning with rye flour and water."
    ),
    "river.txt": (
        "The Amberline River\n\n"
        "The Amberline River flows 412 kilometres from the Corvan Hills to the Saltmere Sea. "
        "Its largest tributary is the Fennick, which joins it near the observatory town of Lindqvist."
    ),
    "lighthouse.txt": (
        "Harbour Lights\n\n"
        "The Pellmouth lighthouse was painted red and white in 1932. Its lamp is visible for 18 nautical miles."
    ),
}

FOUNDER_QUESTION = "Who founded the Kestrel Observatory?"
FOUNDER_SENTENCE = "The Kestrel Observatory was founded in 1887 by astronomer Helena Varga."
STARTER_QUESTION = "What is the starter named Gustav fed with?"
RIVER_QUESTION = "Where does the Amberline River flow to?"

QUESTION_FILE = f"""\
# questions about the test corpus, in the format of shared/eval/dev.yaml
- id: q1
  kind: fact
  question: {FOUNDER_QUESTION}
  answers: ["Helena Varga"]
  docs: [observatory.txt]
- id: q2
  kind: fact
  question: {STARTER_QUESTION}
  answers: ["rye flour"]
  docs: [bread.txt]
- id: q3
  kind: paraphrase
  question: When was the Pellmouth lighthouse painted red and white?
  answers: ["1932"]
  docs: [lighthouse.txt]
- id: u1
  kind: unanswerable
  question: What is the population of Ulaanbaatar?
  answers: []
  docs: []
"""


@dataclass
class Site:
    """A tiny deployment in tmp_path: corpus folder, index folder and config file."""

    root: Path
    corpus: Path
    index: Path
    config: Path

    def args(self, command: str, *rest: str, corpus: Path | None = None) -> list[str]:
        return [
            command,
            "--config",
            str(self.config),
            "--corpus",
            str(corpus or self.corpus),
            "--index",
            str(self.index),
            *rest,
        ]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    monkeypatch.chdir(tmp_path)  # no stray ./config.yaml from the project folder
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in DOCUMENTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    config = tmp_path / "citebot.yaml"
    config.write_text("answer:\n  top_k: 3\n", encoding="utf-8")
    return Site(tmp_path, corpus, tmp_path / "index", config)


def cli(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    """Run citebot in-process; returns (exit status, stdout, stderr)."""
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def flat(text: str) -> str:
    return " ".join(text.split())


def check_answer_schema(data: dict) -> None:
    """The documented JSON answer schema (extra keys allowed)."""
    assert isinstance(data["question"], str)
    assert isinstance(data["answered"], bool)
    assert isinstance(data["confidence"], float)
    assert 0.0 <= data["confidence"] <= 1.0
    assert isinstance(data["results"], list)
    for result in data["results"]:
        assert isinstance(result["doc"], str) and result["doc"]
        assert isinstance(result["title"], str)
        assert isinstance(result["passage"], int) and not isinstance(result["passage"], bool)
        assert isinstance(result["text"], str) and result["text"]
        assert isinstance(result["highlight"], str) and result["highlight"]
        assert result["highlight"] in result["text"]
        assert isinstance(result["score"], float)
        assert isinstance(result["also_in"], list)
    assert isinstance(data["understood"], str)


# --- reindex ---------------------------------------------------------------------------------


def test_reindex_reports_counts_and_lists_a_skipped_binary_file(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    (site.corpus / "blob.txt").write_bytes(b"not really text\x00\x01\x02\x00more")
    code, out, err = cli(capsys, site.args("reindex"))
    assert code == 0
    assert re.match(r"indexed 4 documents, [1-9]\d* passages, [1-9]\d* terms in \d+\.\d+ s", out)
    assert "skipped blob.txt: looks like a binary file" in out
    assert (site.index / INDEX_FILE).is_file()


def test_reindexed_corpus_answers_from_the_saved_index_without_notices(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, site.args("reindex"))[0] == 0
    code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0
    assert FOUNDER_SENTENCE in flat(out)
    assert err == ""


def test_a_changed_corpus_is_rebuilt_before_answering(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, site.args("reindex"))[0] == 0
    (site.corpus / "mill.txt").write_text("The Brackwater windmill grinds barley for the brewery.", encoding="utf-8")
    code, out, err = cli(capsys, site.args("ask", "--json", "What does the Brackwater windmill grind?"))
    assert code == 0
    assert "corpus changed" in err
    assert json.loads(out)["results"][0]["doc"] == "mill.txt"


def test_reindex_lists_a_file_over_the_size_limit_and_indexes_the_rest(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    site.config.write_text("reading:\n  max_file_mb: 1\n", encoding="utf-8")
    (site.corpus / "huge.txt").write_text("The same line of a log, again.\n" * 40_000, encoding="utf-8")  # 1.2 MB
    code, out, err = cli(capsys, site.args("reindex"))
    assert code == 0
    assert out.startswith("indexed 4 documents")
    assert "skipped huge.txt: the file is 1.2 MB, over the 1 MB limit (reading.max_file_mb)" in out


@pytest.mark.parametrize(
    ("setting", "problem"),
    [("max_file_mb: 0", "between 1 and"), ("max_seconds: 0", "more than 0"), ("max_text_chars: 10", "between 1000")],
)
def test_a_reading_limit_out_of_range_exits_2_naming_it(
    site: Site, capsys: pytest.CaptureFixture[str], setting: str, problem: str
) -> None:
    site.config.write_text(f"reading:\n  {setting}\n", encoding="utf-8")
    code, out, err = cli(capsys, site.args("reindex"))
    assert code == 2
    assert f"reading.{setting.split(':')[0]}: must be {problem}" in err


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob(".citebot-index-*.tmp"))


def test_reindex_that_cannot_save_exits_1_with_one_line(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    """Unwritable however run (root writes anywhere): the index folder's path is a file."""
    site.index.write_text("not a folder", encoding="utf-8")
    code, out, err = cli(capsys, site.args("reindex"))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert logged(err).startswith(f"citebot: could not save the index in {site.index} (")
    assert "the index there was left as it was" in err


def test_reindex_onto_a_full_disk_exits_1_and_keeps_the_previous_index(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, site.args("reindex"))[0] == 0
    first = (site.index / INDEX_FILE).read_bytes()
    with tmpfs(site.root / "disk", kilobytes=(len(first) // 1024 + 1) + 16) as disk:
        site.index = disk
        (disk / INDEX_FILE).write_bytes(first)
        words = " ".join(f"word{n}" for n in range(10_000))  # an index several times the room left
        (site.corpus / "glossary.txt").write_text(f"Glossary\n\n{words}.\n", encoding="utf-8")
        code, out, err = cli(capsys, site.args("reindex"))
        assert code == 1
        assert out == ""
        assert logged(err) == (
            f"citebot: could not save the index in {disk} (No space left on device): "
            "the index there was left as it was\n"
        )
        assert os.listdir(disk) == [INDEX_FILE]  # no temporary file left filling the disk
        assert (disk / INDEX_FILE).read_bytes() == first
        assert "glossary.txt" not in load(disk).document_position
        code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))  # the bot's path: answers from memory
        assert code == 0
        assert FOUNDER_SENTENCE in flat(out)
        assert "could not save the index" in err and "using it from memory" in err


def test_reindex_into_a_read_only_folder_exits_1_and_keeps_the_previous_index(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, site.args("reindex"))[0] == 0
    first = (site.index / INDEX_FILE).read_bytes()
    (site.corpus / "mill.txt").write_text("The Brackwater windmill grinds barley.", encoding="utf-8")
    if os.geteuid() == 0:  # root writes through permissions: a file system mounted read-only
        with tmpfs(site.root / "disk", kilobytes=1024) as disk:
            (disk / INDEX_FILE).write_bytes(first)
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            site.index = disk
            code, out, err = cli(capsys, site.args("reindex"))
            assert "(Read-only file system)" in err
            assert (disk / INDEX_FILE).read_bytes() == first
    else:
        site.index.chmod(0o555)
        try:
            code, out, err = cli(capsys, site.args("reindex"))
        finally:
            site.index.chmod(0o755)
        assert "(Permission denied)" in err
        assert (site.index / INDEX_FILE).read_bytes() == first
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1


# --- ask -------------------------------------------------------------------------------------


def test_ask_prints_the_answering_sentence_and_its_source(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0
    assert FOUNDER_SENTENCE in flat(out)
    assert "observatory.txt" in out
    assert "Kestrel Observatory" in out  # the document's title in the citation line


def test_ask_json_follows_the_schema(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, site.args("ask", "--json", STARTER_QUESTION))
    assert code == 0
    data = json.loads(out)
    check_answer_schema(data)
    assert data["question"] == STARTER_QUESTION
    assert data["answered"] is True
    top = data["results"][0]
    assert top["doc"] == "bread.txt"
    assert top["title"] == "Baking Notes"
    assert top["passage"] == 1  # the document's first, counted from 1
    assert "rye flour" in top["highlight"]


def test_ask_json_when_nothing_matches_has_no_results(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, site.args("ask", "--json", "What is the capital of Peru?"))
    assert code == 0
    data = json.loads(out)
    check_answer_schema(data)
    assert data["answered"] is False
    assert data["results"] == []


def test_ask_k_limits_the_number_of_results(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    question = "Which river flows near the observatory town of Lindqvist?"  # matches two documents
    code, out, _ = cli(capsys, site.args("ask", "--json", question))
    assert code == 0
    assert len(json.loads(out)["results"]) >= 2
    code, out, _ = cli(capsys, site.args("ask", "--json", "-k", "1", question))
    assert code == 0
    data = json.loads(out)
    check_answer_schema(data)
    assert len(data["results"]) == 1


@pytest.mark.parametrize("k", ["0", "51", "-3"])
def test_ask_k_out_of_range_exits_2_with_a_message(site: Site, capsys: pytest.CaptureFixture[str], k: str) -> None:
    code, out, err = cli(capsys, site.args("ask", "-k", k, FOUNDER_QUESTION))
    assert code == 2
    assert "-k" in err and k in err
    assert out == ""


# --- ask --jsonl -----------------------------------------------------------------------------


def test_ask_jsonl_answers_each_line_in_order_and_survives_bad_lines(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        json.dumps({"chat": "a", "text": FOUNDER_QUESTION}),
        '{"chat": "a", "text": ',  # malformed JSON
        json.dumps({"chat": "b", "text": STARTER_QUESTION}),
        json.dumps({"chat": "c"}),  # no text
        "",  # blank lines are skipped
        json.dumps({"chat": 7, "text": RIVER_QUESTION}),
    ]
    code, out, err = cli(capsys, site.args("ask", "--jsonl"), "\n".join(lines) + "\n", monkeypatch)
    assert code == 0
    replies = [json.loads(line) for line in out.splitlines()]
    assert len(replies) == 5
    first, bad, second, no_text, third = replies
    assert first["chat"] == "a" and first["question"] == FOUNDER_QUESTION
    assert first["results"][0]["doc"] == "observatory.txt"
    assert bad == {"chat": None, "line": 2, "error": bad["error"]}  # its chat cannot be read
    assert second["chat"] == "b" and second["results"][0]["doc"] == "bread.txt"
    assert no_text["chat"] == "c" and no_text["line"] == 4 and "text" in no_text["error"]
    assert third["chat"] == 7 and third["results"][0]["doc"] == "river.txt"  # a number stays one
    for reply in (first, second, third):
        check_answer_schema(reply)


def test_ask_jsonl_refuses_a_chat_that_is_neither_text_nor_a_number(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = json.dumps({"chat": [5], "text": FOUNDER_QUESTION}) + "\n"
    code, out, _ = cli(capsys, site.args("ask", "--jsonl"), stdin, monkeypatch)
    assert code == 0
    assert json.loads(out) == {
        "chat": None,
        "line": 1,
        "error": 'not a question: "chat" must be a string or a whole number',
    }


def test_passage_numbers_agree_in_replies_and_json(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    """`passage` counts from 1 everywhere: the console's source line, ask --json and --jsonl."""
    (site.corpus / "observatory.txt").write_text(
        DOCUMENTS["observatory.txt"].replace("Helena Varga.", "Helena Varga.\n\n" + "Filler about the weather. " * 40),
        encoding="utf-8",
    )
    question = "How large is the mirror of the main telescope?"
    _, out, _ = cli(capsys, site.args("ask", question))
    shown = int(re.search(r"observatory\.txt · passage (\d+)", out)[1])
    _, out, _ = cli(capsys, site.args("ask", question, "--json"))
    assert json.loads(out)["results"][0]["passage"] == shown > 1


def test_ask_jsonl_with_empty_input_prints_nothing(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli(capsys, site.args("ask", "--jsonl"), "", monkeypatch)
    assert code == 0
    assert out == ""


def test_ask_jsonl_reads_follow_ups_in_their_own_chat(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"chat": "a", "text": FOUNDER_QUESTION},
        {"chat": "b", "text": RIVER_QUESTION},
        {"chat": "a", "text": "When was it founded?"},
        {"chat": "c", "text": "When was it founded?"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    code, out, _ = cli(capsys, site.args("ask", "--jsonl"), stdin, monkeypatch)
    assert code == 0
    replies = [json.loads(line) for line in out.splitlines()]
    follow_up, alone = replies[2], replies[3]
    assert follow_up["understood"] == "When was it founded? (about Kestrel Observatory)"
    assert "1887" in follow_up["results"][0]["highlight"]
    assert alone["understood"] == "" and replies[1]["understood"] == ""


# --- chat and run ----------------------------------------------------------------------------


def test_chat_answers_until_quit(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = f"{FOUNDER_QUESTION}\n\n{STARTER_QUESTION}\n:quit\nWhen was the Pellmouth lighthouse painted?\n"
    code, out, err = cli(capsys, site.args("chat"), stdin, monkeypatch)
    assert code == 0
    text = flat(out)
    assert FOUNDER_SENTENCE in text
    assert "rye flour and water" in text
    assert text.index("Helena Varga") < text.index("rye flour")
    assert "Pellmouth" not in text  # asked after :quit


def test_chat_reads_follow_ups_until_reset(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = f"{RIVER_QUESTION}\nWhat is its largest tributary?\n:reset\nWhat is its largest tributary?\n"
    code, out, _ = cli(capsys, site.args("chat"), stdin, monkeypatch)
    assert code == 0
    assert out.count("↪ What is its largest tributary? (about Amberline River)") == 1
    assert "Fennick" in out


def test_feedback_before_anything_was_recorded_says_so(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, site.args("feedback"))
    assert code == 0
    assert "0 questions asked, 0 votes." in out and "nothing recorded yet" in out
    code, out, _ = cli(capsys, site.args("feedback", "--json"))
    assert json.loads(out)["questions"] == 0


def test_feedback_reads_the_store_with_its_settings(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    """store.keep_days holds for the report too: an answer older than that is not reported."""
    site.config.write_text("answer:\n  top_k: 3\nstore:\n  keep_days: 1\n", encoding="utf-8")
    store = Store(site.root / "data")
    store.record(1, 1, {"question": "asked two days ago", "answered": True}, 0.1)
    store.record(1, 2, {"question": "asked just now", "answered": True}, 0.1)
    store.close()
    with contextlib.closing(sqlite3.connect(site.root / "data" / STORE_FILE)) as db, db:
        db.execute("UPDATE replies SET created = ? WHERE question = 'asked two days ago'", (time.time() - 2 * 86400,))
    code, out, _ = cli(capsys, site.args("feedback"))
    assert code == 0
    assert out.startswith("1 question asked, 0 votes.") and "asked two days ago" not in out


def test_chat_ends_cleanly_at_end_of_input(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli(capsys, site.args("chat"), f"{RIVER_QUESTION}\n", monkeypatch)
    assert code == 0
    assert "Saltmere Sea" in out


def test_chat_sources_lists_the_documents(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli(capsys, site.args("chat"), ":sources\n:quit\n", monkeypatch)
    assert code == 0
    for name in DOCUMENTS:
        assert name in out


def test_the_console_speaks_the_locales_language(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    stdin = f"{FOUNDER_QUESTION}\nHow far is the lighthouse from the observatory?\n:sources\n"
    code, out, _ = cli(capsys, site.args("chat"), stdin, monkeypatch)
    assert code == 0
    text = flat(out)
    assert FOUNDER_SENTENCE in text and "observatory.txt · Textstelle 1 (#1)" in text
    assert "Die Dokumente scheinen das nicht zu beantworten. Die nächstliegenden Textstellen:" in text
    assert "bread.txt: Baking Notes (1 Textstelle)" in text
    assert "passage" not in text
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    code, out, _ = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0 and "observatory.txt · фрагмент 1 (#1)" in flat(out)


def test_run_without_a_token_falls_back_to_the_console_chat(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli(capsys, site.args("run"), f"{FOUNDER_QUESTION}\n:quit\n", monkeypatch)
    assert code == 0
    assert "no Telegram token" in err
    assert FOUNDER_SENTENCE in flat(out)


# --- eval ------------------------------------------------------------------------------------


def test_eval_prints_the_table(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    questions = site.root / "questions.yaml"
    questions.write_text(QUESTION_FILE, encoding="utf-8")
    code, out, err = cli(capsys, site.args("eval", str(questions)))
    assert code == 0
    assert "answer@1" in out
    assert "abstention accuracy" in out
    assert any(line.split()[:2] == ["all", "answerable"] and line.split()[2] == "3" for line in out.splitlines())


def test_eval_json_has_groups(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    questions = site.root / "questions.yaml"
    questions.write_text(QUESTION_FILE, encoding="utf-8")
    code, out, err = cli(capsys, site.args("eval", "--json", str(questions)))
    assert code == 0
    data = json.loads(out)
    assert data["groups"]["all answerable"]["n"] == 3
    assert data["groups"]["all answerable"]["answer_hit@1"] == 1.0
    assert data["abstention_accuracy"] == 1.0
    assert [q["qid"] for q in data["questions"]] == ["q1", "q2", "q3", "u1"]


@pytest.mark.parametrize(
    "content",
    [
        "- id: q1\n  question: [unclosed\n",
        "question: not a list\n",
        "- id: q1\n  kind: riddle\n  question: What?\n",
        "- id: q1\n  question: When?\n  answers: [1932]\n",
    ],
    ids=["bad-yaml", "not-a-list", "unknown-kind", "unquoted-number"],
)
def test_eval_malformed_question_file_exits_2_naming_it(
    site: Site, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    questions = site.root / "broken-questions.yaml"
    questions.write_text(content, encoding="utf-8")
    code, out, err = cli(capsys, site.args("eval", str(questions)))
    assert code == 2
    assert "broken-questions.yaml" in err
    assert out == ""


def test_eval_missing_question_file_exits_2_naming_it(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, site.args("eval", str(site.root / "absent.yaml")))
    assert code == 2
    assert "absent.yaml" in err


def test_eval_question_file_not_in_utf8_exits_2_naming_it(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    questions = site.root / "latin1-questions.yaml"
    questions.write_bytes("- id: q1\n  question: Où est le café?\n".encode("latin-1"))
    code, out, err = cli(capsys, site.args("eval", str(questions)))
    assert code == 2
    assert "latin1-questions.yaml" in err


# --- bad input -------------------------------------------------------------------------------


def test_ask_empty_question_exits_2_saying_how_to_ask(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, site.args("ask", ""))
    assert code == 2
    assert "needs a question" in err


@pytest.mark.parametrize(
    "question, note",
    [
        ("   \t ", "Ask a question in words"),
        ("what is the", "no words to search for"),
        ("?!", None),
        ("... ??? !!!", None),
    ],
    ids=["whitespace", "stopwords", "punctuation", "more-punctuation"],
)
def test_ask_question_without_content_words_gets_a_clear_note(
    site: Site, capsys: pytest.CaptureFixture[str], question: str, note: str | None
) -> None:
    code, out, err = cli(capsys, site.args("ask", question))
    assert code == 0
    assert out.strip()
    assert "score" not in out  # a note, not a list of passages
    if note:
        assert note in out
    code, out, err = cli(capsys, site.args("ask", "--json", question))
    assert code == 0
    data = json.loads(out)
    check_answer_schema(data)
    assert data["answered"] is False
    assert data["results"] == []
    assert data["note"]


def test_ask_a_50_kb_question_answers_quickly(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, site.args("reindex"))[0] == 0
    filler = " ".join(f"word{i} telescope" for i in range(4000))
    question = f"{FOUNDER_QUESTION} {filler}"
    assert len(question) > 50_000
    started = time.perf_counter()
    code, out, err = cli(capsys, site.args("ask", "--json", question))
    assert time.perf_counter() - started < 2.0
    assert code == 0
    data = json.loads(out)
    check_answer_schema(data)
    assert data["results"]


@pytest.mark.parametrize("command", ["reindex", "ask"])
def test_missing_corpus_folder_exits_2_naming_it(site: Site, capsys: pytest.CaptureFixture[str], command: str) -> None:
    missing = site.root / "no-such-docs"
    rest = [FOUNDER_QUESTION] if command == "ask" else []
    code, out, err = cli(capsys, site.args(command, *rest, corpus=missing))
    assert code == 2
    assert "no-such-docs" in err
    assert "does not exist" in err


@pytest.mark.parametrize("command", ["reindex", "ask"])
def test_corpus_without_supported_files_exits_2(site: Site, capsys: pytest.CaptureFixture[str], command: str) -> None:
    empty = site.root / "empty-docs"
    empty.mkdir()
    (empty / "notes.docx").write_bytes(b"PK\x03\x04")
    rest = [FOUNDER_QUESTION] if command == "ask" else []
    code, out, err = cli(capsys, site.args(command, *rest, corpus=empty))
    assert code == 2
    assert "no supported files" in err
    assert "empty-docs" in err


def test_corpus_of_only_binary_files_exits_2_listing_them(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    binary = site.root / "binary-docs"
    binary.mkdir()
    (binary / "a.txt").write_bytes(b"\x00\x01\x02\x03" * 10)
    (binary / "b.txt").write_bytes(b"PK\x03\x04\x00\x00zip?")
    code, out, err = cli(capsys, site.args("reindex", corpus=binary))
    assert code == 2
    assert "no readable documents" in err
    assert "a.txt: looks like a binary file" in err and "b.txt: looks like a binary file" in err


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 4)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _header_a_list(path: Path) -> None:
    with np.load(path, allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays["header"] = np.frombuffer(b"[1, 2, 3]", dtype=np.uint8)
    with path.open("wb") as stream:
        np.savez(stream, **arrays)


@pytest.mark.parametrize(
    "damage",
    [
        _garbage,
        _truncated,
        _empty,
        _header_a_list,
    ],
    ids=["garbage", "truncated", "empty", "header-a-list"],
)
def test_damaged_index_is_rebuilt_and_the_question_answered(
    site: Site, capsys: pytest.CaptureFixture[str], damage
) -> None:
    assert cli(capsys, site.args("reindex"))[0] == 0
    damage(site.index / INDEX_FILE)
    code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0
    assert FOUNDER_SENTENCE in flat(out)
    assert "damaged" in err and "building the index" in err
    code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))  # the rebuilt index was saved
    assert code == 0
    assert err == ""


def test_unknown_config_key_exits_2_naming_it(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.config.write_text("search:\n  k1: 1.2\n  kk: 3\n", encoding="utf-8")
    code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 2
    assert "search.kk" in err
    assert out == ""


def test_missing_config_file_exits_2_naming_it(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.config.unlink()
    code, out, err = cli(capsys, site.args("reindex"))
    assert code == 2
    assert site.config.name in err


def test_index_path_that_is_a_file_still_answers(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.index.write_text("not a folder", encoding="utf-8")
    code, out, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0
    assert FOUNDER_SENTENCE in flat(out)
    assert "could not save the index" in err


# --- the module entry point ------------------------------------------------------------------


def test_python_m_bot_help_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("run", "reindex", "ask", "chat", "eval"):
        assert command in result.stdout
    assert "usage: citebot" in result.stdout


def test_version_is_printed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert re.fullmatch(r"citebot \d+\.\d+\.\d+\S*\n", result.stdout)


@pytest.mark.parametrize("command", ["ask", "eval"])
def test_output_into_a_closed_pipe_ends_quietly(site: Site, command: str) -> None:
    """`citebot ask … | head`: the reader went away before citebot wrote; no traceback, SIGPIPE's status."""
    questions = site.root / "questions.yaml"
    questions.write_text(QUESTION_FILE, encoding="utf-8")
    rest = [FOUNDER_QUESTION] if command == "ask" else [str(questions)]
    assert main(site.args("reindex")) == 0
    run = subprocess.Popen(
        [sys.executable, "-m", "bot", *site.args(command, *rest)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run.stdout.close()  # long before the answer is written: starting takes a good part of a second
    _, err = run.communicate(timeout=60)
    assert run.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err


# --- logging ---------------------------------------------------------------------------------


def test_an_unquoted_question_is_taken_word_by_word(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, site.args("ask", *FOUNDER_QUESTION.split(), "--json"))
    assert code == 0
    assert json.loads(out)["question"] == FOUNDER_QUESTION


def test_every_stderr_line_has_a_time_and_a_level(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0
    assert logged(err).startswith("citebot: no index at ")  # the notice, through logging


@pytest.mark.parametrize("where", ["--log-level warning after", "--log-level before", "environment", "config"])
def test_the_log_level_keeps_notices_out(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    argv = site.args("ask", FOUNDER_QUESTION)
    if where == "--log-level warning after":
        argv += ["--log-level", "WARNING"]
    elif where == "--log-level before":
        argv = ["--log-level", "error", *argv]
    elif where == "environment":
        monkeypatch.setenv("CITEBOT_LOG_LEVEL", "warning")
    else:
        site.config.write_text("logging:\n  level: warning\n", encoding="utf-8")
    code, out, err = cli(capsys, argv)
    assert code == 0 and FOUNDER_SENTENCE in flat(out)
    assert err == ""  # the index was built, and nobody was told


@pytest.mark.parametrize("before", [True, False], ids=["before the command", "after it"])
def test_verbose_logs_debug_lines(site: Site, capsys: pytest.CaptureFixture[str], before: bool) -> None:
    argv = ["-v", *site.args("ask", FOUNDER_QUESTION)] if before else [*site.args("ask", FOUNDER_QUESTION), "-v"]
    assert cli(capsys, argv)[0] == 0
    assert logging.getLogger().level == logging.DEBUG
    assert cli(capsys, site.args("ask", FOUNDER_QUESTION))[0] == 0
    assert logging.getLogger().level == logging.INFO


def test_a_bad_log_level_in_the_environment_is_named(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITEBOT_LOG_LEVEL", "loud")
    code, _, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 2
    assert logged(err) == "citebot: CITEBOT_LOG_LEVEL: must be one of debug, info, warning, error (got 'loud')\n"


def test_json_logs_are_one_object_a_line(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.config.write_text("logging:\n  format: json\n", encoding="utf-8")
    code, _, err = cli(capsys, site.args("ask", FOUNDER_QUESTION))
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines()]
    assert lines and all(set(line) == {"time", "level", "logger", "message"} for line in lines)
    assert lines[0]["level"] == "INFO" and lines[0]["message"].startswith("no index at ")


def test_a_long_build_off_a_terminal_logs_its_progress(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a service manager there is no progress bar: lines now and then instead (here, every time)."""
    monkeypatch.setattr("bot.logs.PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr("bot.corpus.PROGRESS_MIN_FILES", 1)
    monkeypatch.setattr("bot.pipeline.PROGRESS_MIN_DOCUMENTS", 1)
    code, _, err = cli(capsys, site.args("reindex"))
    assert code == 0
    lines = logged(err)
    assert "citebot: reading documents: 1 of 4 files (25%)" in lines
    assert "citebot: indexing: 3 of 4 documents (75%)" in lines


def test_the_token_is_kept_out_of_log_lines_in_either_format(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad config value that holds the token would be logged as it is: the token is hidden first."""
    token = "123456:" + "S" * 35
    monkeypatch.setenv(TOKEN_ENV, token)
    for form in ("text", "json"):
        site.config.write_text(f"logging:\n  format: {form}\ntelegram:\n  base_url: ftp://{token}\n", encoding="utf-8")
        code, _, err = cli(capsys, site.args("run"))
        assert code == 2 and "telegram.base_url" in err
        assert token not in err
