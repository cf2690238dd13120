"""Tests for bot.render's console text: what `citebot ask` and `chat` print for a person."""

from __future__ import annotations

from bot.answer import Answer, Result
from bot.render import console_more, console_text, source_line

LEAD_IN = "To rebuild every index of the cluster at once, run the following command as the database owner:"
COMMAND = "reindexdb --all --concurrently --jobs=4 --verbose --host=/var/run/postgresql --username=postgres --echo"
SCRIPT = f"for db in $(psql -Atc 'select datname from pg_database'); do\n    {COMMAND} \"$db\"\ndone"
PROSE = (
    "Indexes can become bloated after many updates, and rebuilding them gives the space back to the operating "
    "system while the table stays readable."
)
PASSAGE = f"{PROSE}\n\n{LEAD_IN}\n\n{SCRIPT}\n\nIt takes a while on a large cluster."
SCRIPT_SPAN = (PASSAGE.index(SCRIPT), PASSAGE.index(SCRIPT) + len(SCRIPT))


def result(
    text: str = PASSAGE,
    highlight: str = f"{LEAD_IN}\n\n{SCRIPT}",
    *,
    header: str = "",
    section: tuple[str, ...] = ("Routine Database Maintenance Tasks", "Routine Reindexing"),
    code: tuple[tuple[int, int], ...] = (SCRIPT_SPAN,),
) -> Result:
    title = "PostgreSQL 15 Documentation"
    return Result("maintenance.html", title, 6, text, highlight, 2.5, (), header, None, section, code)


def printed(*results: Result) -> str:
    return console_text(Answer("How do I rebuild all indexes?", True, 0.9, results))


def test_code_lines_keep_their_length_and_indentation() -> None:
    lines = printed(result()).split("\n")
    assert len(f"    {COMMAND}") > 88  # longer than the console's wrapping width
    assert f'  »     {COMMAND} "$db"' in lines  # in the excerpt: indented, marked, one line
    assert "  » done" in lines


def test_prose_is_wrapped_and_the_answers_prose_marked_as_before() -> None:
    text = printed(result())
    marked = "«To rebuild every index of the cluster at once, run the following command as the\n  database owner:»"
    assert f"\n  {marked}\n" in text
    assert all(len(line) <= 92 for line in text.split("\n") if COMMAND not in line and " — " not in line)
    assert "  It takes a while on a large cluster." in text  # not part of the answer: unmarked


def test_the_answer_is_shown_once_marked_in_its_passage() -> None:
    text = printed(result())
    assert text.startswith("  Indexes can become bloated")
    assert text.count("«To rebuild every index") == 1 and text.count("To rebuild every index") == 1
    assert [line for line in text.split("\n") if "»" in line and "«" not in line][1:] == [
        f"  » {line}" for line in SCRIPT.split("\n")
    ]


def test_an_answer_its_passage_does_not_hold_as_it_is_comes_first() -> None:
    text = printed(result("The bridge opened in 1932.", "It opened in 1932.", section=(), code=()))
    assert text.split("\n")[:3] == ["» It opened in 1932.", "", "  The bridge opened in 1932."]


def test_a_line_of_code_answer_comes_under_its_lead_in() -> None:
    line = SCRIPT.split("\n")[1]
    text = printed(result(highlight=line, header=LEAD_IN))
    assert "(a row of the table" not in text
    assert f"  » {line}" in text.split("\n") and text.count(line) == 1
    assert text.index("run the following command") < text.index(line)


def test_a_table_row_answer_lines_up_with_its_header() -> None:
    table = "Setting             Default\nmaintenance_work_mem  64MB\nautovacuum          on"
    text = f"The defaults:\n\n{table}"
    row = "maintenance_work_mem  64MB"
    shown = printed(result(text, row, header="Setting             Default", code=((text.index(table), len(text)),)))
    assert "\n    Setting             Default\n  » maintenance_work_mem  64MB\n" in shown
    assert shown.count(row) == 1


def test_the_source_line_names_the_section() -> None:
    line = source_line(result())
    assert line == (
        "PostgreSQL 15 Documentation › Routine Database Maintenance Tasks › Routine Reindexing"
        " · maintenance.html · passage 7"
    )
    assert f"— {line}  (#1)" in printed(result())
    assert source_line(result(section=())).startswith("PostgreSQL 15 Documentation · maintenance.html")


def test_a_passage_without_code_reads_as_it_always_did() -> None:
    sentence = "The bridge opened in 1932."
    text = printed(result(f"Its story is long. {sentence} Trains still cross it.", sentence, section=(), code=()))
    assert text.split("\n") == [
        f"  Its story is long. «{sentence}» Trains still cross it.",
        "  — PostgreSQL 15 Documentation · maintenance.html · passage 7  (#1)",
    ]


def test_scores_are_not_shown_and_results_are_numbered_by_rank() -> None:
    """BM25 scores are not the order results come in (the answer's judgment is): no scores at all."""
    second = result("The tunnel opened in 1950.", "The tunnel opened in 1950.", section=(), code=())
    text = console_text(Answer("When did it open?", True, 0.9, (result(), second)))
    assert "score" not in text
    assert text.index("(#1)") < text.index("(#2)")
    assert console_more(Answer("When did it open?", True, 0.9, (result(), second))).endswith("passage 7  (#2)")
