"""Answer → what a person reads: console text, Telegram HTML, and the JSON answer schema.

A passage's code blocks and tables (`Result.code`) keep their lines: the console does not re-wrap
them, and Telegram shows them in <pre>. Telegram lets no bold or italic entity contain or sit
inside a <pre>, so an answer that holds code is bold in its prose only; when the answer is code
alone (a command line, a table row), its lines stand in a <pre> of their own under a bold line
saying what they answer (the sentence leading in to them, or the table's header).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from .answer import Answer, Result
from .index import DocumentInfo
from .text import sentence_spans
from .translations import ENGLISH, N_, Translator

_WIDTH = 88
TELEGRAM_LIMIT = 4096  # characters in one message
EXCERPT_CHARS = 600  # of passage text around the answering sentence in a reply
_TITLE_CHARS = 200
_SECTION_CHARS = 60  # of each heading in a source line
_SECTION_LEVELS = 3  # shown of a deeper section path: the outermost and the innermost two
_LABEL_CHARS = 200  # of the bold line over an answer that is code alone
_POINTER = "▸"  # that line, when nothing says what the code answers
_NO_MATCH = N_("No passage in the documents matches that question.")

Span = tuple[int, int]


def answer_json(answer: Answer) -> dict[str, Any]:
    """The documented answer schema (README, "JSON answers"); keys may be added, never removed.
    `passage` counts from 1, as replies, `citebot feedback` and its JSON do."""
    data = stored_json(answer)
    for result in data["results"]:
        result["passage"] += 1
    return data


def stored_json(answer: Answer) -> dict[str, Any]:
    """The answer as the bot keeps it for its buttons (`passage` counted from 0, as it always was)."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": answer.confidence,
        "note": answer.note,
        "corrected": answer.corrected,
        "understood": answer.understood,
        "results": [
            {
                "doc": r.doc_id,
                "title": r.title,
                "passage": r.ordinal,
                "text": r.text,
                "highlight": r.highlight,
                "score": r.score,
                "also_in": list(r.also_in),
                "header": r.header,
                "url": r.url,
                "section": list(r.section),
                "code": [list(span) for span in r.code],
            }
            for r in answer.results
        ],
    }


def answer_from_json(data: Mapping[str, Any]) -> Answer:
    """The inverse of stored_json, for answers kept on disk (those stored before a key was added too)."""
    return Answer(
        question=data["question"],
        answered=data["answered"],
        confidence=data["confidence"],
        note=data["note"],
        corrected=data.get("corrected", ""),
        understood=data.get("understood", ""),
        results=tuple(
            Result(
                doc_id=r["doc"],
                title=r["title"],
                ordinal=r["passage"],
                text=r["text"],
                highlight=r["highlight"],
                score=r["score"],
                also_in=tuple(r["also_in"]),
                header=r["header"],
                url=r["url"],
                section=tuple(r.get("section", ())),
                code=tuple((int(start), int(end)) for start, end in r.get("code", ())),
            )
            for r in data["results"]
        ),
    )


def section_path(section: Sequence[str]) -> str:
    """The headings a passage sits under, joined by " › " and shortened to fit a line or two:
    each heading cut to a readable length, and of a deep path the outermost and the innermost two."""
    levels = [cut(" ".join(heading.split()), _SECTION_CHARS) for heading in section]
    if len(levels) > _SECTION_LEVELS:
        levels = [levels[0], "…", *levels[-(_SECTION_LEVELS - 1) :]]
    return " › ".join(levels)


def cited_place(result: Result) -> str:
    """The document's title and the section path of a result: "Debian FAQ › 7.5. What is a conffile?"."""
    path = section_path(result.section)
    return f"{result.title} › {path}" if path else result.title


# --- where an excerpt starts and stops ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Excerpt:
    """A window of a passage's text to show, the part of it to mark as the answer, and its code."""

    text: str
    code: tuple[Span, ...]  # sorted, within the text, not overlapping
    start: int
    stop: int
    at: int = 0  # the answer shown: text[at:end]
    end: int = 0
    cut: bool = False  # the answer was longer than the budget and is cut at `end`


def _code_spans(text: str, code: Sequence[Span]) -> tuple[Span, ...]:
    """Code spans made safe to use: within the text, sorted, overlapping ones joined."""
    spans: list[Span] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in code):
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return tuple(spans)


