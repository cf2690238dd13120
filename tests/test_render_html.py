"""Tests for bot.render's Telegram HTML: what a person reads in a chat, escaped and within limits."""

from __future__ import annotations

import json
import random
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from telegram_html import check_telegram_html

from bot.answer import Answer, Result
from bot.index import DocumentInfo
from bot.render import (
    EXCERPT_CHARS,
    TELEGRAM_LIMIT,
    answer_from_json,
    answer_json,
    stored_json,
    context_html,
    cut,
    document_html,
    excerpt_around,
    more_html,
    reply_html,
    result_html,
    section_path,
    source_html,
)

HIGHLIGHT = "The Harbour Bridge was opened on 19 March 1932."
# Twenty distinct sentences before and after the answering one, so an excerpt must be cut.
BEFORE = [f"Sentence {i} before the answer tells a little of the story." for i in range(20)]
AFTER = [f"Sentence {i} after the answer tells more of the story." for i in range(20)]
PASSAGE = " ".join([*BEFORE, HIGHLIGHT, *AFTER])
NASTY = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"


def result(
    text: str = PASSAGE,
    highlight: str = HIGHLIGHT,
    *,
    doc_id: str = "bridge.txt",
    title: str = "Sydney Harbour Bridge",
    ordinal: int = 0,
    also_in: tuple[str, ...] = (),
    header: str = "",
    url: str | None = None,
    section: tuple[str, ...] = (),
    code: tuple[tuple[int, int], ...] = (),
) -> Result:
    return Result(doc_id, title, ordinal, text, highlight, 3.25, also_in, header, url, section, code)


def answered(*results: Result, question: str = "When was the bridge opened?") -> Answer:
    return Answer(question, True, 0.9, tuple(results))


def unanswered(*results: Result, note: str = "The documents don't seem to answer this.") -> Answer:
    return Answer("What is the colour of the sky?", False, 0.1, tuple(results), note=note)


def document(
    title: str = "Sydney Harbour Bridge",
    doc_id: str = "bridge.txt",
    url: str | None = None,
    metadata: tuple[tuple[str, str], ...] = (),
    passage_count: int = 5,
) -> DocumentInfo:
    return DocumentInfo(doc_id, title, url, metadata, 0, passage_count)


class Parsed(HTMLParser):
    """The tags Telegram would see, the text a person would read, what is bold and what is in <pre>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.bold: list[str] = []
        self.pre: list[str] = []
        self._open: list[str] = []
        self._text: list[str] = []
        self.feed(html)
        self.close()
        self.text = "".join(self._text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)
        if tag == "b":
            self.bold.append("")
        elif tag == "pre":
            self.pre.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open.pop()

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if "b" in self._open:
            self.bold[-1] += data
        if "pre" in self._open:
            self.pre[-1] += data


def assert_safe_html(html: str) -> Parsed:
    """Only the renderer's own tags, every '&' an entity, no raw '<' or '>' left once they are removed,
    and what Telegram's parser accepts: tags closed in order, no <pre> inside or around another tag."""
    without_tags = re.sub(r'</?(?:b|i|pre)>|<a href="[^"<>]*">|</a>', "", html)
    assert "<" not in without_tags and ">" not in without_tags, without_tags
    assert re.findall(r"&(?!amp;|lt;|gt;|quot;|#x27;)", html) == []
    plain = check_telegram_html(html)
    parsed = Parsed(html)
    assert {tag for tag, _ in parsed.tags} <= {"b", "i", "a", "pre"}
    assert parsed.text == plain
    return parsed


# --- excerpt_around and cut -------------------------------------------------------------------


def test_excerpt_is_cut_at_sentence_boundaries_with_ellipses_on_both_sides() -> None:
    before, after = excerpt_around(PASSAGE, HIGHLIGHT, 300)
    assert before.startswith("… Sentence ")
    assert before[2:].rstrip() in " ".join(BEFORE) and before.rstrip().endswith("story.")
    assert after.endswith(" story. …")
    assert after.lstrip().startswith("Sentence 0 after")
    assert before[2:].strip() in [" ".join(BEFORE[i:]) for i in range(len(BEFORE))]
    assert after[:-2].strip() in [" ".join(AFTER[:i]) for i in range(1, len(AFTER) + 1)]


