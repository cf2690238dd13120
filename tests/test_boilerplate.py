"""Tests for bot.boilerplate: text that many documents repeat is left out of them, structure kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bot import boilerplate
from bot.boilerplate import BlockHashes, common, digests, strip, threshold, with_removed
from bot.chunking import chunk
from bot.config import load_config
from bot.corpus import Document
from bot.engine import Engine
from bot.structure import CODE, HEADING, LIST, StructuredText

ROOT = Path(__file__).resolve().parent.parent
FOOTER = "© 2024 Vorlund Water Office. Found a bug? Write to us. Last updated on 3 May 2024."
SEARCH_HINT = "Enter search terms or a station name."
SHARED = "The Vorlund gauges were calibrated together in 1998 by the river office, as both reports recall."


def document(doc_id: str, text: StructuredText) -> Document:
    built = text.build()
    return Document(doc_id, doc_id, built.text, Path(doc_id), marks=built.marks)


def page(number: int) -> StructuredText:
    """A page of a station manual: its own content, a sidebar heading over furniture, a footer."""
    text = StructuredText()
    text.heading(f"Station {number}", 1)
    text.paragraph(f"Station {number} measures the river level every {number + 2} minutes.")
    text.heading("Setup", 2)
    text.code(f"gauge --station {number}\n\n    --interval {number + 2}")
    text.items([f"Sensor {number}a", f"Sensor {number}b"], "•")
    text.heading("Quick search", 2)
    text.paragraph(SEARCH_HINT)
    text.paragraph(FOOTER)
    return text


def hashes_of(documents: list[Document]) -> BlockHashes:
    read = BlockHashes.of([digests(d.text, d.marks) for d in documents])
    return with_removed(read, common([read]))


def stripped(documents: list[Document]) -> list[Document]:
    read = hashes_of(documents)
    return [strip(d, read.removed_of(i)) for i, d in enumerate(documents)]


def mark_texts(document: Document) -> list[tuple[int, str]]:
    return [(mark.kind, document.text[mark.start : mark.end]) for mark in document.marks]


# --- the rule ---------------------------------------------------------------------------------


def test_a_block_is_hashed_the_same_whatever_its_case_and_spacing_but_digits_count() -> None:
    assert digests("Found a bug?\n\nVersion 3") == digests("FOUND  a\nbug?\n\n\n  version 3")
    assert digests("Version 3") != digests("Version 4")
    assert len(digests("One.\n\nTwo.\n\nOne.")) == 3 * 8  # in order, repeats too


def test_headings_are_not_counted_but_code_with_blank_lines_is_one_block() -> None:
    text = StructuredText()
    text.heading("Setup", 2)
    text.code("a = 1\n\nb = 2")
    built = text.build()
    assert digests(built.text, built.marks) == digests("a = 1 b = 2")


def test_the_threshold_is_a_share_of_the_corpus_never_a_count_alone() -> None:
    assert threshold(5) == threshold(17) == boilerplate.MIN_DOCUMENTS
    assert threshold(93) == 38 and threshold(63_815) == 25_526


def test_a_corpus_too_small_has_no_boilerplate() -> None:
    documents = [document(f"p{n}.txt", page(n)) for n in range(boilerplate.MIN_DOCUMENTS - 1)]
    assert stripped(documents) == documents


def test_furniture_on_many_pages_goes_with_the_heading_over_it() -> None:
    documents = [document(f"p{n:02}.txt", page(n)) for n in range(12)]
    for before, after in zip(documents, stripped(documents), strict=True):
        assert FOOTER not in after.text and SEARCH_HINT not in after.text and "Quick search" not in after.text
        kept = [(kind, text) for kind, text in mark_texts(before) if text != "Quick search"]
        assert mark_texts(after) == kept  # every other heading, code block and list, where it was
        assert after.text == before.text[: before.text.index("\n\nQuick search")]
        assert [p.section for p in chunk(after.doc_id, after.text, marks=after.marks)] == [
            (before.text[: before.text.index("\n")],),
            (before.text[: before.text.index("\n")], "Setup"),
        ]


def test_what_a_few_documents_share_stays() -> None:
    documents = [document(f"p{n:02}.txt", page(n)) for n in range(12)]
    for n in (3, 8):
        text = page(n)
        text.paragraph(SHARED)
        documents[n] = document(f"p{n:02}.txt", text)
    after = stripped(documents)
    assert [d.doc_id for d in after if SHARED in d.text] == ["p03.txt", "p08.txt"]


def test_a_heading_keeps_its_place_when_its_section_keeps_anything() -> None:
    documents = []
    for n in range(12):
        text = StructuredText()
        text.heading("Contents", 1)
        text.paragraph(FOOTER)
        text.heading(f"Part {n}", 2)
        text.paragraph(f"Part {n} is about weir {n}.")
        text.heading("Search", 2)
        text.paragraph(SEARCH_HINT)
        text.heading("Empty from the start", 2)
        documents.append(document(f"p{n:02}.txt", text))
    after = stripped(documents)[0]
    assert after.text == "Contents\n\nPart 0\n\nPart 0 is about weir 0.\n\nEmpty from the start"
    assert mark_texts(after) == [(HEADING, "Contents"), (HEADING, "Part 0"), (HEADING, "Empty from the start")]


def test_a_document_made_only_of_boilerplate_keeps_it() -> None:
    copies = [Document(f"copy-{n:02}.txt", "Copy", f"{FOOTER}\n\n{SEARCH_HINT}", Path("c")) for n in range(11)]
    others = [Document(f"o{n}.txt", "Other", f"Weir {n} is low.\n\n{FOOTER}", Path("o")) for n in range(3)]
    after = stripped(copies + others)
    assert after[:11] == copies
    assert [d.text for d in after[11:]] == [f"Weir {n} is low." for n in range(3)]


def test_strip_keeps_what_it_does_not_remove_as_it_was() -> None:
    text = "Intro   line\n\n\n  indented code?\n \nFOOTER\n\nLast words.  \n"
    removed = {int.from_bytes(digests("footer"), "little")}
    after = strip(Document("d", "d", text, Path("d")), removed).text
    assert after == "Intro   line\n\n\n  indented code?\n\nLast words.  \n"


def test_block_hashes_select_and_join_by_document() -> None:
    read = BlockHashes.of([digests("a\n\nb\n\na"), b"", digests("c")])
    assert np.diff(read.offsets).tolist() == [2, 0, 1]  # a repeated block counts once
    picked = read.select(np.array([2, 0]))
    assert picked.hashes.tolist() == read.hashes[[2, 0, 1]].tolist()
    assert boilerplate.joined([read.select(np.array([0])), read.select(np.array([1, 2]))]).hashes.tolist() == (
        read.hashes.tolist()
    )


# --- in the index -----------------------------------------------------------------------------


def html_page(number: int, extra: str = "") -> str:
    """A generated site's page: furniture in plain <div>s the HTML reader cannot tell from content."""
    return f"""<html><head><title>Station {number}</title></head><body>
<div class="top"><p>Download the handbook</p><p><a href="a.html">Prev</a> / Index / <a href="b.html">Next</a></p></div>
<div class="content"><h1>Station {number}</h1>
<p>Station {number} measures the river level every {number + 2} minutes.</p>
<h2>Setup</h2><pre>gauge --station {number}</pre>{extra}</div>
<div class="aside"><h3>Quick search</h3><p>{SEARCH_HINT}</p></div>
<div class="bottom"><p>{FOOTER}</p></div></body></html>"""


