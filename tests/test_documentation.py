"""Answers on documentation, from the files as shipped to the cited reply: sections, commands,
tables, tables of contents, FAQ headings, kinds of answer, follow-ups.

Each test builds a small manual in tmp_path, read, chunked and indexed the way `citebot` does it
(the real Engine), and asks what a user of such a manual asks.
"""

from __future__ import annotations


import pytest

from bot.chunking import chunk
from bot.config import load_config
from bot.corpus import list_corpus_files, read_document
from bot.engine import Engine
from bot.structure import CODE, HEADING, KINDS, LIST

PAGE = """<html><head><title>{title} — The Example Manual</title></head><body>
<div class="navheader"><a href="prev.html">Prev</a> | <a href="index.html">Up</a> | <a href="next.html">Next</a></div>
<h1>{title}</h1>
{body}
<div class="navfooter"><a href="prev.html">Prev</a> <a href="index.html">Home</a> <a href="next.html">Next</a></div>
</body></html>"""

BOOTING = PAGE.format(
    title="Chapter 11. Booting",
    body="""
<div class="toc"><p>Table of Contents</p><dl>
<dt><a href="#boot">11.5. How does the system boot?</a></dt>
<dt><a href="#conf">11.6. What is a conffile?</a></dt></dl></div>
<h2 id="boot">11.5. How does the system boot?</h2>
<p>Like all Unices, the system boots up by executing the program init. The default system uses
systemd as the implementation of init.</p>
<p>To display the default target to which systemd will bring the system, run the command</p>
<pre class="screen">systemctl get-default</pre>
<p>If you specifically wish not to start a service during boot-up, instead of removing the
corresponding package, you can run the command</p>
<pre class="screen">systemctl disable service.service</pre>
<h2 id="conf">11.6. What is a conffile?</h2>
<p>Conffiles are configuration files that the package management system will not overwrite when
the package is upgraded.</p>
<p>To list the conffiles of a package, use the following:</p>
<ul><li>dpkg --status package</li><li>less /var/lib/dpkg/info/package.conffiles</li></ul>
<div class="note"><h3 class="title">Note</h3><p>Editing a conffile keeps your changes on upgrades.</p></div>
""",
)

CONTENTS = PAGE.format(
    title="The Example Manual",
    body="""
<p>This manual answers questions asked about the example system.</p>
<div class="toc"><p><b>Table of Contents</b></p><ul>
<li><a href="booting.html">11. Booting</a><ul>
<li><a href="booting.html#boot">11.5. How does the system boot?</a></li>
<li><a href="booting.html#conf">11.6. What is a conffile?</a></li></ul></li>
<li><a href="commands.html">12. Commands</a></li></ul></div>
""",
)

COMMANDS = PAGE.format(
    title="Chapter 12. Commands",
    body="""
<h2>12.1. Old and new commands</h2>
<p>The following is an overview of the old and new commands:</p>
<table><tr><th>old</th><th>new</th></tr>
<tr><td>apt-get update</td><td>apt update</td></tr>
<tr><td>apt-get dist-upgrade</td><td>apt full-upgrade</td></tr>
<tr><td>apt-cache search string</td><td>apt search string</td></tr></table>
<h2>12.2. Office hours</h2>
<p>The office in Lyon opens at 8 am. The library opens at 9:15 on weekdays.</p>
<p>The archive opens Mondays at 10:00 and the help desk closes at 2 pm on Fridays.</p>
<p>Backups of the archive are kept in /srv/backups/archive for thirty days.</p>
<h2>12.3. Holding packages</h2>
<p>With apt, you can put a package on hold using</p>
<pre>apt-mark hold package_name</pre>
<p>and remove the hold with</p>
<pre>apt-mark unhold package_name</pre>
<dl><dt><code>max_holds</code> (integer)</dt>
<dd><p>Sets how many packages may be held at once. The default is 64.</p></dd></dl>
""",
)