@pytest.mark.parametrize("budget", [120, 300, 600, 1500])
def test_excerpt_stays_near_its_budget(budget: int) -> None:
    before, after = excerpt_around(PASSAGE, HIGHLIGHT, budget)
    assert len(before) + len(HIGHLIGHT) + len(after) <= budget + len("… ") + len(" …")
    # and uses most of it: no more than one sentence's worth is left over on a side that was cut
    assert len(before) + len(HIGHLIGHT) + len(after) >= budget - 2 * max(map(len, BEFORE + AFTER)) - 2


def test_excerpt_takes_context_from_both_sides() -> None:
    before, after = excerpt_around(PASSAGE, HIGHLIGHT, 400)
    assert "Sentence 19 before" in before
    assert "Sentence 0 after" in after


def test_whole_passage_within_budget_is_shown_without_ellipses() -> None:
    text = "The opening sentence. " + HIGHLIGHT + " The closing sentence."
    assert excerpt_around(text, HIGHLIGHT, 1000) == ("The opening sentence. ", " The closing sentence.")


def test_highlight_at_the_start_or_end_gets_no_ellipsis_on_that_side() -> None:
    text = HIGHLIGHT + " " + " ".join(AFTER)
    before, after = excerpt_around(text, HIGHLIGHT, 200)
    assert before == ""
    assert after.endswith(" …")
    text = " ".join(BEFORE) + " " + HIGHLIGHT
    before, after = excerpt_around(text, HIGHLIGHT, 200)
    assert before.startswith("… ")
    assert after == ""


def test_highlight_longer_than_the_budget_gets_no_context() -> None:
    before, after = excerpt_around(PASSAGE, HIGHLIGHT, 20)
    assert before == "… "
    assert after == " …"


def test_highlight_not_in_the_text_gives_an_empty_excerpt() -> None:
    assert excerpt_around(PASSAGE, "A sentence from somewhere else.", 600) == ("", "")
    assert excerpt_around(PASSAGE, "", 600) == ("", "")


def test_cut_leaves_short_text_alone() -> None:
    assert cut("short enough", 12) == "short enough"


def test_cut_breaks_long_text_at_a_word_and_marks_it() -> None:
    text = "alpha beta gamma delta epsilon"
    assert cut(text, 14) == "alpha beta …"
    assert len(cut("word " * 1000, 100)) <= 100 + len(" …")


def test_cut_of_one_long_word_keeps_the_limit() -> None:
    assert cut("x" * 50, 10) == "x" * 10 + " …"


# --- result_html / source_html ----------------------------------------------------------------


def test_the_answering_sentence_is_bold_inside_its_excerpt() -> None:
    html = result_html(result())
    parsed = assert_safe_html(html)
    assert parsed.bold == [HIGHLIGHT]
    assert f"<b>{HIGHLIGHT}</b>" in html
    assert "Sentence 19 before" in html.split("<b>")[0]
    assert "Sentence 0 after" in html.split("</b>")[1]
    assert "Sentence 0 before" not in html  # the excerpt was cut
    assert html.count("…") >= 2


def test_result_ends_with_its_source() -> None:
    html = result_html(result(ordinal=4))
    assert html.endswith("\n— Sydney Harbour Bridge · bridge.txt · passage 5")


def test_source_is_a_link_only_when_there_is_a_url() -> None:
    plain = source_html(result())
    assert "<a" not in plain and "href" not in plain
    linked = source_html(result(url="https://example.org/bridge?a=1&b=2"))
    parsed = assert_safe_html(linked)
    assert parsed.tags == [("a", {"href": "https://example.org/bridge?a=1&b=2"})]
    assert linked.startswith('<a href="https://example.org/bridge?a=1&amp;b=2">Sydney Harbour Bridge</a>')


def test_other_documents_with_the_same_passage_are_named() -> None:
    html = source_html(result(also_in=("copy-one.txt", "copy-two.md")))
    assert html.endswith(" · also in copy-one.txt, copy-two.md")
    assert "also in" not in source_html(result())


def test_table_header_is_shown_in_italics_when_the_passage_lacks_it() -> None:
    row = "Ankara | 5,000,000 | capital"
    html = result_html(result(text=row, highlight=row, header="City | Population | Role"))
    assert html.startswith("<i>City | Population | Role</i>\n<b>Ankara")
    html = result_html(result(text="City | Population\n" + row, highlight=row, header="City | Population"))
    assert "<i>" not in html


