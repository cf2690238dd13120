"""Tests for bot.chunking: invariants every passage keeps, overlap, paragraphs, tables, the shipped corpus.

Exact passage boundaries are left free (sizes may be tuned); the tests hold the rules instead.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bot.chunking import ChunkingSettings, Passage, chunk
from bot.corpus import load_corpus
from bot.text import sentence_spans

SHIPPED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TABLE_HEADER = "Country Formal Relations Began Notes"
COUNTRIES = [
    "Fiji",
    "Marshall Islands",
    "Tuvalu",
    "Nauru",
    "Palau",
    "Samoa",
    "Tonga",
    "Kiribati",
    "Vanuatu",
    "Solomon Islands",
    "Micronesia",
    "Papua New Guinea",
    "Cook Islands",
    "Niue",
    "Timor-Leste",
]
MONTHS = ["January", "March", "May", "July", "September", "November"]

SETTINGS = [
    ChunkingSettings(),
    ChunkingSettings(target_chars=200, max_chars=300, overlap_sentences=1),
    ChunkingSettings(target_chars=120, max_chars=150, overlap_sentences=0),
    ChunkingSettings(target_chars=1000, max_chars=2000, overlap_sentences=2),
]


def sentence(rng: random.Random, number: int) -> str:
    words = [
        rng.choice(["embassy", "treaty", "minister", "visit", "trade", "border", "council", "pipeline"])
        for _ in range(rng.randint(4, 12))
    ]
    return f"Item {number} concerns the {' '.join(words)}."


def paragraph(rng: random.Random, first: int, count: int) -> str:
    return " ".join(sentence(rng, first + i) for i in range(count))


def table(rows: int, header: str = TABLE_HEADER) -> tuple[str, list[str]]:
    """A table block as the corpus has it: a header line, then one indented row per line."""
    lines = [
        f"{COUNTRIES[i % len(COUNTRIES)]} {i % 28 + 1} {MONTHS[i % len(MONTHS)]} {1992 + i}[{70 + i}]"
        for i in range(rows)
    ]
    return header + "\n" + "\n".join(" " + line for line in lines), lines


def assert_passage_invariants(
    text: str, passages: list[Passage], settings: ChunkingSettings, doc_id: str = "doc"
) -> None:
    """The rules every chunking keeps, whatever the sizes."""
    spans = sentence_spans(text)
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    long_sentences = [(s, e) for s, e in spans if e - s > settings.max_chars]

    def inside_long_sentence(start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in long_sentences)

    def cuts_long_sentence(position: int) -> bool:
        return any(s < position < e for s, e in long_sentences)

    assert [p.ordinal for p in passages] == list(range(len(passages)))
    for passage in passages:
        start, end = passage.span
        assert passage.doc_id == doc_id
        assert 0 <= start < end <= len(text)
        assert passage.text == text[start:end]
        assert passage.text.strip()
        # Starts and ends on sentence boundaries, unless cutting an over-long sentence.
        if start not in starts:
            assert cuts_long_sentence(start), f"passage {passage.ordinal} starts mid-sentence"
            assert text[start - 1].isspace(), "an over-long sentence is cut at a word boundary"
        if end not in ends:
            assert cuts_long_sentence(end), f"passage {passage.ordinal} ends mid-sentence"
            assert text[end].isspace(), "an over-long sentence is cut at a word boundary"
        # At most the target, unless the passage is a single sentence (or a piece of one).
        if len(passage.text) > settings.target_chars:
            single = (start, end) in set(spans) or inside_long_sentence(start, end)
            assert single, f"passage {passage.ordinal} is {len(passage.text)} chars of several sentences"
            assert len(passage.text) <= settings.max_chars
    # Passages are in document order, and no text is lost except a skipped list of citations.
    assert [p.span for p in passages] == sorted(p.span for p in passages)
    covered = bytearray(len(text))
    for passage in passages:
        covered[passage.span[0] : passage.span[1]] = b"\x01" * (passage.span[1] - passage.span[0])
    citation_lists = [(s, e) for s, e in blocks(text) if looks_like_citation_list(text[s:e])]
    for s, e in spans:
        lost = [i for i in range(s, e) if not covered[i] and not text[i].isspace()]
        if lost:
            assert any(bs <= s and e <= be for bs, be in citation_lists), f"sentence {text[s:e]!r} is in no passage"


def blocks(text: str) -> list[tuple[int, int]]:
    """Spans of the text between blank lines."""
    result, start = [], 0
    for match in re.finditer(r"\n[ \t]*\n", text):
        result.append((start, match.start()))
        start = match.end()
    result.append((start, len(text)))
    return result


def looks_like_citation_list(block: str) -> bool:
    """Mostly numbered lines ("12. "Title". Retrieved 20 May 2015."), as web pages end with."""
    lines = [line for line in block.split("\n") if line.strip()]
    numbered = sum(bool(re.match(r"\s*\d+\.\s", line)) for line in lines)
    return len(lines) >= 3 and numbered >= len(lines) / 2


# --- basic shape ------------------------------------------------------------------------------


def test_empty_and_blank_documents_have_no_passages() -> None:
    assert chunk("doc", "") == []
    assert chunk("doc", " \n\n\t \n") == []


def test_short_document_is_one_passage_without_surrounding_whitespace() -> None:
    text = "\n\n  Baku is the capital. It lies on the Caspian Sea.  \n\n"
    passages = chunk("doc", text)
    assert len(passages) == 1
    assert passages[0].text == "Baku is the capital. It lies on the Caspian Sea."
    assert passages[0].header == ""
    assert_passage_invariants(text, passages, ChunkingSettings())


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.target_chars}-{s.max_chars}-{s.overlap_sentences}")
def test_generated_documents_keep_the_invariants(settings: ChunkingSettings) -> None:
    rng = random.Random(11)
    for _ in range(20):
        blocks = [paragraph(rng, 0, rng.randint(1, 14)) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.5:
            blocks.insert(rng.randrange(len(blocks) + 1), table(rng.randint(3, 30))[0])
        if rng.random() < 0.3:
            blocks.append("Short heading")
        if rng.random() < 0.4:
            run_on = "The " + " ".join(sentence(rng, 0)[5:-1] for _ in range(rng.randint(5, 25))) + "."
            blocks[rng.randrange(len(blocks))] += " " + run_on
        text = "\n\n".join(blocks)
        assert_passage_invariants(text, chunk("doc", text, settings), settings)


def test_passages_are_at_most_the_target_when_sentences_are_short() -> None:
    settings = ChunkingSettings(target_chars=300, max_chars=600, overlap_sentences=1)
    text = "\n\n".join(paragraph(random.Random(n), 0, 12) for n in range(4))
    passages = chunk("doc", text, settings)
    assert len(passages) > 4
    assert all(len(p.text) <= settings.target_chars for p in passages)


def test_a_sentence_between_target_and_max_is_one_passage_of_its_own() -> None:
    settings = ChunkingSettings(target_chars=100, max_chars=400, overlap_sentences=1)
    long_sentence = "The treaty " + " ".join(["covers trade"] * 20) + "."
    assert settings.target_chars < len(long_sentence) <= settings.max_chars
    text = f"Before it came a visit. {long_sentence} After it came a council."
    passages = chunk("doc", text, settings)
    assert long_sentence in [p.text for p in passages]
    assert_passage_invariants(text, passages, settings)


# --- over-long sentences ----------------------------------------------------------------------


def test_over_long_sentence_is_cut_at_word_boundaries_into_pieces_up_to_max() -> None:
    settings = ChunkingSettings(target_chars=200, max_chars=300, overlap_sentences=0)
    rng = random.Random(3)
    words = " ".join(rng.choice(["pipeline", "gas", "Baku", "Ceyhan", "oil", "export"]) for _ in range(400))
    long_sentence = f"The {words}."
    text = f"Intro sentence. {long_sentence} Closing sentence."
    passages = chunk("doc", text, settings)
    assert len(passages) >= len(long_sentence) // settings.max_chars + 1
    assert all(len(p.text) <= settings.max_chars for p in passages)
    # Cut only at single spaces, nothing lost and nothing repeated.
    assert " ".join(p.text for p in passages) == text
    assert_passage_invariants(text, passages, settings)


def test_a_word_longer_than_max_is_cut_hard() -> None:
    settings = ChunkingSettings(target_chars=100, max_chars=120, overlap_sentences=0)
    text = "x" * 500
    passages = chunk("doc", text, settings)
    assert all(len(p.text) <= settings.max_chars for p in passages)
    assert "".join(p.text for p in passages) == text


# --- overlap ----------------------------------------------------------------------------------


def long_paragraph() -> str:
    return " ".join(f"Sentence {i} is about the embassy in city {i}." for i in range(30))


def test_split_paragraph_repeats_the_last_sentence_of_the_previous_passage() -> None:
    settings = ChunkingSettings(target_chars=200, max_chars=400, overlap_sentences=1)
    text = long_paragraph()
    passages = chunk("doc", text, settings)
    assert len(passages) >= 3
    for previous, current in zip(passages, passages[1:]):
        last_sentence_start = sentence_spans(text, *previous.span)[-1][0]
        assert current.span[0] == last_sentence_start
        assert current.span[1] > previous.span[1]
    assert_passage_invariants(text, passages, settings)


def test_without_overlap_passages_do_not_share_text() -> None:
    settings = ChunkingSettings(target_chars=200, max_chars=400, overlap_sentences=0)
    text = long_paragraph()
    passages = chunk("doc", text, settings)
    assert len(passages) >= 3
    for previous, current in zip(passages, passages[1:]):
        assert current.span[0] > previous.span[1]
        assert current.span[0] == sentence_spans(text, previous.span[1])[0][0]  # the very next sentence
    assert_passage_invariants(text, passages, settings)


def test_overlap_is_not_carried_across_a_paragraph_break() -> None:
    settings = ChunkingSettings(target_chars=200, max_chars=400, overlap_sentences=1)
    first, second = long_paragraph(), long_paragraph().replace("embassy", "consulate")
    text = f"{first}\n\n{second}"
    second_start = text.index(second)
    passages = chunk("doc", text, settings)
    assert any(p.span[0] == second_start for p in passages)
    assert not any(p.span[0] < second_start < p.span[1] for p in passages)


# --- paragraphs -------------------------------------------------------------------------------


def test_two_medium_paragraphs_are_not_merged() -> None:
    settings = ChunkingSettings(target_chars=500, max_chars=900, overlap_sentences=1)
    first = "Türkiye recognized Azerbaijan in 1991. Relations began in January 1992. " * 3
    second = "Embassies opened in Baku and Ankara. Consulates followed in Kars and Ganja. " * 3
    first, second = first.strip(), second.strip()
    assert len(first) >= settings.target_chars // 3
    assert len(first) + len(second) + 2 <= settings.target_chars  # they would fit together
    text = f"{first}\n\n{second}"
    passages = chunk("doc", text, settings)
    assert [p.text for p in passages] == [first, second]


def test_a_short_heading_joins_the_paragraph_after_it() -> None:
    settings = ChunkingSettings(target_chars=500, max_chars=900, overlap_sentences=1)
    body = "Türkiye recognized Azerbaijan in 1991. Relations began in January 1992."
    text = f"Political relations\n\n{body}"
    passages = chunk("doc", text, settings)
    assert [p.text for p in passages] == [text]


def test_a_paragraph_break_ends_a_passage_that_would_grow_past_the_target() -> None:
    settings = ChunkingSettings(target_chars=200, max_chars=400, overlap_sentences=1)
    first = "A short heading"
    second = " ".join(f"Sentence {i} about trade." for i in range(12))
    text = f"{first}\n\n{second}"
    passages = chunk("doc", text, settings)
    assert all(len(p.text) <= settings.target_chars for p in passages)
    assert_passage_invariants(text, passages, settings)


# --- tables -----------------------------------------------------------------------------------


def test_table_passages_after_the_first_carry_the_header() -> None:
    settings = ChunkingSettings(target_chars=200, max_chars=400, overlap_sentences=1)
    body, rows = table(40)
    intro = "Azerbaijan established relations with these Pacific states."
    text = f"{intro}\n\n{body}\n\nNo relations"
    passages = chunk("doc", text, settings)
    header_start = text.index(TABLE_HEADER)
    rows_start = header_start + len(TABLE_HEADER) + 1
    table_end = header_start + len(body)
    holding_header = [p for p in passages if p.span[0] <= header_start < p.span[1]]
    assert len(holding_header) == 1 and holding_header[0].header == ""
    later = [p for p in passages if rows_start <= p.span[0] < table_end]
    assert len(later) >= 2
    assert all(p.header == TABLE_HEADER for p in later)
    assert all(TABLE_HEADER not in p.text for p in later)
    assert all(p.header == "" for p in passages if p.span[0] < header_start or p.span[0] >= table_end)
    # Every row stays whole in some passage, and each row is on a line of its own there.
    for row in rows:
        assert any(row in p.text.split("\n") or row in [line.strip() for line in p.text.split("\n")] for p in passages)
    assert_passage_invariants(text, passages, settings)


def test_corpus_like_table_rows_each_stay_whole() -> None:
    settings = ChunkingSettings(target_chars=100, max_chars=150, overlap_sentences=0)
    text = (
        f"{TABLE_HEADER}\n Fiji 19 March 2010[72]\n Marshall Islands 10 March 2010[73]\n"
        " Tuvalu 16 September 2009[74]\n Nauru 1 May 2012[75]\n Palau 2 June 2013[76]"
    )
    passages = chunk("doc", text, settings)
    assert len(passages) >= 2
    for row in text.split("\n")[1:]:
        assert any(row.strip() in [line.strip() for line in p.text.split("\n")] for p in passages)
    assert all(p.header == TABLE_HEADER for p in passages[1:])
    assert_passage_invariants(text, passages, settings)


def test_a_block_of_ordinary_sentences_has_no_header() -> None:
    text = "\n".join(f"Line {i} is a full sentence about trade." for i in range(30))
    passages = chunk("doc", text, ChunkingSettings(target_chars=120, max_chars=200))
    assert len(passages) > 1
    assert all(p.header == "" for p in passages)


# --- reference lists -------------------------------------------------------------------------

CITATIONS = """  1. "Azerbaijan, Fiji establish diplomatic relations" 18 March 2010. Retrieved 21 March 2010.
  2. "Embassy of Pakistan in Azerbaijan". Retrieved 20 February 2015.
  3. Azerbaijan MFA – diplomatic relations Archived 8 March 2012 at the Wayback Machine.
  4. Embassy of Azerbaijan in Pakistan
  5. "Fighting Intensifies". The New York Times. p. 10. Retrieved 6 August 2013."""


def test_a_numbered_list_of_citations_is_left_out() -> None:
    article = "Azerbaijan and Fiji established diplomatic relations on 19 March 2010."
    text = f"{article}\n\n{CITATIONS}"
    passages = chunk("doc", text)
    assert [p.text for p in passages] == [article]
    assert_passage_invariants(text, passages, ChunkingSettings())


def test_a_numbered_list_of_ordinary_points_is_kept() -> None:
    points = "\n".join(f"  {i}. Open a consulate in city number {i}" for i in range(1, 7))
    text = f"The plan has six points.\n\n{points}"
    passages = chunk("doc", text)
    for i in range(1, 7):
        assert any(f"{i}. Open a consulate in city number {i}" in p.text for p in passages)


# --- shipped corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.target_chars}-{s.max_chars}-{s.overlap_sentences}")
def test_shipped_corpus_chunks_with_the_invariants(settings: ChunkingSettings) -> None:
    corpus = load_corpus(SHIPPED_CORPUS)
    assert corpus.documents
    for document in corpus.documents:
        passages = chunk(document.doc_id, document.text, settings)
        assert passages
        assert_passage_invariants(document.text, passages, settings, doc_id=document.doc_id)


def test_shipped_table_rows_are_found_with_their_header() -> None:
    corpus = load_corpus(SHIPPED_CORPUS)
    settings = ChunkingSettings(target_chars=120, max_chars=200, overlap_sentences=1)
    document = next(d for d in corpus.documents if "Fiji 19 March 2010" in d.text)
    passages = chunk(document.doc_id, document.text, settings)
    for row in ["Fiji 19 March 2010[72]", "Marshall Islands 10 March 2010[73]", "Tuvalu 16 September 2009[74]"]:
        holding = [p for p in passages if row in p.text]
        assert holding, row
        assert all(p.header == TABLE_HEADER or p.text.startswith(TABLE_HEADER) for p in holding)


# --- structure --------------------------------------------------------------------------------


def _structured(*blocks: tuple[str, str]) -> tuple[str, tuple]:
    """A document built as the readers build one: (kind, text) blocks, kinds as StructuredText's."""
    from bot.structure import StructuredText

    built = StructuredText()
    for kind, text in blocks:
        if kind == "h1":
            built.heading(text, 1)
        elif kind == "h2":
            built.heading(text, 2)
        elif kind == "code":
            built.code(text)
        elif kind == "items":
            built.items(text.split("\n"), "•")
        else:
            built.paragraph(text)
    document = built.build()
    return document.text, document.marks