def _code_at(code: Sequence[Span], position: int) -> Span | None:
    return next((span for span in code if span[0] <= position < span[1]), None)


def _units(text: str, code: Sequence[Span]) -> list[Span]:
    """What an excerpt is cut between: the sentences of prose and the lines of code."""
    units: list[Span] = []
    position = 0
    for start, end in code:
        units.extend(sentence_spans(text, position, start))
        line = start
        while line < end:
            line_end = text.find("\n", line, end)
            line_end = end if line_end == -1 else line_end
            if text[line:line_end].strip():
                units.append((line, line_end))
            line = line_end + 1
        position = end
    units.extend(sentence_spans(text, position, len(text)))
    return units


def _cut_back(text: str, code: Sequence[Span], position: int, floor: int) -> int:
    """Where to end a piece of text that must stop by `position`: at a line of code, else at a word."""
    span = _code_at(code, position)
    if span is not None:
        newline = text.rfind("\n", max(span[0], floor), position)
        if newline > floor:
            return newline
        return span[0] if span[0] > floor else position
    region = max([floor, *(end for _, end in code if end <= position)])
    space = text.rfind(" ", region, position)
    if space > floor:
        return space
    return region if region > floor else position


def _cut_forward(text: str, code: Sequence[Span], position: int, ceiling: int) -> int:
    """Where to start a piece of text that must start from `position`: at a line of code, else at a word."""
    span = _code_at(code, position)
    if span is not None:
        if position == span[0] or text[position - 1] == "\n":
            return position
        newline = text.find("\n", position, min(span[1], ceiling))
        return newline + 1 if newline != -1 else min(span[1], ceiling)
    region = min([ceiling, *(start for start, _ in code if start >= position)])
    space = text.find(" ", position, region)
    if space != -1:
        return space + 1
    return region if region < ceiling else position


def _window(text: str, at: int, end: int, budget: int, code: Sequence[Span] = ()) -> Span:
    """The stretch of `text` around text[at:end] that stays near `budget` characters, taking whole
    sentences (and lines of code) from both sides in turn."""
    units = _units(text, code)
    left = [s for s in units if s[1] <= at]
    right = [s for s in units if s[0] >= end]
    start, stop = at, end
    room = budget - (end - at)
    while room > 0 and (left or right):
        took = False
        for side in (right, left):
            if not side:
                continue
            span = side[0] if side is right else side[-1]
            size = span[1] - span[0] + 1
            if size > room:
                side.clear()
                continue
            room -= size
            took = True
            if side is right:
                stop = side.pop(0)[1]
            else:
                start = side.pop()[0]
        if not took:
            break
    return start, stop


def _excerpt(text: str, highlight: str, budget: int, code: Sequence[Span] = ()) -> _Excerpt | None:
    """The answer in `text` with what fits of its surroundings; None when `highlight` is not in it."""
    at = text.find(highlight)
    if at < 0 or not highlight:
        return None
    spans = _code_spans(text, code)
    end = at + len(highlight)
    if end - at > budget:
        shown = _cut_back(text, spans, at + budget, at)
        return _Excerpt(text, spans, at, shown, at, shown, cut=True)
    start, stop = _window(text, at, end, budget, spans)
    return _Excerpt(text, spans, start, stop, at, end)


def _head(text: str, limit: int, code: Sequence[Span] = ()) -> _Excerpt:
    """The start of a text, up to about `limit` characters."""
    spans = _code_spans(text, code)
    stop = len(text) if len(text) <= limit else _cut_back(text, spans, limit, 0)
    return _Excerpt(text, spans, 0, stop)


def _tail(text: str, limit: int, code: Sequence[Span] = ()) -> _Excerpt:
    """The end of a text, up to about `limit` characters."""
    spans = _code_spans(text, code)
    start = 0 if len(text) <= limit else _cut_forward(text, spans, len(text) - limit, len(text))
    return _Excerpt(text, spans, start, len(text))