def test_document_text_is_escaped_in_a_result() -> None:
    text = f"Before {NASTY}. {HIGHLIGHT} After {NASTY} end."
    html = result_html(
        result(
            text=text,
            highlight=f"{HIGHLIGHT} After {NASTY} end.",
            doc_id='a<b>&c".txt',
            title=NASTY,
            header=f"Head {NASTY}",
            url='https://example.org/?q="<x>"&y=1',
            also_in=("x<y>.txt", "a&b.md"),
        )
    )
    parsed = assert_safe_html(html)
    assert parsed.text.count(NASTY) == 4  # header, before, highlight, title
    assert 'a<b>&c".txt' in parsed.text
    assert "x<y>.txt, a&b.md" in parsed.text
    assert ("a", {"href": 'https://example.org/?q="<x>"&y=1'}) in parsed.tags
    assert "<script>" not in html


# --- reply_html / more_html -------------------------------------------------------------------


def test_answered_reply_shows_only_the_first_result() -> None:
    html = reply_html(answered(result(), result(doc_id="second.txt", ordinal=3)))
    assert "bridge.txt" in html
    assert "second.txt" not in html
    assert assert_safe_html(html).bold == [HIGHLIGHT]


def test_unanswered_reply_shows_the_note_and_numbered_closest_passages() -> None:
    html = reply_html(
        unanswered(result(), result(doc_id="second.txt"), result(doc_id="third.txt"), note="Nothing <certain> here.")
    )
    assert html.startswith("<i>Nothing &lt;certain&gt; here.</i>\n\n1. ")
    assert "\n\n2. " in html and "\n\n3. " in html
    assert html.index("bridge.txt") < html.index("second.txt") < html.index("third.txt")
    assert_safe_html(html)


def test_unanswered_reply_excerpts_are_shorter_than_an_answered_one() -> None:
    answered_html = reply_html(answered(result()))
    unanswered_html = reply_html(unanswered(result()))
    shown = Parsed(unanswered_html).text.split("1. ", 1)[1]
    assert len(shown) < len(Parsed(answered_html).text)


def test_reply_without_results_is_the_escaped_note() -> None:
    assert reply_html(Answer("q", False, 0.0, (), note="No <words> & such")) == "No &lt;words&gt; &amp; such"
    assert reply_html(Answer("q", False, 0.0, ())) == "No passage in the documents matches that question."


def test_more_numbers_results_as_in_the_full_list_and_escapes_the_question() -> None:
    results = [result(doc_id=f"doc{i}.txt") for i in range(1, 5)]
    html = more_html(answered(*results, question='Why <this> & "that"?'), 1)
    assert html.startswith("More for <i>Why &lt;this&gt; &amp; &quot;that&quot;?</i>:\n\n2. ")
    assert "doc1.txt" not in html
    for rank in (2, 3, 4):
        assert f"\n\n{rank}. " in html and f"doc{rank}.txt" in html
    assert "\n\n1. " not in html and "\n\n5. " not in html
    assert_safe_html(html)


# --- always one message -----------------------------------------------------------------------


def huge_passage() -> tuple[str, str]:
    sentences = [f"Filler sentence number {i} says something rather ordinary." for i in range(900)]
    highlight = sentences[450]
    return " ".join(sentences), highlight


def test_a_50000_character_passage_fits_one_message_around_its_highlight() -> None:
    text, highlight = huge_passage()
    assert len(text) >= 50_000
    html = reply_html(answered(result(text=text, highlight=highlight)))
    assert len(html) <= TELEGRAM_LIMIT
    assert Parsed(html).bold == [highlight]
    assert "Filler sentence number 449 " in html and "Filler sentence number 451 " in html


def test_a_5000_character_highlight_is_cut_but_still_bold() -> None:
    highlight = " ".join(["enormous"] * 600) + "."
    assert len(highlight) >= 5000
    html = reply_html(answered(result(text=f"Intro sentence. {highlight} Outro sentence.", highlight=highlight)))
    assert len(html) <= TELEGRAM_LIMIT
    (bold,) = Parsed(html).bold
    assert bold.startswith("enormous enormous") and bold.endswith(" …")
    assert len(bold) <= EXCERPT_CHARS + 2