def site(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(10):
        extra = f"<p>{SHARED}</p>" if n in (2, 7) else ""
        (corpus / f"station-{n}.html").write_text(html_page(n, extra), encoding="utf-8")
    for n in range(4):
        (corpus / f"note-{n}.txt").write_text(f"Note {n}\n\nWeir {n} was rebuilt in 19{n}0.\n\n{FOOTER}\n", "utf-8")
    return tmp_path


def test_furniture_is_in_no_passage_and_a_shared_paragraph_stays(tmp_path: Path) -> None:
    root = site(tmp_path)
    config = load_config(ROOT / "config.example.yaml", {}, corpus=root / "corpus", index=root / "index")
    engine = Engine(config, notify=lambda message: None)
    report = engine.reindex()
    built = engine.index
    texts = [passage.text for passage in built.passages]
    for furniture in ("Download the handbook", "Prev", "Quick search", SEARCH_HINT, "Found a bug"):
        assert not any(furniture in text for text in texts), furniture
    assert sorted({p.doc_id for p in built.passages if SHARED in p.text}) == ["station-2.html", "station-7.html"]
    assert report.boilerplate == 14 + 10 + 10  # the footer everywhere; "Download…" and the search hint on pages
    for position, info in enumerate(built.documents):
        text = built.document_texts[position]
        marks = built.marks_of(position)
        if info.doc_id.endswith(".html"):
            number = info.doc_id.removeprefix("station-").removesuffix(".html")
            assert [(m.kind, text[m.start : m.end]) for m in marks] == [
                (HEADING, f"Station {number}"),
                (HEADING, "Setup"),
                (CODE, f"gauge --station {number}"),
            ]
    assert SHARED in engine.ask("When were the Vorlund gauges calibrated?").results[0].text


def test_a_list_is_a_block_too() -> None:
    documents = []
    for n in range(10):
        text = StructuredText()
        text.paragraph(f"Weir {n} is on the map.")
        text.items(["Home", "About", "Contact"], "•")
        documents.append(document(f"p{n}.txt", text))
    after = stripped(documents)
    assert [d.text for d in after] == [f"Weir {n} is on the map." for n in range(10)]
    assert all(not any(m.kind == LIST for m in d.marks) for d in after)
    assert dataclasses.replace(after[0], text=documents[0].text, marks=documents[0].marks) == documents[0]