FIREWALL = PAGE.format(
    title="Chapter 13. Firewall",
    body="""
<h2>13.1. Forwarding</h2>
<p>Containers need forwarding. Add a rule for the bridge:</p>
<pre>iptables -I FORWARD -i docker0 -j DOCKER-USER</pre>
<h2>13.2. Backups</h2>
<p>Take a snapshot before changing the rules. On zfs, snapshot the dataset first.</p>
<h2>13.3. Logging in</h2>
<p>Log in as root to change the rules. The rules engine reads them at boot.</p>
""",
)

HANDBOOK = """Staff handbook

The office in Lyon opens at 8 am and closes at 6 pm. The Lyon canteen serves lunch from noon.

Payslips are sent on the last working day of each month. Expenses are refunded within ten days.
"""


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("manual")
    corpus = root / "corpus"
    corpus.mkdir()
    pages = [
        ("booting.html", BOOTING),
        ("index.html", CONTENTS),
        ("commands.html", COMMANDS),
        ("firewall.html", FIREWALL),
    ]
    for name, html in pages:
        (corpus / name).write_text(html, encoding="utf-8")
    (corpus / "handbook.txt").write_text(HANDBOOK, encoding="utf-8")
    config = load_config(None, {}, corpus=corpus, index=root / "index", data=root / "data")
    return Engine(config, notify=lambda message: None)


def document(engine: Engine, doc_id: str):
    (file,) = [f for f in list_corpus_files(engine.config.corpus) if f.doc_id == doc_id]
    return read_document(file)


# --- reading and chunking -----------------------------------------------------------------


def test_navigation_and_tables_of_contents_are_not_text(manual: Engine) -> None:
    booting = document(manual, "booting.html")
    assert "Prev" not in booting.text and "Table of Contents" not in booting.text
    assert booting.text.count("11.5. How does the system boot?") == 1  # the heading, not its ToC link too
    contents = document(manual, "index.html")
    assert contents.text == "The Example Manual\n\nThis manual answers questions asked about the example system."


def test_a_page_title_is_its_heading_without_the_sites_name(manual: Engine) -> None:
    assert document(manual, "booting.html").title == "Chapter 11. Booting"


def test_a_lead_in_and_its_command_are_one_unit_of_one_passage(manual: Engine) -> None:
    booting = document(manual, "booting.html")
    passages = chunk(booting.doc_id, booting.text, marks=booting.marks, title=booting.title)
    holding = [p for p in passages if "systemctl get-default" in p.text]
    assert len(holding) == 1
    assert "To display the default target to which systemd will bring the system, run the command" in holding[0].text
    code = [m for m in booting.marks if m.kind == CODE]
    assert [booting.text[m.start : m.end] for m in code] == [
        "systemctl get-default",
        "systemctl disable service.service",
    ]


def test_passages_keep_to_their_sections_and_name_them(manual: Engine) -> None:
    booting = document(manual, "booting.html")
    passages = chunk(booting.doc_id, booting.text, marks=booting.marks, title=booting.title)
    assert all(p.section for p in passages)
    assert {p.section for p in passages} == {("11.5. How does the system boot?",), ("11.6. What is a conffile?",)}
    assert not any("11.5. How does the system boot?" in p.text for p in passages)  # a heading is context, not text


def test_an_admonition_label_stays_apart_and_is_no_section(manual: Engine) -> None:
    booting = document(manual, "booting.html")
    assert "Note\n\nEditing a conffile keeps your changes on upgrades." in booting.text
    headings = [booting.text[m.start : m.end] for m in booting.marks if m.kind == HEADING]
    assert "Note" not in headings


def test_table_rows_and_list_items_keep_their_lines(manual: Engine) -> None:
    commands = document(manual, "commands.html")
    rows = [" ".join(line.split()) for line in commands.text.split("\n")]
    assert {"old new", "apt-get update apt update", "apt-get dist-upgrade apt full-upgrade"} <= set(rows)
    booting = document(manual, "booting.html")
    (listing,) = [m for m in booting.marks if m.kind == LIST]
    assert booting.text[listing.start : listing.end].split("\n") == [
        "• dpkg --status package",
        "• less /var/lib/dpkg/info/package.conffiles",
    ]