def test_ten_long_results_fit_one_message_and_all_are_listed() -> None:
    text, highlight = huge_passage()
    results = [result(text=text, highlight=highlight, doc_id=f"doc{i}.txt") for i in range(10)]
    for html in (reply_html(unanswered(*results)), more_html(answered(*results), 1)):
        assert len(html) <= TELEGRAM_LIMIT
        assert "too long" not in html
        assert f"doc{9}.txt" in html and "\n\n10. " in html
        assert_safe_html(html)


def test_ten_escaped_heavy_results_still_fit() -> None:
    """Escaping makes text longer ('&' → '&amp;'): the limit holds for the escaped message."""
    text = " ".join(f"A & B < C > D & E number {i}." for i in range(1200))
    highlight = "A & B < C > D & E number 600."
    results = [result(text=text, highlight=highlight, doc_id=f"doc{i}&.txt") for i in range(10)]
    for html in (reply_html(answered(*results)), reply_html(unanswered(*results)), more_html(answered(*results), 0)):
        assert len(html) <= TELEGRAM_LIMIT
        assert "too long" not in html
        assert "A &amp; B &lt; C &gt; D &amp; E number 600." in html
        assert_safe_html(html)


# --- context_html -----------------------------------------------------------------------------


def test_context_labels_every_passage_given_with_its_position() -> None:
    doc = document(passage_count=7)
    passages = [(2, "Alpha sentence. Beta sentence."), (3, f"Intro. {HIGHLIGHT} Outro."), (4, "Gamma. Delta.")]
    html = context_html(doc, passages, 3, HIGHLIGHT)
    assert html.startswith("<b>Sydney Harbour Bridge</b> · bridge.txt\n\n")
    labels = re.findall(r"<i>passage (\d+) of (\d+)</i>", html)
    assert labels == [("3", "7"), ("4", "7"), ("5", "7")]
    assert f"Intro. <b>{HIGHLIGHT}</b> Outro." in html  # the current one in full
    assert "Alpha sentence. Beta sentence." in html and "Gamma. Delta." in html
    assert_safe_html(html)


def test_context_at_the_first_passage_has_no_previous_one() -> None:
    html = context_html(document(passage_count=2), [(0, f"{HIGHLIGHT} More."), (1, "Next one.")], 0, HIGHLIGHT)
    assert re.findall(r"<i>passage (\d+) of 2</i>", html) == ["1", "2"]
    assert f"<b>{HIGHLIGHT}</b> More." in html


def test_context_trims_neighbours_but_keeps_the_current_passage_whole() -> None:
    long_before = " ".join(f"Previous passage sentence {i} goes on." for i in range(200))
    long_after = " ".join(f"Following passage sentence {i} goes on." for i in range(200))
    current = " ".join([*BEFORE[:5], HIGHLIGHT, *AFTER[:5]])
    html = context_html(document(), [(0, long_before), (1, current), (2, long_after)], 1, HIGHLIGHT)
    assert len(html) <= TELEGRAM_LIMIT
    blocks = html.split("\n\n")
    previous, shown, following = blocks[1], blocks[2], blocks[3]
    # the end of the one before, the start of the one after
    assert previous.split("\n", 1)[1].startswith("… ") and previous.endswith("sentence 199 goes on.")
    assert following.split("\n", 1)[1].startswith("Following passage sentence 0 ") and following.endswith(" …")
    assert len(previous) < len(long_before) // 4 and len(following) < len(long_after) // 4
    assert Parsed(shown).text.split("\n", 1)[1] == current


def test_context_of_a_huge_current_passage_fits_around_the_highlight() -> None:
    text, highlight = huge_passage()
    html = context_html(document(), [(0, text), (1, text), (2, text)], 1, highlight)
    assert len(html) <= TELEGRAM_LIMIT
    assert Parsed(html).bold[-1] == highlight
    assert len(re.findall(r"<i>passage \d of 5</i>", html)) == 3


def test_context_escapes_title_doc_id_and_passages() -> None:
    doc = document(title=NASTY, doc_id="x<y>&z.txt")
    html = context_html(doc, [(0, f"Before {NASTY}."), (1, f"{HIGHLIGHT} {NASTY}")], 1, HIGHLIGHT)
    parsed = assert_safe_html(html)
    assert parsed.text.count(NASTY) == 3
    assert "x<y>&z.txt" in parsed.text