def excerpt_around(text: str, highlight: str, budget: int) -> tuple[str, str]:
    """The text before and after `highlight` in `text`, cut at sentence boundaries so that the
    whole excerpt stays near `budget` characters; a cut is marked with an ellipsis. (What replies
    show of prose, as plain strings.)"""
    excerpt = _excerpt(text, highlight, budget)
    if excerpt is None:
        return "", ""
    start, at, end, stop = excerpt.start, excerpt.at, excerpt.at + len(highlight), excerpt.stop
    before = text[start:at] if start == 0 else "… " + text[start:at]
    after = text[end:stop] if stop >= len(text.rstrip()) else text[end:stop] + " …"
    return before, after


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    code: bool
    answer: bool


def _pieces(excerpt: _Excerpt) -> list[_Piece]:
    """The excerpt split where code starts or ends and where the answer starts or ends."""
    points = {excerpt.start, excerpt.stop}
    for position in (excerpt.at, excerpt.end, *(p for span in excerpt.code for p in span)):
        if excerpt.start < position < excerpt.stop:
            points.add(position)
    ordered = sorted(points)
    return [
        _Piece(start, end, _code_at(excerpt.code, start) is not None, excerpt.at <= start < excerpt.end)
        for start, end in zip(ordered, ordered[1:])
    ]


# --- console ------------------------------------------------------------------------------


def console_text(answer: Answer, limit: int | None = None, tr: Translator = ENGLISH) -> str:
    """The answer for a terminal: the answering sentence, its passage, and where it comes from."""
    results = answer.results[:limit] if limit else answer.results
    if not results:
        return note(answer, tr) or tr.gettext(_NO_MATCH)
    blocks: list[str] = []
    if answer.understood:
        blocks.append(_wrap(f"↪ {answer.understood}"))
    if answer.corrected:
        blocks.append(tr.gettext("Showing results for “{corrected}”.").format(corrected=answer.corrected))
    if not answer.answered:
        blocks.append(note(answer, tr))
    for rank, result in enumerate(results, start=1):
        blocks.append(_result_text(rank, result, lead=answer.answered and rank == 1, tr=tr))
    return "\n\n".join(blocks)


def note(answer: Answer, tr: Translator = ENGLISH) -> str:
    """The engine's note on an answer (why it abstains), in the reader's language."""
    return tr.gettext(answer.note) if answer.note else ""


def console_reply(answer: Answer, tr: Translator = ENGLISH) -> str:
    """The console chat's reply: the first result, and how many more :more shows."""
    hidden = len(answer.results) - 1
    more = ""
    if hidden > 0:
        more = "\n\n" + tr.ngettext(
            "(:more for {count} more result)", "(:more for {count} more results)", hidden
        ).format(count=hidden)
    return console_text(answer, limit=1, tr=tr) + more


def console_more(answer: Answer, start: int = 1, tr: Translator = ENGLISH) -> str:
    """The results after the first `start`, numbered by rank (the console chat's :more)."""
    return "\n\n".join(
        _result_text(rank, result, lead=False, tr=tr)
        for rank, result in enumerate(answer.results[start:], start=start + 1)
    )


def _result_text(rank: int, result: Result, lead: bool, tr: Translator) -> str:
    """One result: the passage with its answer marked, under where it comes from. The answer is shown
    once: on its own line when its passage does not hold it as it is, else marked in the passage.
    Results are numbered by rank, without BM25 scores: the rank weighs more than the score."""
    whole = _excerpt(result.text, result.highlight, len(result.text), result.code)
    if whole is None:  # an answer that is not in its passage: the passage as it is
        whole = _head(result.text, len(result.text), result.code)
    lines = []
    if lead and whole.end == whole.at:
        lines += [_wrap(f"» {' '.join(result.highlight.split())}"), ""]
    excerpt = _excerpt_text(whole)
    if result.header and result.header not in result.text:
        excerpt = f"{_wrap(f'[{result.header}]')}\n…\n{excerpt}"
    lines.append(textwrap.indent(excerpt, "  "))
    lines.append(f"  — {source_line(result, tr)}  (#{rank})")
    return "\n".join(lines)


def _code_alone(excerpt: _Excerpt) -> bool:
    """Whether the answer shown is all code (a command, lines of a table), with no prose of its own."""
    answer = [piece for piece in _pieces(excerpt) if piece.answer]
    return any(piece.code for piece in answer) and all(
        piece.code or not excerpt.text[piece.start : piece.end].strip() for piece in answer
    )