def test_prose_wrapped_at_79_columns_is_a_paragraph_not_a_table() -> None:
    wrapped = (
        "Passwords are stored with the PBKDF2 algorithm by default, which is a secure\n"
        "choice for most projects. You can switch to Argon2 or bcrypt by listing the\n"
        "hasher first in the setting, and existing passwords are upgraded when their\n"
        "users log in next time."
    )
    passages = chunk("doc", f"Password storage\n\n{wrapped}", ChunkingSettings(target_chars=200, max_chars=400))
    assert all(p.header == "" for p in passages)


def test_a_sentence_leading_in_to_code_is_one_unit_with_it_even_past_a_blank_line_inside() -> None:
    text, marks = _structured(
        ("p", "Some words come first to fill the passage. " * 8),
        ("p", "To check the status of a service, run:"),
        ("code", "systemctl status foo.service\n\n# and for its log\njournalctl -u foo"),
    )
    passages = chunk("doc", text, ChunkingSettings(target_chars=200, max_chars=400), marks)
    (holding,) = [p for p in passages if "journalctl -u foo" in p.text]
    assert holding.text.startswith("To check the status of a service, run:")
    assert "systemctl status foo.service\n\n# and for its log\njournalctl -u foo" in holding.text


def test_a_sentence_ending_in_a_colon_leads_in_to_a_list() -> None:
    text, marks = _structured(("p", "The package has three states:"), ("items", "install\nremove\npurge"))
    (passage,) = chunk("doc", text, ChunkingSettings(), marks)
    assert passage.text == "The package has three states:\n\n• install\n• remove\n• purge"