def test_context_without_a_highlight_shows_the_current_passage() -> None:
    html = context_html(
        document(passage_count=3),
        [(0, "Alpha one. Beta two."), (1, "Middle passage text. More of it."), (2, "Gamma three.")],
        1,
    )
    assert "Middle passage text. More of it." in html
    assert "<b></b>" not in html


# --- document_html ----------------------------------------------------------------------------


def test_document_card_lists_file_size_passages_and_metadata() -> None:
    doc = document(metadata=(("author", "Jane Doe"), ("year", "1932"), ("title", "dup"), ("url", "dup")))
    html = document_html(doc, 2048)
    assert html.split("\n") == [
        "<b>Sydney Harbour Bridge</b>",
        "file: bridge.txt",
        "size: 2.0 KB",
        "passages: 5",
        "author: Jane Doe",
        "year: 1932",
    ]


@pytest.mark.parametrize("size, shown", [(512, "512 bytes"), (3 * 1024 * 1024, "3.0 MB")])
def test_document_size_is_in_readable_units(size: int, shown: str) -> None:
    assert f"size: {shown}" in document_html(document(), size)


def test_document_without_a_known_size_leaves_the_size_out() -> None:
    assert "size:" not in document_html(document(), None)


def test_document_title_is_a_link_only_with_a_url() -> None:
    assert "<a " not in document_html(document(), None)
    html = document_html(document(url="https://example.org/doc?x=1&y=2"), None)
    assert html.startswith('<b><a href="https://example.org/doc?x=1&amp;y=2">Sydney Harbour Bridge</a></b>')


def test_document_text_and_metadata_are_escaped() -> None:
    metadata = ((f"key {NASTY}", f"value {NASTY}"),)
    doc = document(title=NASTY, doc_id="<id>&.txt", metadata=metadata, url='https://e.org/"x"')
    parsed = assert_safe_html(document_html(doc, 10))
    assert parsed.text.count(NASTY) == 3
    assert "<id>&.txt" in parsed.text
    assert ("a", {"href": 'https://e.org/"x"'}) in parsed.tags


def test_document_with_huge_metadata_fits_one_message() -> None:
    metadata = tuple((f"key{i}", "long value & more " * 100) for i in range(200))
    html = document_html(document(metadata=metadata), 10)
    assert len(html) <= TELEGRAM_LIMIT
    assert html.startswith("<b>Sydney Harbour Bridge</b>\nfile: bridge.txt")
    assert_safe_html(html)


# --- the JSON answer kept on disk -------------------------------------------------------------


def test_answer_survives_a_json_round_trip() -> None:
    original = Answer(
        question="When was the bridge opened?",
        answered=False,
        confidence=0.2,
        results=(
            result(also_in=("copy.txt", "other.md"), header="A | B", url="https://example.org/x", ordinal=3),
            result(doc_id="plain.txt", title=NASTY),
            result(COMMAND_PASSAGE, COMMAND_ANSWER, section=("Packages", "Conffiles"), code=(COMMAND_SPAN,)),
        ),
        note="The closest passages:",
    )
    stored = json.loads(json.dumps(stored_json(original)))
    assert answer_from_json(stored) == original
    assert reply_html(answer_from_json(stored)) == reply_html(original)
    assert stored["results"][2]["section"] == ["Packages", "Conffiles"]
    assert stored["results"][2]["code"] == [list(COMMAND_SPAN)]


def test_an_answer_stored_before_sections_and_code_still_loads() -> None:
    stored = stored_json(answered(result()))
    for kept in stored["results"]:
        del kept["section"], kept["code"]
    loaded = answer_from_json(stored)
    assert loaded == answered(result())
    assert (loaded.results[0].section, loaded.results[0].code) == ((), ())


def test_answer_json_has_the_documented_keys() -> None:
    data = answer_json(answered(result(url="https://example.org/", section=("Opening", "1932"))))
    assert set(data) == {"question", "answered", "confidence", "note", "corrected", "understood", "results"}
    keys = {"doc", "title", "passage", "text", "highlight", "score", "also_in", "header", "url", "section", "code"}
    assert set(data["results"][0]) == keys
    assert data["results"][0]["url"] == "https://example.org/"
    assert data["results"][0]["passage"] == 1  # the first passage, counted from 1 as replies show it
    assert stored_json(answered(result()))["results"][0]["passage"] == 0  # kept as it always was
    assert data["results"][0]["section"] == ["Opening", "1932"]
    assert data["results"][0]["code"] == []