def _excerpt_text(excerpt: _Excerpt) -> str:
    """An excerpt for a terminal: prose wrapped with the answer in «…», code lines kept as they are,
    indented, the answer's lines marked "»" in the margin."""
    out = ""
    prose = ""
    for piece in _pieces(excerpt):
        part = excerpt.text[piece.start : piece.end]
        if not piece.code:
            prose += _marked(part) if piece.answer else part
            continue
        out += _wrap(prose)
        prose = ""
        if out and not out.endswith("\n"):
            out += "\n"
        gutter = "» " if piece.answer else "  "
        out += "\n".join(gutter + line if line.strip() else "" for line in part.strip("\n").split("\n"))
        if part.endswith("\n"):
            out += "\n"
    return out + _wrap(prose)


def _marked(part: str) -> str:
    """«part», its surrounding whitespace left outside the marks."""
    content = part.strip()
    if not content:
        return part
    lead = part[: len(part) - len(part.lstrip())]
    trail = part[len(part.rstrip()) :]
    return f"{lead}«{content}»{trail}"


def source_line(result: Result, tr: Translator = ENGLISH) -> str:
    """Where a passage comes from: document title and section, file, passage number, other versions."""
    line = f"{cited_place(result)} · {result.doc_id} · {passage_label(result, tr)}"
    if result.url:
        line += f" · {result.url}"
    if result.also_in:
        line += " · " + tr.gettext("also in {documents}").format(documents=", ".join(result.also_in))
    return line


def passage_label(result: Result, tr: Translator = ENGLISH) -> str:
    """ "passage 3": which passage of its document a result is, counted from 1."""
    return tr.gettext("passage {number}").format(number=result.ordinal + 1)


def _wrap(text: str) -> str:
    return "\n".join(
        textwrap.fill(line, _WIDTH, break_on_hyphens=False) if line.strip() else "" for line in text.split("\n")
    )


# --- Telegram HTML ------------------------------------------------------------------------
# Every piece of document or user text goes through escape(); tags are only added here.
# Telegram's nesting rule: <b>, <i> and <a> may not contain a <pre> or sit inside one.


def reply_html(answer: Answer, tr: Translator = ENGLISH) -> str:
    """A reply to a question: the answering sentence in bold inside an excerpt, then its source.

    Unanswered, the engine's note and the closest passages, shorter. Always fits one message.
    """
    if not answer.results:
        return escape(note(answer, tr) or tr.gettext(_NO_MATCH))
    preface = f"↪ <i>{escape(cut(answer.understood, 300))}</i>\n\n" if answer.understood else ""
    if answer.corrected:
        corrected = escape(cut(answer.corrected, 300))
        preface += tr.gettext("Showing results for <i>{corrected}</i>").format(corrected=corrected) + "\n\n"
    if answer.answered:
        return _fitted(lambda budget: preface + result_html(answer.results[0], budget, tr), tr=tr)
    return _fitted(
        lambda budget: (
            preface
            + "\n\n".join(
                [f"<i>{escape(note(answer, tr))}</i>"]
                + [f"{rank}. {result_html(r, budget // 2, tr)}" for rank, r in enumerate(answer.results, start=1)]
            )
        ),
        tr=tr,
    )


def more_html(answer: Answer, start: int, tr: Translator = ENGLISH) -> str:
    """The results after the first `start` ones, numbered as in the full list."""
    heading = tr.gettext("More for <i>{question}</i>:").format(question=escape(answer.question))
    return _fitted(
        lambda budget: "\n\n".join(
            [heading]
            + [
                f"{rank}. {result_html(r, budget // 2, tr)}"
                for rank, r in enumerate(answer.results[start:], start=start + 1)
            ]
        ),
        tr=tr,
    )


def result_html(result: Result, budget: int = EXCERPT_CHARS, tr: Translator = ENGLISH) -> str:
    """One cited passage: its excerpt around the answer, then where it comes from."""
    excerpt = _excerpt(result.text, result.highlight, budget, result.code)
    if excerpt is None:
        body, labelled = f"<b>{escape(cut(result.highlight, budget))}</b>", False
    else:
        body, labelled = _excerpt_html(excerpt, result.header)
    shown_header = result.header and result.header not in result.text and not labelled
    header = f"<i>{escape(result.header)}</i>\n" if shown_header else ""
    return f"{header}{body}\n— {source_html(result, tr)}"