def test_passages_do_not_cross_headings_and_carry_their_path_without_the_title() -> None:
    text, marks = _structured(
        ("h1", "The Manual"),
        ("p", "An introduction."),
        ("h2", "Installing"),
        ("p", "Run the installer."),
        ("h2", "Removing"),
        ("p", "Run the uninstaller."),
    )
    passages = chunk("doc", text, ChunkingSettings(), marks, title="The Manual")
    assert [(p.text, p.section) for p in passages] == [
        ("An introduction.", ()),
        ("Run the installer.", ("Installing",)),
        ("Run the uninstaller.", ("Removing",)),
    ]


def test_a_plain_text_document_without_marks_chunks_as_before() -> None:
    text = "Political relations\n\nTürkiye recognized Azerbaijan in 1991. Relations began in January 1992."
    assert [p.text for p in chunk("doc", text)] == [text]
    assert chunk("doc", text)[0].section == ()


def test_a_sentence_going_on_in_lower_case_after_a_command_is_one_unit_with_it() -> None:
    text, marks = _structured(
        ("p", "Some words come first to fill the passage. " * 8),
        ("code", "$ pg_ctl start -l logfile"),
        ("p", "will start the server in the background and put the output into the named log file."),
        ("p", "The -D option has the same meaning here as for postgres."),
    )
    passages = chunk("doc", text, ChunkingSettings(target_chars=200, max_chars=400), marks)
    (holding,) = [p for p in passages if "pg_ctl start" in p.text]
    assert holding.text.startswith("$ pg_ctl start -l logfile\n\nwill start the server")