def test_the_readme_json_examples_show_the_keys_answer_json_writes() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## JSON answers\n", 1)[1].split("\n## ", 1)[0]
    answer, structured = (json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL))
    written = answer_json(answered(result()))
    assert set(answer) == set(written)
    assert set(answer["results"][0]) == set(structured) == set(written["results"][0])
    start, end = structured["code"][0]
    assert structured["text"][start:end].startswith("dpkg-query ")
    assert answer_from_json({**answer, "results": [structured]}).results[0].section == tuple(structured["section"])
    assert "(from 1, as replies show it;" in " ".join(section.split())


# --- where in a document: the section path ----------------------------------------------------


def test_the_source_names_the_section_after_the_title() -> None:
    cited = result(title="Debian FAQ", doc_id="faq.html", ordinal=24, section=("7.5. What is a Debian conffile?",))
    assert source_html(cited) == "Debian FAQ › 7.5. What is a Debian conffile? · faq.html · passage 25"
    assert result_html(cited).endswith("\n— Debian FAQ › 7.5. What is a Debian conffile? · faq.html · passage 25")


def test_a_linked_title_is_followed_by_the_escaped_section() -> None:
    html = source_html(result(url="https://example.org/faq", section=("Tags & <b>markup</b>",)))
    parsed = assert_safe_html(html)
    assert html.startswith('<a href="https://example.org/faq">Sydney Harbour Bridge</a> › Tags &amp; &lt;b&gt;')
    assert parsed.text.startswith("Sydney Harbour Bridge › Tags & <b>markup</b> · bridge.txt")


def test_a_deep_section_path_keeps_its_outermost_and_innermost_two_levels() -> None:
    path = section_path(("Part I", "Chapter 2", "Section 2.3", "Subsection 2.3.1", "Paragraph a"))
    assert path == "Part I › … › Subsection 2.3.1 › Paragraph a"
    assert section_path(("One", "Two", "Three")) == "One › Two › Three"
    assert section_path(()) == ""


def test_long_headings_in_a_section_path_are_cut_at_a_word() -> None:
    long = "A heading that goes on " + "and on " * 30 + "until the end"
    path = section_path((long, "Short", long))
    levels = path.split(" › ")
    assert levels[1] == "Short"
    assert all(len(level) <= 64 and level.endswith(" …") for level in (levels[0], levels[2]))
    assert len(path) < 150  # a line or two, whatever the headings


# --- code and tables: monospace, and never bold -----------------------------------------------

LEAD_IN = "To list the conffiles of an installed package, run the following command:"
COMMAND = "dpkg-query --showformat='${Conffiles}\\n' --show bash"
COMMAND_PASSAGE = f"Conffiles are files that dpkg keeps.\n\n{LEAD_IN}\n\n{COMMAND}\n\nThe output names each file."
COMMAND_ANSWER = f"{LEAD_IN}\n\n{COMMAND}"
COMMAND_SPAN = (COMMAND_PASSAGE.index(COMMAND), COMMAND_PASSAGE.index(COMMAND) + len(COMMAND))

TABLE = "Package  Priority  Section\nbash     required  shells\nzsh      optional  shells\ndash     required  shells"
TABLE_PASSAGE = f"The priorities of the shells:\n\n{TABLE}\n\nRequired ones are always installed."
TABLE_SPAN = (TABLE_PASSAGE.index(TABLE), TABLE_PASSAGE.index(TABLE) + len(TABLE))


def test_an_answer_leading_in_to_a_command_is_bold_and_the_command_is_in_pre_after_it() -> None:
    html = result_html(result(COMMAND_PASSAGE, COMMAND_ANSWER, code=(COMMAND_SPAN,)))
    parsed = assert_safe_html(html)
    assert parsed.bold == [LEAD_IN]
    assert parsed.pre == [COMMAND]
    assert f"<b>{escape(LEAD_IN)}</b>\n<pre>{escape(COMMAND)}</pre>\nThe output names each file." in html
    assert not re.search(r"<b>[^<]*<pre>|</pre>[^<]*</b>", html)