def source_html(result: Result, tr: Translator = ENGLISH) -> str:
    title = escape(cut(result.title, _TITLE_CHARS))
    if result.url:
        title = f'<a href="{escape(result.url, quote=True)}">{title}</a>'
    path = section_path(result.section)
    line = f"{title} › {escape(path)}" if path else title
    line += f" · {escape(result.doc_id)} · {passage_label(result, tr)}"
    if result.also_in:
        line += " · " + tr.gettext("also in {documents}").format(documents=escape(", ".join(result.also_in)))
    return line


def context_html(
    document: DocumentInfo,
    passages: Sequence[tuple[int, str]],
    current: int,
    highlight: str = "",
    *,
    section: Sequence[str] = (),
    code: Mapping[int, Sequence[Span]] | None = None,
    header: str = "",
    tr: Translator = ENGLISH,
) -> str:
    """A passage in full with the end of the one before and the start of the one after.

    `section` is the current passage's section path, `code` each passage's code spans by ordinal,
    `header` what leads in to the highlight when it is a line of code or a row (`Result.header`).
    """
    code = code or {}

    def build(budget: int) -> str:
        path = section_path(section)
        title = f"<b>{escape(document.title)}</b>" + (f" › {escape(path)}" if path else "")
        blocks = [f"{title} · {escape(document.doc_id)}"]
        for ordinal, text in passages:
            label = tr.gettext("<i>passage {number} of {count}</i>").format(
                number=ordinal + 1, count=document.passage_count
            )
            spans = code.get(ordinal, ())
            if ordinal < current:
                shown = _excerpt_html(_tail(text, budget // 6, spans))[0]
            elif ordinal > current:
                shown = _excerpt_html(_head(text, budget // 6, spans))[0]
            else:
                excerpt = _excerpt(text, highlight, budget, spans) if highlight else None
                shown = _excerpt_html(excerpt or _head(text, budget, spans), header)[0]
            blocks.append(f"{label}\n{shown}")
        return "\n\n".join(blocks)

    return _fitted(build, TELEGRAM_LIMIT - 300, tr)


def _excerpt_html(excerpt: _Excerpt, lead: str = "") -> tuple[str, bool]:
    """An excerpt as Telegram HTML, and whether `lead` was used to label an answer that is code alone.

    Prose is escaped and the answer's prose is bold; code goes in <pre>, never inside or around
    a <b>. An answer that is code alone gets its own <pre>, under its lead in bold: the lead-in
    sentence bold where it stands when it comes right before, else a bold line of its own (the
    lead, or "▸" without one).
    """
    text = excerpt.text
    pieces = _pieces(excerpt)
    label = -1  # the piece a bold label goes before
    labelled = False
    if _code_alone(excerpt):
        first = next(i for i, piece in enumerate(pieces) if piece.answer and piece.code)
        before = next((p for p in reversed(pieces[:first]) if text[p.start : p.end].strip()), None)
        lead = lead.strip()
        leading = text[before.start : before.end].rstrip() if before is not None and not before.code else ""
        if lead and leading.endswith(lead):  # the lead-in right before the code: bold where it stands
            place, tail = pieces.index(before), before.start + len(leading) - len(lead)
            pieces[place : place + 1] = [
                _Piece(before.start, tail, code=False, answer=False),
                _Piece(tail, before.end, code=False, answer=True),
            ]
            labelled = True
        elif lead or any(not p.answer and text[p.start : p.end].strip() for p in pieces):
            label, labelled = first, bool(lead)
    parts: list[tuple[bool, str]] = []  # (a <pre>, its HTML)
    if excerpt.start > 0:
        parts.append((False, "… "))
    for i, piece in enumerate(pieces):
        if i == label:
            shown = cut(" ".join(lead.split()), _LABEL_CHARS) if lead else _POINTER
            parts.append((False, f"<b>{escape(shown)}</b>"))
        part = text[piece.start : piece.end]
        if piece.code:
            if part.strip():  # its lines, indentation and all, without the line breaks around them
                lines = part.strip("\n")
                parts.append((True, f"<pre>{escape(lines)}</pre>"))
        elif piece.answer:
            parts.append((False, _bold(part, excerpt.cut and piece.end == excerpt.end)))
        else:
            parts.append((False, escape(part)))
    if excerpt.stop < len(text.rstrip()):
        parts.append((False, " …"))
    return _joined(parts), labelled


def _bold(part: str, cut_mark: bool = False) -> str:
    """<b>part</b>, its surrounding whitespace left outside the tags."""
    content = part.strip()
    if not content:
        return escape(part)
    lead = part[: len(part) - len(part.lstrip())]
    trail = part[len(part.rstrip()) :]
    return f"{escape(lead)}<b>{escape(content)}{' …' if cut_mark else ''}</b>{escape(trail)}"


def _joined(parts: Sequence[tuple[bool, str]]) -> str:
    """Parts of an excerpt joined, each <pre> on lines of its own with no blank line around it."""
    html = ""
    after_pre = False
    for pre, part in parts:
        if pre:
            html = html.rstrip()
            html += ("\n" if html else "") + part
            after_pre = True
            continue
        if after_pre:
            part = part.lstrip()
            if not part:
                continue
            part = "\n" + part
        html += part
        after_pre = False
    return html


def inline_title(result: Result) -> str:
    """An inline result's title in the list a user picks from: the answering sentence, on one line."""
    return cut(" ".join(result.highlight.split()), 100)


def inline_description(result: Result, answered: bool, tr: Translator = ENGLISH) -> str:
    """An inline result's line under its title: where it comes from, and whether it only comes closest."""
    closest = "" if answered else tr.gettext("closest passage") + " · "
    return f"{closest}{cited_place(result)} · {passage_label(result, tr)}"


def inline_html(question: str, result: Result, tr: Translator = ENGLISH) -> str:
    """An inline article's message: the question, then the cited passage and its source, cut
    until it fits Telegram's limit (a source that names many documents can be long); at worst the
    answering sentence and the title alone."""
    for budget in (EXCERPT_CHARS, 300, 150):
        text = f"<i>{escape(cut(question, budget))}</i>\n\n{result_html(result, budget, tr)}"
        if len(text) <= TELEGRAM_LIMIT:
            return text
    budget = 250  # three texts of this, even escaped (× 5), stay under the limit
    return (
        f"<i>{escape(cut(question, budget))}</i>\n\n<b>{escape(cut(result.highlight, budget))}</b>"
        f"\n— {escape(cut(result.title, budget))}"
    )


def document_html(document: DocumentInfo, file_size: int | None, tr: Translator = ENGLISH) -> str:
    """What /sources and the Source button say about a document."""
    title = escape(cut(document.title, _TITLE_CHARS))
    if document.url:
        title = f'<a href="{escape(document.url, quote=True)}">{title}</a>'
    lines = [f"<b>{title}</b>", tr.gettext("file: {name}").format(name=escape(document.doc_id))]
    if file_size is not None:
        lines.append(tr.gettext("size: {size}").format(size=_size(file_size, tr)))
    lines.append(tr.gettext("passages: {count}").format(count=document.passage_count))
    lines.extend(
        f"{escape(key)}: {escape(cut(value, 300))}" for key, value in document.metadata if key not in ("title", "url")
    )
    return _fitted(lambda budget: "\n".join(lines[: budget // 10]), tr=tr)


def _fitted(build: Callable[[int], str], budget: int = EXCERPT_CHARS, tr: Translator = ENGLISH) -> str:
    """build(budget), with the budget halved until the message fits Telegram's limit."""
    while True:
        html = build(budget)
        if len(html) <= TELEGRAM_LIMIT or budget < 50:
            return html if len(html) <= TELEGRAM_LIMIT else escape(tr.gettext("The answer is too long to show here."))
        budget //= 2


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _size(size: int, tr: Translator) -> str:
    if size < 1024:
        return tr.ngettext("{count} byte", "{count} bytes", size).format(count=size)
    if size < 1024 * 1024:
        return tr.gettext("{size} KB").format(size=f"{size / 1024:.1f}")
    return tr.gettext("{size} MB").format(size=f"{size / 1024 / 1024:.1f}")