def test_a_definitions_name_is_the_heading_of_its_description(manual: Engine) -> None:
    commands = document(manual, "commands.html")
    passages = chunk(commands.doc_id, commands.text, marks=commands.marks, title=commands.title)
    (described,) = [p for p in passages if "how many packages may be held" in p.text]
    assert described.section == ("12.3. Holding packages", "max_holds (integer)")
    assert [KINDS[m.kind] for m in commands.marks if commands.text[m.start : m.end] == "max_holds (integer)"] == [
        "heading"
    ]


# --- answering ------------------------------------------------------------------------------


def test_a_how_to_question_is_answered_by_the_command_with_its_lead_in(manual: Engine) -> None:
    reply = manual.ask("how do i display the default systemd target")
    top = reply.results[0]
    assert reply.answered
    assert "systemctl get-default" in top.highlight
    assert top.highlight.startswith("To display the default target")
    assert top.section == ("11.5. How does the system boot?",)
    assert top.code and top.text[top.code[0][0] : top.code[0][1]] == "systemctl get-default"


def test_the_section_under_a_matching_heading_answers_not_the_table_of_contents(manual: Engine) -> None:
    reply = manual.ask("what is a conffile")
    top = reply.results[0]
    assert reply.answered
    assert top.doc_id == "booting.html"
    assert top.highlight.startswith("Conffiles are configuration files")
    assert top.section == ("11.6. What is a conffile?",)


def test_a_table_row_is_the_answer_to_its_line(manual: Engine) -> None:
    reply = manual.ask("whats the apt equivalent of apt-get dist-upgrade")
    assert reply.answered
    assert "apt full-upgrade" in reply.results[0].highlight


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When does the office in Lyon open?", "8 am"),
        ("what time does the library open", "9:15"),
        ("which day does the archive open", "Mondays at 10:00"),
        ("when does the help desk close on fridays", "2 pm"),
    ],
)
def test_clock_times_and_weekdays_answer_when(manual: Engine, question: str, expected: str) -> None:
    reply = manual.ask(question)
    assert reply.answered, question
    assert expected in reply.results[0].highlight


def test_a_duration_answers_how_long_and_a_path_where(manual: Engine) -> None:
    kept = manual.ask("how long are archive backups kept")
    assert kept.answered and "thirty days" in kept.results[0].highlight
    where = manual.ask("where are the archive backups kept")
    assert where.answered and "/srv/backups/archive" in where.results[0].highlight


def test_a_default_is_found_under_the_name_it_describes(manual: Engine) -> None:
    reply = manual.ask("max_holds default")
    assert reply.answered
    assert reply.results[0].highlight == "The default is 64."


def test_a_trailing_kind_word_of_a_keyword_question_is_not_searched(manual: Engine) -> None:
    reply = manual.ask("lyon office opening time")
    assert reply.answered and "8 am" in reply.results[0].highlight


@pytest.mark.parametrize("question", ["how to install docker engine", "zfs on root"])
def test_one_shared_word_is_not_an_answer(manual: Engine, question: str) -> None:
    """The documents use the question's other words ("engine", "root") elsewhere: a passage that
    shares only one of them ("docker0", "zfs") does not answer it."""
    reply = manual.ask(question)
    assert not reply.answered
    assert reply.results  # the closest passages are still shown


# --- follow-ups -----------------------------------------------------------------------------


def test_a_follow_up_stays_with_the_section_just_cited(manual: Engine) -> None:
    first = manual.ask("how do i hold a package", chat="holding")
    assert "apt-mark hold package_name" in first.results[0].text
    second = manual.ask("and how do I undo that?", chat="holding")
    assert second.understood  # read against the question before, not swapped into it
    assert "apt-mark unhold package_name" in second.results[0].text
    assert second.results[0].section == ("12.3. Holding packages",)