def test_a_table_row_answer_is_its_own_pre_under_its_header_in_bold() -> None:
    row = "zsh      optional  shells"
    html = result_html(result(TABLE_PASSAGE, row, header="Package  Priority  Section", code=(TABLE_SPAN,)))
    parsed = assert_safe_html(html)
    assert parsed.pre == ["Package  Priority  Section\nbash     required  shells", row, "dash     required  shells"]
    assert parsed.bold == ["Package Priority Section"]
    assert f"<b>Package Priority Section</b>\n<pre>{row}</pre>" in html
    assert "<i>" not in html  # the header is the label, not repeated in italics


def test_a_command_line_right_after_its_lead_in_gets_the_lead_in_bold_where_it_stands() -> None:
    block = "apt-get install zsh\napt-get install dash"
    text = f"Shells are packages.\n\nTo install the shells, run:\n\n{block}"
    span = (text.index(block), len(text))
    html = result_html(result(text, "apt-get install zsh", header="To install the shells, run:", code=(span,)))
    parsed = assert_safe_html(html)
    assert parsed.bold == ["To install the shells, run:"]
    assert parsed.pre == ["apt-get install zsh", "apt-get install dash"]
    assert html.startswith("Shells are packages.\n\n<b>To install the shells, run:</b>\n<pre>apt-get install zsh</pre>")


def test_code_answer_without_a_lead_is_pointed_at() -> None:
    text = f"Some prose first.\n\n{TABLE}"
    span = (text.index(TABLE), len(text))
    html = result_html(result(text, "zsh      optional  shells", code=(span,)))
    assert "\n<b>▸</b>\n<pre>zsh      optional  shells</pre>" in html
    assert_safe_html(html)


def test_code_keeps_its_indentation_and_blank_lines_in_pre() -> None:
    code = "def answer():\n    if True:\n        return 42\n\n    return 0"
    text = f"The function reads:\n\n{code}"
    html = result_html(result(text, text, code=((text.index(code), len(text)),)))
    assert assert_safe_html(html).pre == [code]


def test_a_huge_code_block_is_cut_at_a_line_and_marked() -> None:
    lines = [f"    step --number {i} --flag value" for i in range(400)]
    block = "\n".join(lines)
    text = f"Run these steps:\n\n{block}\n\nThat is all."
    span = (text.index(block), text.index(block) + len(block))
    html = reply_html(answered(result(text, lines[200], code=(span,))))
    parsed = assert_safe_html(html)
    assert len(html) <= TELEGRAM_LIMIT
    assert lines[200] in parsed.pre
    shown = [line for pre in parsed.pre for line in pre.split("\n")]
    assert set(shown) <= set(lines) and len(shown) < 40
    assert html.startswith("…\n<pre>") and "</pre>\n…\n— " in html


def test_a_code_answer_longer_than_the_budget_is_cut_at_a_line() -> None:
    block = "\n".join(f"line {i} of a very long listing" for i in range(200))
    text = f"Intro sentence.\n\n{block}"
    html = reply_html(answered(result(text, block, code=((text.index(block), len(text)),))))
    parsed = assert_safe_html(html)
    (pre,) = parsed.pre
    assert block.startswith(pre) and pre.endswith("listing") and len(pre) <= EXCERPT_CHARS
    assert "</pre>\n…" in html


def test_code_is_escaped_inside_pre() -> None:
    code = 'echo "<b>&</b>" > /tmp/x'
    text = f"Write it so:\n\n{code}"
    html = result_html(result(text, text, code=((text.index(code), len(text)),)))
    assert assert_safe_html(html).pre == [code]
    assert "<pre>echo &quot;&lt;b&gt;&amp;&lt;/b&gt;&quot; &gt; /tmp/x</pre>" in html


def test_stored_code_spans_outside_the_text_are_ignored() -> None:
    html = result_html(result(COMMAND_PASSAGE, COMMAND_ANSWER, code=((-5, 3), (10_000, 20_000), COMMAND_SPAN)))
    assert assert_safe_html(html).pre[-1] == COMMAND


def test_context_shows_code_in_pre_and_names_the_section() -> None:
    passages = [(2, "Before it. Something."), (3, COMMAND_PASSAGE), (4, f"{COMMAND}\n\nAfter it.")]
    code = {3: (COMMAND_SPAN,), 4: ((0, len(COMMAND)),)}
    html = context_html(document(), passages, 3, COMMAND_ANSWER, section=("Packages", "Conffiles"), code=code)
    parsed = assert_safe_html(html)
    assert html.startswith("<b>Sydney Harbour Bridge</b> › Packages › Conffiles · bridge.txt\n\n")
    assert parsed.pre == [COMMAND, COMMAND]
    assert parsed.bold == ["Sydney Harbour Bridge", LEAD_IN]


def test_context_neighbours_are_cut_at_a_line_of_their_code() -> None:
    block = "\n".join(f"setting_{i} = {i}" for i in range(300))
    previous = f"The settings:\n\n{block}"
    following = f"{block}\n\nThat is all."
    code = {0: ((previous.index(block), len(previous)),), 2: ((0, len(block)),)}
    html = context_html(document(), [(0, previous), (1, HIGHLIGHT), (2, following)], 1, HIGHLIGHT, code=code)
    parsed = assert_safe_html(html)
    lines = set(block.split("\n"))
    assert len(parsed.pre) == 2 and all(set(pre.split("\n")) <= lines for pre in parsed.pre)
    assert parsed.pre[0].endswith("setting_299 = 299") and parsed.pre[1].startswith("setting_0 = 0")


# --- every mix of prose, code and budget is valid Telegram HTML -------------------------------


def random_passage(rng: random.Random) -> tuple[str, tuple[tuple[int, int], ...], dict[str, list[tuple[int, int]]]]:
    """Prose paragraphs and code blocks in a random mix: the text, its code spans, and what can be
    an answer, by kind: a sentence, a line of code, a whole block, a lead-in sentence with its block."""
    text, code = "", []
    answers: dict[str, list[tuple[int, int]]] = {"sentence": [], "line": [], "block": [], "lead-in": []}
    lead_in = None  # where the paragraph's last sentence starts, when it leads in to what follows
    for block in range(rng.randint(1, 6)):
        text += "\n\n" if text else ""
        start = len(text)
        if rng.random() < 0.5:
            for i in range(rng.randint(1, 8)):
                words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30)))
                sentence_start = len(text)
                text += f"{' ' if i else ''}Sentence {block}.{i} says {words}."
                answers["sentence"].append((sentence_start + (1 if i else 0), len(text)))
            lead_in = None
            if rng.random() < 0.6:
                text = text[:-1] + ", run:"
                lead_in = answers["sentence"].pop()[0]
                answers["sentence"].append((lead_in, len(text)))
        else:
            for i in range(rng.randint(1, 60)):
                text += ("\n" if i else "") + " " * rng.choice((0, 0, 4, 8))
                line_start = len(text)
                text += " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))
                answers["line"].append((line_start, len(text)))
            code.append((start, len(text)))
            answers["block"].append((start, len(text)))
            if lead_in is not None:
                answers["lead-in"].append((lead_in, len(text)))
            lead_in = None
    return text, tuple(code), answers


WORDS = "the & < > \"quoted\" pkg --flag=1 $HOME 'x' a.b c_d über 日本 <pre> </b> é".split()


@pytest.mark.parametrize("seed", range(300))
def test_any_mix_of_prose_and_code_renders_as_valid_telegram_html(seed: int) -> None:
    rng = random.Random(seed)
    text, code, answers = random_passage(rng)
    start, end = rng.choice(answers[rng.choice([kind for kind, spans in answers.items() if spans])])
    header = rng.choice(["", "Name  Value", "To do it, run:"])
    cited = result(text, text[start:end], header=header, code=code, section=("Part", "Chapter"))
    spans = {0: code, 1: code, 2: code}
    messages = [
        reply_html(answered(cited)),
        reply_html(unanswered(*[cited] * rng.randint(1, 10))),
        context_html(document(), [(0, text), (1, text), (2, text)], 1, cited.highlight, code=spans),
    ]
    assert all(len(html) <= TELEGRAM_LIMIT for html in messages)
    assert cited.highlight.split()[0] in Parsed(messages[0]).text  # the answer is shown
    for html in [result_html(cited, rng.choice([40, 120, 600, 5000])), *messages]:
        parsed = assert_safe_html(html)
        assert "<b></b>" not in html and "<pre></pre>" not in html
        for pre in parsed.pre:  # whole lines of the code (or the start of one too long for the budget)
            assert any(pre in text[a:b] for a, b in code), pre
